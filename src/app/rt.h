/* This file is private to libclams.
 * The inside of clams__app_rt_t and of the annotate context, shared by the
 * metadata resolver (metadata.c), the pipeline (pipeline.c) and the
 * annotate-time API (annotate_ctx.c). */
#ifndef CLAMS_APP_RT_H
#define CLAMS_APP_RT_H

#include <stdbool.h>

#include <jansson.h>

#include "app/params.h"
#include "app/pipeline.h"
#include "app/hwfetch.h"

struct clams__app_rt_s {
    const clams_app_t *app; /* the declaration in this library's layout (owned) */
    clams__pspecs_t specs;
    json_t *metadata; /* as served by GET / */
    char *identifier; /* resolved, with the version */
    json_t *app_tags; /* array of strings, or NULL when the app has none */
    int gpu_min, gpu_typ;
    const clams__app_ops_t *ops; /* a hosted app (NULL: the C callback) */
    void *ops_ctx;
};

/* pipeline.c hands a hosted app's request to hosted.c once the input is
 * known to be valid: mmif is the parsed input, merged the query with the
 * envelope's parameters. */
/* The server's location policy for a hosted app, which reads its files by
 * itself: every document location (top level and inside views) that names
 * a file is checked against the media roots before the app sees the
 * request. 0, CLAMS_EACCESS with the reason in msg, or CLAMS_ENOMEM. */
int clams__hosted_gate(const clams_mmif_t *mmif, char *msg, size_t size);
int clams__hosted_annotate(const clams__app_rt_t *rt, const clams_mmif_t *mmif,
                           const clams__query_t *merged, const clams__query_t *q, const char *body,
                           size_t len, clams__response_t *out);

struct clams_annotate_ctx_s {
    const clams__app_rt_t *rt;
    json_t *raw_params; /* `parameters` (NULL when nothing was passed) */
    json_t *config;     /* appConfiguration */
    json_t *warnings;   /* array of strings */
    int fail_status;    /* 0 until annotate fails; then 500, or 400 (clams_annotate_reject) */
    char *fail_message;
    char *fail_trace;
    clams__hwprof_t *prof;
    unsigned long long gpu_peak; /* this request's GPU peak (hwFetch), 0 = not measured */
};

/* Signs a view: app, parameters, appConfiguration (when config is not NULL)
 * and appTags. Returns 0 or a negative code. */
int clams__sign_view(const clams__app_rt_t *rt, clams_view_t *view, json_t *raw_params,
                     json_t *config);

/* Current local time as ISO 8601 with microseconds (buf >= 32 bytes). */
void clams__iso_now(char *buf, size_t size);
/* Python's str(timedelta) of a duration in microseconds: "0:00:01.500000". */
void clams__timedelta_str(long long usec, char *buf, size_t size);

#endif
