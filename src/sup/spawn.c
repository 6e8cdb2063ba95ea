/* Forking a worker: the socketpair, the fork, and the child's hygiene before
 * any app code runs (signals reset, every server fd closed, GPU pinned). The
 * fds that were open before the server started belong to the app (a preload
 * may hold some) and are kept; everything the server opened later is closed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int clams__fds_snapshot(clams__master_t *m)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return CLAMS_ESYS;
    int dfd = dirfd(d);
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    m->keep_fds_n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == dfd || fd == m->sigfd || fd <= 2) /* stdio is always kept; sigfd is ours */
            continue;
        if (clams__grow(&m->keep_fds, &cap, (size_t)m->keep_fds_n, sizeof(int), 16) != 0) {
            rc = CLAMS_ENOMEM;
            break;
        }
        m->keep_fds[m->keep_fds_n++] = fd;
    }
    closedir(d);
    if (m->keep_fds_n > 1)
        qsort(m->keep_fds, (size_t)m->keep_fds_n, sizeof(int), cmp_int);
    return rc;
}

/* Closes fds [lo, hi] (hi may be ~0U): close_range when the kernel has it,
 * else one by one up to the fd limit. */
static void close_span(unsigned lo, unsigned hi)
{
    if (lo > hi)
        return;
    if (close_range(lo, hi, 0) == 0)
        return;
    struct rlimit rl;
    unsigned top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                       ? (unsigned)rl.rlim_cur
                       : 1u << 20;
    for (unsigned fd = lo; fd <= hi && fd < top; fd++)
        close((int)fd);
}

/* In the child: close every fd except stdio, the app's own ones and `keep`,
 * whatever their number (the listening socket, every client connection, the
 * other workers' sockets): the kept ones are sorted, and the gaps between
 * them are closed a range at a time. */
void clams__close_server_fds(const clams__master_t *m, int keep)
{
    unsigned next = 3;
    bool keep_done = false;
    for (int i = 0; i <= m->keep_fds_n; i++) {
        int k = i < m->keep_fds_n ? m->keep_fds[i] : -1;
        if (!keep_done && (k < 0 || keep <= k)) { /* merge the socket into the order */
            close_span(next, (unsigned)keep - 1);
            next = (unsigned)keep + 1;
            keep_done = true;
            if (k == keep)
                continue;
        }
        if (k < 0)
            break;
        if ((unsigned)k >= next) {
            close_span(next, (unsigned)k - 1);
            next = (unsigned)k + 1;
        }
    }
    close_span(next, ~0u);
}

int clams__spawn(clams__master_t *m, clams__proc_t *p)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        clams__log(CLAMS_LOG_ERROR, errno, "socketpair for worker slot %d", p->slot);
        return CLAMS_ESYS;
    }
    clams__binding_before(p);
    double t = clams__now();
    pid_t master = getpid();
    pid_t pid;
    if (clams__template_used(m)) {
        /* Forked by the template process, reparented to us (template.c). */
        int rc = clams__template_fork_worker(m, p, sv[1], &pid);
        if (rc != 0) {
            close(sv[0]);
            close(sv[1]);
            return rc;
        }
    } else {
        pid = fork();
    }
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        clams__log(CLAMS_LOG_ERROR, e, "fork for worker slot %d", p->slot);
        return CLAMS_ESYS;
    }
    if (pid == 0) {
        clams__signals_child_reset(&m->old_mask);
        clams__close_server_fds(m, sv[1]);
        clams__worker_run(m->rt, sv[1], p->gpu_uuid, master);
    }
    close(sv[1]);
    /* Non-blocking: the master drains a dead worker's socket without waiting. */
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    p->pid = pid;
    p->fd = sv[0];
    clams__worker_to(m, p, CLAMS__W_SPAWNING, CLAMS__RECYCLE_NONE, 0, NULL);
    p->served = 0;
    p->limit =
        m->max_requests > 0
            ? (unsigned long)(m->max_requests + (m->jitter > 0 ? random() % (m->jitter + 1) : 0))
            : 0;
    p->started = t;
    p->ready_at = 0;
    p->req = NULL;
    p->deadline = 0;
    p->retire = false;
    p->mem_now = p->mem_peak = p->req_peak = 0;
    p->typ_logged = false;
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.u64 = CLAMS__TAG_WORKER0 + (uint64_t)p->slot;
    if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, p->fd, &ev) != 0)
        clams__log(CLAMS_LOG_ERROR, errno, "epoll_ctl for worker %d", (int)pid);
    clams__log(CLAMS_LOG_DEBUG, 0, "spawned worker %d in slot %d%s%s (limit %lu requests)",
               (int)pid, p->slot, p->gpu_uuid ? " on " : "", p->gpu_uuid ? p->gpu_uuid : "",
               p->limit);
    return 0;
}
