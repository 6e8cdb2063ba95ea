/* A manual check against a real NVIDIA driver (not a ctest test: it needs a
 * GPU). It prints what the probe, the pool plan and a hwFetch profile see,
 * and, when libcuda.so.1 is there, allocates on GPU 0 inside a profile so the
 * NVML per-process peak can be compared with what was allocated. While it
 * holds the allocation it also prints the device's process list (NVML) and
 * nvidia-smi's compute-apps figure for this process, to compare the two
 * sources on a real driver. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/error.h"
#include "gpu/backend.h"
#include "gpu/gpu.h"
#include "app/hwfetch.h"

typedef int (*cu_i_t)(unsigned int);
typedef int (*cu_get_t)(int *, int);
typedef int (*cu_retain_t)(void **, int);
typedef int (*cu_set_t)(void *);
typedef int (*cu_alloc_t)(unsigned long long *, size_t);
typedef int (*cu_free_t)(unsigned long long);

static void show_list(const char *title)
{
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    printf("%s: source=%d count=%zu why=\"%s\"\n", title, (int)l.source, l.count, l.why);
    for (size_t i = 0; i < l.count; i++)
        printf("  #%d%s%.0d %s %s total=%llu free=%llu (%s)%s%s\n", l.gpus[i].index,
               l.gpus[i].mig ? "/mig" : "", l.gpus[i].mig ? l.gpus[i].mig_index : 0, l.gpus[i].name,
               l.gpus[i].uuid, l.gpus[i].total_bytes, l.gpus[i].free_bytes,
               l.gpus[i].free_valid ? "valid" : "unknown", l.gpus[i].mig ? " of " : "",
               l.gpus[i].parent_uuid);
}

/* Allocates `bytes` on device 0 through the driver API, loaded by dlopen. */
static int cuda_alloc(size_t bytes, unsigned long long *ptr, cu_free_t *freefn)
{
    void *h = dlopen("libcuda.so.1", RTLD_NOW);
    if (!h) {
        printf("libcuda.so.1: %s\n", dlerror());
        return -1;
    }
    cu_i_t init = (cu_i_t)dlsym(h, "cuInit");
    cu_get_t get = (cu_get_t)dlsym(h, "cuDeviceGet");
    cu_retain_t retain = (cu_retain_t)dlsym(h, "cuDevicePrimaryCtxRetain");
    cu_set_t set = (cu_set_t)dlsym(h, "cuCtxSetCurrent");
    cu_alloc_t alloc = (cu_alloc_t)dlsym(h, "cuMemAlloc_v2");
    *freefn = (cu_free_t)dlsym(h, "cuMemFree_v2");
    int dev = 0;
    void *ctx = NULL;
    if (!init || !get || !retain || !set || !alloc || !*freefn)
        return -1;
    int r = init(0);
    if (r == 0)
        r = get(&dev, 0);
    if (r == 0)
        r = retain(&ctx, dev);
    if (r == 0)
        r = set(ctx);
    if (r == 0)
        r = alloc(ptr, bytes);
    printf("cuda alloc of %zu bytes: CUresult %d\n", bytes, r);
    return r == 0 ? 0 : -1;
}

/* The device's process list (NVML here) and nvidia-smi's view of us. */
static void show_procs(const char *uuid)
{
    clams__gpu_proc_t procs[64];
    size_t n = 0;
    clams__gpu_pm_t m;
    int rc = clams__gpu_process_list(uuid, procs, 64, &n, &m);
    printf("process list: rc=%d method=%s n=%zu\n", rc, clams__gpu_pm_name(m), n);
    for (size_t i = 0; i < n && i < 64; i++)
        printf("  pid %u%s bytes=%llu%s\n", procs[i].pid,
               procs[i].pid == (unsigned int)getpid() ? " (us)" : "", procs[i].bytes,
               procs[i].visible ? "" : " (not visible here)");
    unsigned long long b = 0;
    rc = clams__gpu_process_memory_ex(uuid, getpid(), CLAMS_GPU_PID_HOST | CLAMS_GPU_PID_LISTED, &b,
                                      &m);
    printf("own memory as a host PID: rc=%d bytes=%llu method=%s\n", rc, b, clams__gpu_pm_name(m));
    clams__gpu_proc_t *smi = NULL;
    n = 0;
    m = CLAMS_GPU_PM_QUERY_FAILED;
    rc = clams__gpu_backend_smi.processes(uuid, &smi, &n, &m);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (smi[i].pid == (unsigned int)getpid())
            printf("nvidia-smi compute apps: our pid holds %llu bytes (whole MiB)\n", smi[i].bytes);
    if (rc != 0)
        printf("nvidia-smi compute apps: rc=%d %s\n", rc, clams__gpu_pm_name(m));
    free(smi);
}

int main(void)
{
    char origin[256];
    printf("cpus=%d (%s)\n", clams__cpu_count(origin, sizeof(origin)), origin);
    show_list("probe");
    static clams__pool_plan_t plan;
    clams_error_t err = {0};
    int rc = clams__pool_plan(4000, 6000, 0, &plan, &err);
    printf("pool rc=%d err=\"%s\"\n%s\n", rc, err.text, plan.log_line);

    unsigned long long b = 0;
    if (plan.gpus.count > 0) {
        rc = clams__gpu_process_memory(plan.gpus.gpus[0].uuid, getpid(), &b);
        printf("own memory before CUDA: rc=%d bytes=%llu\n", rc, b);
    }
    clams__hwprof_t *p = clams__hwprof_begin(true);
    unsigned long long ptr = 0;
    cu_free_t freefn = NULL;
    size_t want = (size_t)2 << 30;
    if (cuda_alloc(want, &ptr, &freefn) == 0) {
        usleep(300 * 1000);
        if (plan.gpus.count > 0) {
            rc = clams__gpu_process_memory(plan.gpus.gpus[0].uuid, getpid(), &b);
            printf("own memory holding 2 GiB: rc=%d bytes=%llu\n", rc, b);
            show_procs(plan.gpus.gpus[0].uuid);
        }
        freefn(ptr);
    }
    json_t *hw = clams__hwprof_end(p, NULL);
    char *s = json_dumps(hw, JSON_INDENT(2));
    printf("hwprofile: %s\n", s ? s : "(null)");
    free(s);
    json_decref(hw);
    return 0;
}
