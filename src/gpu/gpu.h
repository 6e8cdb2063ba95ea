/* This file is private to libclams.
 * GPU and CPU probing for the production server: how many CPUs this process
 * may use, which GPUs it may use (NVML through dlopen, nvidia-smi fallback),
 * MIG devices among them, the pool size and per-GPU placement, and
 * per-process GPU memory figures and process lists (host PIDs included).
 * The master calls these; it never creates a CUDA context. */
#ifndef CLAMS_GPU_H
#define CLAMS_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CLAMS_GPU_NAME_LEN 96
#define CLAMS_GPU_UUID_LEN 96
#define CLAMS_GPU_MAX      64

/* Where a figure came from. */
typedef enum {
    CLAMS_GPU_SRC_NONE = 0, /* nothing could be read */
    CLAMS_GPU_SRC_NVML,
    CLAMS_GPU_SRC_NVIDIA_SMI
} clams__gpu_source_t;

/* One device a worker can be pinned to: a whole GPU, or one MIG slice of a
 * GPU in MIG mode (which then stands for that GPU: the GPU itself is not
 * listed, since CUDA cannot use it as a whole). */
typedef struct clams__gpu_s {
    int index;                     /* NVML / nvidia-smi index (of the parent GPU for a slice) */
    bool mig;                      /* a MIG slice (false: a whole GPU) */
    int mig_index;                 /* a slice's NVML MIG device index under its GPU */
    char name[CLAMS_GPU_NAME_LEN]; /* "NVIDIA H200", "NVIDIA H200 MIG 1g.18gb" */
    char uuid[CLAMS_GPU_UUID_LEN]; /* "GPU-..." or "MIG-..." */
    char parent_uuid[CLAMS_GPU_UUID_LEN]; /* a slice's GPU ("GPU-..."); "" for a whole GPU */
    unsigned long long total_bytes;       /* the slice's own memory for a slice */
    unsigned long long free_bytes;        /* at probe time */
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
    int cpu_workers;  /* cpus * 2 + 1 */
    int vram_workers; /* 0 when not applicable */
    int workers;      /* the result */
    bool overridden;  /* CLAMS_GUNICORN_WORKERS or --workers */
    bool use_gpu;     /* false: workers are not pinned */
    bool capped;      /* the override asked for more workers than the GPUs
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

/* How a per-process figure was measured, or why there is none: one list,
 * expanded into the enum and the names that logs, /metrics and hwFetch's
 * peakMethod show. docs/gpu-probing.md describes each. */
#define CLAMS__GPU_PM_LIST(X)                                                                   \
    X(NVML, "nvml")                               /* NVML's per-process lists */                \
    X(NVIDIA_SMI, "nvidia-smi")                   /* nvidia-smi --query-compute-apps */         \
    X(NO_NVML, "unavailable-no-nvml")             /* neither NVML nor nvidia-smi can be used */ \
    X(PID_NAMESPACE, "unavailable-pid-namespace") /* listed pids are not ours to see */         \
    X(NOT_LISTED, "unavailable-not-listed")       /* CLAMS_GPU_PID_LISTED: pid not listed */    \
    X(NOT_REPORTED, "unavailable-not-reported")   /* listed without a figure (WDDM, N/A) */     \
    X(UNKNOWN_GPU, "unavailable-unknown-gpu")     /* no device has this UUID */                 \
    X(QUERY_FAILED, "unavailable-query-failed")   /* an NVML error, nvidia-smi broken */

typedef enum {
#define CLAMS__GPU_PM_ENUM_(id, name) CLAMS_GPU_PM_##id,
    CLAMS__GPU_PM_LIST(CLAMS__GPU_PM_ENUM_)
#undef CLAMS__GPU_PM_ENUM_
        CLAMS_GPU_PM_COUNT_
} clams__gpu_pm_t;

/* "nvml", "unavailable-pid-namespace", ...; never NULL (out of range: "unavailable"). */
const char *clams__gpu_pm_name(clams__gpu_pm_t m);

/* Flags of clams__gpu_process_memory_ex. */
enum {
    /* The pid is the process's PID as the driver lists it (a host PID: NVML
     * knows nothing of PID namespaces), learnt by the caller (for example
     * from clams__gpu_process_list before and after a worker created its
     * context). The PID-namespace guess is skipped: not listed means the
     * process holds nothing (0 bytes), others listed or not. */
    CLAMS_GPU_PID_HOST = 1u << 0,
    /* Not listed is an answer without a figure (CLAMS_ENOTFOUND,
     * unavailable-not-listed) instead of 0 bytes: for a caller that knows the
     * process has a context. */
    CLAMS_GPU_PID_LISTED = 1u << 1,
};

/* GPU memory used by one process on one GPU or MIG slice (by UUID). NVML's
 * per-process lists first (compute and graphics; entries of one list add up,
 * a pid in both lists counts once, the larger); without NVML, nvidia-smi's
 * compute-apps list (cached process-wide, refreshed at most every 100 ms,
 * each run bounded in time). *method (may be NULL) says how the figure was
 * measured, or why there is none. Returns:
 *   0 with *bytes (0 when the pid is not listed: without CLAMS_GPU_PID_HOST,
 *     only when nothing is listed or some listed pid is visible here);
 *   CLAMS_ENOTFOUND: a UUID NVML does not know (unavailable-unknown-gpu;
 *     nvidia-smi cannot tell, an unknown UUID reads as idle); processes listed,
 *     none ours and none visible in our PID namespace while pid is not a host
 *     PID (unavailable-pid-namespace); CLAMS_GPU_PID_LISTED and not listed
 *     (unavailable-not-listed);
 *   CLAMS_ENOGPU: no source (unavailable-no-nvml), the figure not reported
 *     (unavailable-not-reported), a failed query (unavailable-query-failed).
 * Never blocks longer than one bounded nvidia-smi run. Thread-safe; safe in
 * the master and in forked workers (the NVML session is re-initialised after
 * fork; no CUDA context is created). */
int clams__gpu_process_memory_ex(const char *uuid, pid_t pid, unsigned flags,
                                 unsigned long long *bytes, clams__gpu_pm_t *method);

/* clams__gpu_process_memory_ex with flags 0, or CLAMS_GPU_PID_HOST when pid
 * is getpid() and this process was told its host PID
 * (clams__gpu_set_self_host_pid): then that host PID is asked. */
int clams__gpu_process_memory(const char *uuid, pid_t pid, unsigned long long *bytes);

/* One process the driver lists on a GPU or MIG slice. */
typedef struct clams__gpu_proc_s {
    unsigned int pid;         /* as the driver lists it: a host PID */
    unsigned long long bytes; /* valid when bytes_valid */
    bool bytes_valid;         /* false: listed without a figure */
    bool visible;             /* a process with this pid exists in our PID namespace */
} clams__gpu_proc_t;

/* Every process the driver lists on one GPU or MIG slice (NVML compute and
 * graphics lists merged by pid, else nvidia-smi's compute apps), in the
 * driver's order. Fills up to cap entries; *n gets how many are listed (more
 * than cap: CLAMS_ETOOBIG, the first cap filled). *method (may be NULL): the
 * source, or why there is no list. Returns 0, CLAMS_ENOTFOUND (unknown UUID),
 * CLAMS_ENOGPU (no source, failed query), CLAMS_ETOOBIG, CLAMS_EINVAL. Same
 * threading and bounds as clams__gpu_process_memory_ex. */
int clams__gpu_process_list(const char *uuid, clams__gpu_proc_t *out, size_t cap, size_t *n,
                            clams__gpu_pm_t *method);

/* As clams__gpu_process_list, read from the driver now: nvidia-smi's
 * process-wide cache (100 ms) is not used. For two lists taken around an
 * event that may be shorter than the cache's life (a worker creating its
 * context right after its fork): a cached second list would be the first. */
int clams__gpu_process_list_fresh(const char *uuid, clams__gpu_proc_t *out, size_t cap, size_t *n,
                                  clams__gpu_pm_t *method);

/* How many pids of `after` are not in `before` (two lists of one device,
 * taken around an event such as one worker creating its CUDA context);
 * when exactly one appeared, *pid (may be NULL) gets it, else 0. A pid in
 * both lists did not appear, whatever its figures did. */
size_t clams__gpu_proc_appeared(const clams__gpu_proc_t *before, size_t nbefore,
                                const clams__gpu_proc_t *after, size_t nafter, unsigned int *pid);

/* Tells this process its own PID as the driver lists it (learnt by the
 * master; 0 forgets it). Valid in this process only: a forked child starts
 * without one. hwFetch and clams__gpu_process_memory(uuid, getpid()) then
 * ask for that PID with CLAMS_GPU_PID_HOST. Not synchronised: call it
 * before requests run (a sampler thread reads it when a profile begins). */
void clams__gpu_set_self_host_pid(pid_t host_pid);
/* The PID set above for this process, or 0. */
pid_t clams__gpu_self_host_pid(void);

/* Free and total memory of a GPU or MIG slice now (by UUID): NVML, else
 * nvidia-smi's GPU list (whole MiB, cached process-wide for 100 ms, bounded
 * in time; no MIG slices). Returns 0, CLAMS_ENOTFOUND (unknown UUID),
 * CLAMS_ENOGPU (no source, or free memory not reported), CLAMS_EINVAL. */
int clams__gpu_memory_info(const char *uuid, unsigned long long *total,
                           unsigned long long *free_bytes);

#endif
