/* clams/app.h: what a CLAMS app author writes against.
 *
 * An app is a `clams_app_t` (its metadata and callbacks) and a main():
 *
 *     static const clams_app_t app = { .name = "...", ..., .annotate = my_annotate };
 *     int main(int argc, char **argv) { return clams_main(&app, argc, argv); }
 *
 * clams_main parses the command line and runs the development server (default),
 * the production server (--production), the file mode (annotate IN OUT) or
 * prints metadata/help/version. All arrays in the metadata are terminated by a
 * zeroed entry ({0} or NULL), so they can be written as static initialisers.
 */
#ifndef CLAMS_APP_H
#define CLAMS_APP_H

#include "clams/export.h"

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "clams/error.h"
#include "clams/mmif.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Metadata --------------------------------------------------------------- */

typedef enum {
    CLAMS_PARAM_STRING = 0,
    CLAMS_PARAM_INTEGER,
    CLAMS_PARAM_NUMBER,
    CLAMS_PARAM_BOOLEAN,
    CLAMS_PARAM_MAP /* multivalued "KEY:VALUE" strings, read as an object */
} clams_param_type_t;

/* A runtime parameter. Values (defaults, choices) are written as strings and
 * cast with the same rules as request values, so a default keeps the JSON type
 * of its parameter (an integer default "3" is 3, a string default "1" is "1").
 *  default_value:  single-valued default; NULL with default_values NULL means
 *                  the parameter is required.
 *  default_values: NULL-terminated list for multivalued (and map) parameters;
 *                  an empty list ({NULL}) is a valid default.
 *  choices:        NULL-terminated list, or NULL for no restriction.
 * MAP parameters are always multivalued; BOOLEAN ones never are. */
typedef struct clams_param_spec_s {
    const char *name;
    const char *description;
    clams_param_type_t type;
    bool multivalued;
    const char *default_value;
    const char *const *default_values;
    const char *const *choices;
    /* Since ABI 2: a range for INTEGER and NUMBER values (every value of a
     * multivalued one), checked before annotate runs, so a value outside it
     * is answered 400 naming the parameter instead of reaching the app.
     * `range` says which bounds hold (CLAMS_RANGE_*; 0: no check); a
     * default outside the range is a startup error. */
    unsigned range;
    double minimum; /* with CLAMS_RANGE_MIN or CLAMS_RANGE_MIN_EXCLUSIVE */
    double maximum; /* with CLAMS_RANGE_MAX */
} clams_param_spec_t;

#define CLAMS_RANGE_FINITE        0x1u /* not NaN, not infinite */
#define CLAMS_RANGE_MIN           0x2u /* value >= minimum */
#define CLAMS_RANGE_MIN_EXCLUSIVE 0x4u /* value > minimum */
#define CLAMS_RANGE_MAX           0x8u /* value <= maximum */

/* A key/value string pair (for `more`, `analyzer_versions`, I/O properties). */
typedef struct clams_kv_s {
    const char *key;
    const char *value;
} clams_kv_t;

/* An input or output type. For inputs, `optional` emits "required": false and
 * `one_of` (a zero-terminated array) makes this entry a oneOf group of
 * alternatives instead of a single type (then `type` is ignored). */
typedef struct clams_io_spec_s {
    const char *type;
    const char *description;
    const clams_kv_t *properties; /* zero-terminated, may be NULL */
    bool optional;
    const struct clams_io_spec_s *one_of;
} clams_io_spec_t;

typedef struct clams_app_s clams_app_t;
typedef struct clams_annotate_ctx_s clams_annotate_ctx_t;
typedef struct clams_params_s clams_params_t;

/* The annotate callback: read `mmif`, add views (clams_annotate_add_view), and
 * return 0. On failure return clams_annotate_fail(ctx, "...") (a negative
 * value): the response becomes an error view (HTTP 500). */
typedef int (*clams_annotate_fn)(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif,
                                 const clams_params_t *params);

/* Per-worker hooks. worker_init runs in each worker after fork (development
 * server: once at startup) and is where a model goes onto the GPU; return 0,
 * or a negative value with a message in err (the worker then reports the
 * failure and is retried with backoff). worker_fini runs before a worker exits.
 * preload runs once in the master before any worker exists: CPU work only,
 * never CUDA (its memory is shared copy-on-write with the workers). */
typedef int (*clams_worker_init_fn)(void *user, clams_error_t *err);
typedef void (*clams_worker_fini_fn)(void *user);
typedef int (*clams_preload_fn)(void *user, clams_error_t *err);

/* Defaults for the production server an app may set (flags override them). */
typedef struct clams_production_defaults_s {
    /* Requests a worker serves before it is recycled: 1 by default (0 in this
     * struct means "use the default"); CLAMS_MAX_REQUESTS_NEVER keeps workers
     * (the C spelling of clams-python's serve_production(max_requests=0)). */
    int max_requests;
    int max_requests_jitter;
} clams_production_defaults_t;
#define CLAMS_MAX_REQUESTS_NEVER (-1)

struct clams_app_s {
    const char *name;
    const char *description;
    /* Build-time version; when NULL, CLAMS_APP_VERSION from the environment,
     * then "unresolvable". */
    const char *app_version;
    const char *mmif_version; /* NULL = CLAMS_MMIF_SPEC_VERSION */
    const char *analyzer_version;
    const clams_kv_t *analyzer_versions;
    const char *app_license;
    const char *analyzer_license;
    /* "name" becomes http://apps.clams.ai/name/<version>; a value with a "/"
     * gets "/<version>" appended. */
    const char *identifier;
    const char *url;
    const clams_io_spec_t *input;         /* zero-terminated */
    const clams_io_spec_t *output;        /* zero-terminated */
    const clams_param_spec_t *parameters; /* zero-terminated (name == NULL) */
    const char *const *dependencies;      /* NULL-terminated */
    const clams_kv_t *more;               /* zero-terminated */
    const char *const *app_tags;          /* NULL-terminated */
    int est_gpu_mem_min;                  /* MB; 0 = not declared */
    int est_gpu_mem_typ;                  /* MB; 0 = not declared; < min is raised to min */

    clams_annotate_fn annotate; /* required */
    clams_worker_init_fn worker_init;
    clams_worker_fini_fn worker_fini;
    clams_preload_fn preload;
    void *user; /* passed to the hooks and available via clams_annotate_user */

    clams_production_defaults_t production;

    /* Room to grow without breaking apps already built: a member added in a
     * later version of clams-c takes its place from reserved[], so the
     * struct keeps its size and the offsets of every member above. An app
     * built against this header has zeros there (static initialisers zero
     * what they do not name), and every new member will treat zero as "not
     * set: use the default". Apps never write reserved[]. */
    void *reserved[16];
};

/* ---- ABI: the sizes an app was built with -----------------------------------
 * The arrays an app declares (parameters, input/output, key/value lists) are
 * read by the library with the element sizes the app was compiled with, so a
 * struct above may gain members at its end in a later clams-c without
 * breaking apps already built: the library copies each element into its own
 * current struct and leaves the new members zero, which every new member
 * reads as "not set". Apps never fill this themselves: clams_main (a macro)
 * passes the sizes its own compilation saw, as zlib's deflateInit does. */
typedef struct clams_abi_s {
    unsigned version; /* CLAMS_ABI_VERSION of the header the app was built with */
    unsigned app_size;
    unsigned param_spec_size;
    unsigned io_spec_size;
    unsigned kv_size;
} clams_abi_t;

/* Raised when a public struct gains a member (the sizes alone tell the
 * library what it needs; the version is for messages and diagnostics). */
#define CLAMS_ABI_VERSION 2

static inline const clams_abi_t *clams_abi_current(void)
{
    static const clams_abi_t abi = {
        CLAMS_ABI_VERSION, (unsigned)sizeof(clams_app_t), (unsigned)sizeof(clams_param_spec_t),
        (unsigned)sizeof(clams_io_spec_t), (unsigned)sizeof(clams_kv_t)};
    return &abi;
}

/* Runs the app as the command line says. Returns the process exit status.
 * `abi` describes the struct sizes the app was compiled with (NULL: this
 * header's); apps call it through the clams_main macro, which passes them.
 * Process-wide effect: before serving (development or production, not
 * file mode or --describe) it sets glibc's heap thresholds with mallopt so
 * that freed memory is kept between requests (up to 8 MiB; blocks from
 * 1 MiB are mmap'd), unless the environment already sets glibc.malloc.*
 * tunables or MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ /
 * MALLOC_TOP_PAD_. */
CLAMS_API CLAMS_MUST_CHECK int clams_main_abi(const clams_app_t *app, const clams_abi_t *abi,
                                              int argc, char **argv);
#define clams_main(app, argc, argv) clams_main_abi((app), clams_abi_current(), (argc), (argv))

/* ---- Inside annotate ------------------------------------------------------- */

/* Appends a new view signed by this app (app, parameters, appConfiguration,
 * appTags; timestamp and appProfiling are added after annotate returns).
 * Ownership: borrowed. NULL on allocation failure. */
CLAMS_API CLAMS_MUST_CHECK clams_view_t *clams_annotate_add_view(clams_annotate_ctx_t *ctx,
                                                                 clams_mmif_t *mmif);

/* Records the failure of this request. The first call wins. `file`, `line` and
 * `func` go into the error view's stackTrace together with a native backtrace.
 * Always returns CLAMS_EAPP, so `return clams_annotate_fail(...)` reads well. */
CLAMS_API CLAMS_MUST_CHECK int clams_annotate_fail_at(clams_annotate_ctx_t *ctx, const char *file,
                                                      int line, const char *func, const char *fmt,
                                                      ...) CLAMS_PRINTF(5, 6);
#define clams_annotate_fail(ctx, ...) \
    clams_annotate_fail_at((ctx), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Like clams_annotate_fail, for a request that is itself at fault: the MMIF
 * it sent names something that is not there or is malformed (a TimeFrame
 * whose representative TimePoint is missing, an annotation without a
 * required property). The error view is answered with status 400 instead of
 * 500 (file mode exits 1 either way). Failures of the app, the machine or a
 * media file stay clams_annotate_fail: 500. Reading helpers report the
 * request's faults as CLAMS_ENOTFOUND and CLAMS_EINVAL. The first call of
 * either function wins. Always returns CLAMS_EAPP. */
CLAMS_API CLAMS_MUST_CHECK int clams_annotate_reject_at(clams_annotate_ctx_t *ctx, const char *file,
                                                        int line, const char *func, const char *fmt,
                                                        ...) CLAMS_PRINTF(5, 6);
#define clams_annotate_reject(ctx, ...) \
    clams_annotate_reject_at((ctx), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Adds a warning: it ends up in the warnings view of this request. */
CLAMS_API CLAMS_MUST_CHECK int clams_annotate_warn(clams_annotate_ctx_t *ctx, const char *fmt, ...)
    CLAMS_PRINTF(2, 3);

/* Lets the app report the peak GPU memory (bytes) its own allocator saw on
 * the device `gpu_uuid` (NULL = the worker's GPU) during this request; hwFetch
 * reports the larger of this and what NVML measured. */
CLAMS_API void clams_annotate_report_gpu_peak(clams_annotate_ctx_t *ctx, const char *gpu_uuid,
                                              unsigned long long bytes);

/* The app's `user` pointer. Ownership: borrowed (the app's own). */
CLAMS_API void *clams_annotate_user(const clams_annotate_ctx_t *ctx);

/* The URI of a CLAMS vocabulary type in the vocabulary of the MMIF version
 * this app declares (its mmif_version): clams_vocab_type_uri(mmif_version,
 * type_name), so an app declaring 1.2.0 writes http://clams.ai/vocabulary/
 * type/... URIs. NULL for a type clams-c does not know in that version.
 * Ownership: static. */
CLAMS_API const char *clams_annotate_type_uri(const clams_annotate_ctx_t *ctx,
                                              const char *type_name);

/* ---- Reading parameters ------------------------------------------------------ */

/* The refined (typed) value of a declared parameter, as it appears in
 * appConfiguration: integer, real, string, true/false, array (multivalued) or
 * object (map). NULL when the name is not declared. Ownership: borrowed. */
CLAMS_API const json_t *clams_param_get(const clams_params_t *params, const char *name);
/* Convenience readers; they return `fallback` when the parameter is missing or
 * of another type. Ownership (the string readers): borrowed from params, valid
 * until annotate returns; a returned fallback is the caller's own pointer. */
CLAMS_API long long clams_param_int(const clams_params_t *params, const char *name,
                                    long long fallback);
CLAMS_API double clams_param_number(const clams_params_t *params, const char *name,
                                    double fallback);
CLAMS_API bool clams_param_bool(const clams_params_t *params, const char *name, bool fallback);
CLAMS_API const char *clams_param_string(const clams_params_t *params, const char *name,
                                         const char *fallback);
/* Multivalued: number of values, and the i-th as a string (NULL if absent).
 * Ownership: borrowed from params, valid until annotate returns. */
CLAMS_API size_t clams_param_count(const clams_params_t *params, const char *name);
CLAMS_API const char *clams_param_string_at(const clams_params_t *params, const char *name,
                                            size_t i);
/* tfSamplingMode, the universal parameter that says which frames of a
 * TimeFrame an app looks at (clams/media.h, clams_tf_sample). */
typedef enum {
    CLAMS_TF_REPRESENTATIVES = 0, /* every representative; none: skipped */
    CLAMS_TF_SINGLE,              /* the middle representative; none: the midpoint */
    CLAMS_TF_ALL                  /* every target; no targets: every frame in [start, end) */
} clams_tf_mode_t;
/* The request's tfSamplingMode. The SDK refused any other value with 400
 * before annotate ran, so there is no error to handle. */
CLAMS_API clams_tf_mode_t clams_param_tf_mode(const clams_params_t *params);
/* "representatives", "single" or "all" to a mode. Returns 0 or CLAMS_EINVAL. */
CLAMS_API CLAMS_MUST_CHECK int clams_tf_mode_parse(const char *name, clams_tf_mode_t *mode);
/* The parameter value of a mode ("representatives"), or NULL. Ownership: static. */
CLAMS_API const char *clams_tf_mode_name(clams_tf_mode_t mode);

/* Map parameters: the value for `key`, or NULL. Ownership: borrowed from
 * params, valid until annotate returns. */
CLAMS_API const char *clams_param_map_get(const clams_params_t *params, const char *name,
                                          const char *key);

#ifdef __cplusplus
}
#endif
#endif
