/* Standbys cost memory: a standby is a replacement forked and initialised
 * ahead, so it holds its own copy of the app's model while it waits. How
 * many may wait is decided from what the machine has free, each time one is
 * due, rather than fixed at one per worker:
 *   - the footprint of a ready worker is measured at READY (its private
 *     memory, from /proc/PID/smaps_rollup: what one more worker adds; its
 *     RSS also counts the pages it shares with the master or the template
 *     process, which a standby does not add again; RSS where smaps_rollup
 *     cannot be read), the largest seen so far;
 *   - a standby starts only while the free host memory (MemAvailable, and
 *     the room left under the cgroup's memory.max in a container) holds
 *     twice that footprint: its own copy, and as much again left for the
 *     serving workers to grow into (a request's working memory);
 *   - on a GPU, only while the GPU's free memory holds est_gpu_mem_typ.
 * A replacement a slot needs to keep the pool at its size is never held
 * back: only the ones beyond it are standbys. Until a worker has been
 * measured, no standby starts (the first workers start alone). */
#include <stdio.h>
#include <string.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

/* One number from a cgroup file ("max" or unreadable: -1). */
static long long cgroup_value(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", name);
    FILE *f = fopen(path, "re");
    long long v = -1;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

long clams__host_available_kib(void)
{
    long kib = clams__proc_kib("/proc/meminfo", "MemAvailable");
    /* Inside a container the cgroup's limit is the real one (cgroup v2 at
     * the namespace root); the host's MemAvailable knows nothing of it. */
    long long max = cgroup_value("memory.max"), cur = cgroup_value("memory.current");
    if (max > 0 && cur >= 0) {
        long room = max > cur ? (long)((max - cur) >> 10) : 0;
        if (kib < 0 || room < kib)
            kib = room;
    }
    return kib;
}

void clams__standby_measure(clams__master_t *m, const clams__proc_t *p)
{
    if (m->spare != CLAMS__SPARE_STANDBY)
        return;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)p->pid);
    long clean = clams__proc_kib(path, "Private_Clean"),
         dirty = clams__proc_kib(path, "Private_Dirty");
    snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
    long rss = clams__proc_kib(path, "VmRSS");
    long own = clean >= 0 && dirty >= 0 ? clean + dirty : rss;
    if (own <= m->ready_kib)
        return;
    /* Logged the first time, and when a worker is a quarter larger than
     * the last figure logged (a lazily loaded model), not for every page. */
    bool first = m->ready_kib == 0, quiet = !first && own < m->ready_logged_kib * 5 / 4;
    m->ready_kib = own;
    if (quiet)
        return;
    m->ready_logged_kib = own;
    long avail = clams__host_available_kib();
    long room = own > 0 && avail > 0 ? avail / (2 * own) : 0;
    clams__log(CLAMS_LOG_INFO, 0,
               "%s a ready worker: %ld MiB of its own (RSS %ld MiB); %ld MiB of host "
               "memory free: room for %ld standby%s now (at most %d)",
               first ? "standbys sized from" : "standbys sized again from a larger", own >> 10,
               rss >> 10, avail >> 10, room < m->nserve ? room : (long)m->nserve,
               room == 1 ? "" : "s", m->nserve);
}

/* Workers that count toward the pool: the others are standbys. */
static int live_workers(const clams__master_t *m)
{
    int n = 0;
    for (int i = 0; i < m->nprocs; i++)
        n += m->procs[i].state != CLAMS__W_EMPTY && m->procs[i].state != CLAMS__W_EXITING;
    return n;
}

bool clams__standby_may_start(clams__master_t *m, const clams__proc_t *p)
{
    if (live_workers(m) < m->nserve)
        return true; /* a replacement the pool needs, not a standby */
    char why[192] = "";
    long avail = m->ready_kib > 0 ? clams__host_available_kib() : -1;
    unsigned long long total = 0, free_bytes = 0;
    int typ = clams__app_rt_gpu_typ(m->rt);
    if (m->ready_kib == 0)
        snprintf(why, sizeof(why), "no worker measured yet");
    else if (avail >= 0 && avail < 2 * m->ready_kib)
        snprintf(why, sizeof(why),
                 "%ld MiB of host memory free, a ready worker holds %ld MiB (twice that needed)",
                 avail >> 10, m->ready_kib >> 10);
    else if (p->gpu_uuid && typ > 0 &&
             (clams__gpu_memory_info(p->gpu_uuid, &total, &free_bytes) != 0 ||
              free_bytes < (unsigned long long)typ << 20))
        snprintf(why, sizeof(why), "%llu MiB free on %s, est_gpu_mem_typ %d MiB", free_bytes >> 20,
                 p->gpu_uuid, typ);
    bool ok = why[0] == '\0';
    if (!ok && !m->standby_held && m->ready_kib > 0) /* said once per stretch */
        clams__log(CLAMS_LOG_INFO, 0, "standby for slot %d held back: %s", p->slot, why);
    m->standby_held = !ok;
    return ok;
}
