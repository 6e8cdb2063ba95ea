/* The pool decision: how many workers, and which GPU each one is pinned to.
 * min(cpus*2+1, sum of per-GPU VRAM capacities), or an explicit override,
 * never putting more workers on a GPU than its capacity. The whole decision
 * with its inputs goes into one log line. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/error.h"
#include "common/internal.h"
#include "gpu/backend.h"

#define POOL_MAX ((int)(sizeof(((clams__pool_plan_t *)0)->gpu_of_slot) / sizeof(int)))
#define MIB      (1024ULL * 1024ULL)

/* A strictly positive decimal integer, nothing else (no sign, no spaces). */
static int parse_workers(const char *v, int *out)
{
    if (!v || !*v)
        return -1;
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    long n = strtol(v, NULL, 10);
    if (errno != 0 || n < 1 || n > POOL_MAX)
        return -1;
    *out = (int)n;
    return 0;
}

static int override_workers(int workers_flag, int *workers, const char **from, clams_error_t *err)
{
    if (workers_flag != 0) {
        if (workers_flag < 0 || workers_flag > POOL_MAX)
            return clams__error_set(err, CLAMS_ECONFIG, NULL, "workers",
                                    "--workers %d: must be between 1 and %d", workers_flag,
                                    POOL_MAX);
        *workers = workers_flag;
        *from = "--workers";
        return 1;
    }
    const char *env = getenv("CLAMS_GUNICORN_WORKERS");
    if (!env)
        return 0;
    if (parse_workers(env, workers) != 0)
        return clams__error_set(err, CLAMS_ECONFIG, NULL, "CLAMS_GUNICORN_WORKERS",
                                "CLAMS_GUNICORN_WORKERS=\"%s\": must be a positive integer "
                                "between 1 and %d",
                                env, POOL_MAX);
    *from = "CLAMS_GUNICORN_WORKERS";
    return 1;
}

/* Weighted round robin: each slot goes to the GPU with the lowest fill ratio
 * (assigned / capacity) that still has room; ties go to the earlier GPU. */
static void place(clams__pool_plan_t *plan)
{
    int assigned[CLAMS_GPU_MAX] = {0};
    for (int s = 0; s < plan->workers; s++) {
        int best = -1;
        for (size_t g = 0; g < plan->gpus.count; g++) {
            int cap = plan->capacity_of_gpu[g];
            if (assigned[g] >= cap)
                continue;
            if (best < 0 || (long long)assigned[g] * plan->capacity_of_gpu[best] <
                                (long long)assigned[best] * cap)
                best = (int)g;
        }
        plan->gpu_of_slot[s] = best;
        if (best >= 0)
            assigned[best]++;
    }
}

/* "2" for a whole GPU, "2/mig1" for MIG device 1 of GPU 2. */
static void device_id(const clams__gpu_t *d, char *buf, size_t size)
{
    if (d->mig)
        snprintf(buf, size, "%d/mig%d", d->index, d->mig_index);
    else
        snprintf(buf, size, "%d", d->index);
}

static void log_gpus(clams__pool_plan_t *plan, int min, int typ)
{
    char *L = plan->log_line;
    size_t LS = sizeof(plan->log_line);
    const clams__gpu_list_t *gl = &plan->gpus;
    const char *src = gl->source == CLAMS_GPU_SRC_NVML         ? "nvml"
                      : gl->source == CLAMS_GPU_SRC_NVIDIA_SMI ? "nvidia-smi"
                                                               : "none";
    clams__gpu_appendf(L, LS, "; gpus(%s)=%zu", src, gl->count);
    if (gl->count == 0 || (gl->source != CLAMS_GPU_SRC_NVML && gl->why[0]))
        clams__gpu_appendf(L, LS, " (%s)", gl->why[0] ? gl->why : "not probed");
    for (size_t g = 0; g < gl->count; g++) {
        const clams__gpu_t *d = &gl->gpus[g];
        unsigned long long mib = d->total_bytes / MIB;
        char id[32];
        device_id(d, id, sizeof(id));
        clams__gpu_appendf(L, LS, " [#%s \"%s\" %s %llu MiB capacity %d%s]", id, d->name, d->uuid,
                           mib, plan->capacity_of_gpu[g],
                           min > 0 && mib < (unsigned long long)min ? " (below est_gpu_mem_min)"
                                                                    : "");
    }
    clams__gpu_appendf(L, LS, "; est_gpu_mem_min=%d est_gpu_mem_typ=%d MiB", min, typ);
}

/* Per-GPU capacities; returns their sum, or CLAMS_ECONFIG when GPUs were
 * read but none can hold the app at its minimum. */
static int capacities(clams__pool_plan_t *plan, int min, int typ, clams_error_t *err)
{
    int sum = 0;
    unsigned long long largest = 0;
    for (size_t g = 0; g < plan->gpus.count; g++) {
        unsigned long long mib = plan->gpus.gpus[g].total_bytes / MIB;
        largest = mib > largest ? mib : largest;
        int cap = 0;
        if (min <= 0 || mib >= (unsigned long long)min) {
            unsigned long long c = mib / (unsigned long long)typ;
            /* A GPU that holds the app at its minimum runs one worker even
             * when the typical figure does not fit. */
            cap = c < 1 ? 1 : c > (unsigned long long)POOL_MAX ? POOL_MAX : (int)c;
        }
        plan->capacity_of_gpu[g] = cap;
        sum += cap;
    }
    if (sum == 0)
        return clams__error_set(err, CLAMS_ECONFIG, NULL, "est_gpu_mem_min",
                                "no visible GPU can hold this app: est_gpu_mem_min is %d MiB, "
                                "the largest visible GPU has %llu MiB",
                                min, largest);
    return sum > POOL_MAX ? POOL_MAX : sum;
}

int clams__pool_plan(int est_gpu_mem_min, int est_gpu_mem_typ, int workers_flag,
                     clams__pool_plan_t *plan, struct clams_error_s *err)
{
    if (!plan)
        return CLAMS_EINVAL;
    memset(plan, 0, sizeof(*plan));
    int min = est_gpu_mem_min > 0 ? est_gpu_mem_min : 0;
    int typ = est_gpu_mem_typ > 0 ? est_gpu_mem_typ : 0;
    if (typ < min)
        typ = min; /* the app layer corrects this too; be safe */
    plan->cpus = clams__cpu_count(plan->cpu_origin, sizeof(plan->cpu_origin));
    plan->cpu_workers = plan->cpus * 2 + 1;
    int forced = 0;
    const char *from = NULL;
    int ov = override_workers(workers_flag, &forced, &from, err);
    if (ov < 0)
        return ov;
    plan->overridden = ov == 1;
    char *L = plan->log_line;
    size_t LS = sizeof(plan->log_line);
    clams__gpu_appendf(L, LS, "pool: cpus=%d (%s) -> cpu_workers=%d", plan->cpus, plan->cpu_origin,
                       plan->cpu_workers);
    int total_cap = 0;
    if (typ > 0) {
        clams__gpu_probe(&plan->gpus);
        if (plan->gpus.count > 0) {
            total_cap = capacities(plan, min, typ, err);
            if (total_cap < 0) {
                log_gpus(plan, min, typ);
                return total_cap;
            }
            plan->use_gpu = true;
            plan->vram_workers = total_cap;
        }
    } else {
        snprintf(plan->gpus.why, sizeof(plan->gpus.why), "the app declares no GPU memory");
    }
    log_gpus(plan, min, typ);
    if (plan->use_gpu)
        clams__gpu_appendf(L, LS, "; vram_workers=%d", plan->vram_workers);
    if (plan->overridden) {
        plan->workers = forced;
        clams__gpu_appendf(L, LS, "; workers=%d (%s)", forced, from);
        if (plan->use_gpu && forced > total_cap) {
            plan->workers = total_cap;
            plan->capped = true;
            clams__gpu_appendf(L, LS,
                               "; WARNING: %s asks for %d workers but the GPUs hold only %d: "
                               "capped at %d",
                               from, forced, total_cap, total_cap);
        }
    } else if (plan->use_gpu) {
        plan->workers = plan->cpu_workers < total_cap ? plan->cpu_workers : total_cap;
        clams__gpu_appendf(L, LS, "; workers=%d (min of cpu and vram)", plan->workers);
    } else {
        plan->workers = plan->cpu_workers > POOL_MAX ? POOL_MAX : plan->cpu_workers;
        clams__gpu_appendf(L, LS, "; workers=%d (cpu only%s)", plan->workers,
                           typ > 0 ? ", no GPU readable" : "");
    }
    if (plan->use_gpu) {
        place(plan);
        clams__gpu_appendf(L, LS, "; placement=");
        for (int s = 0; s < plan->workers; s++) {
            char id[32];
            device_id(&plan->gpus.gpus[plan->gpu_of_slot[s]], id, sizeof(id));
            clams__gpu_appendf(L, LS, "%s%s", s ? "," : "", id);
        }
    } else {
        for (int s = 0; s < plan->workers; s++)
            plan->gpu_of_slot[s] = -1;
        clams__gpu_appendf(L, LS, "; not pinned");
    }
    return 0;
}
