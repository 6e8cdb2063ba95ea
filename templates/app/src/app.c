/* {{name}}: a CLAMS app in C, made with `clams new` (clams-c {{clams_version}}).
 * It reads every TextDocument (inline text, or the UTF-8 file at its location,
 * as `clams source text:FILE` makes them) and adds one view with an Annotation
 * per document holding its word count. Replace annotate() with your analysis. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <clams/clams.h>

#define OUT_TYPE CLAMS_MMIF11_ANNOTATION

static const clams_io_spec_t inputs[] = {
    {.type = CLAMS_MMIF11_TEXTDOCUMENT,
     .description = "Documents to read (inline text or a UTF-8 file at the location)."},
    {0}};

static const clams_io_spec_t outputs[] = {
    {.type = OUT_TYPE, .description = "One per TextDocument: document (its id) and "
     "wordCount (words of at least minWordLength characters, i.e. code points)."},
    {0}};

static const clams_param_spec_t params[] = {
    {.name = "minWordLength", .description = "Shortest word that counts.",
     .type = CLAMS_PARAM_INTEGER, .default_value = "1"},
    {0}};

static long long count_words(const char *text, long long min_len)
{
    long long words = 0, len = 0;
    for (const char *p = text;; p++) {
        if (*p && !isspace((unsigned char)*p)) {
            len += ((unsigned char)*p & 0xC0) != 0x80; /* count code points, not bytes */
            continue;
        }
        words += len > 0 && len >= min_len;
        len = 0;
        if (!*p)
            return words;
    }
}

typedef struct {
    clams_annotate_ctx_t *ctx;
    clams_view_t *view;
    long long min_len;
    size_t found;
} run_t;

/* Called for every TextDocument: top-level ones, and those an earlier app
 * made inside a view (then `id` is the long id, "v_1:td_1"). A negative
 * return stops the walk and becomes annotate's result. */
static int on_document(const clams_view_t *in_view, const char *id, json_t *doc, void *data)
{
    (void)in_view;
    run_t *run = data;
    /* Inline text, or the file at the document's location. */
    char *text;
    clams_error_t err = {0};
    int rc = clams_text_document_text(doc, &text, NULL, &err);
    if (rc == CLAMS_ENOTFOUND)
        return clams_annotate_warn(run->ctx, "%s", err.text);
    if (rc != 0)
        return clams_annotate_fail(run->ctx, "%s", err.text);
    clams_annotation_t *a = clams_view_add_annotation(run->view, OUT_TYPE);
    /* The setters return 0 or a negative code: one check covers both. */
    rc = a ? clams_annotation_set_str(a, "document", id) |
                 clams_annotation_set_int(a, "wordCount", count_words(text, run->min_len))
           : CLAMS_ENOMEM;
    free(text);
    if (rc != 0)
        return clams_annotate_fail(run->ctx, "cannot create an annotation");
    run->found++;
    return 0;
}

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    run_t run = {.ctx = ctx,
                 .view = clams_annotate_add_view(ctx, mmif),
                 .min_len = clams_param_int(p, "minWordLength", 1)};
    if (!run.view || clams_view_add_contains_new(run.view, OUT_TYPE, NULL) != 0)
        return clams_annotate_fail(ctx, "cannot create the output view");
    int rc = clams_mmif_foreach_document(mmif, "TextDocument", 0, on_document, &run);
    if (rc == 0 && run.found == 0)
        rc = clams_annotate_warn(ctx, "the input has no TextDocument with text");
    return rc;
}

static const clams_app_t app = {
    .name = "{{title}}",
    .description = "Counts the words of each TextDocument.",
    .app_version = "v0.1.0",
    .app_license = "Apache-2.0",
    .identifier = "{{name}}",
    .url = "https://example.org/{{name}}",
    .input = inputs,
    .output = outputs,
    .parameters = params,
    .annotate = annotate,
};

int main(int argc, char **argv)
{
    return clams_main(&app, argc, argv);
}
