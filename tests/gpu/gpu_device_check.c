/* A manual check against a real NVIDIA driver (not a ctest test: it needs a
 * GPU). It prints what the probe, the pool plan and a hwFetch profile see,
 * and, when libcuda.so.1 is there, allocates on GPU 0 inside a profile so the
 * NVML per-process peak can be compared with what was allocated. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/error.h"
#include "gpu/gpu.h"
#include "gpu/hwprofile.h"

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
        printf("  #%d %s %s total=%llu free=%llu (%s)\n", l.gpus[i].index, l.gpus[i].name,
               l.gpus[i].uuid, l.gpus[i].total_bytes, l.gpus[i].free_bytes,
               l.gpus[i].free_valid ? "valid" : "unknown");
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
