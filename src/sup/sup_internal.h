/* This file is private to libclams.
 * Internal structures of the production server: the master state, the
 * process table, the parked HTTP requests, the master<->worker messages and
 * the helpers each file of src/sup offers the others. */
#ifndef CLAMS_SUP_INTERNAL_H
#define CLAMS_SUP_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "app/pipeline.h"
#include "gpu/gpu.h"
#include "http/http.h"
#include "sup/sup.h"

/* ---- master <-> worker messages (ipc.c) ---------------------------------- */

enum {
    CLAMS__MSG_READY = 1,       /* worker -> master: worker_init succeeded */
    CLAMS__MSG_INIT_FAILED = 2, /* worker -> master: text = reason */
    CLAMS__MSG_REQUEST = 3,     /* master -> worker: text = encoded query, fd = body */
    CLAMS__MSG_RESPONSE = 4,    /* worker -> master: text = content type, fd = body */
    CLAMS__MSG_QUIT = 5,        /* master -> worker: run worker_fini and exit 0 */
    CLAMS__MSG_BIND = 6,        /* master -> worker: id = its host PID on its GPU */
    CLAMS__MSG_SPAWN = 7,       /* master -> template: fd = worker socket, text = GPU */
    CLAMS__MSG_SPAWNED = 8      /* template -> master: id = worker pid (0: failed, status errno) */
};
#define CLAMS__MSG_FLAG_LAST 1u /* REQUEST: exit after answering (recycle) */
#define CLAMS__IPC_TEXT_MAX  65536

typedef struct clams__ipc_hdr_s {
    uint32_t type;
    uint32_t flags;
    int32_t status;
    uint32_t text_len;
    uint64_t id;
    uint64_t len;  /* body bytes in the fd */
    uint64_t peak; /* RESPONSE: GPU peak bytes the worker measured, 0 = unknown */
} clams__ipc_hdr_t;

/* Sends one message (SOCK_SEQPACKET: one message per call) with an optional
 * fd (-1 = none). Returns 0 or CLAMS_ESYS (errno kept). Never raises SIGPIPE. */
int clams__ipc_send(int sock, const clams__ipc_hdr_t *h, const char *text, int fd);
/* Receives one message. text gets text_len bytes plus a NUL (text_cap >= 1).
 * Returns 1 for a message, 0 at EOF, CLAMS_ESYS on error (EAGAIN included;
 * EMSGSIZE for a text longer than text_cap). *fd receives a passed fd
 * (close-on-exec), -1 when none was sent, or CLAMS__IPC_FD_LOST when one was
 * sent but could not be installed here (out of fds: MSG_CTRUNC). */
#define CLAMS__IPC_FD_LOST (-2)
int clams__ipc_recv(int sock, clams__ipc_hdr_t *h, char *text, size_t text_cap, int *fd);
/* A new memfd holding len bytes of buf. Returns the fd or CLAMS_ESYS. */
int clams__memfd_new(const char *name, const void *buf, size_t len);

/* ---- requests and the bounded queue (queue.c) ---------------------------- */

typedef enum {
    CLAMS__REQ_RECEIVING = 0,
    CLAMS__REQ_QUEUED,
    CLAMS__REQ_IN_WORKER,
    CLAMS__REQ_ANSWERED
} clams__req_phase_t;

typedef struct clams__sreq_s {
    uint64_t id;
    struct MHD_Connection *conn;
    char method[12];
    char *path; /* path?query as received, for the access log */
    char addr[64];
    double t0;        /* monotonic seconds at arrival */
    double queued_at; /* when it entered the queue (0: never queued) */
    clams__query_t query;
    char *query_enc; /* clams__query_encode, sent to the worker */
    int body_fd;     /* memfd with the upload (-1 until the first byte) */
    size_t body_len;
    clams__http_budget_t *budget; /* counts body_len while the memfd lives */
    bool too_big;
    bool annotate; /* POST/PUT / */
    bool suspended;
    bool by_step; /* answered by the shared http helpers (404/405/413) */
    clams__req_phase_t phase;
    /* The answer. */
    int status;
    char ctype[96];
    int resp_fd;    /* from a worker (memfd), or -1 */
    char *resp_buf; /* malloc'd body, or NULL */
    size_t resp_len;
    size_t sent_len; /* body bytes sent by the shared helpers (by_step) */
    pid_t worker;    /* 0 = answered by the master */
    bool retry_after;
    bool allow_get; /* a 405 on a service path: Allow: GET, HEAD */
    bool close_conn;
} clams__sreq_t;

typedef struct clams__queue_s {
    clams__sreq_t **items;
    size_t cap, head, len;
} clams__queue_t;

int clams__queue_init(clams__queue_t *q, size_t cap);
void clams__queue_free(clams__queue_t *q);
/* Returns 0, or CLAMS_ETOOBIG when full. */
int clams__queue_push(clams__queue_t *q, clams__sreq_t *r);
clams__sreq_t *clams__queue_pop(clams__queue_t *q);
/* The oldest request, left in place (NULL when empty). */
clams__sreq_t *clams__queue_peek(const clams__queue_t *q);
/* Takes r out of the queue wherever it is (order kept); false if absent. */
bool clams__queue_remove(clams__queue_t *q, const clams__sreq_t *r);
/* Puts a request back at the head (a dispatch that failed). Never fails: the
 * slot it came from is free. */
void clams__queue_unpop(clams__queue_t *q, clams__sreq_t *r);

void clams__sreq_free(clams__sreq_t *r);

/* ---- the process table ---------------------------------------------------- */

/* A worker's states and why a worker is replaced, each written once: the
 * enums and the names in logs and /metrics are expanded from these lists. */
#define CLAMS__WSTATE_LIST(X)                                 \
    X(EMPTY, "empty")       /* no process in this slot */     \
    X(SPAWNING, "spawning") /* forked, worker_init running */ \
    X(READY, "ready")       /* idle */                        \
    X(BUSY, "busy")         /* a request is in it */          \
    X(EXITING, "exiting")   /* told to go, killed, or died; waiting for the reap */

#define CLAMS__RECYCLE_LIST(X)                                              \
    X(NONE, "none")                 /* not decided (yet) */                 \
    X(MAX_REQUESTS, "max_requests") /* served its max_requests */           \
    X(VRAM, "vram")                 /* over a VRAM budget (soft or hard) */ \
    X(CRASH, "crash")               /* died without being asked to */       \
    X(TIMEOUT, "timeout")           /* passed --timeout in a request */     \
    X(RELOAD, "reload")             /* SIGHUP */                            \
    X(INIT, "init")                 /* worker_init failed */                \
    X(SHUTDOWN, "shutdown")         /* the server is stopping */            \
    X(MEMORY, "memory")             /* over --worker-rss-budget */

typedef enum {
#define CLAMS__X_ENUM_(name, text) CLAMS__W_##name,
    CLAMS__WSTATE_LIST(CLAMS__X_ENUM_)
#undef CLAMS__X_ENUM_
        CLAMS__W_COUNT
} clams__wstate_t;

typedef enum {
#define CLAMS__X_ENUM_(name, text) CLAMS__RECYCLE_##name,
    CLAMS__RECYCLE_LIST(CLAMS__X_ENUM_)
#undef CLAMS__X_ENUM_
        CLAMS__RECYCLE_COUNT
} clams__recycle_t;

const char *clams__wstate_name(clams__wstate_t s);
const char *clams__recycle_name(clams__recycle_t r);

typedef struct clams__proc_s {
    pid_t pid;
    int slot;
    int fd; /* master end of the socketpair, -1 when closed */
    clams__wstate_t state;
    unsigned long served;
    unsigned long limit;  /* requests before recycling, 0 = never */
    const char *gpu_uuid; /* NULL = not pinned */
    double started, ready_at;
    clams__sreq_t *req;      /* the request in it (BUSY) */
    double deadline;         /* request timeout, 0 = none */
    double kill_at;          /* SIGKILL when still alive then, 0 = none (EXITING only) */
    double next_sample;      /* next VRAM sample while busy */
    bool retire;             /* replace after the current request (SIGHUP) */
    clams__recycle_t reason; /* why it is EXITING (NONE until known) */
    bool counted;            /* its recycle is in the metrics (counted when decided) */
    double next_spawn;       /* EMPTY: not before this time (backoff) */
    int failures;            /* consecutive failed starts in this slot */
    unsigned long long mem_now, mem_peak, req_peak;
    /* binding.c: the PID the GPU driver lists this worker by. */
    unsigned int host_pid;     /* 0 = unknown */
    char bind_why[96];         /* "bound", or why not */
    clams__gpu_proc_t *before; /* the GPU's processes before the fork */
    size_t nbefore;
    bool before_ok;
    const char *mem_method; /* how the last VRAM sample was taken (static name) */
    bool typ_logged;
} clams__proc_t;

/* ---- the master ------------------------------------------------------------ */

#define CLAMS__DUR_BUCKETS 12

typedef struct clams__stats_s {
    unsigned long long by_status[600];
    unsigned long long dur_bucket[CLAMS__DUR_BUCKETS + 1];
    double dur_sum;
    unsigned long long dur_count;
    unsigned long long recycles[CLAMS__RECYCLE_COUNT];
    unsigned long long rejected_full;
} clams__stats_t;

/* What an event in the master's epoll is about (epoll_event.data.u64). */
enum {
    CLAMS__TAG_MHD = 0,         /* libmicrohttpd's own epoll fd */
    CLAMS__TAG_SIGNALS = 1,     /* the signalfd */
    CLAMS__TAG_HALF_CLOSED = 2, /* the half-close watch (halfclose.c) */
    CLAMS__TAG_TEMPLATE = 3,    /* the template process's socket (template.c) */
    CLAMS__TAG_WORKER0 = 4      /* + slot: a worker's socket */
};

/* A client connection as the master watches it for half-close (halfclose.c). */
typedef struct clams__conn_s clams__conn_t;

/* The master's own phase; it only moves forward. */
typedef enum {
    CLAMS__PHASE_RUNNING = 0, /* serving */
    CLAMS__PHASE_DRAINING,    /* SIGTERM: no new connections; queue and workers finish */
    CLAMS__PHASE_STOPPING,    /* workers told to stop */
    CLAMS__PHASE_FATAL        /* stopping because the app cannot run; exit status 1 */
} clams__phase_t;

typedef struct clams__master_s {
    const clams__app_rt_t *rt;
    const clams__http_config_t *http; /* &http_cfg */
    clams__http_config_t http_cfg;    /* the flags' config, with this server's 404 text */
    clams__http_budget_t body_budget; /* bodies held: upload buffers and memfds */
    const clams__sup_config_t *cfg;
    int port; /* the port bound (http->port 0 picks one) */
    clams__pool_plan_t *plan;
    struct MHD_Daemon *mhd;
    int epfd, sigfd;
    int hcfd;                   /* epoll of client sockets, for EPOLLRDHUP */
    clams__conn_t *half_closed; /* half-closed connections not yet shut down */
    sigset_t old_mask;
    clams__proc_t *procs;
    int nprocs; /* slots: nserve, or 2 x nserve with standby or overlap */
    int nserve; /* the pool size: workers that may be busy at once */
    enum { CLAMS__SPARE_NONE, CLAMS__SPARE_STANDBY, CLAMS__SPARE_OVERLAP } spare;
    clams__queue_t queue;
    long max_requests; /* resolved: 0 = never */
    long jitter;
    long soft_bytes_mib; /* resolved soft VRAM budget, 0 = off */
    long hard_bytes_mib;
    int *keep_fds; /* fds above stdio open before the server started (the app's,
                     * kept in workers), sorted */
    int keep_fds_n;
    clams__phase_t phase;
    double drain_deadline;
    bool ever_ready;
    bool bind_warned; /* an unknown host PID was logged once */
    int init_fail_row;
    char last_init_error[512];
    unsigned open_reqs;
    uint64_t next_id;
    /* template.c: the process workers are forked from (hosted apps). */
    pid_t tpl_pid; /* 0 = not running */
    pid_t tpl_master;
    int tpl_fd;
    bool tpl_ready;
    bool tpl_said_why; /* it sent INIT_FAILED before dying */
    int tpl_failures;
    double tpl_started, tpl_next_start;
    clams__stats_t stats;
    /* standby.c: the largest footprint of a ready worker measured (KiB, 0 =
     * none yet), and whether a standby is being held back (logged once). */
    long ready_kib, ready_logged_kib;
    bool standby_held;
} clams__master_t;

/* Phase questions the front and the loop ask. */
#define clams__master_draining(m) ((m)->phase != CLAMS__PHASE_RUNNING)
#define clams__master_stopping(m) ((m)->phase >= CLAMS__PHASE_STOPPING)

/* lifecycle.c: the only way a worker changes state. It logs the change, and
 * for EXITING records `why`, counts the recycle once (when it is decided,
 * so /metrics read right after the answer that caused it shows it) and sets
 * the SIGKILL deadline `kill_after` seconds from now (0: none, the worker is
 * already killed or gone). EMPTY (the reap) counts a recycle not counted
 * yet under `why`, and clears the slot's process fields. detail (may be
 * NULL) is appended to the log line. */
void clams__worker_to(clams__master_t *m, clams__proc_t *p, clams__wstate_t to,
                      clams__recycle_t why, double kill_after, const char *detail);

/* The N of a "Key:   N kB" line of a /proc file (status, meminfo,
 * smaps_rollup), or -1 when the file or the key cannot be read. */
long clams__proc_kib(const char *path, const char *key);
/* budget.c: the per-worker budgets. GPU memory is sampled through the GPU
 * probe (NVML or nvidia-smi), host memory from /proc. */
/* A request was just given to the worker: its peak starts from zero. */
void clams__budget_request_begins(clams__proc_t *p, double now);
/* While a request runs: samples every VRAM_SAMPLE_EVERY and returns true
 * when the worker is above the hard VRAM budget (msg says so). */
bool clams__budget_hard_exceeded(clams__master_t *m, clams__proc_t *p, double now, char *msg,
                                 size_t msg_size);
/* After a request: folds the response's own peak into the worker's figures,
 * logs once when it passed est_gpu_mem_typ, and says which budget (VRAM
 * soft, then RSS when `staying`: the worker would serve on) it is over:
 * CLAMS__RECYCLE_VRAM or _MEMORY with the reason in msg, or _NONE. */
clams__recycle_t clams__budget_after_request(clams__master_t *m, clams__proc_t *p,
                                             unsigned long long response_peak, bool staying,
                                             char *msg, size_t msg_size);
/* When the next VRAM sample of a busy worker is due (0 = not sampled). */
double clams__budget_next_sample(const clams__master_t *m, const clams__proc_t *p);

/* binding.c: learning a pinned worker's host PID (see there). busy: another
 * worker of the same GPU is starting (workers of one GPU start one at a
 * time). before: the GPU's process list, taken just before the fork.
 * after: at READY; returns the host PID when exactly one process appeared. */
bool clams__binding_gpu_busy(const clams__master_t *m, const clams__proc_t *p);
void clams__binding_before(clams__proc_t *p);
unsigned int clams__binding_after(clams__master_t *m, clams__proc_t *p);

/* setup.c: before and after master.c's loop. */
void clams__master_resolve_settings(clams__master_t *m);
int clams__master_setup_pool(clams__master_t *m);
int clams__master_setup_loop(clams__master_t *m);
void clams__master_teardown(clams__master_t *m);
/* master.c: closes a worker's socket and takes it out of the loop's epoll. */
void clams__master_close_worker_fd(clams__master_t *m, clams__proc_t *p);

/* spawn.c: forks the worker of slot `p` (state SPAWNING). Returns 0 or
 * CLAMS_ESYS. In the child it never returns. */
int clams__spawn(clams__master_t *m, clams__proc_t *p);
/* Records the fds open now (before the server opens its own), so a worker
 * closes every other inherited fd (listening socket, clients, other workers). */
int clams__fds_snapshot(clams__master_t *m);

/* In a freshly forked child: closes every fd the server opened, keeping
 * stdio, the app's own fds and `keep`. */
void clams__close_server_fds(const clams__master_t *m, int keep);

/* standby.c: how many standbys the free memory allows (see there).
 * measure: at READY, the worker's footprint. may_start: true when slot p
 * may start now (a replacement the pool needs, or a standby there is room
 * for). host_available: free host memory in KiB (cgroup limit included),
 * -1 when unknown. */
void clams__standby_measure(clams__master_t *m, const clams__proc_t *p);
bool clams__standby_may_start(clams__master_t *m, const clams__proc_t *p);
long clams__host_available_kib(void);

/* template.c: the template process (see there). used: the runtime has one.
 * fork_worker: 0 with *pid, 1 when the template is not ready yet (asked
 * again when it is), or CLAMS_ESYS. event: a message on its socket.
 * reaped: true when pid was the template. stop: kills it (teardown). */
bool clams__template_used(const clams__master_t *m);
int clams__template_fork_worker(clams__master_t *m, clams__proc_t *p, int sock, pid_t *pid);
void clams__template_event(clams__master_t *m);
bool clams__template_reaped(clams__master_t *m, pid_t pid, int st);
void clams__template_stop(clams__master_t *m);

/* worker.c: the child side; never returns. */
void clams__worker_run(const clams__app_rt_t *rt, int sock, const char *gpu_uuid, pid_t master)
    __attribute__((noreturn));

/* signals.c */
int clams__signals_open(sigset_t *old_mask);
void clams__signals_close(int sigfd, const sigset_t *old_mask);
/* Resets dispositions and the mask in a freshly forked child. */
void clams__signals_child_reset(const sigset_t *old_mask);

/* halfclose.c: shuts down a connection whose client half-closed once nothing
 * is owed to it (libmicrohttpd's epoll mode would hold it until the idle
 * timeout). open/close: the watch's epoll, added to the master's. */
int clams__hc_open(clams__master_t *m);
void clams__hc_close(clams__master_t *m);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the master). */
void clams__hc_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
/* The connection's request, from its headers (begins) to its end (ends). */
void clams__hc_request_begins(struct MHD_Connection *c, clams__sreq_t *r);
void clams__hc_request_ends(struct MHD_Connection *c);
/* Takes the watch's events (CLAMS__TAG_HALF_CLOSED). */
void clams__hc_events(clams__master_t *m);
/* Shuts down the half-closed connections owed nothing; after MHD_run. */
void clams__hc_sweep(clams__master_t *m);
/* True once the client of this connection has shut its sending side or
 * closed (EPOLLRDHUP seen). */
bool clams__hc_client_left(struct MHD_Connection *c);

/* front.c: the HTTP side of the master. */
struct MHD_Daemon *clams__front_start(clams__master_t *m, char *why, size_t why_size);
/* Sends r's answer: resumes its connection when parked. */
void clams__front_answer(clams__master_t *m, clams__sreq_t *r);
/* Dispatch hook the front calls when a body is complete (master.c). */
void clams__master_submit(clams__master_t *m, clams__sreq_t *r);
/* A queued request whose client left: out of the queue and answered 499
 * (nobody reads it; the access log and /metrics do). */
void clams__master_abandon(clams__master_t *m, clams__sreq_t *r);
/* When the master is draining or stopping on a fatal error: fills r's 503
 * "shutting down" answer (Retry-After, connection closed) and returns true. */
bool clams__master_refuse_if_stopping(clams__master_t *m, clams__sreq_t *r);
/* Fills an error answer (500) for a request whose worker failed. */
void clams__front_worker_failed(clams__master_t *m, clams__sreq_t *r, pid_t pid,
                                const char *message);
/* Fills a small text answer (takes nothing). */
void clams__front_text(clams__sreq_t *r, int status, const char *text);

/* metrics.c: GET /metrics body (malloc'd). */
char *clams__metrics_render(const clams__master_t *m, size_t *len);
void clams__stats_request(clams__stats_t *s, int status, double seconds);

#endif
