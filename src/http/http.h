/* This file is private to libclams.
 * The HTTP front on libmicrohttpd: the parts every server of an app shares
 * (routing "/" with 404/405, the 413 body cap, body collection, query
 * collection, sending a clams__response_t) and the development server.
 * The production master builds its access handler from the same pieces:
 *
 *     clams__http_req_t *req; enum MHD_Result ret;
 *     if (clams__http_step(c, url, method, data, size, con_cls, max, &req, &ret)
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

#include "app/options.h"
#include "app/pipeline.h"

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
    bool too_big; /* the cap was passed; later data is dropped */
} clams__http_body_t;

/* Appends (or, once the cap is passed, drops). Returns 0, CLAMS_ETOOBIG
 * (from the call that passes the cap on) or CLAMS_ENOMEM. */
int clams__http_body_feed(clams__http_body_t *b, const char *data, size_t size);
void clams__http_body_free(clams__http_body_t *b);

/* Per-connection state kept in MHD's con_cls. */
typedef struct clams__http_req_s {
    int route;
    bool answered; /* a response (404/405/413) is already queued */
    clams__http_body_t body;
    double started; /* CLOCK_MONOTONIC seconds */
    void *user;     /* for the server using these helpers */
} clams__http_req_t;

enum { CLAMS__HTTP_CONTINUE = 0, CLAMS__HTTP_READY = 1, CLAMS__HTTP_ANSWERED = 2 };

/* What a request may weigh (from --max-body and --max-header-size). */
typedef struct clams__http_limits_s {
    size_t max_body;   /* bytes of body; above: 413 */
    size_t max_header; /* bytes of target + headers; above: 431 */
} clams__http_limits_t;

/* The common part of an access handler. Returns CLAMS__HTTP_READY when the
 * whole request is in (*req_out filled), otherwise *ret is what the handler
 * returns to MHD (more upload wanted, or a 400/404/405/413/431 already queued). */
int clams__http_step(struct MHD_Connection *c, const char *url, const char *method,
                     const char *upload_data, size_t *upload_data_size, void **con_cls,
                     const clams__http_limits_t *lim, clams__http_req_t **req_out,
                     enum MHD_Result *ret);
/* Frees the state clams__http_step allocated (NULL is fine). */
void clams__http_req_free(clams__http_req_t *req);

/* Which route a method and path take. */
int clams__http_route(const char *url, const char *method);

/* Every query argument in order, repeats included ("?a" gives a = ""). */
int clams__http_collect_query(struct MHD_Connection *c, clams__query_t *q);

/* Queues r (taking its body, even on failure) with extra headers given as a
 * NULL-terminated list of name, value pairs (may be NULL). */
enum MHD_Result clams__http_queue(struct MHD_Connection *c, clams__response_t *r,
                                  const char *const *headers);
/* As clams__http_queue, but MHD calls done(done_cls) when it has sent (or
 * dropped) the response and freed its body: lets a server bound how many
 * big bodies are alive at once. */
enum MHD_Result clams__http_queue_tracked(struct MHD_Connection *c, clams__response_t *r,
                                          const char *const *headers,
                                          void (*done)(void *), void *done_cls);
/* Queues {"message": message} as application/json with status. */
enum MHD_Result clams__http_queue_message(struct MHD_Connection *c, int status,
                                          const char *message, const char *const *headers);
/* The 404 / 405 (with Allow) / 413 answers. */
enum MHD_Result clams__http_queue_404(struct MHD_Connection *c);
enum MHD_Result clams__http_queue_405(struct MHD_Connection *c);
enum MHD_Result clams__http_queue_413(struct MHD_Connection *c, size_t max_body);

/* Starts an MHD daemon on opts->host:opts->port with the given handler and
 * completion callback (internal polling thread). NULL on failure (logged). */
struct MHD_Daemon *clams__http_start(const clams__options_t *opts, unsigned int extra_flags,
                                     MHD_AccessHandlerCallback handler, void *handler_cls,
                                     MHD_RequestCompletedCallback completed, void *completed_cls);

/* The development server: one process, annotate in-process, requests served
 * one at a time. Runs until SIGINT/SIGTERM. Returns the exit status. */
int clams__dev_serve(const clams__app_rt_t *rt, const clams__options_t *opts);

#endif
