/* This file is private to libclams.
 * HTTP plumbing on libmicrohttpd that both servers of an app use (the
 * development server in src/serve, the production master in src/sup): the
 * listening socket and daemon start, the one libmicrohttpd logger, routing
 * "/" with 404/405, the 413/414/431 limits, body and query collection, and
 * sending a clams__response_t. It knows requests and responses (it takes
 * clams__response_t and clams__query_t from app/pipeline.h, the one place
 * they are declared), never how a response is made nor the worker pool. An access handler is built as:
 *
 *     clams__http_req_t *req; enum MHD_Result ret;
 *     if (clams__http_step(c, url, method, data, size, con_cls, cfg, &req, &ret)
 *             != CLAMS__HTTP_READY)
 *         return ret;                  // still uploading, or already answered
 *     ... req->route is CLAMS__ROUTE_GET or CLAMS__ROUTE_ANNOTATE,
 *     ... req->body.data/len hold the whole body
 *     return clams__http_queue(c, &response, extra_headers);
 *
 * and frees the state in its MHD_OPTION_NOTIFY_COMPLETED callback with
 * clams__http_req_free(*con_cls). */
#ifndef CLAMS_HTTP_H
#define CLAMS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "app/pipeline.h"

/* The bytes of request bodies a server holds at once, all requests
 * together (--max-body-total): uploads are buffered before a worker runs,
 * so without a bound, many clients each sending a large body (and keeping
 * its last bytes back) could take the server's memory. One per server; used
 * by one thread (the dev server's MHD thread, or the master's loop). */
typedef struct clams__http_budget_s {
    size_t limit; /* 0 = no limit */
    size_t used;
} clams__http_budget_t;

/* Where and how a server listens, and what a request may weigh: the flags
 * --host, --port, --max-body, --max-header-size, --client-timeout,
 * --max-connections and --reuse-port (src/serve/options.c fills it). */
typedef struct clams__http_config_s {
    const char *host;             /* name or address; NULL = all interfaces (0.0.0.0) */
    int port;                     /* 0 = any free port */
    size_t max_body;              /* bytes of body; above: 413 */
    size_t max_header;            /* bytes of request line + headers; above: 431 */
    double client_timeout;        /* idle seconds before a client is dropped; 0 = never */
    int max_connections;          /* open client connections */
    bool reuse_port;              /* SO_REUSEPORT: several servers share the port on purpose */
    const char *not_found;        /* the 404 message (the paths this server serves); NULL: "/" */
    size_t max_body_total;        /* --max-body-total: bytes of bodies held at once; 0 = no limit */
    clams__http_budget_t *budget; /* the server's own count against max_body_total */
} clams__http_config_t;

/* libmicrohttpd's per-connection memory pool for a config: the request line
 * and headers must fit in it, with one record (~50 bytes) per header and per
 * query argument ("a&b&c..." is 2 bytes an argument), next to a read buffer
 * for the body. Pages are touched only as they are used. */
#define CLAMS__HTTP_READ_BUFFER      ((size_t)32 << 10)
#define clams__http_conn_memory(cfg) ((cfg)->max_header * 4 + CLAMS__HTTP_READ_BUFFER)
/* The idle timeout in whole seconds, as libmicrohttpd takes it. */
#define clams__http_client_timeout_s(cfg) ((unsigned int)((cfg)->client_timeout + 0.999))

/* The longest query string (encoded as clams__query_encode writes it) a
 * request may carry: it travels to a production worker in one IPC message.
 * Longer ones are answered 414 by both servers, never cut. */
#define CLAMS__HTTP_QUERY_MAX ((size_t)60 << 10)

enum {
    CLAMS__ROUTE_GET = 1,  /* GET or HEAD / */
    CLAMS__ROUTE_ANNOTATE, /* POST or PUT / */
    CLAMS__ROUTE_NOT_FOUND,
    CLAMS__ROUTE_BAD_METHOD
};

/* The methods "/" accepts, for the Allow header of a 405. */
#define CLAMS__HTTP_ALLOW "GET, HEAD, POST, PUT"

/* A request body collected up to a cap. */
typedef struct clams__http_body_s {
    char *data; /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    size_t max;
    bool too_big;                 /* the cap was passed; later data is dropped */
    bool over_budget;             /* dropped for the server's total, not this body's size */
    clams__http_budget_t *budget; /* where cap is counted (may be NULL) */
} clams__http_body_t;

#define CLAMS__HTTP_EBUDGET (-100) /* body_feed: the server's total would pass its limit */

/* Appends (or, once the cap is passed, drops). Returns 0, CLAMS_ETOOBIG
 * (from the call that passes the cap on), CLAMS__HTTP_EBUDGET (the buffer
 * would take the budget past its limit; nothing is added) or CLAMS_ENOMEM. */
int clams__http_body_feed(clams__http_body_t *b, const char *data, size_t size);
void clams__http_body_free(clams__http_body_t *b);

/* Per-connection state kept in MHD's con_cls. */
typedef struct clams__http_req_s {
    int route;
    int answered;        /* the status of a response already queued (404, 405, 413, 414,
                   * 431), or of one the server queued itself; 0 = none yet */
    size_t answered_len; /* its body bytes as sent (0 for HEAD) */
    bool head;           /* a HEAD request: no body goes out */
    char method[16];     /* for the access log */
    char *target;        /* path?query as the access log shows it (encoded query) */
    clams__http_body_t body;
    clams__query_t query; /* every query argument, collected with the headers */
    char *query_enc;      /* the same, encoded (clams__query_encode) */
    double started;       /* clams__now() at the first call */
    void *user;           /* for the server using these helpers */
} clams__http_req_t;

enum { CLAMS__HTTP_CONTINUE = 0, CLAMS__HTTP_READY = 1, CLAMS__HTTP_ANSWERED = 2 };
/* clams__http_req_t.answered for a request the server took over after
 * CLAMS__HTTP_READY (its own answer is on the way). */
#define CLAMS__HTTP_BY_SERVER 1

/* The common part of an access handler. Returns CLAMS__HTTP_READY when the
 * whole request is in (*req_out filled), otherwise *ret is what the handler
 * returns to MHD (more upload wanted, or a 404/405/413/414/431 already queued). */
int clams__http_step(struct MHD_Connection *c, const char *url, const char *method,
                     const char *upload_data, size_t *upload_data_size, void **con_cls,
                     const clams__http_config_t *cfg, clams__http_req_t **req_out,
                     enum MHD_Result *ret);
/* Frees the state clams__http_step allocated (NULL is fine). */
void clams__http_req_free(clams__http_req_t *req);

/* Which route a method and path take. */
int clams__http_route(const char *url, const char *method);

/* Every query argument in order, repeats included ("?a" gives a = ""). */
int clams__http_collect_query(struct MHD_Connection *c, clams__query_t *q);

/* A JSON message body, {"message": "..."}, as every error this layer
 * answers carries it (new string, free()); NULL on allocation failure. */
char *clams__http_message_body(const char *message, size_t *len);

/* The service paths both servers answer without the app: /healthz and
 * /readyz (the production master also has /metrics, answered by itself). */
bool clams__http_service_path(const char *url);

/* What a server says of itself on those paths. */
typedef struct clams__http_health_s {
    const char *unhealthy; /* NULL: live (/healthz 200); else the 503 text */
    const char *not_ready; /* NULL: ready (/readyz 200); else the 503 text */
} clams__http_health_t;

/* The answer to `method` on service path `url`: 405 with a JSON message for
 * anything but GET and HEAD (*allow_get set: send "Allow: GET, HEAD"), else
 * 200 "ok" / "ready" or 503 with the reason, as text. Fills out (body new).
 * Returns 0 or CLAMS_ENOMEM. One function, so that both servers answer
 * these paths alike. */
int clams__http_service_answer(const char *url, const char *method,
                               const clams__http_health_t *health, clams__response_t *out,
                               bool *allow_get);

/* Queues r (taking its body, even on failure) with extra headers given as a
 * NULL-terminated list of name, value pairs (may be NULL). */
enum MHD_Result clams__http_queue(struct MHD_Connection *c, clams__response_t *r,
                                  const char *const *headers);
/* As clams__http_queue, but MHD calls done(done_cls) when it has sent (or
 * dropped) the response and freed its body: lets a server bound how many
 * big bodies are alive at once. */
enum MHD_Result clams__http_queue_tracked(struct MHD_Connection *c, clams__response_t *r,
                                          const char *const *headers, void (*done)(void *),
                                          void *done_cls);
/* Queues {"message": message} as application/json with status, and
 * records the answer in req (may be NULL) for the access log. */
enum MHD_Result clams__http_queue_message(struct MHD_Connection *c, clams__http_req_t *req,
                                          int status, const char *message,
                                          const char *const *headers);
/* Request smuggling shapes, checked before anything else of a request (the
 * access handler's first call, before the body is read): Transfer-Encoding
 * with Content-Length is a 400, a coding other than plain "chunked" a 501;
 * both close the connection, so nothing pipelined behind is served. Returns
 * 0 when the framing is sound, else the status queued (*ret set, req
 * recorded). */
int clams__http_framing_check(struct MHD_Connection *c, clams__http_req_t *req,
                              enum MHD_Result *ret);

/* Whether the request announces a body (Content-Length above 0, or a
 * Transfer-Encoding): an answer sent before reading it must close the
 * connection (Connection: close), the rest of the body being unread. */
bool clams__http_has_body(struct MHD_Connection *c);

/* Records an answer the server queued itself: its status and body bytes
 * (0 for HEAD, whose body is never sent), for the access log. */
void clams__http_answered(clams__http_req_t *req, int status, size_t len);

/* Starts a libmicrohttpd daemon on its own listening socket for cfg.
 * cfg->host is resolved with getaddrinfo (names, IPv4 and IPv6 alike);
 * SO_REUSEADDR is set, SO_REUSEPORT only with cfg->reuse_port, so a port in
 * use is an error ("address already in use") instead of a shared port.
 * flags: the threading model (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL
 * for the development server, MHD_USE_EPOLL for the master) and extras;
 * error logging and IPv6 are added here. notify may be NULL. *bound_port
 * (may be NULL) gets the port actually bound (cfg->port 0 picks one).
 * Returns the daemon, or NULL with the reason in why. */
struct MHD_Daemon *clams__http_start(const clams__http_config_t *cfg, unsigned int flags,
                                     MHD_AccessHandlerCallback handler, void *handler_cls,
                                     MHD_RequestCompletedCallback completed, void *completed_cls,
                                     MHD_NotifyConnectionCallback notify, void *notify_cls,
                                     int *bound_port, char *why, size_t why_size);

/* access_log.c: one access-log line on stdout (see there for the format).
 * worker: the pid that answered, 0 for the server itself. */
void clams__http_access_log(const char *addr, const char *method, const char *target, int status,
                            size_t bytes, double seconds, long worker);
/* The client's numeric address ("" when unknown). */
void clams__http_client_addr(struct MHD_Connection *c, char *buf, size_t size);

/* The address to print for cfg ("0.0.0.0" when cfg->host is NULL). */
const char *clams__http_host_label(const clams__http_config_t *cfg);

#endif
