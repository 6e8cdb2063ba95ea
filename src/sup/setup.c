/* Setting the production master up and tearing it down: the settings the
 * flags and the app resolve to, the pool and its slots (spare slots for
 * standby and overlap), the event loop's fds and the HTTP front, and what
 * is left to free or kill after the loop. master.c runs the loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

void clams__master_resolve_settings(clams__master_t *m)
{
    /* serve/options.c has merged the app's production defaults with the
     * flags: the config is final here, and sup only reads it. */
    const clams__sup_config_t *o = m->cfg;
    m->max_requests = o->max_requests;
    m->jitter = o->max_requests_jitter;
    int typ = clams__app_rt_gpu_typ(m->rt);
    m->soft_bytes_mib = o->vram_soft_mib < 0 ? typ : o->vram_soft_mib;
    m->hard_bytes_mib = o->vram_hard_mib > 0 ? o->vram_hard_mib : 0;
    /* Workers see their hard budget (a hosted app's worker makes it torch's
     * per-process memory fraction: src/host/host.c). Set before any fork. */
    char mib[32];
    snprintf(mib, sizeof(mib), "%ld", m->hard_bytes_mib);
    if (m->hard_bytes_mib > 0)
        setenv("CLAMS_VRAM_HARD_BUDGET_MIB", mib, 1);
    else
        unsetenv("CLAMS_VRAM_HARD_BUDGET_MIB");
}

int clams__master_setup_pool(clams__master_t *m)
{
    clams_error_t err = {0};
    m->plan = calloc(1, sizeof(*m->plan));
    if (!m->plan)
        return CLAMS_ENOMEM;
    int rc = clams__pool_plan(clams__app_rt_gpu_min(m->rt), clams__app_rt_gpu_typ(m->rt),
                              m->cfg->workers, m->plan, &err);
    if (rc != 0) {
        clams__log(CLAMS_LOG_CRITICAL, 0, "cannot size the worker pool: %s",
                   err.text[0] ? err.text : clams_strerror(rc));
        return rc;
    }
    m->nserve = m->plan->workers > 1024 ? 1024 : m->plan->workers;
    if (m->nserve < 1)
        m->nserve = 1;
    /* Spare slots make recycling cheaper (docs/production.md): a CPU app's
     * replacement is ready before the old worker leaves; a GPU app's may
     * start early when the GPU has room for both. */
    int typ = clams__app_rt_gpu_typ(m->rt);
    m->spare = CLAMS__SPARE_NONE;
    const clams__app_ops_t *ops = clams__app_rt_ops(m->rt);
    bool warm = ops && ops->warms_up && ops->warms_up(clams__app_rt_ops_ctx(m->rt));
    if (m->max_requests > 0 && (typ == 0 || (warm && m->plan->use_gpu)) && !m->cfg->no_standby)
        m->spare = CLAMS__SPARE_STANDBY;
    else if (m->max_requests > 0 && typ > 0 && m->plan->use_gpu && !m->cfg->no_overlap)
        m->spare = CLAMS__SPARE_OVERLAP;
    m->nprocs = m->spare == CLAMS__SPARE_NONE ? m->nserve : 2 * m->nserve;
    m->procs = calloc((size_t)m->nprocs, sizeof(*m->procs));
    if (!m->procs)
        return CLAMS_ENOMEM;
    for (int i = 0; i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        p->slot = i;
        p->fd = -1;
        int g = m->plan->use_gpu ? m->plan->gpu_of_slot[i % m->nserve] : -1;
        if (g >= 0 && (size_t)g < m->plan->gpus.count)
            p->gpu_uuid = m->plan->gpus.gpus[g].uuid;
    }
    const char *spare = "";
    if (m->spare == CLAMS__SPARE_STANDBY && typ > 0)
        spare = "; recycling: standby replacements, forked, initialised and warmed up ahead, "
                "up to one per worker, each while free host memory holds twice a ready "
                "worker's measured footprint and its GPU has est_gpu_mem_typ free "
                "(--no-standby to turn off)";
    else if (m->spare == CLAMS__SPARE_STANDBY)
        spare = "; recycling: standby replacements, forked and initialised ahead, up to one "
                "per worker, each while free host memory holds twice a ready worker's "
                "measured footprint (--no-standby to turn off)";
    else if (m->spare == CLAMS__SPARE_OVERLAP)
        spare = "; recycling: a replacement may start before the old worker exits when its "
                "GPU has est_gpu_mem_typ free (--no-overlap to turn off)";
    size_t used = strlen(m->plan->log_line);
    snprintf(m->plan->log_line + used, sizeof(m->plan->log_line) - used, "%s", spare);
    clams__log(CLAMS_LOG_INFO, 0, "%s", m->plan->log_line);
    return 0;
}

int clams__master_setup_loop(clams__master_t *m)
{
    char why[512];
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (m->epfd < 0)
        return CLAMS_ESYS;
    if (clams__hc_open(m) != 0)
        return CLAMS_ESYS;
    m->mhd = clams__front_start(m, why, sizeof(why));
    if (!m->mhd) {
        clams__log(CLAMS_LOG_CRITICAL, 0, "%s", why);
        return CLAMS_ESYS;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.u64 = CLAMS__TAG_MHD;
    if (!di || epoll_ctl(m->epfd, EPOLL_CTL_ADD, di->epoll_fd, &ev) != 0)
        return CLAMS_ESYS;
    ev.data.u64 = CLAMS__TAG_SIGNALS;
    if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sigfd, &ev) != 0)
        return CLAMS_ESYS;
    clams__log(CLAMS_LOG_INFO, 0,
               "production server listening on %s:%d (%d workers, "
               "max_requests %ld, queue %d, timeout %g s)",
               clams__http_host_label(m->http), m->port, m->nserve, m->max_requests, m->cfg->queue,
               m->cfg->timeout);
    return 0;
}

void clams__master_teardown(clams__master_t *m)
{
    clams__template_stop(m);
    if (m->mhd)
        MHD_stop_daemon(m->mhd); /* frees the half-close watch's connections */
    clams__hc_close(m);
    /* Anything a worker or the queue still held (only after a failed start). */
    for (int i = 0; m->procs && i < m->nprocs; i++) {
        if (m->procs[i].state != CLAMS__W_EMPTY && m->procs[i].pid > 0) {
            kill(m->procs[i].pid, SIGKILL);
            waitpid(m->procs[i].pid, NULL, 0);
        }
        clams__master_close_worker_fd(m, &m->procs[i]);
        free(m->procs[i].before);
    }
    if (m->epfd >= 0)
        close(m->epfd);
    if (m->sigfd >= 0)
        clams__signals_close(m->sigfd, &m->old_mask);
    clams__queue_free(&m->queue);
    free(m->procs);
    free(m->plan);
    free(m->keep_fds);
}
