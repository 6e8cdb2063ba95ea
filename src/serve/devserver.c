/* The development server: one process, one MHD polling thread, annotate run
 * in-process on that thread (requests are served one at a time, so an app's
 * annotate needs no locking). An annotate request waits (its connection
 * suspended) while the previous answer is still being sent, so at most one
 * big output is alive at a time whatever the number of clients. Stops on
 * SIGINT/SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "serve/serve.h"

typedef struct {
    const clams__app_rt_t *rt;
    const clams__http_config_t *cfg;
    pthread_mutex_t lock;
    int inflight;                  /* annotate answers queued, not yet freed */
    bool stopping;
    struct MHD_Connection **waiting; /* suspended, in arrival order */
    size_t n_waiting, cap_waiting;
} dev_server_t;

/* Called by MHD when an annotate answer has been sent and freed. */
static void answer_done(void *cls)
{
    dev_server_t *dev = cls;
    pthread_mutex_lock(&dev->lock);
    dev->inflight--;
    struct MHD_Connection *next = NULL;
    if (dev->n_waiting) {
        next = dev->waiting[0];
        memmove(dev->waiting, dev->waiting + 1, --dev->n_waiting * sizeof(*dev->waiting));
    }
    pthread_mutex_unlock(&dev->lock);
    if (next)
        MHD_resume_connection(next);
}

/* True when the request must wait (and was suspended). */
static bool must_wait(dev_server_t *dev, struct MHD_Connection *c)
{
    bool wait = false;
    pthread_mutex_lock(&dev->lock);
    if (dev->inflight > 0 && !dev->stopping) {
        /* Out of memory: this request runs now instead of waiting. */
        if (clams__grow(&dev->waiting, &dev->cap_waiting, dev->n_waiting,
                        sizeof(*dev->waiting), 16) == 0) {
            dev->waiting[dev->n_waiting++] = c;
            wait = true;
        }
    }
    if (!wait)
        dev->inflight++;
    pthread_mutex_unlock(&dev->lock);
    if (wait)
        MHD_suspend_connection(c);
    return wait;
}

static enum MHD_Result dev_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_data_size,
                                   void **con_cls)
{
    dev_server_t *dev = cls;
    clams__http_req_t *req;
    enum MHD_Result ret;
    if (clams__http_step(c, url, method, upload_data, upload_data_size, con_cls,
                         dev->cfg, &req, &ret) != CLAMS__HTTP_READY)
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
        if (req->route == CLAMS__ROUTE_ANNOTATE)
            answer_done(dev);
        return clams__http_queue_message(c, 500, "Out of memory.", NULL);
    }
    clams__log(CLAMS_LOG_INFO, 0, "%s %s -> %d (%zu bytes, %.3f s)", method, url, r.status,
               r.len, clams__now() - req->started);
    if (req->route == CLAMS__ROUTE_ANNOTATE)
        return clams__http_queue_tracked(c, &r, NULL, answer_done, dev);
    return clams__http_queue(c, &r, NULL);
}

static void dev_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    clams__http_req_free(*con_cls);
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
    dev_server_t dev = {.rt = rt, .cfg = cfg};
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
        cfg, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME,
        dev_handler, &dev, dev_completed, NULL, NULL, NULL, &port, why, sizeof(why));
    int status = 1;
    if (!d)
        clams__log(CLAMS_LOG_ERROR, 0, "%s", why);
    if (d) {
        clams__log(CLAMS_LOG_INFO, 0, "development server listening on %s:%d",
                   clams__http_host_label(cfg), port);
        int sig = 0;
        sigwait(&set, &sig);
        clams__log(CLAMS_LOG_INFO, 0, "signal %d: stopping", sig);
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
