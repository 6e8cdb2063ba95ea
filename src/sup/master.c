/* The production master: one loop (epoll) over libmicrohttpd, the signalfd
 * and the worker socketpairs, with timers as epoll timeouts. It owns the
 * process table and every policy decision: spawn with backoff, dispatch,
 * recycle, timeouts, crash answers, drain and stop. It never touches CUDA. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/internal.h"
#include "sup/sup.h"
#include "sup/sup_internal.h"

#define INIT_FAILURES_FATAL 5    /* failed starts in a row, no worker ever ready */
#define STOP_KILL_AFTER     5.0  /* seconds between TERM and KILL at shutdown */
#define EXIT_KILL_AFTER     10.0 /* a retiring worker must be gone by then */

static double backoff(int failures)
{
    if (failures <= 0)
        return 0;
    double d = 0.1;
    for (int i = 1; i < failures && d < 30; i++)
        d *= 2;
    return d < 30 ? d : 30;
}

void clams__master_close_worker_fd(clams__master_t *m, clams__proc_t *p)
{
    if (p->fd < 0)
        return;
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    p->fd = -1;
}

static void fatal(clams__master_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Asks an idle worker to leave (worker_fini runs); it is replaced once reaped. */
static void retire(clams__master_t *m, clams__proc_t *p, clams__recycle_t why)
{
    clams__ipc_hdr_t h = {0};
    h.type = CLAMS__MSG_QUIT;
    if (p->fd >= 0)
        clams__ipc_send(p->fd, &h, NULL, -1);
    clams__worker_to(m, p, CLAMS__W_EXITING, why, EXIT_KILL_AFTER, "retired");
}

static bool dispatch(clams__master_t *m, clams__proc_t *p, clams__sreq_t *r)
{
    clams__ipc_hdr_t h = {0};
    h.type = CLAMS__MSG_REQUEST;
    h.id = r->id;
    h.len = r->body_len;
    if (p->limit && p->served + 1 >= p->limit)
        h.flags |= CLAMS__MSG_FLAG_LAST;
    if (clams__ipc_send(p->fd, &h, r->query_enc ? r->query_enc : "", r->body_fd) != 0) {
        clams__log(CLAMS_LOG_WARNING, errno, "sending a request to worker %d", (int)p->pid);
        kill(p->pid, SIGKILL);
        clams__worker_to(m, p, CLAMS__W_EXITING, CLAMS__RECYCLE_CRASH, 0,
                         "its socket refused a request");
        return false;
    }
    double now = clams__now();
    clams__worker_to(m, p, CLAMS__W_BUSY, CLAMS__RECYCLE_NONE, 0, NULL);
    p->req = r;
    p->deadline = m->cfg->timeout > 0 ? now + m->cfg->timeout : 0;
    clams__budget_request_begins(p, now);
    r->phase = CLAMS__REQ_IN_WORKER;
    r->worker = p->pid;
    return true;
}

static int busy_count(const clams__master_t *m);

/* An idle worker, while fewer than the pool size are busy (standby workers
 * wait their turn: the pool never runs more requests at once than planned). */
static clams__proc_t *idle_worker(clams__master_t *m)
{
    if (m->nprocs > m->nserve && busy_count(m) >= m->nserve)
        return NULL;
    /* The worker that has served most goes first (then the one ready
     * longest): a worker's requests stay consecutive up to its recycle, and
     * a fresh standby waits until it is needed. */
    clams__proc_t *best = NULL;
    for (int i = 0; i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        if (p->state != CLAMS__W_READY || p->fd < 0)
            continue;
        if (!best || p->served > best->served ||
            (p->served == best->served && p->ready_at < best->ready_at))
            best = p;
    }
    return best;
}

/* Gives queued requests to idle workers, oldest first. */
static void pump(clams__master_t *m)
{
    clams__proc_t *p;
    while (m->queue.len > 0 && (p = idle_worker(m)) != NULL) {
        clams__sreq_t *r = clams__queue_pop(&m->queue);
        if (!dispatch(m, p, r))
            clams__queue_unpop(&m->queue, r);
    }
}

bool clams__master_refuse_if_stopping(clams__master_t *m, clams__sreq_t *r)
{
    if (!clams__master_draining(m))
        return false;
    clams__front_text(r, 503, "shutting down\n");
    r->retry_after = true;
    r->close_conn = true;
    r->phase = CLAMS__REQ_ANSWERED;
    return true;
}

static void answer_abandoned(clams__sreq_t *r)
{
    clams__front_text(r, 499,
                      "the client closed its connection before a worker took the "
                      "request\n");
    r->close_conn = true;
    r->phase = CLAMS__REQ_ANSWERED;
}

void clams__master_abandon(clams__master_t *m, clams__sreq_t *r)
{
    clams__queue_remove(&m->queue, r);
    clams__log(CLAMS_LOG_INFO, 0, "request %llu dropped: its client left after %.1f s in the queue",
               (unsigned long long)r->id, clams__now() - r->queued_at);
    answer_abandoned(r);
    clams__front_answer(m, r);
}

void clams__master_submit(clams__master_t *m, clams__sreq_t *r)
{
    if (clams__master_refuse_if_stopping(m, r))
        return;
    /* The client sent its request and left before it was even queued. */
    if (!m->cfg->ignore_client_abort && clams__hc_client_left(r->conn)) {
        answer_abandoned(r);
        return;
    }
    if (m->queue.len == 0) {
        clams__proc_t *p;
        while ((p = idle_worker(m)) != NULL)
            if (dispatch(m, p, r))
                return;
    }
    r->queued_at = clams__now();
    if (clams__queue_push(&m->queue, r) != 0) {
        m->stats.rejected_full++;
        clams__front_text(r, 503, "all workers are busy and the queue is full\n");
        r->retry_after = true;
        r->phase = CLAMS__REQ_ANSWERED;
        return;
    }
    r->phase = CLAMS__REQ_QUEUED;
}

/* ---- budgets and kills ------------------------------------------------------- */

/* Kills a worker in the middle of a request (over its hard VRAM budget, past
 * the timeout): logs why, answers its request with a 500 error view saying
 * so, and leaves the worker to be reaped and replaced. */
static void kill_busy_worker(clams__master_t *m, clams__proc_t *p, clams__recycle_t reason,
                             const char *msg)
{
    clams__log(CLAMS_LOG_ERROR, 0, "%s", msg);
    kill(p->pid, SIGKILL);
    clams__sreq_t *r = p->req;
    p->req = NULL;
    /* Counted before the 500 goes out, as other recycles; no kill deadline:
     * SIGKILL is sent already. */
    clams__worker_to(m, p, CLAMS__W_EXITING, reason, 0, "killed while annotating");
    clams__front_worker_failed(m, r, p->pid, msg);
    clams__front_answer(m, r);
}

/* ---- worker messages ------------------------------------------------------ */

static void on_ready(clams__master_t *m, clams__proc_t *p)
{
    double now = clams__now();
    char detail[64];
    snprintf(detail, sizeof(detail), "fork to ready %.3f ms", (now - p->started) * 1000.0);
    clams__worker_to(m, p, CLAMS__W_READY, CLAMS__RECYCLE_NONE, 0, detail);
    p->ready_at = now;
    clams__standby_measure(m, p);
    unsigned int host = clams__binding_after(m, p);
    if (host) { /* the worker's own hwFetch asks the driver by this PID */
        clams__ipc_hdr_t b = {0};
        b.type = CLAMS__MSG_BIND;
        b.id = host;
        if (p->fd >= 0)
            clams__ipc_send(p->fd, &b, NULL, -1);
    }
    p->failures = 0;
    if (!m->ever_ready) {
        const json_t *md = clams__app_rt_metadata(m->rt);
        clams__log(CLAMS_LOG_NOTICE, 0,
                   "%s %s ready: production server on http://%s:%d/ "
                   "(%d workers, max_requests %ld; %s)",
                   json_string_value(json_object_get(md, "name")),
                   json_string_value(json_object_get(md, "app_version")),
                   clams__http_host_label(m->http), m->port, m->nserve, m->max_requests,
                   m->plan->log_line);
    }
    m->ever_ready = true;
    m->init_fail_row = 0;
    if (p->retire)
        retire(m, p, CLAMS__RECYCLE_RELOAD);
}

static void on_response(clams__master_t *m, clams__proc_t *p, const clams__ipc_hdr_t *h,
                        const char *ctype, int fd)
{
    clams__sreq_t *r = p->req;
    if (!r || r->id != h->id || p->state != CLAMS__W_BUSY) {
        if (fd >= 0) /* a late answer to a request already answered (timeout) */
            close(fd);
        return;
    }
    p->req = NULL;
    p->served++;
    if (h->len > 0 && fd < 0) {
        /* The body's memfd never arrived (the master is out of fds): a 500
         * that says so, never a 200 with h->len bytes from nowhere. */
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "the answer of worker %d (%llu bytes) could not be "
                 "received: the server had no file descriptor left for it",
                 (int)p->pid, (unsigned long long)h->len);
        clams__log(CLAMS_LOG_ERROR, 0, "%s", msg);
        clams__front_worker_failed(m, r, p->pid, msg);
    } else {
        r->status = h->status;
        snprintf(r->ctype, sizeof(r->ctype), "%.90s", ctype[0] ? ctype : "application/json");
        r->resp_fd = fd;
        r->resp_len = (size_t)h->len;
        r->worker = p->pid;
    }
    clams__front_answer(m, r);
    bool last = p->limit && p->served >= p->limit;
    bool told = p->retire || clams__master_stopping(m);
    char why[256];
    /* h->peak is this request's own peak (0 when it measured none). */
    clams__recycle_t over =
        clams__budget_after_request(m, p, h->peak, !last && !told, why, sizeof(why));
    if (last) {
        /* The worker was told this was its last request and exits by itself. */
        clams__worker_to(m, p, CLAMS__W_EXITING, CLAMS__RECYCLE_MAX_REQUESTS, EXIT_KILL_AFTER,
                         "its last request");
    } else if (told) {
        retire(m, p, CLAMS__RECYCLE_RELOAD);
    } else if (over != CLAMS__RECYCLE_NONE) {
        clams__log(over == CLAMS__RECYCLE_VRAM ? CLAMS_LOG_INFO : CLAMS_LOG_WARNING, 0, "%s", why);
        retire(m, p, over);
    } else {
        clams__worker_to(m, p, CLAMS__W_READY, CLAMS__RECYCLE_NONE, 0, NULL);
    }
}

/* Handles one message from a worker (its socket is non-blocking). Returns
 * true when one was handled, false when none was waiting or at EOF. */
static bool on_worker_event(clams__master_t *m, clams__proc_t *p)
{
    static char text[CLAMS__IPC_TEXT_MAX + 1];
    clams__ipc_hdr_t h;
    int fd = -1;
    int rc = clams__ipc_recv(p->fd, &h, text, sizeof(text), &fd);
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return false;
    if (rc <= 0) {
        /* EOF: the worker is gone or going; the reap says why. */
        clams__master_close_worker_fd(m, p);
        if (p->state == CLAMS__W_READY) /* why is known at the reap */
            clams__worker_to(m, p, CLAMS__W_EXITING, CLAMS__RECYCLE_NONE, 0, "its socket closed");
        return false;
    }
    switch (h.type) {
    case CLAMS__MSG_READY:
        if (p->state == CLAMS__W_SPAWNING)
            on_ready(m, p);
        break;
    case CLAMS__MSG_INIT_FAILED:
        clams__worker_to(m, p, CLAMS__W_EXITING, CLAMS__RECYCLE_INIT, EXIT_KILL_AFTER,
                         "worker_init failed");
        p->failures++;
        m->init_fail_row++;
        snprintf(m->last_init_error, sizeof(m->last_init_error), "%.400s", text);
        clams__log(CLAMS_LOG_ERROR, 0, "worker %d: worker_init failed: %s", (int)p->pid, text);
        break;
    case CLAMS__MSG_RESPONSE:
        on_response(m, p, &h, text, fd);
        fd = -1;
        break;
    default: break;
    }
    if (fd >= 0)
        close(fd);
    return true;
}

/* ---- reaping ---------------------------------------------------------------- */

static void describe_status(int st, char *buf, size_t size)
{
    if (WIFSIGNALED(st))
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
    else
        snprintf(buf, size, "stopped (status 0x%x)", st);
}

static void reaped(clams__master_t *m, clams__proc_t *p, int st)
{
    char how[160], msg[320];
    /* waitpid(-1) can reap a worker whose last messages (its answer, or why
     * its init failed) are still in the socket: read them first. */
    while (p->fd >= 0 && on_worker_event(m, p))
        ;
    describe_status(st, how, sizeof(how));
    double now = clams__now();
    clams__recycle_t why = CLAMS__RECYCLE_NONE;
    if (p->req) {
        snprintf(msg, sizeof(msg), "worker %d %s while annotating", (int)p->pid, how);
        clams__log(CLAMS_LOG_ERROR, 0, "%s", msg);
        clams__sreq_t *r = p->req;
        p->req = NULL;
        clams__front_worker_failed(m, r, p->pid, msg);
        clams__front_answer(m, r);
        why = CLAMS__RECYCLE_CRASH;
    } else if (p->state == CLAMS__W_SPAWNING) {
        p->failures++;
        m->init_fail_row++;
        why = CLAMS__RECYCLE_INIT;
        snprintf(m->last_init_error, sizeof(m->last_init_error), "worker %d %s during worker_init",
                 (int)p->pid, how);
        clams__log(CLAMS_LOG_ERROR, 0, "%s", m->last_init_error);
    } else if (p->reason == CLAMS__RECYCLE_NONE) {
        clams__log(CLAMS_LOG_WARNING, 0, "worker %d %s while idle", (int)p->pid, how);
        why = CLAMS__RECYCLE_CRASH;
    }
    clams__master_close_worker_fd(m, p);
    bool code2 = WIFEXITED(st) && WEXITSTATUS(st) == 2;
    pid_t pid = p->pid;
    clams__worker_to(m, p, CLAMS__W_EMPTY, why, 0, how);
    p->next_spawn = now + backoff(p->failures);
    if (code2 && !clams__master_stopping(m))
        fatal(m, "worker %d exited with status 2 (do not restart): stopping the server", (int)pid);
    else if (!m->ever_ready && m->init_fail_row >= INIT_FAILURES_FATAL)
        fatal(m,
              "the app cannot start: worker_init failed %d times in a row and no worker "
              "ever became ready (last error: %s)",
              m->init_fail_row, m->last_init_error);
}

static void reap(clams__master_t *m)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR)
                continue;
            return; /* 0: none left to reap now; ECHILD: no children */
        }
        if (clams__template_reaped(m, pid, st)) {
            if (!m->ever_ready && m->init_fail_row >= INIT_FAILURES_FATAL &&
                !clams__master_stopping(m))
                fatal(m,
                      "the app cannot start: its template process failed %d times in a row "
                      "(last error: %s)",
                      m->init_fail_row, m->last_init_error);
            continue;
        }
        for (int i = 0; i < m->nprocs; i++) {
            if (m->procs[i].pid == pid && m->procs[i].state != CLAMS__W_EMPTY) {
                reaped(m, &m->procs[i], st);
                break;
            }
        }
    }
}

/* ---- shutdown ---------------------------------------------------------------- */

static void stop_workers(clams__master_t *m)
{
    if (m->phase < CLAMS__PHASE_STOPPING)
        m->phase = CLAMS__PHASE_STOPPING;
    if (m->tpl_pid > 0) /* forks no more workers; reaped with them */
        kill(m->tpl_pid, SIGKILL);
    for (int i = 0; i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_EMPTY)
            continue;
        kill(p->pid, SIGTERM);
        /* Closing our end wakes a worker blocked in recvmsg even if the TERM
         * landed just before it blocked. */
        if (p->fd >= 0)
            shutdown(p->fd, SHUT_RDWR);
        clams__worker_to(m, p, CLAMS__W_EXITING, CLAMS__RECYCLE_SHUTDOWN, STOP_KILL_AFTER,
                         "the server is stopping");
    }
}

/* Answers everything still waiting (the drain deadline passed, or fatal). */
static void abandon_requests(clams__master_t *m, const char *why)
{
    clams__sreq_t *r;
    while ((r = clams__queue_pop(&m->queue)) != NULL) {
        clams__front_text(r, 503, why);
        r->retry_after = true;
        r->close_conn = true;
        clams__front_answer(m, r);
    }
    for (int i = 0; i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        if (!p->req)
            continue;
        char msg[256];
        snprintf(msg, sizeof(msg), "worker %d was stopped while annotating: %s", (int)p->pid, why);
        kill(p->pid, SIGKILL);
        r = p->req;
        p->req = NULL;
        clams__worker_to(m, p, CLAMS__W_EXITING, CLAMS__RECYCLE_SHUTDOWN, 0,
                         "stopped while annotating");
        clams__front_worker_failed(m, r, p->pid, msg);
        clams__front_answer(m, r);
    }
}

static void fatal(clams__master_t *m, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clams__log(CLAMS_LOG_CRITICAL, 0, "%s", msg);
    if (m->phase == CLAMS__PHASE_RUNNING)
        m->drain_deadline = clams__now();
    m->phase = CLAMS__PHASE_FATAL;
    abandon_requests(m, "the server is stopping: the app cannot start\n");
    stop_workers(m);
}

static void begin_drain(clams__master_t *m, const char *sig)
{
    if (clams__master_draining(m))
        return;
    m->phase = CLAMS__PHASE_DRAINING;
    m->drain_deadline = clams__now() + m->cfg->graceful_timeout;
    clams__log(CLAMS_LOG_INFO, 0, "%s: draining (%zu queued, up to %.1f s)", sig, m->queue.len,
               m->cfg->graceful_timeout);
    MHD_socket ls = MHD_quiesce_daemon(m->mhd);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
}

static void reload(clams__master_t *m)
{
    clams__log(CLAMS_LOG_INFO, 0, "SIGHUP: replacing all workers");
    for (int i = 0; i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_READY)
            retire(m, p, CLAMS__RECYCLE_RELOAD);
        else if (p->state == CLAMS__W_BUSY || p->state == CLAMS__W_SPAWNING)
            p->retire = true;
    }
}

/* ---- spare slots: standby and overlap -------------------------------------------- */

/* Slots s and s + nserve are partners (same GPU when pinned). Standby (CPU
 * apps, and GPU apps whose workers warm up): both may be live, so a
 * recycled worker's replacement is already forked and initialised when it
 * leaves, as far as the free memory allows (standby.c). Overlap (GPU apps): one may start
 * while its partner is still exiting, but only when the GPU's free memory
 * holds est_gpu_mem_typ; otherwise it waits for the exit, as without spares. */
static bool slot_may_spawn(clams__master_t *m, const clams__proc_t *p)
{
    if (m->spare == CLAMS__SPARE_NONE)
        return true;
    if (m->spare == CLAMS__SPARE_STANDBY)
        return clams__standby_may_start(m, p);
    const clams__proc_t *q = &m->procs[(p->slot + m->nserve) % m->nprocs];
    if (q->state == CLAMS__W_EMPTY)
        return true;
    if (q->state != CLAMS__W_EXITING || !p->gpu_uuid)
        return false;
    unsigned long long total = 0, free_bytes = 0;
    int typ = clams__app_rt_gpu_typ(m->rt);
    if (clams__gpu_memory_info(p->gpu_uuid, &total, &free_bytes) != 0 ||
        free_bytes < (unsigned long long)typ << 20)
        return false;
    clams__log(CLAMS_LOG_DEBUG, 0,
               "slot %d starts while worker %d still exits: %llu MiB free "
               "on %s, est_gpu_mem_typ %d MiB",
               p->slot, (int)q->pid, free_bytes >> 20, p->gpu_uuid, typ);
    return true;
}

/* ---- timers ----------------------------------------------------------------- */

static void timers(clams__master_t *m, double now)
{
    for (int i = 0; i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_BUSY && p->deadline > 0 && now >= p->deadline) {
            char msg[256];
            snprintf(msg, sizeof(msg),
                     "worker %d passed the request timeout of %g s and was "
                     "killed while annotating",
                     (int)p->pid, m->cfg->timeout);
            kill_busy_worker(m, p, CLAMS__RECYCLE_TIMEOUT, msg);
        }
        char msg[512];
        if (p->state == CLAMS__W_BUSY && clams__budget_hard_exceeded(m, p, now, msg, sizeof(msg)))
            kill_busy_worker(m, p, CLAMS__RECYCLE_VRAM, msg);
        if (p->state != CLAMS__W_EMPTY && p->kill_at > 0 && now >= p->kill_at) {
            clams__log(CLAMS_LOG_WARNING, 0, "worker %d did not exit in time: SIGKILL",
                       (int)p->pid);
            kill(p->pid, SIGKILL);
            p->kill_at = 0;
        }
    }
    /* Requests that waited longer than --queue-timeout for a worker (none
     * could start, or all are slow): 503, oldest first, as the queue is FIFO. */
    clams__sreq_t *head;
    while (m->cfg->queue_timeout > 0 && (head = clams__queue_peek(&m->queue)) != NULL &&
           now - head->queued_at >= m->cfg->queue_timeout) {
        clams__queue_pop(&m->queue);
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "no worker took this request within %g s (--queue-timeout)"
                 "%s\n",
                 m->cfg->queue_timeout, m->init_fail_row ? "; workers are failing to start" : "");
        clams__front_text(head, 503, msg);
        head->retry_after = true;
        clams__front_answer(m, head);
    }
    bool want =
        m->phase == CLAMS__PHASE_RUNNING || (m->phase == CLAMS__PHASE_DRAINING && m->queue.len > 0);
    for (int i = 0; want && i < m->nprocs; i++) {
        clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_EMPTY && now >= p->next_spawn && slot_may_spawn(m, p) &&
            !clams__binding_gpu_busy(m, p) && clams__spawn(m, p) != 0)
            p->next_spawn = now + 1.0;
    }
}

static int next_timeout_ms(clams__master_t *m, double now)
{
    double t = now + 1.0;
#define EARLIER(x)              \
    do {                        \
        if ((x) > 0 && (x) < t) \
            t = (x);            \
    } while (0)
    for (int i = 0; i < m->nprocs; i++) {
        const clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_EMPTY && !clams__master_stopping(m))
            EARLIER(p->next_spawn > now ? p->next_spawn : now);
        if (p->state == CLAMS__W_BUSY) {
            EARLIER(p->deadline);
            EARLIER(clams__budget_next_sample(m, p));
        }
        EARLIER(p->kill_at);
    }
    if (m->phase == CLAMS__PHASE_DRAINING)
        EARLIER(m->drain_deadline);
    const clams__sreq_t *oldest = clams__queue_peek(&m->queue);
    if (oldest && m->cfg->queue_timeout > 0)
        EARLIER(oldest->queued_at + m->cfg->queue_timeout);
#undef EARLIER
    MHD_UNSIGNED_LONG_LONG mt;
    double ms = (t - now) * 1000.0;
    if (MHD_get_timeout(m->mhd, &mt) == MHD_YES && (double)mt < ms)
        ms = (double)mt;
    if (ms < 0)
        ms = 0;
    return (int)(ms + 0.999);
}

/* ---- the loop --------------------------------------------------------------- */

static void read_signals(clams__master_t *m, bool *chld, bool *term, bool *hup)
{
    struct signalfd_siginfo si;
    while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
            *chld = true;
        else if (si.ssi_signo == SIGHUP)
            *hup = true;
        else
            *term = true;
    }
}

static int busy_count(const clams__master_t *m)
{
    int n = 0;
    for (int i = 0; i < m->nprocs; i++)
        n += m->procs[i].state == CLAMS__W_BUSY;
    return n;
}

static int exiting_count(const clams__master_t *m)
{
    int n = 0;
    for (int i = 0; i < m->nprocs; i++)
        n += m->procs[i].state == CLAMS__W_EXITING;
    return n;
}

static bool all_empty(const clams__master_t *m)
{
    for (int i = 0; i < m->nprocs; i++)
        if (m->procs[i].state != CLAMS__W_EMPTY)
            return false;
    return true;
}

/* libmicrohttpd's turn, then the half-closed connections it left owed nothing. */
static void run_front(clams__master_t *m)
{
    MHD_run(m->mhd);
    clams__hc_sweep(m);
}

static void loop(clams__master_t *m)
{
    struct epoll_event evs[64];
    double final_deadline = 0;
    for (;;) {
        double now = clams__now();
        timers(m, now);
        pump(m);
        if (m->phase == CLAMS__PHASE_DRAINING) {
            if (m->queue.len == 0 && busy_count(m) == 0) {
                stop_workers(m);
            } else if (now >= m->drain_deadline) {
                clams__log(CLAMS_LOG_WARNING, 0,
                           "graceful timeout passed with %zu queued and "
                           "%d in workers",
                           m->queue.len, busy_count(m));
                abandon_requests(m, "the server shut down before this request was done\n");
                stop_workers(m);
            }
        }
        if (clams__master_stopping(m) && all_empty(m)) {
            if (!final_deadline)
                final_deadline = now + 2.0;
            if (m->open_reqs == 0 || now >= final_deadline)
                return;
        }
        run_front(m);
        int n = epoll_wait(m->epfd, evs, 64, next_timeout_ms(m, clams__now()));
        if (n < 0 && errno != EINTR) {
            clams__log(CLAMS_LOG_CRITICAL, errno, "epoll_wait");
            fatal(m, "the master loop failed");
            return;
        }
        bool chld = false, term = false, hup = false;
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag == CLAMS__TAG_SIGNALS) {
                read_signals(m, &chld, &term, &hup);
            } else if (tag == CLAMS__TAG_HALF_CLOSED) {
                clams__hc_events(m);
            } else if (tag == CLAMS__TAG_TEMPLATE) {
                if (m->tpl_fd >= 0)
                    clams__template_event(m);
            } else if (tag >= CLAMS__TAG_WORKER0 &&
                       tag - CLAMS__TAG_WORKER0 < (uint64_t)m->nprocs) {
                clams__proc_t *p = &m->procs[tag - CLAMS__TAG_WORKER0];
                if (p->fd >= 0)
                    on_worker_event(m, p);
            }
        }
        /* Fixed order: reap, terminate, reload. A worker already known to be
         * leaving (EOF, last request, kill) is also looked for without waiting
         * for its SIGCHLD, so its replacement never waits on signal delivery. */
        if (chld || exiting_count(m) > 0 || (m->tpl_pid > 0 && m->tpl_fd < 0))
            reap(m);
        if (term)
            begin_drain(m, "SIGTERM/SIGINT");
        if (hup && !clams__master_draining(m))
            reload(m);
        run_front(m);
    }
}

int clams__production_serve(const clams__app_rt_t *rt, const clams__http_config_t *http,
                            const clams__sup_config_t *opts)
{
    clams__master_t m;
    memset(&m, 0, sizeof(m));
    m.rt = rt;
    m.http_cfg = *http;
    m.http_cfg.not_found = "Not found: this app serves \"/\", /healthz, /readyz and /metrics.";
    m.body_budget.limit = http->max_body_total;
    m.http_cfg.budget = &m.body_budget;
    m.http = &m.http_cfg;
    m.cfg = opts;
    m.port = http->port;
    m.epfd = m.sigfd = m.hcfd = m.tpl_fd = -1;
    srandom((unsigned)getpid() ^ (unsigned)time(NULL));
    clams__master_resolve_settings(&m);
    /* Signals are blocked before the GPU probe and the preload hook: a thread
     * either starts (NVML's, the app's) inherits the mask, so SIGCHLD and
     * SIGTERM can only arrive through the signalfd and are never taken, and
     * lost, by a thread that does not block them. */
    m.sigfd = clams__signals_open(&m.old_mask);
    int rc = m.sigfd < 0 ? CLAMS_ESYS : 0;
    if (rc == 0)
        rc = clams__queue_init(&m.queue, opts->queue > 0 ? (size_t)opts->queue : 0);
    if (rc == 0)
        rc = clams__master_setup_pool(&m);
    const clams_app_t *app = clams__app_rt_app(rt);
    if (rc == 0 && app->preload) {
        clams_error_t err = {0};
        if (app->preload(app->user, &err) != 0) {
            clams__log(CLAMS_LOG_CRITICAL, 0, "preload failed: %s",
                       err.text[0] ? err.text : "(no message)");
            rc = CLAMS_EAPP;
        }
    }
    /* After the probe and the preload: their fds are the app's and stay open in
     * workers; everything opened from here on is the server's. */
    if (rc == 0)
        rc = clams__fds_snapshot(&m);
    if (rc == 0)
        rc = clams__master_setup_loop(&m);
    if (rc == 0)
        loop(&m);
    int status = (rc != 0 || m.phase == CLAMS__PHASE_FATAL) ? 1 : 0;
    clams__master_teardown(&m);
    if (status == 0)
        clams__log(CLAMS_LOG_INFO, 0, "production server stopped");
    return status;
}
