/* Forking a worker: the socketpair, the fork, and the child's hygiene before
 * any app code runs (signals reset, every server fd closed, GPU pinned). The
 * fds that were open before the server started belong to the app (a preload
 * may hold some) and are kept; everything the server opened later is closed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

int clams__fds_snapshot(clams__master_t *m)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return CLAMS_ESYS;
    int dfd = dirfd(d);
    int maxfd = 0;
    struct dirent *e;
    int fds[4096];
    int n = 0;
    while ((e = readdir(d)) != NULL && n < 4096) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == dfd || fd == m->sigfd) /* the signalfd is the server's */
            continue;
        fds[n++] = fd;
        if (fd > maxfd)
            maxfd = fd;
    }
    closedir(d);
    m->keep_fds = calloc((size_t)maxfd + 1, 1);
    if (!m->keep_fds)
        return CLAMS_ENOMEM;
    m->keep_fds_n = maxfd + 1;
    for (int i = 0; i < n; i++)
        m->keep_fds[fds[i]] = 1;
    return 0;
}

/* In the child: close every fd except stdio, the app's own ones and `keep`.
 * /proc/self/fd is read into a list first so closing does not disturb readdir. */
static void close_server_fds(const clams__master_t *m, int keep)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int dfd = dirfd(d);
    int fds[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 4096) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == keep || fd == dfd)
            continue;
        if (fd < m->keep_fds_n && m->keep_fds[fd])
            continue;
        fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

int clams__spawn(clams__master_t *m, clams__proc_t *p)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        clams__log(CLAMS_LOG_ERROR, errno, "socketpair for worker slot %d", p->slot);
        return CLAMS_ESYS;
    }
    double t = clams__now();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        clams__log(CLAMS_LOG_ERROR, e, "fork for worker slot %d", p->slot);
        return CLAMS_ESYS;
    }
    if (pid == 0) {
        clams__signals_child_reset(&m->old_mask);
        close_server_fds(m, sv[1]);
        clams__worker_run(m->rt, sv[1], p->gpu_uuid);
    }
    close(sv[1]);
    /* Non-blocking: the master drains a dead worker's socket without waiting. */
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    p->pid = pid;
    p->fd = sv[0];
    clams__worker_to(m, p, CLAMS__W_SPAWNING, CLAMS__RECYCLE_NONE, 0, NULL);
    p->served = 0;
    p->limit = m->max_requests > 0
                   ? (unsigned long)(m->max_requests +
                                     (m->jitter > 0 ? random() % (m->jitter + 1) : 0))
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
