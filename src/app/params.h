/* This file is private to libclams.
 * Runtime parameters: the merged specs (app parameters then the universal
 * ones), casting with clams-python's rules, refinement into appConfiguration,
 * raw recording into `parameters`, and the JSON envelope's parameters. */
#ifndef CLAMS_APP_PARAMS_H
#define CLAMS_APP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "app/pipeline.h"
#include "clams/app.h"

/* The universal parameters' names: declared once here, used by the table of
 * their specs (params.c) and by the pipeline that reads them. */
#define CLAMS__UP_PRETTY           "pretty"
#define CLAMS__UP_RUNNING_TIME     "runningTime"
#define CLAMS__UP_HW_FETCH         "hwFetch"
#define CLAMS__UP_TF_SAMPLING_MODE "tfSamplingMode"

/* The universal parameters of one request, read from its appConfiguration. */
typedef struct clams__universal_s {
    bool pretty;
    bool running_time;
    bool hw_fetch;
} clams__universal_t;
clams__universal_t clams__params_universal(const json_t *config);
/* A boolean read straight from the query (its first value, clams-python's
 * rule), for paths that do not refine: GET / and a hosted app's request. */
bool clams__query_flag(const clams__query_t *q, const char *key);

/* One declared parameter after startup checks. The JSON values are built once:
 *  def_config: the default as it appears in appConfiguration (map: object);
 *  def_meta:   the default as it appears in the metadata (map: list of
 *              "KEY:VALUE" strings); both NULL for a required parameter;
 *  choices:    typed array, or NULL. */
typedef struct clams__pspec_s {
    const char *name;
    const char *description;
    clams_param_type_t type;
    bool multivalued;
    bool required;
    json_t *def_config;
    json_t *def_meta;
    json_t *choices;
    unsigned range; /* CLAMS_RANGE_* of the declaration */
    double minimum, maximum;
} clams__pspec_t;

typedef struct clams__pspecs_s {
    clams__pspec_t *items;
    size_t count;
} clams__pspecs_t;

/* The public opaque handle given to annotate. */
struct clams_params_s {
    json_t *config; /* appConfiguration (owned) */
};

/* ---- Casting single strings (Python's bool rule, int(), float()) ---------- */

/* False only for "False", "false", "F", "f" and "0". */
bool clams__cast_bool(const char *s);
/* Python int(): surrounding whitespace, a sign, '_' between digits. Values
 * outside long long are rejected. Returns 0 or CLAMS_EPARAM. */
int clams__cast_int(const char *s, long long *out);
/* Python float(): also inf, infinity, nan (any case), exponents, '_' between
 * digits; rejects hex. Returns 0 or CLAMS_EPARAM. */
int clams__cast_number(const char *s, double *out);
/* A JSON value for a number: a real, or "inf"/"-inf"/"nan" strings because
 * JSON has no such numbers. Ownership: new. */
json_t *clams__number_json(double v);

/* Casts the values given for one parameter: non-multivalued uses the first,
 * multivalued gives an array, map an object (split at the first ':', the
 * last repeated key wins). n == 0 gives [] / {} for multivalued.
 * Ownership: new; NULL with err (CLAMS_EPARAM) on a bad value. */
json_t *clams__param_cast(const clams__pspec_t *p, const char *const *values, size_t n,
                          clams_error_t *err);

/* ---- Specs --------------------------------------------------------------- */

/* Builds the merged specs: the app's (may be NULL) then pretty, runningTime,
 * hwFetch, tfSamplingMode. Duplicate names, defaults that do not cast, a
 * boolean declared multivalued are CLAMS_EMETADATA with a message. */
int clams__pspecs_build(clams__pspecs_t *out, const clams_param_spec_t *app_params,
                        clams_error_t *err);
void clams__pspecs_free(clams__pspecs_t *specs);
const clams__pspec_t *clams__pspecs_find(const clams__pspecs_t *specs, const char *name);
/* The "parameters" array of the metadata. Ownership: new. */
json_t *clams__pspecs_metadata(const clams__pspecs_t *specs);

/* ---- Requests -------------------------------------------------------------- */

/* appConfiguration: every declared parameter, cast, checked against choices
 * (element by element for multivalued), defaults filled; a missing required
 * parameter is an error. Ownership: new; NULL with err (CLAMS_EPARAM). */
json_t *clams__params_refine(const clams__pspecs_t *specs, const clams__query_t *q,
                             clams_error_t *err);
/* (refine's NULL carries err->code CLAMS_EPARAM for a bad value, or
 * CLAMS_ENOMEM.) */
/* `parameters` as recorded in signed views: every key as given (undefined
 * ones too), the first raw string, or the Python repr of the list for
 * multivalued ones. NULL when the query is empty, and when memory ran out
 * (q->count > 0 then tells the two apart); never a partial record.
 * Ownership: new. */
json_t *clams__params_raw(const clams__pspecs_t *specs, const clams__query_t *q);
/* One warning string per undefined key (in order of first appearance),
 * appended to `warnings` (a JSON array). Returns 0 or CLAMS_ENOMEM. */
int clams__params_undefined_warnings(const clams__pspecs_t *specs, const clams__query_t *q,
                                     json_t *warnings);
/* Python's repr() of a list of strings: ['a', "it's"]. Ownership: new (free). */
char *clams__py_repr_list(const char *const *values, size_t n);
/* Python's str() of a float (shortest round-trip, "1.0", "1e+16", "inf").
 * Writes into buf (at least 32 bytes). */
void clams__py_float_str(double v, char *buf, size_t size);

/* Merges envelope parameters (a JSON object) with the query: envelope keys in
 * their order, a key present in the query takes the query's values, then the
 * query's other keys. Values are normalised as clams-python does (str() of
 * scalars, "True"/"False", lists element-wise, objects as "k:v").
 * Ownership: out is filled (clams__query_free). Returns 0 or a negative code. */
int clams__params_merge_envelope(const json_t *env_params, const clams__query_t *q,
                                 clams__query_t *out);

/* Values of `key` in the query, in order (pointers borrowed from q; the
 * array is new, free()). *n gets the count. */
const char **clams__query_values(const clams__query_t *q, const char *key, size_t *n);

#endif
