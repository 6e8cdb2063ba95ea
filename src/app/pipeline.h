/* This file is private to libclams.
 * The app runtime: resolved metadata and the annotate pipeline, shared by the
 * development server (in-process), the production workers and the file mode.
 * Nothing here touches sockets: a request is (query parameters, body) in and
 * a response (status, content type, body) out. */
#ifndef CLAMS_APP_PIPELINE_H
#define CLAMS_APP_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "clams/app.h"

/* Query-string parameters in arrival order; keys may repeat. */
typedef struct clams__qparam_s {
    char *key;
    char *value;
} clams__qparam_t;

typedef struct clams__query_s {
    clams__qparam_t *items;
    size_t count;
    size_t cap;
} clams__query_t;

/* Copies key and value. Returns 0 or CLAMS_ENOMEM. */
int clams__query_add(clams__query_t *q, const char *key, const char *value);
/* Parses "a=1&b=x%20y&a=2" (URL-decoded, '+' is a space) and appends. */
int clams__query_parse(clams__query_t *q, const char *raw);
/* Encodes back to "a=1&b=x%20y" (new string, free()). */
char *clams__query_encode(const clams__query_t *q);
void clams__query_free(clams__query_t *q);

/* A finished response. body is malloc'd (free with clams__response_free).
 * gpu_peak belongs to this request only: the highest GPU memory the process
 * held while annotate ran (bytes, any GPU), measured when the request asked
 * for hwFetch; 0 when it was not measured. */
typedef struct clams__response_s {
    int status;
    const char *content_type; /* static string */
    char *body;
    size_t len;
    unsigned long long gpu_peak;
} clams__response_t;

void clams__response_free(clams__response_t *r);

/* The app at runtime: validated metadata (universal parameters appended,
 * identifier and version resolved, gpu fields corrected) as JSON, the merged
 * parameter specs. Built once per process before serving. */
typedef struct clams__app_rt_s clams__app_rt_t;

/* Validates the declaration (duplicate parameter names, missing annotate, bad
 * types: CLAMS_EMETADATA with a clear message). Logs the typ<min correction.
 * Ownership: new (clams__app_rt_free). */
clams__app_rt_t *clams__app_rt_new(const clams_app_t *app, clams_error_t *err);
/* As clams__app_rt_new for an app built with the struct sizes in `abi`
 * (NULL: this library's); the runtime reads a copy in the current layout
 * (app/abi.h), so clams__app_rt_app returns that copy, not `app`. */
clams__app_rt_t *clams__app_rt_new_abi(const clams_app_t *app, const clams_abi_t *abi,
                                       clams_error_t *err);
void clams__app_rt_free(clams__app_rt_t *rt);
const clams_app_t *clams__app_rt_app(const clams__app_rt_t *rt);
/* The metadata as served by GET / (borrowed). */
const json_t *clams__app_rt_metadata(const clams__app_rt_t *rt);
/* est_gpu_mem_min / typ after correction (MB). */
int clams__app_rt_gpu_min(const clams__app_rt_t *rt);
int clams__app_rt_gpu_typ(const clams__app_rt_t *rt);

/* GET /: the metadata, pretty when the query says pretty=true. */
int clams__app_rt_get(const clams__app_rt_t *rt, const clams__query_t *q, clams__response_t *out);

/* POST/PUT /: runs the whole pipeline (envelope, parse, validate, refine,
 * annotate, sign, warnings, profiling, check, dump) and always fills `out`
 * with the HTTP answer (200, 400 text/plain or error view, 500 error view).
 * Returns 0 when out is filled, CLAMS_ENOMEM when even that failed. */
int clams__app_rt_annotate(const clams__app_rt_t *rt, const clams__query_t *q, const char *body,
                           size_t len, clams__response_t *out);

/* ---- Hosted apps ------------------------------------------------------------
 * An app whose annotate is not a C callback (a clams-python app hosted by
 * src/host) is one more app runtime behind the same servers: it brings its
 * metadata as JSON and these operations, and the dev server, the production
 * workers and the file mode call clams__app_rt_annotate as for a C app. The
 * C side still refuses invalid input (400) before the app sees it, and adds
 * the server's own hwFetch figures to the views the app wrote. */
typedef struct clams__app_ops_s {
    /* POST/PUT of a body that is valid MMIF (or a valid envelope), with the
     * query as received. Fills out (status, content type, malloc'd body).
     * Returns 0, or CLAMS_ENOMEM when not even an answer could be made. */
    int (*annotate)(void *ctx, const clams__query_t *q, const char *body, size_t len,
                    clams__response_t *out);
    /* The production server's template process (sup/template.c), optional:
     * template_init runs once in a child of the master and loads what every
     * worker shares (never a GPU context); workers are then forked from it
     * with template_fork (fork with the runtime's own fork-safety around it;
     * returns what fork returns). NULL: workers are forked from the master. */
    int (*template_init)(void *ctx, clams_error_t *err);
    pid_t (*template_fork)(void *ctx);
    /* Optional: true when every new worker warms up (loads its model) before
     * it says READY. A GPU app's standby then holds a loaded model, worth
     * its VRAM: the master keeps standbys for it (sup/standby.c) instead of
     * only overlapping a replacement with the exit. */
    bool (*warms_up)(void *ctx);
    void (*free)(void *ctx);
} clams__app_ops_t;

/* A hosted app's runtime. metadata: the app's metadata as GET / serves it
 * (identifier, est_gpu_mem_* read from it); app: a shell carrying the name,
 * the worker hooks and production defaults (never its annotate); ops and
 * ctx: see above (ops->free(ctx) runs in clams__app_rt_free, also when this
 * fails). Ownership: new (clams__app_rt_free); takes a reference to metadata. */
clams__app_rt_t *clams__app_rt_new_hosted(const clams_app_t *app, json_t *metadata,
                                          const clams__app_ops_t *ops, void *ctx,
                                          clams_error_t *err);
/* The ops of a hosted app (NULL for a C app) and their ctx. */
const clams__app_ops_t *clams__app_rt_ops(const clams__app_rt_t *rt);
void *clams__app_rt_ops_ctx(const clams__app_rt_t *rt);

/* Builds the 500 error-view answer for a request whose worker died or timed
 * out: the input is re-read from body (when it parses), a new view is added
 * with metadata.error.message = message. When the body is not valid MMIF, a
 * text/plain 500 with the message. Used by the production master. */
int clams__app_rt_error_response(const clams__app_rt_t *rt, const clams__query_t *q,
                                 const char *body, size_t len, const char *message,
                                 clams__response_t *out);

#endif
