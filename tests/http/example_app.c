/* The app the HTTP tests drive: the same metadata as the app behind the
 * recorded clams-python transcripts (shared golden-http-transcripts.json,
 * "app_under_test"), and the same annotate (one view, two TimeFrames,
 * raise_error fails). Environment switches for the extra cases:
 *   EXAMPLE_APP_WARN=1      annotate adds a warning
 *   EXAMPLE_APP_BAD_VIEW=1  annotate writes a schema-invalid view
 *   EXAMPLE_APP_REJECT=1    annotate rejects the request (400), then fails (ignored)
 *   EXAMPLE_APP_VARIANT=dup | gpu | tags   a broken or extended declaration */
#include <stdlib.h>
#include <string.h>

#include <clams/clams.h>

#define VOCAB "http://mmif.clams.ai/vocabulary/"
#define TF    VOCAB "TimeFrame/v6"

static const clams_io_spec_t av[] = {
    {.type = VOCAB "AudioDocument/v1"}, {.type = VOCAB "VideoDocument/v1"}, {0}};
static const clams_io_spec_t inputs[] = {{.type = VOCAB "TextDocument/v1"}, {.one_of = av}, {0}};
static const clams_io_spec_t outputs[] = {{.type = TF}, {0}};

static const char *const labels_def[] = {"PERSON", NULL};
static const char *const map_def[] = {"B:bars", NULL};
static const char *const modes[] = {"fast", "slow", NULL};

/* clang-format lays a braced list inside a macro out badly: kept by hand. */
// clang-format off
#define BASE_PARAMS                                                                             \
    {.name = "raise_error", .description = "force raise a ValueError",                          \
     .type = CLAMS_PARAM_BOOLEAN, .default_value = "false"},                                    \
    {.name = "labels", .description = "multivalued string", .type = CLAMS_PARAM_STRING,         \
     .multivalued = true, .default_values = labels_def},                                        \
    {.name = "labelMap", .description = "map", .type = CLAMS_PARAM_MAP,                         \
     .default_values = map_def},                                                                \
    {.name = "mode", .description = "choice", .type = CLAMS_PARAM_STRING,                       \
     .default_value = "fast", .choices = modes},                                                \
    {.name = "count", .description = "int", .type = CLAMS_PARAM_INTEGER, .default_value = "3"}
// clang-format on

static const clams_param_spec_t params[] = {BASE_PARAMS, {0}};
static const clams_param_spec_t dup_params[] = {
    BASE_PARAMS,
    {.name = "count", .description = "again", .type = CLAMS_PARAM_INTEGER, .default_value = "4"},
    {0},
};

static const char *const tags[] = {"testing", "timeframes", NULL};
static const char *const deps[] = {"clams-python==develop-ver", "mmif-pyhon==0.0.999", NULL};

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    if (clams_param_bool(p, "raise_error", false))
        return clams_annotate_fail(ctx, "boom");
    if (getenv("EXAMPLE_APP_REJECT")) {
        int first = clams_annotate_reject(ctx, "TimeFrame tf_1: TimePoint tp_99 not found");
        int second = clams_annotate_fail(ctx, "second failure: the first call wins");
        return first ? first : second;
    }
    clams_view_t *v = clams_annotate_add_view(ctx, mmif);
    if (!v)
        return clams_annotate_fail(ctx, "no view");
    int rc = clams_view_add_contains_new(v, TF, json_pack("{s:s}", "producer", "dummy-producer"));
    clams_annotation_t *a = clams_view_add_annotation(v, TF);
    if (!a)
        return clams_annotate_fail(ctx, "no annotation");
    rc |= clams_annotation_set_int(a, "start", 10);
    rc |= clams_annotation_set_int(a, "end", 99);
    rc |= clams_annotation_set_str(a, "f1", "hello_world");
    a = clams_view_add_annotation(v, TF);
    if (!a)
        return clams_annotate_fail(ctx, "no annotation");
    rc |= clams_annotation_set_int(a, "start", 100);
    rc |= clams_annotation_set_int(a, "end", 200);
    if (getenv("EXAMPLE_APP_WARN"))
        rc |= clams_annotate_warn(ctx, "something odd inside annotate (count=%lld)",
                                  clams_param_int(p, "count", -1));
    if (rc)
        return clams_annotate_fail(ctx, "out of memory");
    if (getenv("EXAMPLE_APP_BAD_VIEW"))
        json_object_set_new(clams_view_metadata(v), "contains", json_string("not an object"));
    return 0;
}

int main(int argc, char **argv)
{
    clams_app_t app = {
        .name = "Example CLAMS App for testing",
        .description = "This app doesn't do anything",
        .app_license = "MIT",
        .identifier = "https://apps.clams.ai/example",
        .url = "https://fakegithub.com/some/repository",
        .input = inputs,
        .output = outputs,
        .parameters = params,
        .dependencies = deps,
        .annotate = annotate,
    };
    const char *variant = getenv("EXAMPLE_APP_VARIANT");
    if (variant && strcmp(variant, "dup") == 0)
        app.parameters = dup_params;
    if (variant && strcmp(variant, "gpu") == 0) {
        app.est_gpu_mem_min = 4000;
        app.est_gpu_mem_typ = 1000;
    }
    if (variant && strcmp(variant, "tags") == 0)
        app.app_tags = tags;
    return clams_main(&app, argc, argv);
}
