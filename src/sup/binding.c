/* Which PID the GPU driver knows a worker by. Inside a container the driver
 * lists host PIDs, which the master (in its own PID namespace) cannot map to
 * its children. So the master learns each pinned worker's host PID where it
 * can be known for sure: workers of one GPU start one at a time; the GPU's
 * process list is read before the fork and again when the worker reports
 * READY (its worker_init made its context); exactly one new PID is that
 * worker. Both lists are read from the driver at that moment, never from
 * nvidia-smi's 100 ms cache: a worker can be READY sooner than that, and a
 * cached second list is the first one again ("no process appeared"). None, or more than one, and the binding is unknown, with the
 * reason: budgets and hwFetch then fall back to the worker's own PID, which
 * the driver lists only outside a PID namespace (docs/gpu-probing.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

#define LIST_CAP 256

bool clams__binding_gpu_busy(const clams__master_t *m, const clams__proc_t *p)
{
    if (!p->gpu_uuid)
        return false;
    for (int i = 0; i < m->nprocs; i++) {
        const clams__proc_t *q = &m->procs[i];
        if (q != p && q->state == CLAMS__W_SPAWNING && q->gpu_uuid &&
            strcmp(q->gpu_uuid, p->gpu_uuid) == 0)
            return true;
    }
    return false;
}

void clams__binding_before(clams__proc_t *p)
{
    p->host_pid = 0;
    p->nbefore = 0;
    p->before_ok = false;
    snprintf(p->bind_why, sizeof(p->bind_why), "%s", p->gpu_uuid ? "not yet known" : "not pinned");
    if (!p->gpu_uuid)
        return;
    if (!p->before) {
        p->before = calloc(LIST_CAP, sizeof(*p->before));
        if (!p->before) {
            snprintf(p->bind_why, sizeof(p->bind_why), "out of memory");
            return;
        }
    }
    clams__gpu_pm_t method;
    int rc = clams__gpu_process_list_fresh(p->gpu_uuid, p->before, LIST_CAP, &p->nbefore, &method);
    p->before_ok = rc == 0;
    if (rc != 0)
        snprintf(p->bind_why, sizeof(p->bind_why), "%s", clams__gpu_pm_name(method));
}

unsigned int clams__binding_after(clams__master_t *m, clams__proc_t *p)
{
    if (!p->gpu_uuid || !p->before_ok)
        return 0;
    clams__gpu_proc_t *after = calloc(LIST_CAP, sizeof(*after));
    size_t na = 0;
    clams__gpu_pm_t method;
    if (!after || clams__gpu_process_list_fresh(p->gpu_uuid, after, LIST_CAP, &na, &method) != 0) {
        snprintf(p->bind_why, sizeof(p->bind_why), "%s",
                 after ? clams__gpu_pm_name(method) : "out of memory");
        free(after);
        return 0;
    }
    unsigned int host = 0;
    size_t k = clams__gpu_proc_appeared(p->before, p->nbefore, after, na, &host);
    free(after);
    if (k == 1) {
        p->host_pid = host;
        snprintf(p->bind_why, sizeof(p->bind_why), "bound");
        clams__log(CLAMS_LOG_DEBUG, 0, "worker %d is host PID %u on %s", (int)p->pid, host,
                   p->gpu_uuid);
        return host;
    }
    snprintf(p->bind_why, sizeof(p->bind_why),
             k == 0 ? "no process appeared during worker_init"
                    : "%zu processes appeared during worker_init",
             k);
    if (!m->bind_warned) { /* once per server: the metrics show it per worker */
        m->bind_warned = true;
        clams__log(CLAMS_LOG_WARNING, 0,
                   "worker %d on %s: its host PID is unknown (%s): its "
                   "VRAM budgets and hwFetch peak use its own PID, which the driver lists only "
                   "outside a PID namespace; /metrics shows each worker's binding",
                   (int)p->pid, p->gpu_uuid, p->bind_why);
    }
    return 0;
}
