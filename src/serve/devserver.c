/* The development server: one process, one MHD polling thread, annotate run
 * in-process on that thread (requests are served one at a time, so an app's
 * annotate needs no locking). An annotate request waits (its connection
 * suspended) while the answers not yet taken by their clients hold more than
 * DEV_UNSENT_MAX bytes, so memory stays bounded whatever the number of
 * clients, and one client that stops reading holds nobody else up. Stops on
 * SIGINT/SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clams/clams.h"
#include "common/internal.h"
#include "serve/serve.h"

/* Annotate answers queued and not yet taken by their clients may hold this
 * many bytes together; a new annotate request waits (suspended) while they
 * hold more. So one client that stops reading its answer holds that answer
 * only, not the requests of everybody else, and memory stays bounded
 * whatever the number of clients (docs/http-api.md). */
#define DEV_UNSENT_MAX ((size_t)64 << 20)

/* After SIGTERM or SIGINT, the request being annotated may finish within
 * this many seconds; then (or at a second signal) the process exits without
 * waiting for it: an annotate that never returns must not keep a stopped
 * server alive. */
#define DEV_STOP_GRACE_S 10

typedef struct {
    const clams__app_rt_t *rt;
    clams__http_config_t cfg; /* the flags' config, with this server's 404 text */
    pthread_mutex_t lock;
    size_t unsent; /* bytes of annotate answers queued, not yet freed */
    bool stopping;
    bool warned;                     /* the wait was logged (once per episode) */
    struct MHD_Connection **waiting; /* suspended, in arrival order */
    size_t n_waiting, cap_waiting;
} dev_server_t;

typedef struct {
    dev_server_t *dev;
    size_t len;
} answer_t;

/* Waits out the grace or a second stop signal (both blocked in every
 * thread), then ends the process: MHD_stop_daemon on the main thread waits
 * for an annotate that may never return. */
static void *stop_watchdog(void *arg)
{
    const sigset_t *set = arg;
    double end = clams__now() + DEV_STOP_GRACE_S;
    int sig = -1;
    /* Another signal's handler (a sanitizer's, say) can interrupt the wait:
     * only a stop signal or the end of the grace ends it. */
    for (double left; sig < 0 && (left = end - clams__now()) > 0;) {
        struct timespec ts = {.tv_sec = (time_t)left,
                              .tv_nsec = (long)((left - (double)(time_t)left) * 1e9)};
        sig = sigtimedwait(set, NULL, &ts);
        if (sig < 0 && errno != EINTR)
            break;
    }
    clams__log(CLAMS_LOG_WARNING, 0,
               sig > 0 ? "signal %d again: exiting without waiting for the request in annotate"
                       : "annotate still running %d s after the stop signal: exiting without it",
               sig > 0 ? sig : DEV_STOP_GRACE_S);
    _exit(1);
    return NULL;
}

/* Called by MHD when an annotate answer has been sent (or dropped) and freed. */
static void answer_done(void *cls)
{
    answer_t *a = cls;
    dev_server_t *dev = a->dev;
    pthread_mutex_lock(&dev->lock);
    dev->unsent -= a->len;
    struct MHD_Connection *next = NULL;
    if (dev->n_waiting && dev->unsent < DEV_UNSENT_MAX) {
        next = dev->waiting[0];
        memmove(dev->waiting, dev->waiting + 1, --dev->n_waiting * sizeof(*dev->waiting));
    }
    if (!dev->n_waiting)
        dev->warned = false;
    pthread_mutex_unlock(&dev->lock);
    free(a);
    if (next)
        MHD_resume_connection(next);
}

/* True when the request must wait (and was suspended). */
static bool must_wait(dev_server_t *dev, struct MHD_Connection *c)
{
    bool wait = false;
    pthread_mutex_lock(&dev->lock);
    if (dev->unsent >= DEV_UNSENT_MAX && !dev->stopping) {
        if (!dev->warned) {
            dev->warned = true;
            clams__log(CLAMS_LOG_WARNING, 0,
                       "development server: %zu MiB of answers are not "
                       "taken by their clients yet (limit %zu MiB): new annotate requests wait; "
                       "--client-timeout drops a client that stopped reading",
                       dev->unsent >> 20, DEV_UNSENT_MAX >> 20);
        }
        /* Out of memory: this request runs now instead of waiting. */
        if (clams__grow(&dev->waiting, &dev->cap_waiting, dev->n_waiting, sizeof(*dev->waiting),
                        16) == 0) {
            dev->waiting[dev->n_waiting++] = c;
            wait = true;
        }
    }
    pthread_mutex_unlock(&dev->lock);
    if (wait)
        MHD_suspend_connection(c);
    return wait;
}

/* /healthz and /readyz: the development server is live and ready as soon as
 * it listens (worker_init ran before). */
static enum MHD_Result service_path(struct MHD_Connection *c, clams__http_req_t *req,
                                    const char *url, const char *method)
{
    static const clams__http_health_t health = {NULL, NULL};
    clams__response_t r;
    bool allow_get;
    if (clams__http_service_answer(url, method, &health, &r, &allow_get) != 0)
        return MHD_NO;
    /* Answered without reading a body: the connection ends after it. */
    static const char *const allow[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL};
    static const char *const allow_close[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD",
                                              MHD_HTTP_HEADER_CONNECTION, "close", NULL};
    static const char *const close_hdr[] = {MHD_HTTP_HEADER_CONNECTION, "close", NULL};
    bool body = clams__http_has_body(c);
    clams__http_answered(req, r.status, r.len);
    return clams__http_queue(c, &r,
                             allow_get ? (body ? allow_close : allow) : (body ? close_hdr : NULL));
}

static enum MHD_Result dev_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    dev_server_t *dev = cls;
    clams__http_req_t *req;
    enum MHD_Result ret;
    if (!*con_cls && clams__http_service_path(url)) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        *con_cls = req;
        req->started = clams__now();
        req->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        snprintf(req->method, sizeof(req->method), "%s", method);
        req->target = strdup(url);
        enum MHD_Result fret;
        if (clams__http_framing_check(c, req, &fret) != 0)
            return fret;
        return service_path(c, req, url, method);
    }
    if (*con_cls && ((clams__http_req_t *)*con_cls)->route == 0) {
        *upload_data_size = 0; /* a body sent to a service path: ignored */
        return MHD_YES;
    }
    if (clams__http_step(c, url, method, upload_data, upload_data_size, con_cls, &dev->cfg, &req,
                         &ret) != CLAMS__HTTP_READY)
        return ret;
    if (req->route == CLAMS__ROUTE_ANNOTATE && must_wait(dev, c))
        return MHD_YES;
    req->answered = CLAMS__HTTP_BY_SERVER;
    clams__response_t r = {0};
    int rc;
    if (req->route == CLAMS__ROUTE_GET)
        rc = clams__app_rt_get(dev->rt, &req->query, &r);
    else
        rc = clams__app_rt_annotate(dev->rt, &req->query, req->body.data ? req->body.data : "",
                                    req->body.len, &r);
    clams__http_body_free(&req->body);
    if (rc != 0) {
        clams__response_free(&r);
        return clams__http_queue_message(c, req, 500, "Out of memory.", NULL);
    }
    clams__http_answered(req, r.status, r.len);
    answer_t *a = req->route == CLAMS__ROUTE_ANNOTATE ? malloc(sizeof(*a)) : NULL;
    if (!a) /* metadata, or no memory to track it: an untracked answer */
        return clams__http_queue(c, &r, NULL);
    a->dev = dev;
    a->len = r.len;
    pthread_mutex_lock(&dev->lock);
    dev->unsent += r.len;
    pthread_mutex_unlock(&dev->lock);
    return clams__http_queue_tracked(c, &r, NULL, answer_done, a);
}

/* The access log line (as the production server writes it), then the state. */
static void dev_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    clams__http_req_t *req = *con_cls;
    (void)cls;
    (void)toe;
    if (req && req->answered > CLAMS__HTTP_BY_SERVER) {
        char addr[64];
        clams__http_client_addr(c, addr, sizeof(addr));
        clams__http_access_log(addr, req->method, req->target, req->answered, req->answered_len,
                               clams__now() - req->started, 0);
    }
    clams__http_req_free(req);
    *con_cls = NULL;
}

int clams__dev_serve(const clams__app_rt_t *rt, const clams__http_config_t *cfg)
{
    const clams_app_t *app = clams__app_rt_app(rt);
    clams_error_t err = {0};
    if (app->preload && app->preload(app->user, &err) != 0) {
        clams__log(CLAMS_LOG_ERROR, 0, "preload failed: %s", err.text);
        return 1;
    }
    if (app->worker_init && app->worker_init(app->user, &err) != 0) {
        clams__log(CLAMS_LOG_ERROR, 0, "worker_init failed: %s", err.text);
        return 1;
    }
    /* Block the stop signals before MHD's thread exists so only sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    dev_server_t dev = {.rt = rt, .cfg = *cfg};
    clams__http_budget_t budget = {.limit = cfg->max_body_total};
    dev.cfg.budget = &budget;
    dev.cfg.not_found = "Not found: this app serves \"/\", /healthz and /readyz.";
    pthread_mutex_init(&dev.lock, NULL);
    /* poll(), not epoll: libmicrohttpd 0.9.75's edge-triggered epoll loop
     * misses a client's FIN that arrives with or after its last bytes, so a
     * client that shut its sending side held its connection until
     * --client-timeout. poll() sees it at once (tests: rel_limits' half-closed
     * checks and the hostile corpus's half-close cases); the dev server's
     * throughput did not change (docs/benchmarks.md). The production front
     * keeps epoll and watches for half-close itself (src/sup/halfclose.c). */
    char why[256];
    int port = cfg->port;
    struct MHD_Daemon *d = clams__http_start(
        &dev.cfg, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME,
        dev_handler, &dev, dev_completed, NULL, NULL, NULL, &port, why, sizeof(why));
    int status = 1;
    if (!d)
        clams__log(CLAMS_LOG_ERROR, 0, "%s", why);
    if (d) {
        const json_t *md = clams__app_rt_metadata(rt);
        clams__log(CLAMS_LOG_NOTICE, 0,
                   "%s %s ready: development server on http://%s:%d/ "
                   "(one process, annotate in-process, requests one at a time; clams-c %s)",
                   json_string_value(json_object_get(md, "name")),
                   json_string_value(json_object_get(md, "app_version")),
                   clams__http_host_label(cfg), port, clams_version_str());
        int sig = 0;
        sigwait(&set, &sig);
        clams__log(CLAMS_LOG_INFO, 0, "signal %d: stopping", sig);
        /* Static: the watchdog may still read it after this function returns. */
        static sigset_t stop_set;
        stop_set = set;
        pthread_t watchdog;
        if (pthread_create(&watchdog, NULL, stop_watchdog, &stop_set) == 0)
            pthread_detach(watchdog);
        pthread_mutex_lock(&dev.lock);
        dev.stopping = true;
        for (size_t i = 0; i < dev.n_waiting; i++)
            MHD_resume_connection(dev.waiting[i]);
        dev.n_waiting = 0;
        pthread_mutex_unlock(&dev.lock);
        MHD_stop_daemon(d);
        status = 0;
    }
    free(dev.waiting);
    pthread_mutex_destroy(&dev.lock);
    if (app->worker_fini)
        app->worker_fini(app->user);
    return status;
}
