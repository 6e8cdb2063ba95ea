/* Shared HTTP plumbing on libmicrohttpd: routing, the body cap (answered as
 * soon as Content-Length or the received size passes it), body and query
 * collection, and sending finished responses. Used by the development
 * server and the production master alike. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/internal.h"
#include "http/http.h"

int clams__http_body_feed(clams__http_body_t *b, const char *data, size_t size)
{
    if (b->too_big)
        return 0;
    if (b->max && b->len + size > b->max) {
        b->too_big = true;
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
        return CLAMS_ETOOBIG;
    }
    if (b->len + size + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + size + 1)
            cap *= 2;
        if (b->budget && b->budget->limit && b->budget->used - b->cap + cap > b->budget->limit)
            return CLAMS__HTTP_EBUDGET;
        char *d = realloc(b->data, cap);
        if (!d)
            return CLAMS_ENOMEM;
        if (b->budget)
            b->budget->used += cap - b->cap;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, size);
    b->len += size;
    b->data[b->len] = '\0';
    return 0;
}

void clams__http_body_free(clams__http_body_t *b)
{
    if (b->budget)
        b->budget->used -= b->cap;
    free(b->data);
    clams__http_budget_t *budget = b->budget;
    size_t max = b->max;
    memset(b, 0, sizeof(*b));
    b->budget = budget; /* a request may go on receiving (and be dropped) */
    b->max = max;
}

void clams__http_req_free(clams__http_req_t *req)
{
    if (!req)
        return;
    clams__http_body_free(&req->body);
    clams__query_free(&req->query);
    free(req->query_enc);
    free(req->target);
    free(req);
}

int clams__http_route(const char *url, const char *method)
{
    if (!url || strcmp(url, "/") != 0)
        return CLAMS__ROUTE_NOT_FOUND;
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        return CLAMS__ROUTE_GET;
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 || strcmp(method, MHD_HTTP_METHOD_PUT) == 0)
        return CLAMS__ROUTE_ANNOTATE;
    return CLAMS__ROUTE_BAD_METHOD;
}

typedef struct {
    clams__query_t *q;
    int rc;
} query_acc_t;

static enum MHD_Result query_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    query_acc_t *acc = cls;
    if (key && *key && acc->rc == 0)
        acc->rc = clams__query_add(acc->q, key, value ? value : "");
    return MHD_YES;
}

int clams__http_collect_query(struct MHD_Connection *c, clams__query_t *q)
{
    query_acc_t acc = {q, 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_iter, &acc);
    return acc.rc;
}

/* resp now owns r's body: adds r's content type and the name/value pairs of
 * headers, queues it with r's status, and drops our reference. */
static enum MHD_Result queue_built(struct MHD_Connection *c, struct MHD_Response *resp,
                                   clams__response_t *r, const char *const *headers)
{
    r->body = NULL;
    r->len = 0;
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result clams__http_queue(struct MHD_Connection *c, clams__response_t *r,
                                  const char *const *headers)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"",
                                        r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        clams__response_free(r);
        return MHD_NO;
    }
    return queue_built(c, resp, r, headers); /* MHD frees the body */
}

typedef struct {
    char *body;
    void (*done)(void *);
    void *done_cls;
} tracked_t;

static void tracked_free(void *cls)
{
    tracked_t *t = cls;
    free(t->body);
    if (t->done)
        t->done(t->done_cls);
    free(t);
}

enum MHD_Result clams__http_queue_tracked(struct MHD_Connection *c, clams__response_t *r,
                                          const char *const *headers, void (*done)(void *),
                                          void *done_cls)
{
    tracked_t *t = calloc(1, sizeof(*t));
    struct MHD_Response *resp = NULL;
    if (t) {
        t->body = r->body;
        t->done = done;
        t->done_cls = done_cls;
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            r->len, r->body ? r->body : (void *)"", tracked_free, t);
    }
    if (!resp) {
        free(t);
        clams__response_free(r);
        if (done)
            done(done_cls);
        return MHD_NO;
    }
    return queue_built(c, resp, r, headers);
}

/* What the access log counts as sent for a body of len bytes. */
static size_t body_bytes(const clams__http_req_t *req, size_t len)
{
    return req && req->head ? 0 : len;
}

char *clams__http_message_body(const char *message, size_t *len)
{
    json_t *o = json_pack("{s:s}", "message", message);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    *len = body ? strlen(body) : 0;
    return body;
}

bool clams__http_service_path(const char *url)
{
    return strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0;
}

static int text_answer(clams__response_t *out, int status, const char *text)
{
    out->status = status;
    out->content_type = "text/plain; charset=utf-8";
    out->body = strdup(text);
    out->len = out->body ? strlen(out->body) : 0;
    return out->body ? 0 : CLAMS_ENOMEM;
}

int clams__http_service_answer(const char *url, const char *method,
                               const clams__http_health_t *health, clams__response_t *out,
                               bool *allow_get)
{
    memset(out, 0, sizeof(*out));
    *allow_get = false;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        *allow_get = true;
        out->status = 405;
        out->content_type = "application/json";
        out->body = clams__http_message_body("Method not allowed: this path accepts GET and HEAD.",
                                             &out->len);
        return out->body ? 0 : CLAMS_ENOMEM;
    }
    if (strcmp(url, "/healthz") == 0)
        return health->unhealthy ? text_answer(out, 503, health->unhealthy)
                                 : text_answer(out, 200, "ok\n");
    return health->not_ready ? text_answer(out, 503, health->not_ready)
                             : text_answer(out, 200, "ready\n");
}

enum MHD_Result clams__http_queue_message(struct MHD_Connection *c, clams__http_req_t *req,
                                          int status, const char *message,
                                          const char *const *headers)
{
    clams__response_t r = {.status = status, .content_type = "application/json"};
    r.body = clams__http_message_body(message, &r.len);
    if (req) {
        req->answered = status;
        req->answered_len = body_bytes(req, r.len);
    }
    return clams__http_queue(c, &r, headers);
}

void clams__http_answered(clams__http_req_t *req, int status, size_t len)
{
    req->answered = status;
    req->answered_len = body_bytes(req, len);
}

static const char *const close_hdr[] = {MHD_HTTP_HEADER_CONNECTION, "close", NULL};

bool clams__http_has_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te || (cl && strspn(cl, "0") != strlen(cl));
}

typedef struct {
    int lengths, codings;
    const char *coding;
} framing_t;

static enum MHD_Result framing_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    framing_t *f = cls;
    (void)kind;
    if (key && strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        f->lengths++;
    else if (key && strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->codings++;
        f->coding = value ? value : "";
    }
    return MHD_YES;
}

/* Only "chunked", with spaces around it allowed. */
static bool plain_chunked(const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "chunked", 7) != 0)
        return false;
    for (v += 7; *v == ' ' || *v == '\t'; v++)
        ;
    return *v == '\0';
}

int clams__http_framing_check(struct MHD_Connection *c, clams__http_req_t *req,
                              enum MHD_Result *ret)
{
    framing_t f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, framing_iter, &f);
    const char *msg = NULL;
    int status = 0;
    if (f.codings && f.lengths) {
        status = 400;
        msg = "Both Transfer-Encoding and Content-Length: the body's length is ambiguous "
              "(RFC 9112 section 6.1); the connection is closed.";
    } else if (f.codings > 1 || (f.codings && !plain_chunked(f.coding))) {
        status = 501;
        msg = "Transfer-Encoding not implemented: only \"chunked\" is; the connection is "
              "closed.";
    }
    if (!status)
        return 0;
    *ret = clams__http_queue_message(c, req, status, msg, close_hdr);
    return status;
}

static enum MHD_Result queue_404(struct MHD_Connection *c, clams__http_req_t *req,
                                 const clams__http_config_t *cfg)
{
    /* Answered before the body: say the connection ends, or a pipelined
     * request behind an unread body would be lost without a word. */
    return clams__http_queue_message(
        c, req, 404, cfg->not_found ? cfg->not_found : "Not found: this app serves \"/\".",
        clams__http_has_body(c) ? close_hdr : NULL);
}

static enum MHD_Result queue_405(struct MHD_Connection *c, clams__http_req_t *req)
{
    static const char *const allow[] = {MHD_HTTP_HEADER_ALLOW, CLAMS__HTTP_ALLOW, NULL};
    static const char *const allow_close[] = {MHD_HTTP_HEADER_ALLOW, CLAMS__HTTP_ALLOW,
                                              MHD_HTTP_HEADER_CONNECTION, "close", NULL};
    return clams__http_queue_message(c, req, 405,
                                     "Method not allowed: \"/\" accepts GET, "
                                     "HEAD, POST and PUT.",
                                     clams__http_has_body(c) ? allow_close : allow);
}

static enum MHD_Result queue_413(struct MHD_Connection *c, clams__http_req_t *req, size_t max_body)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "Request body too large: the limit is %zu bytes.", max_body);
    return clams__http_queue_message(c, req, 413, msg, close_hdr);
}

static enum MHD_Result queue_busy(struct MHD_Connection *c, clams__http_req_t *req,
                                  const clams__http_config_t *cfg)
{
    static const char *const busy[] = {MHD_HTTP_HEADER_RETRY_AFTER, "1", MHD_HTTP_HEADER_CONNECTION,
                                       "close", NULL};
    char msg[200];
    snprintf(msg, sizeof(msg),
             "Server busy: the request bodies it holds at once would pass "
             "%zu bytes (--max-body-total); retry later.",
             cfg->max_body_total);
    return clams__http_queue_message(c, req, 503, msg, busy);
}

static enum MHD_Result queue_414(struct MHD_Connection *c, clams__http_req_t *req)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "URI too long: the query string may take %zu bytes.",
             CLAMS__HTTP_QUERY_MAX);
    return clams__http_queue_message(c, req, 414, msg, close_hdr);
}

static bool declared_too_big(struct MHD_Connection *c, size_t max)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl || !max)
        return false;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return end != cl && n > max;
}

/* First call for a connection: allocate, route, and answer what can be
 * answered from the headers alone. */
static enum MHD_Result add_field_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    size_t *n = cls;
    /* "key: value\r\n" or "key=value&": the separators are counted as 4. */
    *n += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* The size of the request line and headers as received, within a few bytes
 * per field (libmicrohttpd keeps the parsed fields, not the raw text). */
static size_t request_head_size(struct MHD_Connection *c, const char *url)
{
    size_t n = strlen(url) + 16;
    MHD_get_connection_values(c, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, add_field_size, &n);
    return n;
}

static int step_first(struct MHD_Connection *c, const char *url, const char *method, void **con_cls,
                      const clams__http_config_t *lim, enum MHD_Result *ret)
{
    clams__http_req_t *req = calloc(1, sizeof(*req));
    if (!req) {
        *ret = MHD_NO;
        return CLAMS__HTTP_ANSWERED;
    }
    *con_cls = req;
    req->started = clams__now();
    req->body.max = lim->max_body;
    req->body.budget = lim->budget;
    req->route = clams__http_route(url, method);
    req->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->target = strdup(url); /* the query joins it once it is collected */
    *ret = MHD_YES;
    if (clams__http_framing_check(c, req, ret) != 0)
        return CLAMS__HTTP_ANSWERED;
    if (req->route == CLAMS__ROUTE_NOT_FOUND || req->route == CLAMS__ROUTE_BAD_METHOD) {
        *ret = req->route == CLAMS__ROUTE_NOT_FOUND ? queue_404(c, req, lim) : queue_405(c, req);
        return CLAMS__HTTP_ANSWERED;
    }
    if (request_head_size(c, url) > lim->max_header) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "Request header fields too large: the target and headers "
                 "may take %zu bytes (--max-header-size).",
                 lim->max_header);
        *ret = clams__http_queue_message(c, req, 431, msg, close_hdr);
        return CLAMS__HTTP_ANSWERED;
    }
    if (clams__http_collect_query(c, &req->query) != 0 ||
        !(req->query_enc = clams__query_encode(&req->query))) {
        *ret = MHD_NO;
        return CLAMS__HTTP_ANSWERED;
    }
    size_t ul = strlen(url), ql = strlen(req->query_enc);
    char *target = ql ? malloc(ul + ql + 2) : NULL;
    if (target) {
        snprintf(target, ul + ql + 2, "%s?%s", url, req->query_enc);
        free(req->target);
        req->target = target;
    }
    if (ql > CLAMS__HTTP_QUERY_MAX) {
        *ret = queue_414(c, req);
        return CLAMS__HTTP_ANSWERED;
    }
    if (declared_too_big(c, lim->max_body)) {
        req->body.too_big = true;
        *ret = queue_413(c, req, lim->max_body);
        return CLAMS__HTTP_ANSWERED;
    }
    return CLAMS__HTTP_CONTINUE;
}

int clams__http_step(struct MHD_Connection *c, const char *url, const char *method,
                     const char *upload_data, size_t *upload_data_size, void **con_cls,
                     const clams__http_config_t *lim, clams__http_req_t **req_out,
                     enum MHD_Result *ret)
{
    clams__http_req_t *req = *con_cls;
    *req_out = req;
    if (!req) {
        int st = step_first(c, url, method, con_cls, lim, ret);
        *req_out = *con_cls;
        return st;
    }
    *ret = MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0; /* consumed, or dropped once answered */
        if (req->answered)
            return CLAMS__HTTP_ANSWERED;
        int rc = clams__http_body_feed(&req->body, upload_data, n);
        if (rc == CLAMS__HTTP_EBUDGET) {
            clams__http_body_free(&req->body);
            req->body.too_big = req->body.over_budget = true; /* the rest is dropped */
            if (queue_busy(c, req, lim) != MHD_YES)
                req->answered = 0; /* answered after the upload */
            return CLAMS__HTTP_CONTINUE;
        }
        if (rc == CLAMS_ETOOBIG) {
            /* Answer now when MHD allows it, else right after the upload. */
            if (queue_413(c, req, lim->max_body) != MHD_YES)
                req->answered = 0; /* not queued after all: answered after the upload */
        } else if (rc != 0) {
            *ret = MHD_NO;
            return CLAMS__HTTP_ANSWERED;
        }
        return CLAMS__HTTP_CONTINUE;
    }
    if (req->answered)
        return CLAMS__HTTP_ANSWERED;
    if (req->body.too_big) {
        *ret = req->body.over_budget ? queue_busy(c, req, lim) : queue_413(c, req, lim->max_body);
        return CLAMS__HTTP_ANSWERED;
    }
    return CLAMS__HTTP_READY;
}

/* The one libmicrohttpd logger of both servers. MHD's messages are about
 * single connections (a malformed request, a client gone mid-answer), so
 * they go out at info; startup failures are reported by the caller. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    clams__log(CLAMS_LOG_INFO, 0, "http: %s", line);
}

const char *clams__http_host_label(const clams__http_config_t *cfg)
{
    return cfg->host && *cfg->host ? cfg->host : "0.0.0.0";
}

/* A bound, listening, non-blocking socket for cfg, or -1 with why filled. */
static int listen_socket(const clams__http_config_t *cfg, int *bound_port, char *why,
                         size_t why_size)
{
    const char *host = clams__http_host_label(cfg);
    char port[16];
    snprintf(port, sizeof(port), "%d", cfg->port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(why, why_size, "cannot resolve --host %s: %s", host,
                 gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if ((cfg->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) ||
            bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(why, why_size, "cannot listen on %s:%d: %s", host, cfg->port,
                 err == EADDRINUSE ? "address already in use" : strerror(err));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (bound_port && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

struct MHD_Daemon *clams__http_start(const clams__http_config_t *cfg, unsigned int flags,
                                     MHD_AccessHandlerCallback handler, void *handler_cls,
                                     MHD_RequestCompletedCallback completed, void *completed_cls,
                                     MHD_NotifyConnectionCallback notify, void *notify_cls,
                                     int *bound_port, char *why, size_t why_size)
{
    int fd = listen_socket(cfg, bound_port, why, why_size);
    if (fd < 0)
        return NULL;
    struct MHD_OptionItem opts[] = {
        /* First, so MHD reports even option errors through our log. */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
        {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, completed_cls},
        {MHD_OPTION_CONNECTION_TIMEOUT, clams__http_client_timeout_s(cfg), NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)clams__http_conn_memory(cfg), NULL},
        {MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL},
        {notify ? MHD_OPTION_NOTIFY_CONNECTION : MHD_OPTION_END, (intptr_t)notify, notify_cls},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(flags | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler,
                                            handler_cls, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d) {
        close(fd);
        snprintf(why, why_size, "cannot start the HTTP server on %s:%d",
                 clams__http_host_label(cfg), cfg->port);
    }
    return d;
}
