/* The per-worker budgets the master enforces: GPU memory (a hard budget
 * checked while a request runs, a soft one after it) and host memory (RSS,
 * after a request). The master decides what to do; this file measures and
 * compares. GPU figures are per process, from the GPU probe (NVML, else
 * nvidia-smi); a worker not pinned to a GPU has no GPU budget. */
#include <stdio.h>
#include <string.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

#define VRAM_SAMPLE_EVERY 0.05 /* seconds between samples of a busy worker */

/* One sample of the worker's GPU memory into its figures. */
/* By the worker's host PID when it is known (binding.c), else by its own. */
static bool sample_vram(clams__proc_t *p)
{
    unsigned long long bytes = 0;
    clams__gpu_pm_t method = CLAMS_GPU_PM_NO_NVML;
    if (!p->gpu_uuid)
        return false;
    int rc = p->host_pid ? clams__gpu_process_memory_ex(p->gpu_uuid, (pid_t)p->host_pid,
                                                        CLAMS_GPU_PID_HOST, &bytes, &method)
                         : clams__gpu_process_memory_ex(p->gpu_uuid, p->pid, 0, &bytes, &method);
    p->mem_method = clams__gpu_pm_name(method);
    if (rc != 0)
        return false;
    p->mem_now = bytes;
    if (bytes > p->mem_peak)
        p->mem_peak = bytes;
    if (bytes > p->req_peak)
        p->req_peak = bytes;
    return true;
}

void clams__budget_request_begins(clams__proc_t *p, double now)
{
    p->next_sample = now + VRAM_SAMPLE_EVERY;
    p->req_peak = 0;
}

double clams__budget_next_sample(const clams__master_t *m, const clams__proc_t *p)
{
    return m->hard_bytes_mib > 0 && p->gpu_uuid ? p->next_sample : 0;
}

bool clams__budget_hard_exceeded(clams__master_t *m, clams__proc_t *p, double now, char *msg,
                                 size_t msg_size)
{
    if (m->hard_bytes_mib <= 0 || !p->gpu_uuid || now < p->next_sample)
        return false;
    p->next_sample = now + VRAM_SAMPLE_EVERY;
    if (!sample_vram(p) || p->mem_now <= (unsigned long long)m->hard_bytes_mib << 20)
        return false;
    snprintf(msg, msg_size,
             "worker %d held %llu MiB of GPU memory on %s, above its hard budget of %ld MiB, "
             "and was killed while annotating",
             (int)p->pid, p->mem_now >> 20, p->gpu_uuid, m->hard_bytes_mib);
    return true;
}

long clams__proc_kib(const char *path, const char *key)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[256];
    size_t n = strlen(key);
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, n) == 0 && line[n] == ':' && sscanf(line + n + 1, "%ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* A worker's resident memory in KiB from /proc, or -1 when unreadable. */
static long worker_rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    return clams__proc_kib(path, "VmRSS");
}

/* True when the worker keeps more host memory than --worker-rss-budget after
 * its request (a leak the app cannot see; the GPU has its own budgets). */
static bool over_rss_budget(const clams__master_t *m, const clams__proc_t *p, char *msg,
                            size_t msg_size)
{
    long budget = m->cfg->rss_budget_mib;
    if (budget <= 0)
        return false;
    long kib = worker_rss_kib(p->pid);
    if (kib < 0 || kib <= budget * 1024)
        return false;
    snprintf(msg, msg_size,
             "worker %d holds %ld MiB of host memory (RSS), above its budget "
             "of %ld MiB: recycling it",
             (int)p->pid, kib / 1024, budget);
    return true;
}

/* The request's peak is the highest of the master's samples during it and
 * the peak the worker measured for this very request (hwFetch). */
static bool over_soft_budget(clams__master_t *m, clams__proc_t *p, unsigned long long response_peak,
                             char *msg, size_t msg_size)
{
    if (!p->gpu_uuid)
        return false;
    sample_vram(p);
    if (response_peak > p->req_peak)
        p->req_peak = response_peak;
    if (p->req_peak > p->mem_peak)
        p->mem_peak = p->req_peak;
    int typ = clams__app_rt_gpu_typ(m->rt);
    if (typ > 0 && !p->typ_logged && p->req_peak > (unsigned long long)typ << 20) {
        p->typ_logged = true;
        clams__log(CLAMS_LOG_WARNING, 0,
                   "worker %d: a request peaked at %llu MiB of GPU memory, above the "
                   "app's est_gpu_mem_typ of %d MiB",
                   (int)p->pid, p->req_peak >> 20, typ);
    }
    if (m->soft_bytes_mib <= 0 || p->mem_now <= (unsigned long long)m->soft_bytes_mib << 20)
        return false;
    snprintf(msg, msg_size,
             "worker %d holds %llu MiB of GPU memory, above its soft budget "
             "of %ld MiB: recycling it",
             (int)p->pid, p->mem_now >> 20, m->soft_bytes_mib);
    return true;
}

clams__recycle_t clams__budget_after_request(clams__master_t *m, clams__proc_t *p,
                                             unsigned long long response_peak, bool staying,
                                             char *msg, size_t msg_size)
{
    if (over_soft_budget(m, p, response_peak, msg, msg_size))
        return CLAMS__RECYCLE_VRAM;
    /* RSS costs a read of /proc: only for a worker that would stay. */
    if (staying && over_rss_budget(m, p, msg, msg_size))
        return CLAMS__RECYCLE_MEMORY;
    return CLAMS__RECYCLE_NONE;
}
