/* The annotate pipeline: envelope, parse and validate the input, refine the
 * parameters, run the app, sign and stamp the new views, add the warnings
 * view, check the new views and dump. Every outcome is an HTTP answer:
 * 200 MMIF, 400 text/plain (bad input) or error view (bad parameter),
 * 500 error view (the app failed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/rt.h"
#include "common/internal.h"

static const char INVALID_INPUT[] = "Invalid input data. See below for validation error.\n\n";

/* The input of one request after the envelope is unwrapped. */
typedef struct {
    clams_mmif_t *mmif;
    clams__query_t query; /* query merged with the envelope's parameters */
    char detail[CLAMS_ERROR_TEXT_LEN + CLAMS_ERROR_PATH_LEN + 96];
} input_t;

static void input_free(input_t *in)
{
    clams_mmif_free(in->mmif);
    in->mmif = NULL;
    clams__query_free(&in->query);
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int copy_query(const clams__query_t *q, clams__query_t *out)
{
    for (size_t i = 0; i < q->count; i++)
        if (clams__query_add(out, q->items[i].key, q->items[i].value) != 0)
            return CLAMS_ENOMEM;
    return 0;
}

/* Splits an envelope into its MMIF JSON (new reference) and merged query. */
static json_t *unwrap_envelope(json_t *root, const clams__query_t *q, input_t *in)
{
    json_t *params = json_object_get(root, "parameters");
    if (!json_is_object(params)) {
        snprintf(in->detail, sizeof(in->detail),
                 "Envelope error: \"parameters\" must be a JSON object, not %s",
                 json_type_name(params));
        return NULL;
    }
    json_t *mmif = json_object_get(root, "mmif");
    if (!mmif) {
        snprintf(in->detail, sizeof(in->detail),
                 "Envelope error: the required \"mmif\" key is missing");
        return NULL;
    }
    if (clams__params_merge_envelope(params, q, &in->query) != 0) {
        snprintf(in->detail, sizeof(in->detail), "out of memory");
        return NULL;
    }
    if (!json_is_string(mmif))
        return json_incref(mmif);
    json_error_t jerr = {0}; /* jansson leaves the error code byte unset on some paths */
    const char *text = json_string_value(mmif);
    json_t *inner = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!inner && clams__json_failed_for_memory(&jerr, text, strlen(text)))
        snprintf(in->detail, sizeof(in->detail), "out of memory");
    else if (!inner)
        snprintf(in->detail, sizeof(in->detail),
                 "Envelope error: \"mmif\" is not JSON: %s: line %d column %d (char %d)", jerr.text,
                 jerr.line, jerr.column, jerr.position);
    return inner;
}

/* Fills in; returns 0, or CLAMS_ESYNTAX/ESCHEMA/EENVELOPE with in->detail,
 * or CLAMS_ENOMEM (the server's trouble, not the client's). */
static int load_input(const char *body, size_t len, const clams__query_t *q, input_t *in)
{
    memset(in, 0, sizeof(*in));
    json_error_t jerr = {0}; /* jansson leaves the error code byte unset on some paths */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root && clams__json_failed_for_memory(&jerr, body, len))
        return CLAMS_ENOMEM;
    if (!root) {
        snprintf(in->detail, sizeof(in->detail), "%s: line %d column %d (char %d)", jerr.text,
                 jerr.line, jerr.column, jerr.position);
        return CLAMS_ESYNTAX;
    }
    json_t *doc = root;
    if (json_is_object(root) && json_object_get(root, "parameters")) {
        doc = unwrap_envelope(root, q, in);
        json_decref(root);
        if (!doc)
            return strcmp(in->detail, "out of memory") == 0 ? CLAMS_ENOMEM : CLAMS_EENVELOPE;
    } else if (copy_query(q, &in->query) != 0) {
        json_decref(root);
        snprintf(in->detail, sizeof(in->detail), "out of memory");
        return CLAMS_ENOMEM;
    }
    clams_error_t err = {0};
    in->mmif = clams_mmif_from_json_new(doc, &err);
    if (!in->mmif) {
        if (err.path[0])
            snprintf(in->detail, sizeof(in->detail), "%s (at %s%s%s)", err.text, err.path,
                     err.rule[0] ? ", rule " : "", err.rule);
        else
            snprintf(in->detail, sizeof(in->detail), "%s",
                     err.text[0] ? err.text : clams_strerror(err.code));
        return err.code ? err.code : CLAMS_ESCHEMA;
    }
    return 0;
}

static int text_response(clams__response_t *out, int status, const char *prefix, const char *detail)
{
    out->status = status;
    out->content_type = "text/plain; charset=utf-8";
    if (asprintf(&out->body, "%s%s", prefix, detail) < 0) {
        out->body = NULL;
        return CLAMS_ENOMEM;
    }
    out->len = strlen(out->body);
    return 0;
}

/* Key order of clams-python's view metadata, so outputs read alike. */
/* clams-python's key order in a view's metadata. */
static const char *const metadata_order[] = {
    "appProfiling",     "timestamp", "app",   "contains", "parameters",
    "appConfiguration", "appTags",   "error", "warnings", NULL};

/* Adds an error view to in->mmif and dumps it (pretty) as the answer. */
static int error_view_response(const clams__app_rt_t *rt, input_t *in, int status,
                               const char *message, const char *trace, clams__response_t *out)
{
    const clams__pspecs_t *specs = &rt->specs;
    clams_view_t *v = clams_mmif_add_view(in->mmif);
    json_t *raw = clams__params_raw(specs, &in->query);
    char ts[40];
    clams__iso_now(ts, sizeof(ts));
    int rc =
        !v || (!raw && in->query.count > 0) ? CLAMS_ENOMEM : clams__sign_view(rt, v, raw, NULL);
    json_decref(raw);
    /* Messages are cut to fixed buffers and may quote client bytes: a cut can
     * split a UTF-8 sequence, which JSON cannot hold, so both are made valid. */
    char *msg = clams__utf8_sanitize_dup(message && *message ? message : "unknown error");
    char *tr = trace ? clams__utf8_sanitize_dup(trace) : NULL;
    if (rc == 0)
        rc = !msg || (trace && !tr) ? CLAMS_ENOMEM : clams_view_set_error(v, msg, tr);
    free(msg);
    free(tr);
    if (rc == 0 && json_object_set_new(clams_view_metadata(v), "timestamp", json_string(ts)))
        rc = CLAMS_ENOMEM;
    if (rc == 0)
        rc = clams_view_reorder_metadata(v, metadata_order);
    out->status = status;
    out->content_type = "application/json";
    out->body = rc == 0 ? clams_mmif_dumps(in->mmif, CLAMS_DUMP_PRETTY, &out->len) : NULL;
    if (out->body)
        return 0;
    return text_response(out, status, "", message ? message : "error");
}

/* Stamps every view created in this request; 0 or CLAMS_ENOMEM. */
static int stamp_new_views(clams_mmif_t *mmif, size_t first, const char *ts, json_t *profiling)
{
    size_t n = clams_mmif_view_count(mmif);
    int rc = 0;
    for (size_t i = first; rc == 0 && i < n; i++) {
        clams_view_t *v = clams_mmif_view_at(mmif, i);
        if (!v || !clams_view_is_new(v))
            continue;
        json_t *md = clams_view_metadata(v);
        int bad = json_object_set_new(md, "timestamp", json_string(ts));
        if (profiling && !json_object_get(md, "error"))
            bad |= json_object_set(md, "appProfiling", profiling);
        rc = bad ? CLAMS_ENOMEM : clams_view_reorder_metadata(v, metadata_order);
    }
    return rc;
}

/* Validates the metadata of the new views (annotations built through the
 * API are valid by construction, loaded ones were validated on input). */
static int check_new_views(clams_mmif_t *mmif, size_t first, char *msg, size_t size)
{
    json_t *views = json_array();
    int bad = !views;
    size_t n = clams_mmif_view_count(mmif);
    for (size_t i = first; !bad && i < n; i++) {
        clams_view_t *v = clams_mmif_view_at(mmif, i);
        json_t *jv = json_object();
        bad |= json_object_set_new(jv, "id", json_string(clams_view_id(v)));
        bad |= json_object_set(jv, "metadata", clams_view_metadata(v));
        bad |= json_object_set_new(jv, "annotations", json_array());
        bad |= json_array_append_new(views, jv);
    }
    json_t *doc = bad ? NULL
                      : json_pack("{s:{s:s},s:[],s:o}", "metadata", "mmif",
                                  "http://mmif.clams.ai/" CLAMS_MMIF_SPEC_VERSION, "documents",
                                  "views", views);
    if (bad)
        json_decref(views);
    clams_error_t err = {0};
    int rc = doc ? clams_mmif_validate_json(doc, &err) : CLAMS_ENOMEM;
    if (rc == CLAMS_ENOMEM)
        snprintf(msg, size, "out of memory while checking the new views");
    else if (rc != 0)
        snprintf(msg, size,
                 "The app produced a view that does not follow the MMIF schema: "
                 "%s (at %s)",
                 err.text, err.path);
    json_decref(doc);
    return rc;
}

static long long now_usec(void)
{
    return (long long)(clams__now() * 1e6);
}

/* Warnings view: undefined parameters first, then the app's warnings. */
static int add_warnings_view(clams_annotate_ctx_t *ctx, input_t *in)
{
    json_t *all = json_array();
    if (!all || clams__params_undefined_warnings(&ctx->rt->specs, &in->query, all) != 0 ||
        json_array_extend(all, ctx->warnings) != 0) {
        json_decref(all);
        return CLAMS_ENOMEM;
    }
    int rc = 0;
    if (json_array_size(all) > 0) {
        clams_view_t *v = clams_annotate_add_view(ctx, in->mmif);
        size_t i;
        json_t *w;
        rc = v ? 0 : CLAMS_ENOMEM;
        json_array_foreach (all, i, w)
            if (rc == 0)
                rc = clams_view_add_warning(v, json_string_value(w));
    }
    json_decref(all);
    return rc;
}

static void ctx_free(clams_annotate_ctx_t *ctx)
{
    json_decref(ctx->raw_params);
    json_decref(ctx->config);
    json_decref(ctx->warnings);
    free(ctx->fail_message);
    free(ctx->fail_trace);
}

/* The app failed: its partial output is dropped and the input re-read, so
 * the error lands in a new view of the original document. */
static int app_failure(const clams__app_rt_t *rt, const clams__query_t *q, const char *body,
                       size_t len, input_t *in, int status, const char *message, const char *trace,
                       clams__response_t *out)
{
    input_free(in);
    if (load_input(body, len, q, in) != 0)
        return text_response(out, 500, "", message);
    int rc = error_view_response(rt, in, status, message, trace, out);
    input_free(in);
    return rc;
}

/* Runs annotate and finishes the document; 0, or the failure message. */
static int run_app(clams_annotate_ctx_t *ctx, input_t *in, bool hw, bool timing, char *msg,
                   size_t size)
{
    const clams_app_t *app = ctx->rt->app;
    size_t first = clams_mmif_view_count(in->mmif);
    clams_params_t params = {.config = ctx->config};
    ctx->prof = clams__hwprof_begin(hw);
    long long t0 = now_usec();
    /* What the SDK adds by default follows the MMIF version the app declares;
     * a version whose vocabulary clams-c does not know keeps the document's. */
    const char *declared = json_string_value(json_object_get(ctx->rt->metadata, "mmif_version"));
    if (clams_mmif_set_vocabulary(in->mmif, declared) != 0)
        clams__log(CLAMS_LOG_DEBUG, 0, "no vocabulary known for mmif_version %s", declared);
    clams__request_begin();
    int rc = app->annotate(ctx, in->mmif, &params);
    long long elapsed = now_usec() - t0;
    json_t *hardware = clams__hwprof_end(ctx->prof, &ctx->gpu_peak);
    ctx->prof = NULL;
    if (rc != 0 || ctx->fail_status) {
        json_decref(hardware);
        snprintf(msg, size, "%s",
                 ctx->fail_message ? ctx->fail_message
                                   : "annotate returned an error without a message");
        return rc ? rc : CLAMS_EAPP;
    }
    rc = add_warnings_view(ctx, in);
    if (rc != 0) {
        json_decref(hardware);
        snprintf(msg, size, "out of memory while adding the warnings view");
        return rc;
    }
    /* appProfiling is whole or the request fails: never silently without
     * the runningTime or the hardware it asked for. */
    json_t *prof = (timing || hw) ? json_object() : NULL;
    int bad = (timing || hw) && !prof;
    if (prof && timing) {
        char td[48];
        clams__timedelta_str(elapsed, td, sizeof(td));
        bad |= json_object_set_new(prof, "runningTime", json_string(td));
    }
    if (prof && hw)
        bad |= json_object_set_new(prof, "hardware", hardware); /* NULL: it ran out */
    else
        json_decref(hardware);
    char ts[40];
    clams__iso_now(ts, sizeof(ts));
    rc = bad ? CLAMS_ENOMEM : stamp_new_views(in->mmif, first, ts, prof);
    json_decref(prof);
    if (rc != 0) {
        snprintf(msg, size, "out of memory while stamping the new views");
        return rc;
    }
    return check_new_views(in->mmif, first, msg, size);
}

int clams__app_rt_annotate(const clams__app_rt_t *rt, const clams__query_t *q, const char *body,
                           size_t len, clams__response_t *out)
{
    memset(out, 0, sizeof(*out));
    input_t in;
    int lrc = load_input(body, len, q, &in);
    if (lrc == CLAMS_ENOMEM) {
        input_free(&in);
        return CLAMS_ENOMEM;
    }
    if (lrc != 0) {
        int rc = text_response(out, 400, INVALID_INPUT, in.detail);
        input_free(&in);
        return rc;
    }
    if (rt->ops) { /* a hosted app refines its parameters itself */
        char why[CLAMS_ERROR_TEXT_LEN + 300];
        int grc = clams__hosted_gate(in.mmif, why, sizeof(why));
        if (grc == CLAMS_ENOMEM) {
            input_free(&in);
            return CLAMS_ENOMEM;
        }
        if (grc != 0) /* refused before the app could read it: 403, as for C apps */
            return app_failure(rt, q, body, len, &in, 403, why, NULL, out);
        int rc = clams__hosted_annotate(rt, in.mmif, &in.query, q, body, len, out);
        input_free(&in);
        return rc;
    }
    clams_error_t perr = {0};
    json_t *config = clams__params_refine(&rt->specs, &in.query, &perr);
    if (!config && perr.code == CLAMS_ENOMEM) {
        input_free(&in);
        return CLAMS_ENOMEM;
    }
    if (!config) {
        /* No native frames are of use here: say which check refused what. */
        char trace[CLAMS_ERROR_PATH_LEN + CLAMS_ERROR_RULE_LEN + 64];
        snprintf(trace, sizeof(trace), "  runtime parameter \"%s\" failed the %s check\n",
                 perr.path, perr.rule[0] ? perr.rule : "type");
        int rc = error_view_response(rt, &in, 400, perr.text, trace, out);
        input_free(&in);
        return rc;
    }
    clams_annotate_ctx_t ctx = {.rt = rt,
                                .config = config,
                                .warnings = json_array(),
                                .raw_params = clams__params_raw(&rt->specs, &in.query)};
    if (!ctx.warnings || (!ctx.raw_params && in.query.count > 0)) {
        ctx_free(&ctx);
        input_free(&in);
        return CLAMS_ENOMEM;
    }
    clams__universal_t u = clams__params_universal(config);
    char msg[CLAMS_ERROR_TEXT_LEN + CLAMS_ERROR_PATH_LEN + 128];
    int rc = run_app(&ctx, &in, u.hw_fetch, u.running_time, msg, sizeof(msg));
    if (rc != 0) {
        /* Only a failure annotate chose to call the request's is a 400,
         * or one a reader marked so: a location the policy refused (403)
         * or a limit (400), whichever way the app reported it. */
        int status = ctx.fail_status == 400 ? 400 : 500;
        if (clams__request_fault_status())
            status = clams__request_fault_status();
        rc = app_failure(rt, q, body, len, &in, status, msg, ctx.fail_trace, out);
        out->gpu_peak = ctx.gpu_peak;
        ctx_free(&ctx);
        return rc;
    }
    out->gpu_peak = ctx.gpu_peak;
    ctx_free(&ctx);
    out->status = 200;
    out->content_type = "application/json";
    out->body = clams_mmif_dumps(in.mmif, u.pretty ? CLAMS_DUMP_PRETTY : 0, &out->len);
    input_free(&in);
    if (!out->body)
        return text_response(out, 500, "", "out of memory while writing the output");
    return 0;
}

int clams__app_rt_error_response(const clams__app_rt_t *rt, const clams__query_t *q,
                                 const char *body, size_t len, const char *message,
                                 clams__response_t *out)
{
    memset(out, 0, sizeof(*out));
    input_t in;
    int rc;
    if (load_input(body, len, q, &in) != 0)
        rc = text_response(out, 500, "", message);
    else
        rc = error_view_response(rt, &in, 500, message, NULL, out);
    input_free(&in);
    return rc;
}
