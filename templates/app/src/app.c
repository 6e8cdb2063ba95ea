/* {{name}}: a CLAMS app in C, made with `clams new` (clams-c {{clams_version}}).
 * It reads every TextDocument (inline text, or the UTF-8 file at its location,
 * as `clams source text:FILE` makes them) and adds one view with an Annotation
 * per document holding its word count. Replace annotate() with your analysis. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <clams/clams.h>

#define VOCAB "http://mmif.clams.ai/vocabulary/"
#define OUT_TYPE VOCAB "Annotation/v6"

static const clams_io_spec_t inputs[] = {
    {.type = VOCAB "TextDocument/v1",
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

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    long long min_len = clams_param_int(p, "minWordLength", 1);
    clams_view_t *view = clams_annotate_new_view(ctx, mmif);
    if (!view)
        return clams_annotate_fail(ctx, "cannot create the output view");
    clams_view_add_contains(view, OUT_TYPE, NULL);
    size_t found = 0;
    for (size_t i = 0; i < clams_mmif_document_count(mmif); i++) {
        json_t *doc = clams_mmif_document_at(mmif, i);
        const char *type = json_string_value(json_object_get(doc, "@type"));
        const char *id = clams_document_id(doc);
        if (!type || !clams_type_matches(type, "TextDocument", 0) || !id)
            continue;
        /* Inline text, or the file at the document's location. */
        char *text;
        clams_error_t err = {0};
        int rc = clams_text_document_text(doc, &text, NULL, &err);
        if (rc == CLAMS_ENOTFOUND) {
            clams_annotate_warn(ctx, "%s", err.text);
            continue;
        }
        if (rc != 0)
            return clams_annotate_fail(ctx, "%s", err.text);
        clams_annotation_t *a = clams_view_annotation_new(view, OUT_TYPE);
        if (!a) {
            free(text);
            return clams_annotate_fail(ctx, "cannot create an annotation");
        }
        clams_annotation_set_str(a, "document", id);
        clams_annotation_set_int(a, "wordCount", count_words(text, min_len));
        free(text);
        found++;
    }
    if (!found)
        clams_annotate_warn(ctx, "the input has no TextDocument with text");
    return 0;
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
