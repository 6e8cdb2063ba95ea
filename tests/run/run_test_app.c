/* The app the `clams run` tests drive: for each TextDocument it reads the
 * text (inline or at its location) and adds one annotation with its length.
 * What the tests need from it:
 *   - a failure for a corrupt input: text that is not UTF-8, or that starts
 *     with "FAIL", gets an error view (HTTP 500), as a real app's bad input;
 *   - time: `delayMs` makes each request last that long, so a test can kill
 *     or interrupt a run in the middle;
 *   - every parameter type: `labels` (multivalued) and `labelMap` (map) are
 *     recorded by the SDK in the view's metadata, as any app's are. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clams/clams.h>

#define LEN_TYPE CLAMS_MMIF11_ANNOTATION

static const clams_io_spec_t inputs[] = {{.type = CLAMS_MMIF11_TEXTDOCUMENT}, {0}};
static const clams_io_spec_t outputs[] = {{.type = LEN_TYPE}, {0}};

static const clams_param_spec_t params[] = {
    {.name = "delayMs",
     .description = "Milliseconds each request takes.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {.name = "labels",
     .description = "Recorded only.",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = (const char *const[]){NULL}},
    {.name = "labelMap",
     .description = "Recorded only.",
     .type = CLAMS_PARAM_MAP,
     .default_values = (const char *const[]){NULL}},
    {0},
};

typedef struct {
    clams_annotate_ctx_t *ctx;
    clams_view_t *view;
} run_t;

static int on_document(const clams_view_t *in_view, const char *id, json_t *doc, void *data)
{
    (void)in_view;
    run_t *r = data;
    char *text = NULL;
    size_t len = 0;
    clams_error_t err = {0};
    int rc = clams_text_document_text(doc, &text, &len, &err);
    if (rc != 0)
        return clams_annotate_fail(r->ctx, "cannot read %s: %s", id,
                                   err.text[0] ? err.text : clams_strerror(rc));
    if (strncmp(text, "FAIL", 4) == 0) {
        free(text);
        return clams_annotate_fail(r->ctx, "%s asks to fail", id);
    }
    clams_annotation_t *a = clams_view_add_annotation(r->view, LEN_TYPE);
    rc = a ? clams_annotation_set_str(a, "document", id) : -1;
    rc |= a ? clams_annotation_set_int(a, "length", (long long)len) : -1;
    free(text);
    return rc ? clams_annotate_fail(r->ctx, "out of memory") : 0;
}

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    long long ms = clams_param_int(p, "delayMs", 0);
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
    run_t r = {.ctx = ctx, .view = clams_annotate_add_view(ctx, mmif)};
    if (!r.view || clams_view_add_contains_new(r.view, LEN_TYPE, NULL) != 0)
        return clams_annotate_fail(ctx, "cannot create the output view");
    return clams_mmif_foreach_document(mmif, "TextDocument", 0, on_document, &r);
}

static const clams_app_t app = {
    .name = "clams run test app",
    .description = "Measures TextDocuments; fails on unreadable text; waits delayMs.",
    .app_version = "v1",
    .app_license = "Apache-2.0",
    .identifier = "run-test-app",
    .url = "https://github.com/clamsproject/clams-c",
    .input = inputs,
    .output = outputs,
    .parameters = params,
    .annotate = annotate,
};

int main(int argc, char **argv)
{
    return clams_main(&app, argc, argv);
}
