/* tutorial-app: the keyword spotter built step by step in docs/tutorial.md.
 * The tutorial's code blocks are this file; the devx_tutorial test keeps
 * them identical. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <clams/clams.h>

#define VOCAB     "http://mmif.clams.ai/vocabulary/"
#define SPAN_TYPE VOCAB "Span/v5"

static const clams_io_spec_t inputs[] = {
    {.type = VOCAB "TextDocument/v1", .description = "Text to search (inline text)."},
    {0},
};

static const clams_io_spec_t outputs[] = {
    {.type = SPAN_TYPE,
     .description = "One per keyword occurrence: start and end are "
                    "code point offsets into the text, keyword is the keyword found."},
    {0},
};

static const clams_param_spec_t params[] = {
    {.name = "keywords",
     .description = "Words to look for.",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = (const char *const[]){NULL}},
    {.name = "caseSensitive",
     .description = "Match upper and lower case exactly.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {0},
};

/* True when text[at..] starts with word and the match is a whole word. */
static bool match_at(const char *text, size_t at, const char *word, size_t len, bool case_sensitive)
{
    int diff = case_sensitive ? strncmp(text + at, word, len) : strncasecmp(text + at, word, len);
    if (diff != 0)
        return false;
    bool left_ok = at == 0 || !isalnum((unsigned char)text[at - 1]);
    bool right_ok = !isalnum((unsigned char)text[at + len]);
    return left_ok && right_ok;
}

static int spot(clams_annotate_ctx_t *ctx, clams_view_t *view, const char *doc_id, const char *text,
                const char *word, bool case_sensitive)
{
    size_t len = strlen(word), text_len = strlen(text);
    for (size_t at = 0; len > 0 && text[at]; at++) {
        if (!match_at(text, at, word, len, case_sensitive))
            continue;
        clams_annotation_t *span = clams_view_annotation_new(view, SPAN_TYPE);
        if (!span)
            return clams_annotate_fail(ctx, "out of memory");
        /* MMIF counts code points, not bytes: in "Café cat", cat is 5-8. */
        size_t start = clams_utf8_cp_offset(text, text_len, at);
        size_t end = clams_utf8_cp_offset(text, text_len, at + len);
        clams_annotation_set_str(span, "document", doc_id);
        clams_annotation_set_int(span, "start", (long long)start);
        clams_annotation_set_int(span, "end", (long long)end);
        clams_annotation_set_str(span, "keyword", word);
    }
    return 0;
}

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    size_t nwords = clams_param_count(p, "keywords");
    bool case_sensitive = clams_param_bool(p, "caseSensitive", false);
    if (nwords == 0)
        clams_annotate_warn(ctx, "no keywords given: nothing to look for");

    clams_view_t *view = clams_annotate_new_view(ctx, mmif);
    if (!view)
        return clams_annotate_fail(ctx, "cannot create the output view");
    clams_view_add_contains(view, SPAN_TYPE, NULL);

    for (size_t i = 0; i < clams_mmif_document_count(mmif); i++) {
        json_t *doc = clams_mmif_document_at(mmif, i);
        const char *type = json_string_value(json_object_get(doc, "@type"));
        if (!type || !clams_type_matches(type, "TextDocument", 0))
            continue;
        json_t *props = json_object_get(doc, "properties");
        const char *id = json_string_value(json_object_get(props, "id"));
        const char *text =
            json_string_value(json_object_get(json_object_get(props, "text"), "@value"));
        if (!id || !text) {
            clams_annotate_warn(ctx, "document %s has no inline text", id ? id : "?");
            continue;
        }
        for (size_t k = 0; k < nwords; k++) {
            const char *word = clams_param_string_at(p, "keywords", k);
            int rc = spot(ctx, view, id, text, word, case_sensitive);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static const clams_app_t app = {
    .name = "Keyword Spotter (clams-c tutorial)",
    .description = "Marks every occurrence of the given keywords in TextDocuments.",
    .app_version = "v1.0",
    .app_license = "Apache-2.0",
    .identifier = "keyword-spotter",
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
