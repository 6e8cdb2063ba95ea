/* libFuzzer harness: the whole annotate pipeline a worker runs on a request
 * (envelope, parse, validate, parameters, annotate, sign, dump). The input is
 * "<query string>\n<body>". Whatever comes in, the answer must be one of the
 * documented ones: 200 or a 500 error view carrying valid MMIF, 400 text/plain
 * starting with the validation banner, or a 400 error view (bad parameter). */
#include <clams/clams.h>

#include <stdbool.h>

#include "app/pipeline.h"
#include "fuzz_common.h"
#include "fuzz_query.h"

#define TF "http://mmif.clams.ai/vocabulary/TimeFrame/v6"

static const char *const kinds[] = {"fast", "slow", NULL};
static const char *const letters[] = {"A", "B", NULL};
static const char *const def_labels[] = {"A", NULL};
static const char *const def_map[] = {"B:bars", NULL};

static const clams_param_spec_t params[] = {
    {.name = "count",
     .description = "TimeFrames to add.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "3"},
    {.name = "mode",
     .description = "A choice.",
     .type = CLAMS_PARAM_STRING,
     .default_value = "fast",
     .choices = kinds},
    {.name = "labels",
     .description = "Multivalued with choices.",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = def_labels,
     .choices = letters},
    {.name = "labelMap",
     .description = "A map.",
     .type = CLAMS_PARAM_MAP,
     .multivalued = true,
     .default_values = def_map},
    {.name = "fail",
     .description = "Fail on purpose.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {0},
};
static const clams_io_spec_t outputs[] = {
    {.type = TF},
    {0},
};

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    if (clams_param_bool(p, "fail", false))
        return clams_annotate_fail(ctx, "failing on purpose");
    clams_view_t *v = clams_annotate_add_view(ctx, mmif);
    if (!v)
        return clams_annotate_fail(ctx, "no view");
    clams_view_add_contains_new(v, TF, NULL);
    long long n = clams_param_int(p, "count", 0);
    for (long long i = 0; i < n && i < 8; i++) {
        clams_annotation_t *a = clams_view_add_annotation(v, TF);
        if (!a)
            return clams_annotate_fail(ctx, "no annotation");
        clams_annotation_set_str(a, "label", clams_param_string(p, "mode", "?"));
    }
    if (clams_param_count(p, "labels") > 1)
        clams_annotate_warn(ctx, "more than one label");
    return 0;
}

static const clams_app_t app = {
    .name = "Fuzz App",
    .description = "The app of the envelope harness.",
    .app_version = "0.0.1",
    .app_license = "Apache-2.0",
    .identifier = "fuzz-app",
    .url = "https://example.org/fuzz",
    .output = outputs,
    .parameters = params,
    .annotate = annotate,
};

static clams__app_rt_t *rt;

static void check_answer(const clams__response_t *r)
{
    FUZZ_CHECK(r->body != NULL && r->content_type != NULL, "empty answer");
    FUZZ_CHECK(r->status == 200 || r->status == 400 || r->status == 500, "status %d", r->status);
    bool text = strncmp(r->content_type, "text/plain", 10) == 0;
    if (text) {
        FUZZ_CHECK(r->status == 400, "text/plain answer with status %d", r->status);
        static const char banner[] = "Invalid input data. See below for validation error.";
        FUZZ_CHECK(strncmp(r->body, banner, sizeof(banner) - 1) == 0,
                   "400 text without the banner: %.200s", r->body);
        return;
    }
    clams_error_t err = {0};
    clams_mmif_t *m = clams_mmif_load(r->body, r->len, &err);
    FUZZ_CHECK(m != NULL, "status %d answer is not valid MMIF: %s (%s)", r->status, err.text,
               err.path);
    if (r->status != 200) {
        clams_view_t *last = clams_mmif_view_at(m, clams_mmif_view_count(m) - 1);
        FUZZ_CHECK(last && json_object_get(clams_view_metadata(last), "error"),
                   "status %d without an error view", r->status);
    }
    clams_mmif_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rt) {
        clams_error_t err = {0};
        rt = clams__app_rt_new(&app, &err);
        if (!rt) {
            fprintf(stderr, "app_rt_new: %s\n", err.text);
            abort();
        }
    }
    const uint8_t *nl = memchr(data, '\n', size);
    size_t qlen = nl ? (size_t)(nl - data) : 0;
    char *query = fuzz_cstr(data, qlen);
    const char *body = (const char *)data + (nl ? qlen + 1 : 0);
    size_t blen = size - (nl ? qlen + 1 : 0);
    clams__query_t q = {0};
    clams__query_parse(&q, query);
    clams__response_t r = {0};
    int rc = clams__app_rt_annotate(rt, &q, body, blen, &r);
    FUZZ_CHECK(rc == 0, "annotate returned %d", rc);
    FUZZ_CHECK(fuzz_query_utf8(&q), "a parsed query key or value is not UTF-8");
    check_answer(&r);
    clams__response_free(&r);
    clams__query_free(&q);
    free(query);
    return 0;
}
