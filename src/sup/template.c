/* The template process: for an app runtime with template_init (a hosted
 * Python app), workers are not forked from the master but from a child of
 * it that has already loaded what every worker shares (the interpreter, the
 * app's imports), so a recycle costs a fork instead of an interpreter start
 * and every import (docs/python-apps.md has the figures). The master still
 * never runs app code, and its process table, waitpid and lifecycle code
 * stay as they are:
 *   - the master is a child subreaper, and the template forks twice (the
 *     middle process exits at once), so each worker is reparented to the
 *     master: the master reaps it, sees its exit status, kills it;
 *   - the worker's socket travels to the template with SCM_RIGHTS, and the
 *     middle process answers with the worker's pid;
 *   - the worker waits until it is the master's child before it sets its
 *     parent-death signal (set earlier, it would fire when the middle
 *     process exits).
 * The template starts when the first worker is due and reports READY or
 * INIT_FAILED on its socket; when it dies it is started again, with the
 * backoff and the give-up rule of a failing worker start. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

#define SPAWN_REPLY_MS 10000 /* a fork answers in milliseconds; this is a hang */

/* ---- inside the template -------------------------------------------------------- */

/* The master's process name, taken before the template renames itself: a
 * worker takes it back, so ps, top and scripts that tell the template from
 * the workers (bench/60-python.sh) see workers named as a C app's are. */
static char master_comm[17];

static void __attribute__((noreturn))
become_worker(const clams__master_t *m, int tpl_sock, int sock, const char *gpu, pid_t middle)
{
    close(tpl_sock);
    if (master_comm[0])
        prctl(PR_SET_NAME, master_comm);
    /* Reparented to the master (the subreaper) once the middle process has
     * exited; worker_run checks the parent is the master. */
    for (int i = 0; getppid() == middle && i < 10000; i++)
        usleep(200);
    clams__worker_run(m->rt, sock, gpu[0] ? gpu : NULL, m->tpl_master);
}

static void __attribute__((noreturn)) template_run(clams__master_t *m, int sock)
{
    const clams__app_ops_t *ops = clams__app_rt_ops(m->rt);
    void *ctx = clams__app_rt_ops_ctx(m->rt);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != m->tpl_master)
        _exit(0);
    prctl(PR_GET_NAME, master_comm);
    prctl(PR_SET_NAME, "clams-template");
    clams_error_t err = {0};
    clams__ipc_hdr_t h = {0};
    double t0 = clams__now();
    if (ops->template_init(ctx, &err) != 0) {
        h.type = CLAMS__MSG_INIT_FAILED;
        clams__ipc_send(sock, &h, err.text[0] ? err.text : "template_init failed", -1);
        _exit(1);
    }
    clams__log(CLAMS_LOG_INFO, 0, "template process ready in %.3f s", clams__now() - t0);
    h.type = CLAMS__MSG_READY;
    if (clams__ipc_send(sock, &h, NULL, -1) != 0)
        _exit(0);
    char gpu[CLAMS__IPC_TEXT_MAX + 1];
    for (;;) {
        int fd = -1;
        int rc = clams__ipc_recv(sock, &h, gpu, sizeof(gpu), &fd);
        if (rc == 0)
            _exit(0); /* the master closed our socket */
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || h.type != CLAMS__MSG_SPAWN || fd < 0) {
            if (fd >= 0)
                close(fd);
            if (rc < 0)
                _exit(1);
            continue;
        }
        pid_t middle = ops->template_fork(ctx);
        if (middle == 0) {
            pid_t self = getpid();
            pid_t w = fork();
            if (w == 0)
                become_worker(m, sock, fd, gpu, self);
            clams__ipc_hdr_t r = {0};
            r.type = CLAMS__MSG_SPAWNED;
            r.id = w > 0 ? (uint64_t)w : 0;
            r.status = w > 0 ? 0 : errno;
            clams__ipc_send(sock, &r, NULL, -1);
            _exit(0);
        }
        close(fd);
        if (middle < 0) {
            clams__ipc_hdr_t r = {0};
            r.type = CLAMS__MSG_SPAWNED;
            r.status = errno;
            clams__ipc_send(sock, &r, NULL, -1);
            continue;
        }
        while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

/* ---- in the master ---------------------------------------------------------------- */

static int template_start(clams__master_t *m)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        clams__log(CLAMS_LOG_ERROR, errno, "socketpair for the template process");
        return CLAMS_ESYS;
    }
    /* Orphans are reparented to the nearest subreaper: the workers the
     * template forks become the master's children. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        clams__log(CLAMS_LOG_ERROR, errno, "PR_SET_CHILD_SUBREAPER");
        close(sv[0]);
        close(sv[1]);
        return CLAMS_ESYS;
    }
    m->tpl_master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        clams__log(CLAMS_LOG_ERROR, errno, "fork for the template process");
        close(sv[0]);
        close(sv[1]);
        return CLAMS_ESYS;
    }
    if (pid == 0) {
        clams__signals_child_reset(&m->old_mask);
        clams__close_server_fds(m, sv[1]);
        template_run(m, sv[1]);
    }
    close(sv[1]);
    m->tpl_pid = pid;
    m->tpl_fd = sv[0];
    m->tpl_ready = false;
    m->tpl_started = clams__now();
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.u64 = CLAMS__TAG_TEMPLATE;
    if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->tpl_fd, &ev) != 0)
        clams__log(CLAMS_LOG_ERROR, errno, "epoll_ctl for the template process");
    clams__log(CLAMS_LOG_INFO, 0, "template process %d started", (int)pid);
    return 0;
}

static void template_close_fd(clams__master_t *m)
{
    if (m->tpl_fd < 0)
        return;
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->tpl_fd, NULL);
    close(m->tpl_fd);
    m->tpl_fd = -1;
}

bool clams__template_used(const clams__master_t *m)
{
    const clams__app_ops_t *ops = clams__app_rt_ops(m->rt);
    return ops && ops->template_init && ops->template_fork;
}

int clams__template_fork_worker(clams__master_t *m, clams__proc_t *p, int sock, pid_t *pid)
{
    double now = clams__now();
    if (m->tpl_pid <= 0) {
        if (now < m->tpl_next_start || template_start(m) != 0)
            return 1;
    }
    if (!m->tpl_ready)
        return 1; /* asked again when it says READY */
    clams__ipc_hdr_t h = {0};
    h.type = CLAMS__MSG_SPAWN;
    if (clams__ipc_send(m->tpl_fd, &h, p->gpu_uuid ? p->gpu_uuid : "", sock) != 0) {
        clams__log(CLAMS_LOG_ERROR, errno, "sending a spawn request to the template process");
        return CLAMS_ESYS;
    }
    /* The middle process answers within a fork's time; the template's
     * socket is blocking and nothing else is written to it meanwhile. */
    struct pollfd pf = {.fd = m->tpl_fd, .events = POLLIN};
    int fd = -1;
    char text[64];
    int rc = 0;
    while ((rc = poll(&pf, 1, SPAWN_REPLY_MS)) < 0 && errno == EINTR)
        ;
    if (rc == 1)
        rc = clams__ipc_recv(m->tpl_fd, &h, text, sizeof(text), &fd);
    if (fd >= 0)
        close(fd);
    if (rc != 1 || h.type != CLAMS__MSG_SPAWNED || h.id == 0) {
        clams__log(CLAMS_LOG_ERROR, rc == 1 ? h.status : 0,
                   "the template process did not fork a worker%s",
                   rc == 0 ? " (no answer: killing it)" : "");
        if (rc != 1) {
            kill(m->tpl_pid, SIGKILL);
            template_close_fd(m);
            m->tpl_ready = false;
        }
        return CLAMS_ESYS;
    }
    *pid = (pid_t)h.id;
    return 0;
}

void clams__template_event(clams__master_t *m)
{
    clams__ipc_hdr_t h;
    int fd = -1;
    char text[CLAMS__IPC_TEXT_MAX + 1];
    int rc = clams__ipc_recv(m->tpl_fd, &h, text, sizeof(text), &fd);
    if (fd >= 0)
        close(fd);
    if (rc < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (rc <= 0) { /* it died: the reap says how */
        template_close_fd(m);
        m->tpl_ready = false;
        return;
    }
    if (h.type == CLAMS__MSG_READY) {
        m->tpl_ready = true;
        m->tpl_failures = 0;
        clams__log(CLAMS_LOG_INFO, 0,
                   "template process %d ready (%.3f s): workers are forked "
                   "from it",
                   (int)m->tpl_pid, clams__now() - m->tpl_started);
        for (int i = 0; i < m->nprocs; i++) /* slots that asked too early */
            if (m->procs[i].state == CLAMS__W_EMPTY)
                m->procs[i].next_spawn = 0;
    } else if (h.type == CLAMS__MSG_INIT_FAILED) {
        m->tpl_said_why = true;
        snprintf(m->last_init_error, sizeof(m->last_init_error), "template process: %.400s", text);
        clams__log(CLAMS_LOG_ERROR, 0, "template process %d failed to start: %s", (int)m->tpl_pid,
                   text);
    }
}

bool clams__template_reaped(clams__master_t *m, pid_t pid, int st)
{
    if (pid != m->tpl_pid || pid <= 0)
        return false;
    /* Any message still in its socket first (why its start failed). */
    while (m->tpl_fd >= 0) {
        struct pollfd pf = {.fd = m->tpl_fd, .events = POLLIN};
        if (poll(&pf, 1, 0) != 1)
            break;
        clams__template_event(m);
    }
    template_close_fd(m);
    bool was_ready = m->tpl_ready;
    m->tpl_ready = false;
    m->tpl_pid = 0;
    m->tpl_failures = was_ready ? 1 : m->tpl_failures + 1;
    double delay = 0.1;
    for (int i = 1; i < m->tpl_failures && delay < 30; i++)
        delay *= 2;
    m->tpl_next_start = clams__now() + (delay < 30 ? delay : 30);
    if (!clams__master_stopping(m)) {
        char how[128];
        if (WIFSIGNALED(st))
            snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(st));
        else
            snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
        clams__log(was_ready ? CLAMS_LOG_WARNING : CLAMS_LOG_ERROR, 0,
                   "template process %d %s; started again in %.1f s", (int)pid, how,
                   m->tpl_next_start - clams__now());
        if (!was_ready) {
            m->init_fail_row++;
            if (!m->tpl_said_why)
                snprintf(m->last_init_error, sizeof(m->last_init_error),
                         "template process %d %s while starting", (int)pid, how);
        }
    }
    m->tpl_said_why = false;
    return true;
}

void clams__template_stop(clams__master_t *m)
{
    template_close_fd(m);
    if (m->tpl_pid > 0) {
        kill(m->tpl_pid, SIGKILL);
        while (waitpid(m->tpl_pid, NULL, 0) < 0 && errno == EINTR)
            ;
        m->tpl_pid = 0;
    }
}
