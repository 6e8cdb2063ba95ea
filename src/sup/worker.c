/* The worker side of the production server (runs in the forked child): pin
 * to a GPU, run the app's worker_init, report READY or INIT_FAILED, then
 * answer REQUEST messages until told to quit, the recycle limit says so, or
 * the master goes away (EOF on the socket). Workers never see a client. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clams/limits.h"
#include "common/internal.h"
#include "sup/sup_internal.h"

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

static void __attribute__((noreturn)) worker_exit(const clams_app_t *app, int code)
{
    if (app->worker_fini)
        app->worker_fini(app->user);
    /* _exit: the master's stdio buffers and atexit handlers are not ours. */
    _exit(code);
}

/* Reads the request body from the memfd the master passed. */
static const char *map_body(int fd, size_t len, void **map)
{
    *map = NULL;
    if (len == 0)
        return "";
    if (fd < 0) { /* a body was sent but its fd did not arrive (CLAMS__IPC_FD_LOST) */
        errno = EBADF;
        return NULL;
    }
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    *map = p;
    return p;
}

static int answer(int sock, const clams__ipc_hdr_t *req, const clams__response_t *resp)
{
    int fd = clams__memfd_new("clams-resp", resp->body, resp->len);
    if (fd < 0) {
        /* Out of fds or of room for the body: the answer cannot travel. Exit,
         * so the master answers the request with a 500 error view naming the
         * exit and replaces this worker, instead of waiting for ever. */
        clams__log(CLAMS_LOG_ERROR, errno,
                   "worker: memfd for the response; exiting so the "
                   "master answers 500 and replaces this worker");
        _exit(4);
    }
    clams__ipc_hdr_t h = {0};
    h.type = CLAMS__MSG_RESPONSE;
    h.id = req->id;
    h.status = resp->status;
    h.len = resp->len;
    h.peak = resp->gpu_peak; /* this request's, 0 when it did not measure one */
    int rc =
        clams__ipc_send(sock, &h, resp->content_type ? resp->content_type : "application/json", fd);
    close(fd);
    return rc;
}

static void serve_one(const clams__app_rt_t *rt, int sock, const clams__ipc_hdr_t *h,
                      const char *query, int body_fd)
{
    clams__query_t q = {0};
    clams__response_t resp = {0};
    void *map = NULL;
    const char *body = map_body(body_fd, (size_t)h->len, &map);
    if (!body) {
        clams__log(CLAMS_LOG_ERROR, errno, "worker: mmap of the request body");
        resp.status = 500;
        resp.content_type = "text/plain";
        resp.body = strdup("worker could not read the request body");
        resp.len = resp.body ? strlen(resp.body) : 0;
    } else {
        clams__query_parse(&q, query);
        if (clams__app_rt_annotate(rt, &q, body, (size_t)h->len, &resp) != 0) {
            resp.status = 500;
            resp.content_type = "text/plain";
            resp.body = strdup(clams_limit_get(CLAMS_LIMIT_WORKER_MEMORY)
                                   ? "out of memory: the request went past the worker's memory "
                                     "limit (--max-worker-memory); the worker is replaced"
                                   : "out of memory");
            resp.len = resp.body ? strlen(resp.body) : 0;
        }
    }
    if (map)
        munmap(map, (size_t)h->len);
    if (answer(sock, h, &resp) != 0) {
        clams__log(CLAMS_LOG_ERROR, errno,
                   "worker: sending the answer; exiting so the master "
                   "answers 500 and replaces this worker");
        _exit(4);
    }
    bool failed = resp.status >= 500;
    clams__response_free(&resp);
    clams__query_free(&q);
    /* Under a memory limit a failed request may have stopped half-way in an
     * allocation (FFmpeg, the app): a fresh worker serves the next one. */
    if (failed && clams_limit_get(CLAMS_LIMIT_WORKER_MEMORY) > 0)
        _exit(0);
}

/* --max-worker-memory: a hard ceiling on this worker's address space, set
 * after worker_init (the model is in it), so a decompression bomb fails an
 * allocation while it grows instead of waking the kernel's OOM killer. */
static void limit_memory(void)
{
    long long mib = clams_limit_get(CLAMS_LIMIT_WORKER_MEMORY);
    if (mib <= 0)
        return;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0)
        return;
    rlim_t want = (rlim_t)mib << 20;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        clams__log(CLAMS_LOG_WARNING, errno, "worker: cannot set --max-worker-memory");
}

static void install_term_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a TERM interrupts the blocking recvmsg. */
    sigaction(SIGTERM, &sa, NULL);
}

void clams__worker_run(const clams__app_rt_t *rt, int sock, const char *gpu_uuid, pid_t master)
{
    const clams_app_t *app = clams__app_rt_app(rt);
    /* If the master dies (even by SIGKILL), go too, at once: SIGKILL and not
     * SIGTERM, whose handler only stops the loop between requests, so a
     * worker spinning or hung in annotate would live on, reparented. A master
     * that died before this call is seen by getppid (master is its pid, taken
     * before the fork; it may be 1, in a container): no parent-death signal
     * comes for a death that already happened. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != master)
        _exit(0);
    if (gpu_uuid)
        setenv("CUDA_VISIBLE_DEVICES", gpu_uuid, 1);
    if (app->worker_init) {
        clams_error_t err = {0};
        if (app->worker_init(app->user, &err) != 0) {
            clams__ipc_hdr_t h = {0};
            h.type = CLAMS__MSG_INIT_FAILED;
            clams__ipc_send(sock, &h, err.text[0] ? err.text : "worker_init failed", -1);
            _exit(1);
        }
    }
    install_term_handler();
    limit_memory();
    clams__ipc_hdr_t ready = {0};
    ready.type = CLAMS__MSG_READY;
    if (clams__ipc_send(sock, &ready, NULL, -1) != 0)
        worker_exit(app, 0);

    char *text = malloc(CLAMS__IPC_TEXT_MAX + 1);
    if (!text)
        worker_exit(app, 1);
    while (!got_term) {
        clams__ipc_hdr_t h;
        int fd = -1;
        int rc = clams__ipc_recv(sock, &h, text, CLAMS__IPC_TEXT_MAX + 1, &fd);
        if (rc == 0)
            break; /* the master closed our socket (or died) */
        if (rc < 0) {
            if (errno == EINTR && !got_term)
                continue;
            if (got_term)
                break;
            clams__log(CLAMS_LOG_ERROR, errno, "worker: receiving from the master");
            break;
        }
        if (h.type == CLAMS__MSG_QUIT) {
            if (fd >= 0)
                close(fd);
            break;
        }
        if (h.type == CLAMS__MSG_BIND) { /* the PID the driver lists us by */
            clams__gpu_set_self_host_pid((pid_t)h.id);
            continue;
        }
        if (h.type != CLAMS__MSG_REQUEST) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        serve_one(rt, sock, &h, text, fd);
        if (fd >= 0)
            close(fd);
        if (h.flags & CLAMS__MSG_FLAG_LAST)
            break;
    }
    free(text);
    worker_exit(app, 0);
}
