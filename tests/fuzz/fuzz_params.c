/* libFuzzer harness: runtime parameters. The input is a query string; it is
 * parsed, refined against specs of every type (with choices, multivalued,
 * maps), recorded raw, checked for undefined keys, and encoded back. The
 * production master encodes the query it hands to a worker, so
 * parse(encode(parse(s))) must equal parse(s). The single-value casts are
 * cross-checked: what int() accepts, float() accepts with the same value. */
#include <math.h>
#include <stdbool.h>

#include "app/params.h"
#include "fuzz_common.h"
#include "fuzz_query.h"

static const char *const kinds[] = {"fast", "slow", NULL};
static const char *const letters[] = {"A", "B", "C", NULL};
static const char *const nums[] = {"1", "2", "3", NULL};
static const char *const def_labels[] = {"A", NULL};
static const char *const def_map[] = {"B:bars", NULL};

static const clams_param_spec_t app_params[] = {
    {.name = "count", .description = "int", .type = CLAMS_PARAM_INTEGER, .default_value = "3"},
    {.name = "ratio", .description = "number", .type = CLAMS_PARAM_NUMBER, .default_value = "0.5"},
    {.name = "flag", .description = "bool", .type = CLAMS_PARAM_BOOLEAN, .default_value = "false"},
    {.name = "mode",
     .description = "choice",
     .type = CLAMS_PARAM_STRING,
     .default_value = "fast",
     .choices = kinds},
    {.name = "labels",
     .description = "multi",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = def_labels,
     .choices = letters},
    {.name = "levels",
     .description = "multi int",
     .type = CLAMS_PARAM_INTEGER,
     .multivalued = true,
     .default_values = nums,
     .choices = nums},
    {.name = "labelMap",
     .description = "map",
     .type = CLAMS_PARAM_MAP,
     .multivalued = true,
     .default_values = def_map},
    {.name = "req", .description = "required", .type = CLAMS_PARAM_STRING},
    {0},
};

static clams__pspecs_t specs;

static void check_casts(const char *s)
{
    long long iv;
    double dv;
    int ri = clams__cast_int(s, &iv);
    int rn = clams__cast_number(s, &dv);
    FUZZ_CHECK(ri == 0 || ri == CLAMS_EPARAM, "cast_int returned %d", ri);
    FUZZ_CHECK(rn == 0 || rn == CLAMS_EPARAM, "cast_number returned %d", rn);
    if (ri == 0) {
        FUZZ_CHECK(rn == 0, "int() accepts '%s' but float() does not", s);
        FUZZ_CHECK(fabs((double)iv - dv) <= fabs(dv) * 1e-12 + 1e-9,
                   "int('%s') = %lld but float() = %.17g", s, iv, dv);
    }
    (void)clams__cast_bool(s);
    char buf[64];
    if (rn == 0)
        clams__py_float_str(dv, buf, sizeof(buf));
    json_t *nj = rn == 0 ? clams__number_json(dv) : NULL;
    json_decref(nj);
}

static void same_query(const clams__query_t *a, const clams__query_t *b, const char *enc)
{
    FUZZ_CHECK(a->count == b->count, "encode/parse changed the count %zu -> %zu (%s)", a->count,
               b->count, enc);
    for (size_t i = 0; i < a->count; i++) {
        FUZZ_CHECK(strcmp(a->items[i].key, b->items[i].key) == 0, "key %zu changed", i);
        FUZZ_CHECK(strcmp(a->items[i].value, b->items[i].value) == 0, "value %zu changed", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!specs.items) {
        clams_error_t err = {0};
        if (clams__pspecs_build(&specs, app_params, &err) != 0)
            abort();
    }
    char *s = fuzz_cstr(data, size);
    clams__query_t q = {0};
    FUZZ_CHECK(clams__query_parse(&q, s) == 0, "parse failed");
    clams_error_t err = {0};
    json_t *config = clams__params_refine(&specs, &q, &err);
    /* Every key and value is valid UTF-8 once parsed (bad bytes become U+FFFD),
     * so JSON can always hold them. */
    FUZZ_CHECK(fuzz_query_utf8(&q), "a parsed key or value is not UTF-8");
    FUZZ_CHECK(config || err.code == CLAMS_EPARAM, "refine failed with %d", err.code);
    if (config)
        FUZZ_CHECK(json_is_object(config), "appConfiguration is not an object");
    json_t *raw = clams__params_raw(&specs, &q);
    FUZZ_CHECK((raw == NULL) == (q.count == 0), "raw parameters vs an empty query");
    json_t *warnings = json_array();
    int wrc = clams__params_undefined_warnings(&specs, &q, warnings);
    FUZZ_CHECK(wrc == 0, "warnings failed (%d)", wrc);
    char *enc = clams__query_encode(&q);
    FUZZ_CHECK(enc != NULL, "encode");
    clams__query_t q2 = {0};
    FUZZ_CHECK(clams__query_parse(&q2, enc) == 0, "reparse");
    same_query(&q, &q2, enc);
    for (size_t i = 0; i < q.count && i < 16; i++)
        check_casts(q.items[i].value);
    if (q.count) {
        size_t n = 0;
        const char **vals = clams__query_values(&q, q.items[0].key, &n);
        char *repr = vals ? clams__py_repr_list(vals, n) : NULL;
        free(repr);
        free(vals);
    }
    clams__query_free(&q2);
    free(enc);
    json_decref(warnings);
    json_decref(raw);
    json_decref(config);
    clams__query_free(&q);
    free(s);
    return 0;
}
