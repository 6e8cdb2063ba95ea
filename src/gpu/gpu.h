/* This file is private to libclams.
 * GPU and CPU probing for the production server: how many CPUs this process
 * may use, which GPUs it may use (NVML through dlopen, nvidia-smi fallback),
 * the pool size and per-GPU placement, and per-process GPU memory figures.
 * The master calls these; it never creates a CUDA context. */
#ifndef CLAMS_GPU_H
#define CLAMS_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CLAMS_GPU_NAME_LEN 96
#define CLAMS_GPU_UUID_LEN 96
#define CLAMS_GPU_MAX 64

/* Where a figure came from. */
typedef enum {
    CLAMS_GPU_SRC_NONE = 0, /* nothing could be read */
    CLAMS_GPU_SRC_NVML,
    CLAMS_GPU_SRC_NVIDIA_SMI
} clams__gpu_source_t;

typedef struct clams__gpu_s {
    int index;                       /* NVML / nvidia-smi index */
    char name[CLAMS_GPU_NAME_LEN];
    char uuid[CLAMS_GPU_UUID_LEN];   /* "GPU-..." */
    unsigned long long total_bytes;
    unsigned long long free_bytes;   /* at probe time */
    bool free_valid;
} clams__gpu_t;

typedef struct clams__gpu_list_s {
    clams__gpu_t gpus[CLAMS_GPU_MAX];
    size_t count;
    clams__gpu_source_t source;
    char why[256]; /* when count == 0: what was tried and failed */
} clams__gpu_list_t;

/* CPUs this process may run on: sched_getaffinity, further limited by cgroup
 * v2 cpu.max or v1 cpu.cfs_quota_us/cpu.cfs_period_us (rounded up). `origin`
 * (may be NULL) receives a short description ("affinity=2, cgroup v2 cpu.max
 * 150000/100000 -> 2"). The cgroup root is /sys/fs/cgroup, or
 * CLAMS_TEST_CGROUP_ROOT when set (a test hook). */
int clams__cpu_count(char *origin, size_t origin_size);

/* Lists the GPUs this process may use: NVML first (libnvidia-ml.so.1, or
 * CLAMS_NVML_LIBRARY when set), then nvidia-smi (CLAMS_NVIDIA_SMI or PATH),
 * filtered by CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES (indices or UUIDs).
 * Never fails: an empty list with `why` set means no GPU is readable. */
void clams__gpu_probe(clams__gpu_list_t *out);

/* The pool decision. */
typedef struct clams__pool_plan_s {
    int cpus;
    char cpu_origin[256];
    int cpu_workers;   /* cpus * 2 + 1 */
    int vram_workers;  /* 0 when not applicable */
    int workers;       /* the result */
    bool overridden;   /* CLAMS_GUNICORN_WORKERS or --workers */
    bool use_gpu;      /* false: workers are not pinned */
    bool capped;       /* the override asked for more workers than the GPUs
                        * hold; workers was lowered to the total capacity and
                        * log_line says so (log it at warning level) */
    /* Placement: slot i of the pool runs on gpu_of_slot[i] (an index into
     * gpus.gpus), or -1 when not pinned. */
    int gpu_of_slot[1024];
    int capacity_of_gpu[CLAMS_GPU_MAX]; /* floor(total_MiB / typ), 0 below min */
    clams__gpu_list_t gpus;
    char log_line[2048]; /* the one-line decision with every input */
} clams__pool_plan_t;

/* Computes the plan. workers_flag: --workers value (0 = not given; it wins
 * over CLAMS_GUNICORN_WORKERS, which is read here). Returns 0, or
 * CLAMS_ECONFIG with a message in err (bad override naming the variable and
 * value; no GPU can hold the app: both figures). Does not log: the caller
 * logs plan->log_line (at warning level when plan->capped). The GPUs are
 * probed only when the app declares GPU memory. See docs/gpu-probing.md. */
struct clams_error_s;
int clams__pool_plan(int est_gpu_mem_min, int est_gpu_mem_typ, int workers_flag,
                     clams__pool_plan_t *plan, struct clams_error_s *err);

/* GPU memory used by one process on one GPU (by UUID), through NVML's
 * per-process lists (compute and graphics; entries of one list add up, a pid
 * in both lists counts once, the larger). Returns 0 with *bytes set (0 when
 * the pid is not listed and the GPU is idle or others listed are visible in
 * our PID namespace), CLAMS_ENOTFOUND when the UUID is unknown or when NVML
 * lists processes, none of them ours and none visible here (a PID
 * namespace), CLAMS_ENOGPU when NVML is not available or reports the figure
 * as unavailable. Thread-safe; safe in the master and in forked workers (the
 * NVML session is re-initialised after fork; no CUDA context is created). */
int clams__gpu_process_memory(const char *uuid, pid_t pid, unsigned long long *bytes);

/* Free and total memory of a GPU now (by UUID). Returns 0 or a negative code. */
int clams__gpu_memory_info(const char *uuid, unsigned long long *total,
                           unsigned long long *free_bytes);

#endif
