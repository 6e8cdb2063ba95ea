/* A fake libnvidia-ml.so.1 for tests: the NVML calls libclams uses, with the
 * real ABI (plain, _v2 and _v3 names), answering from the directory named by
 * CLAMS_FAKE_GPU_DIR, re-read on every call:
 *
 *   gpus         one line per device: <index> <uuid> <total_mib> <name...>
 *                ("0 GPU-1111aaaa 81559 NVIDIA H100 80GB HBM3"); a MIG slice
 *                of GPU <index>: "mig <index> <MIG-uuid> <total_mib> <name...>"
 *                (the GPU is then in MIG mode); "migmode <index>": MIG mode
 *                without slices
 *   pidmap, pid_offset  the pids the process lists report (host PIDs)
 *   procs/<pid>  lines "<uuid> <bytes> [compute|graphics|both]": what that
 *                process holds now (default compute). Only live, non-zombie
 *                pids count; rewrite the file atomically (temp + rename).
 *   mode         optional words: nvml_init_fail (nvmlInit returns
 *                DRIVER_NOT_LOADED), pid_namespace (process lists report
 *                pid + 100000), v3_stride32 (the _v3 process calls write the
 *                32-byte struct of drivers R530-R535.86), smi_broken,
 *                smi_garbage, smi_empty, smi_hang (for the fake nvidia-smi),
 *                count_reads (each process-list call adds 1 to the file
 *                `reads`: tests wait on it instead of sleeping).
 *
 * Free memory = total - sum of the live processes on that GPU. Built as
 * ${CMAKE_BINARY_DIR}/fake-gpu/libnvidia-ml.so.1; point CLAMS_NVML_LIBRARY at
 * it (or put the folder on LD_LIBRARY_PATH). Details: tests/gpu/README.md. */
#include <string.h>

#include "fake_config.h"

#define API __attribute__((visibility("default")))

typedef int nvmlReturn_t;
/* A handle is a position in the device list (GPUs and MIG slices alike). */
typedef struct fake_dev_s {
    int slot;
} * nvmlDevice_t;

enum {
    OK = 0,
    UNINITIALIZED = 1,
    INVALID_ARGUMENT = 2,
    NOT_SUPPORTED = 3,
    NOT_FOUND = 6,
    INSUFFICIENT_SIZE = 7,
    DRIVER_NOT_LOADED = 9,
    ARGUMENT_VERSION_MISMATCH = 25,
    UNKNOWN = 999
};

typedef struct {
    unsigned long long total, free, used;
} mem_v1_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} mem_v2_t;
typedef struct {
    unsigned int pid;
    unsigned long long used;
} proc_v1_t;
typedef struct {
    unsigned int pid;
    unsigned long long used;
    unsigned int gi, ci;
} proc_v2_t;
typedef struct {
    unsigned int pid;
    unsigned long long used;
    unsigned int gi, ci;
    unsigned long long cc;
} proc_v3_t;
_Static_assert(sizeof(mem_v2_t) == 40, "nvmlMemory_v2_t ABI");
_Static_assert(sizeof(proc_v2_t) == 24, "nvmlProcessInfo_v2_t ABI");
_Static_assert(sizeof(proc_v3_t) == 32, "nvmlProcessInfo_v3_t ABI");
#define MEM_V2_VERSION ((unsigned int)(sizeof(mem_v2_t) | (2U << 24)))

API nvmlReturn_t nvmlInit_v2(void);
API nvmlReturn_t nvmlInit(void);
API nvmlReturn_t nvmlShutdown(void);
API const char *nvmlErrorString(nvmlReturn_t r);
API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n);
API nvmlReturn_t nvmlDeviceGetCount(unsigned int *n);
API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d);
API nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d);
API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len);
API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len);
API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, mem_v1_t *m);
API nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, mem_v2_t *m);
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *n,
                                                      proc_v1_t *p);
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned int *n,
                                                         proc_v2_t *p);
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *n, void *p);
API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d, unsigned int *n,
                                                       proc_v1_t *p);
API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t d, unsigned int *n,
                                                          proc_v2_t *p);
API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned int *n, void *p);
API nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *cur, unsigned int *pending);
API nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t d, unsigned int *n);
API nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t d, unsigned int i,
                                                     nvmlDevice_t *m);
API nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t d, unsigned int *is_mig);
API nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t m, nvmlDevice_t *d);

/* As on a real A100/H100/H200: at most seven MIG devices per GPU. */
#define FAKE_MIG_SLOTS 7

static int inits;
static struct fake_dev_s devs[FAKE_MAX_GPUS];

nvmlReturn_t nvmlInit_v2(void)
{
    fake_gpu_t g[FAKE_MAX_GPUS];
    if (fake_load_gpus(g, FAKE_MAX_GPUS) < 0 || fake_mode("nvml_init_fail"))
        return DRIVER_NOT_LOADED;
    inits++;
    return OK;
}

nvmlReturn_t nvmlInit(void)
{
    return nvmlInit_v2();
}

nvmlReturn_t nvmlShutdown(void)
{
    if (inits == 0)
        return UNINITIALIZED;
    inits--;
    return OK;
}

const char *nvmlErrorString(nvmlReturn_t r)
{
    switch (r) {
    case OK: return "Success";
    case UNINITIALIZED: return "Uninitialized";
    case INVALID_ARGUMENT: return "Invalid Argument";
    case NOT_FOUND: return "Not Found";
    case INSUFFICIENT_SIZE: return "Insufficient Size";
    case DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case ARGUMENT_VERSION_MISMATCH: return "Argument Version Mismatch";
    default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
    fake_gpu_t g[FAKE_MAX_GPUS];
    if (!inits)
        return UNINITIALIZED;
    if (!n)
        return INVALID_ARGUMENT;
    int c = fake_load_gpus(g, FAKE_MAX_GPUS);
    *n = c < 0 ? 0 : (unsigned int)c;
    return OK;
}

static nvmlReturn_t handle_at(int slot, nvmlDevice_t *d)
{
    devs[slot].slot = slot;
    *d = &devs[slot];
    return OK;
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int *n)
{
    return nvmlDeviceGetCount_v2(n);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
    unsigned int n = 0;
    nvmlReturn_t r = nvmlDeviceGetCount_v2(&n);
    if (r != OK)
        return r;
    if (i >= n || !d)
        return INVALID_ARGUMENT;
    fake_gpu_t all[FAKE_MAX_GPUS];
    int c = fake_load_devices(all, FAKE_MAX_GPUS);
    for (int k = 0, seen = 0; k < c; k++)
        if (all[k].parent < 0 && (unsigned int)seen++ == i)
            return handle_at(k, d);
    return INVALID_ARGUMENT;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d)
{
    return nvmlDeviceGetHandleByIndex_v2(i, d);
}

/* The configured GPU a handle stands for (handles are positions in `gpus`). */
static nvmlReturn_t gpu_of(nvmlDevice_t d, fake_gpu_t *out)
{
    fake_gpu_t g[FAKE_MAX_GPUS];
    if (!inits)
        return UNINITIALIZED;
    int n = fake_load_devices(g, FAKE_MAX_GPUS);
    if (!d || d < devs || d >= devs + FAKE_MAX_GPUS || d->slot >= n)
        return INVALID_ARGUMENT;
    *out = g[d->slot];
    return OK;
}

static nvmlReturn_t copy_str(const char *s, char *buf, unsigned int len)
{
    if (!buf)
        return INVALID_ARGUMENT;
    if (strlen(s) + 1 > len)
        return INSUFFICIENT_SIZE;
    memcpy(buf, s, strlen(s) + 1);
    return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    return r != OK ? r : copy_str(g.name, buf, len);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    return r != OK ? r : copy_str(g.uuid, buf, len);
}

static nvmlReturn_t memory(nvmlDevice_t d, unsigned long long *total, unsigned long long *used)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    if (r != OK)
        return r;
    *total = g.total_mib * 1024ULL * 1024ULL;
    *used = fake_used_bytes(g.uuid);
    if (*used > *total)
        *used = *total;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, mem_v1_t *m)
{
    if (!m)
        return INVALID_ARGUMENT;
    nvmlReturn_t r = memory(d, &m->total, &m->used);
    if (r == OK)
        m->free = m->total - m->used;
    return r;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, mem_v2_t *m)
{
    if (!m)
        return INVALID_ARGUMENT;
    if (m->version != MEM_V2_VERSION)
        return ARGUMENT_VERSION_MISMATCH;
    nvmlReturn_t r = memory(d, &m->total, &m->used);
    if (r == OK) {
        m->reserved = 0;
        m->free = m->total - m->used;
    }
    return r;
}

/* The shared body of the process-list calls: size query protocol as NVML's
 * (INSUFFICIENT_SIZE with the needed count), entries of `stride` bytes. */
static nvmlReturn_t procs(nvmlDevice_t d, unsigned int *n, void *out, int kind, size_t stride)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    if (r != OK)
        return r;
    if (!n)
        return INVALID_ARGUMENT;
    if (fake_mode("count_reads"))
        fake_bump_counter("reads");
    fake_proc_t all[FAKE_MAX_PROCS];
    int c = fake_load_procs(g.uuid, all, FAKE_MAX_PROCS);
    unsigned int k = 0;
    for (int i = 0; i < c; i++)
        if (all[i].kinds & kind)
            all[k++] = all[i];
    if (*n < k || (k > 0 && !out)) {
        *n = k;
        return INSUFFICIENT_SIZE;
    }
    for (unsigned int i = 0; i < k; i++) {
        proc_v3_t e = {fake_listed_pid(all[i].pid), all[i].bytes, 0xFFFFFFFFu, 0xFFFFFFFFu, 0};
        memcpy((char *)out + i * stride, &e, stride);
    }
    *n = k;
    return OK;
}

static size_t v3_stride(void)
{
    return fake_mode("v3_stride32") ? sizeof(proc_v3_t) : sizeof(proc_v2_t);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *n, proc_v1_t *p)
{
    return procs(d, n, p, FAKE_KIND_COMPUTE, sizeof(proc_v1_t));
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned int *n, proc_v2_t *p)
{
    return procs(d, n, p, FAKE_KIND_COMPUTE, sizeof(proc_v2_t));
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *n, void *p)
{
    return procs(d, n, p, FAKE_KIND_COMPUTE, v3_stride());
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d, unsigned int *n, proc_v1_t *p)
{
    return procs(d, n, p, FAKE_KIND_GRAPHICS, sizeof(proc_v1_t));
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t d, unsigned int *n, proc_v2_t *p)
{
    return procs(d, n, p, FAKE_KIND_GRAPHICS, sizeof(proc_v2_t));
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned int *n, void *p)
{
    return procs(d, n, p, FAKE_KIND_GRAPHICS, v3_stride());
}

/* ---- MIG ------------------------------------------------------------------ */

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *cur, unsigned int *pending)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    if (r != OK)
        return r;
    if (!cur || !pending)
        return INVALID_ARGUMENT;
    if (g.parent >= 0)
        return NOT_SUPPORTED; /* asked of a MIG device */
    *cur = *pending = g.mig_mode ? 1 : 0;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t d, unsigned int *n)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    if (r != OK)
        return r;
    if (!n)
        return INVALID_ARGUMENT;
    *n = g.parent < 0 && g.mig_mode ? FAKE_MIG_SLOTS : 0;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t d, unsigned int i, nvmlDevice_t *m)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    if (r != OK)
        return r;
    if (!m || g.parent >= 0 || !g.mig_mode || i >= FAKE_MIG_SLOTS)
        return INVALID_ARGUMENT;
    fake_gpu_t all[FAKE_MAX_GPUS];
    int c = fake_load_devices(all, FAKE_MAX_GPUS);
    for (int k = 0; k < c; k++)
        if (all[k].parent == g.index && all[k].index == (int)i)
            return handle_at(k, m);
    return NOT_FOUND; /* an empty slot */
}

nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t d, unsigned int *is_mig)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(d, &g);
    if (r != OK)
        return r;
    if (!is_mig)
        return INVALID_ARGUMENT;
    *is_mig = g.parent >= 0;
    return OK;
}

nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t m, nvmlDevice_t *d)
{
    fake_gpu_t g;
    nvmlReturn_t r = gpu_of(m, &g);
    if (r != OK)
        return r;
    if (!d || g.parent < 0)
        return INVALID_ARGUMENT;
    fake_gpu_t all[FAKE_MAX_GPUS];
    int c = fake_load_devices(all, FAKE_MAX_GPUS);
    for (int k = 0; k < c; k++)
        if (all[k].parent < 0 && all[k].index == g.parent)
            return handle_at(k, d);
    return NOT_FOUND;
}
