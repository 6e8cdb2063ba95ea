/* The HTTP side of the master: libmicrohttpd without its own thread (epoll,
 * driven by the master loop). Bodies are collected into a memfd before
 * dispatch; a connection waiting for a worker is parked with
 * MHD_suspend_connection and resumed when its answer is ready. GET /,
 * /healthz, /readyz and /metrics are answered here without a worker. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/internal.h"
#include "http/http.h"
#include "sup/sup_internal.h"

void clams__front_text(clams__sreq_t *r, int status, const char *text)
{
    free(r->resp_buf);
    r->resp_buf = strdup(text);
    r->resp_len = r->resp_buf ? strlen(r->resp_buf) : 0;
    r->status = status;
    snprintf(r->ctype, sizeof(r->ctype), "text/plain; charset=utf-8");
}

static void take_response(clams__sreq_t *r, clams__response_t *out)
{
    free(r->resp_buf);
    r->status = out->status;
    snprintf(r->ctype, sizeof(r->ctype), "%s",
             out->content_type ? out->content_type : "application/json");
    r->resp_buf = out->body;
    r->resp_len = out->len;
    out->body = NULL;
    out->len = 0;
}

void clams__front_worker_failed(clams__master_t *m, clams__sreq_t *r, pid_t pid,
                                const char *message)
{
    clams__response_t out = {0};
    void *map = NULL;
    const char *body = "";
    if (r->body_fd >= 0 && r->body_len > 0) {
        map = mmap(NULL, r->body_len, PROT_READ, MAP_PRIVATE, r->body_fd, 0);
        body = map == MAP_FAILED ? "" : map;
    }
    size_t len = (map && map != MAP_FAILED) ? r->body_len : 0;
    if (clams__app_rt_error_response(m->rt, &r->query, body, len, message, &out) == 0 && out.body) {
        take_response(r, &out);
    } else {
        clams__front_text(r, 500, message);
    }
    clams__response_free(&out);
    if (map && map != MAP_FAILED)
        munmap(map, r->body_len);
    r->status = 500;
    r->worker = pid;
}

static clams__sreq_t *new_req(clams__master_t *m, struct MHD_Connection *c, clams__http_req_t *hr,
                              const char *url, const char *method, double t0)
{
    clams__sreq_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->id = ++m->next_id;
    r->conn = c;
    r->body_fd = r->resp_fd = -1;
    r->t0 = t0;
    snprintf(r->method, sizeof(r->method), "%s", method);
    if (hr) { /* the shared step collected the query with the headers */
        r->query = hr->query;
        r->query_enc = hr->query_enc;
        memset(&hr->query, 0, sizeof(hr->query));
        hr->query_enc = NULL;
    } else {
        clams__http_collect_query(c, &r->query);
        r->query_enc = clams__query_encode(&r->query);
    }
    size_t ul = strlen(url), ql = r->query_enc ? strlen(r->query_enc) : 0;
    r->path = malloc(ul + ql + 2);
    if (r->path)
        snprintf(r->path, ul + ql + 2, "%s%s%s", url, ql ? "?" : "", ql ? r->query_enc : "");
    clams__http_client_addr(c, r->addr, sizeof(r->addr));
    m->open_reqs++;
    clams__hc_request_begins(c, r);
    return r;
}

static int ready_workers(const clams__master_t *m)
{
    int n = 0;
    for (int i = 0; i < m->nprocs; i++)
        if (m->procs[i].state == CLAMS__W_READY || m->procs[i].state == CLAMS__W_BUSY)
            n++;
    return n;
}

static bool master_path(const char *url)
{
    return clams__http_service_path(url) || strcmp(url, "/metrics") == 0;
}

static void take_response(clams__sreq_t *r, clams__response_t *out);

/* /healthz and /readyz, from the state of the pool. /healthz: live unless no
 * worker can start (then an orchestrator should restart this server; its
 * probe sees a 503 and the reason). */
static void service_path(clams__master_t *m, clams__sreq_t *r, const char *url)
{
    char unhealthy[600];
    clams__http_health_t health = {NULL, NULL};
    if (m->init_fail_row >= 3 && ready_workers(m) == 0) {
        snprintf(unhealthy, sizeof(unhealthy),
                 "unhealthy: workers cannot start (%d failures in a row; last: %s)\n",
                 m->init_fail_row, m->last_init_error);
        health.unhealthy = unhealthy;
    }
    /* Not ready either while no worker has been free for a request for
     * longer than --ready-wait: a load balancer should send new requests
     * elsewhere, though every worker is alive. */
    const clams__sreq_t *oldest = clams__queue_peek(&m->queue);
    double waited = oldest ? clams__now() - oldest->queued_at : 0;
    char busy[96];
    if (clams__master_draining(m)) {
        health.not_ready = "shutting down\n";
    } else if (ready_workers(m) == 0) {
        health.not_ready = "no worker ready\n";
    } else if (m->cfg->ready_wait > 0 && waited > m->cfg->ready_wait) {
        snprintf(busy, sizeof(busy), "busy: a request has waited %.1f s for a worker\n", waited);
        health.not_ready = busy;
    }
    clams__response_t out;
    bool allow_get;
    if (clams__http_service_answer(url, r->method, &health, &out, &allow_get) == 0) {
        take_response(r, &out);
        r->allow_get = allow_get;
    } else {
        clams__front_text(r, 500, "out of memory\n");
    }
    clams__response_free(&out);
}

/* Requests the master answers at once: GET (or HEAD) /, /healthz, /readyz,
 * /metrics. Anything else on the three service paths is a 405. */
static void route_master(clams__master_t *m, clams__sreq_t *r, const char *url)
{
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    r->phase = CLAMS__REQ_ANSWERED;
    if (clams__http_service_path(url) || (!get && master_path(url))) {
        /* /metrics with another method gets the same 405 as the others
         * (the answer looks at the method first). */
        service_path(m, r, url);
    } else if (strcmp(url, "/metrics") == 0) {
        size_t len = 0;
        char *txt = clams__metrics_render(m, &len);
        if (!txt) {
            clams__front_text(r, 500, "out of memory\n");
            return;
        }
        free(r->resp_buf);
        r->resp_buf = txt;
        r->resp_len = len;
        r->status = 200;
        snprintf(r->ctype, sizeof(r->ctype), "text/plain; version=0.0.4");
    } else {
        clams__response_t out = {0};
        if (clams__app_rt_get(m->rt, &r->query, &out) == 0 && out.body)
            take_response(r, &out);
        else
            clams__front_text(r, 500, "could not produce the metadata\n");
        clams__response_free(&out);
    }
}

typedef struct {
    void *map;
    size_t len;
} resp_map_t;

static void unmap_answer(void *cls)
{
    resp_map_t *m = cls;
    munmap(m->map, m->len);
    free(m);
}

/* The worker's memfd mapped and handed to MHD as one buffer: it goes out
 * in as few send calls as the socket allows, where an fd response is read
 * back (pread) and sent in small blocks. NULL when it cannot be mapped. */
static struct MHD_Response *mapped_answer(clams__sreq_t *r)
{
    resp_map_t *m = malloc(sizeof(*m));
    if (!m)
        return NULL;
    m->len = r->resp_len;
    m->map = mmap(NULL, m->len, PROT_READ, MAP_SHARED, r->resp_fd, 0);
    if (m->map == MAP_FAILED) {
        free(m);
        return NULL;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls(m->len, m->map, unmap_answer, m);
    if (!resp) {
        unmap_answer(m);
        return NULL;
    }
    close(r->resp_fd);
    r->resp_fd = -1;
    return resp;
}

static enum MHD_Result send_answer(clams__sreq_t *r)
{
    struct MHD_Response *resp = NULL;
    if (r->resp_fd >= 0 && r->resp_len > 0) {
        resp = mapped_answer(r);
        if (!resp) {
            resp = MHD_create_response_from_fd(r->resp_len, r->resp_fd);
            if (resp)
                r->resp_fd = -1; /* MHD closes it */
        }
    } else {
        resp = MHD_create_response_from_buffer(r->resp_len, r->resp_buf ? r->resp_buf : (void *)"",
                                               r->resp_buf ? MHD_RESPMEM_MUST_FREE
                                                           : MHD_RESPMEM_PERSISTENT);
        if (resp)
            r->resp_buf = NULL;
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    if (r->worker > 0) {
        char pid[24];
        snprintf(pid, sizeof(pid), "%d", (int)r->worker);
        MHD_add_response_header(resp, "X-Clams-Worker", pid);
    }
    if (r->allow_get)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (r->retry_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (r->close_conn)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The whole body is in; it moves to a memfd the worker will map. */
static void submit_annotate(clams__master_t *m, clams__http_req_t *hr, clams__sreq_t *r)
{
    if (clams__master_refuse_if_stopping(m, r))
        return; /* before the body is copied into a memfd for nothing */
    r->body_len = hr->body.len;
    if (r->body_len > 0) {
        r->body_fd = clams__memfd_new("clams-req", hr->body.data, hr->body.len);
        if (r->body_fd < 0) {
            int e = errno;
            clams__log(CLAMS_LOG_ERROR, e, "memfd for a request body of %zu bytes", hr->body.len);
            if (e == EFBIG)
                clams__front_text(r, 413,
                                  "the request body is larger than this server may "
                                  "store (its file size limit, ulimit -f)\n");
            else
                clams__front_text(r, 500, "the server could not store the request body\n");
            r->close_conn = true;
            r->phase = CLAMS__REQ_ANSWERED;
            return;
        }
    }
    clams__http_body_free(&hr->body);
    /* The memfd holds the body until the request ends: it stays counted. */
    r->budget = &m->body_budget;
    r->budget->used += r->body_len;
    clams__master_submit(m, r);
}

/* A call for a request that left the receiving phase: parked or answered. */
static enum MHD_Result on_parked(clams__sreq_t *r, struct MHD_Connection *c,
                                 size_t *upload_data_size)
{
    if (r->phase == CLAMS__REQ_ANSWERED)
        return send_answer(r);
    *upload_data_size = 0;
    MHD_suspend_connection(c);
    r->suspended = true;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    clams__master_t *m = cls;
    clams__http_req_t *hr = *con_cls;
    clams__sreq_t *r = hr ? hr->user : NULL;
    (void)version;
    if (r && r->phase != CLAMS__REQ_RECEIVING && !r->by_step)
        return on_parked(r, c, upload_data_size);
    if (!hr && master_path(url)) {
        hr = calloc(1, sizeof(*hr));
        if (!hr)
            return MHD_NO;
        *con_cls = hr;
        hr->user = r = new_req(m, c, NULL, url, method, clams__now());
        if (!r)
            return MHD_NO;
        enum MHD_Result fret;
        int fst = clams__http_framing_check(c, hr, &fret);
        if (fst != 0) {
            r->by_step = true; /* queued by the shared helper */
            return fret;
        }
        route_master(m, r, url);
        if (clams__http_has_body(c))
            r->close_conn = true; /* answered with its body unread */
        return send_answer(r);
    }
    bool first = hr == NULL;
    enum MHD_Result ret = MHD_YES;
    int st = clams__http_step(c, url, method, upload_data, upload_data_size, con_cls, m->http, &hr,
                              &ret);
    if (first && hr) {
        hr->user = r = new_req(m, c, hr, url, method, hr->started);
        if (!r)
            return MHD_NO;
    }
    if (st == CLAMS__HTTP_ANSWERED && r)
        r->by_step = true; /* 404, 405, 413, 414 or 431, queued by the shared helpers */
    if (st != CLAMS__HTTP_READY || !r)
        return ret;
    if (hr->route == CLAMS__ROUTE_ANNOTATE)
        submit_annotate(m, hr, r);
    else
        route_master(m, r, url);
    return on_parked(r, c, upload_data_size);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    clams__master_t *m = cls;
    clams__http_req_t *hr = *con_cls;
    (void)toe;
    clams__hc_request_ends(c);
    if (!hr)
        return;
    *con_cls = NULL;
    clams__sreq_t *r = hr->user;
    if (r && r->by_step) {
        r->status = hr->answered; /* as sent: 404, 405, 413, 414 or 431 */
        r->sent_len = hr->answered_len;
        r->phase = CLAMS__REQ_ANSWERED;
    }
    clams__http_req_free(hr);
    if (!r)
        return;
    if (r->phase == CLAMS__REQ_QUEUED || r->phase == CLAMS__REQ_IN_WORKER) {
        /* Only at daemon stop: the request still belongs to the queue or a
         * worker, which frees it when it is answered. */
        r->conn = NULL;
        return;
    }
    if (r->phase == CLAMS__REQ_ANSWERED) {
        double now = clams__now();
        size_t sent = r->by_step ? r->sent_len : strcmp(r->method, "HEAD") == 0 ? 0 : r->resp_len;
        clams__http_access_log(r->addr, r->method, r->path, r->status, sent, now - r->t0,
                               (long)r->worker);
        clams__stats_request(&m->stats, r->status, now - r->t0);
    }
    m->open_reqs--;
    clams__sreq_free(r);
}

void clams__front_answer(clams__master_t *m, clams__sreq_t *r)
{
    r->phase = CLAMS__REQ_ANSWERED;
    if (!r->conn) {
        m->open_reqs--;
        clams__sreq_free(r);
        return;
    }
    if (r->suspended) {
        r->suspended = false;
        MHD_resume_connection(r->conn);
    }
}

struct MHD_Daemon *clams__front_start(clams__master_t *m, char *why, size_t why_size)
{
    return clams__http_start(m->http, MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO,
                             on_request, m, on_completed, m, clams__hc_notify, m, &m->port, why,
                             why_size);
}
