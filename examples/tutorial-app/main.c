/* tutorial-app: the keyword spotter built step by step in docs/tutorial.md.
 * The tutorial's code blocks are this file; the devx_tutorial test keeps
 * them identical. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <clams/clams.h>

#define SPAN_TYPE CLAMS_MMIF11_SPAN

static const clams_io_spec_t inputs[] = {
    {.type = CLAMS_MMIF11_TEXTDOCUMENT, .description = "Text to search (inline text)."},
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
        clams_annotation_t *span = clams_view_add_annotation(view, SPAN_TYPE);
        if (!span)
            return clams_annotate_fail(ctx, "out of memory");
        /* MMIF counts code points, not bytes: in "Café cat", cat is 5-8. */
        size_t start = clams_utf8_cp_offset(text, text_len, at);
        size_t end = clams_utf8_cp_offset(text, text_len, at + len);
        /* Each setter returns 0 or a negative code: one check for the four. */
        int rc = clams_annotation_set_str(span, "document", doc_id);
        rc |= clams_annotation_set_int(span, "start", (long long)start);
        rc |= clams_annotation_set_int(span, "end", (long long)end);
        rc |= clams_annotation_set_str(span, "keyword", word);
        if (rc)
            return clams_annotate_fail(ctx, "out of memory");
    }
    return 0;
}

typedef struct {
    clams_annotate_ctx_t *ctx;
    const clams_params_t *params;
    clams_view_t *view;
} run_t;

/* Called for every TextDocument, at the top level or made by an earlier app
 * inside a view (then `id` is its long id, "v_1:td_1"). */
static int on_document(const clams_view_t *in_view, const char *id, json_t *doc, void *data)
{
    (void)in_view;
    run_t *run = data;
    json_t *props = json_object_get(doc, "properties");
    const char *text = json_string_value(json_object_get(json_object_get(props, "text"), "@value"));
    if (!text)
        return clams_annotate_warn(run->ctx, "document %s has no inline text", id);
    bool case_sensitive = clams_param_bool(run->params, "caseSensitive", false);
    size_t nwords = clams_param_count(run->params, "keywords");
    for (size_t k = 0; k < nwords; k++) {
        const char *word = clams_param_string_at(run->params, "keywords", k);
        int rc = spot(run->ctx, run->view, id, text, word, case_sensitive);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    if (clams_param_count(p, "keywords") == 0 &&
        clams_annotate_warn(ctx, "no keywords given: nothing to look for") != 0)
        return clams_annotate_fail(ctx, "out of memory");

    run_t run = {.ctx = ctx, .params = p, .view = clams_annotate_add_view(ctx, mmif)};
    if (!run.view || clams_view_add_contains_new(run.view, SPAN_TYPE, NULL) != 0)
        return clams_annotate_fail(ctx, "cannot create the output view");
    /* A negative value from on_document stops the walk and is returned. */
    return clams_mmif_foreach_document(mmif, "TextDocument", 0, on_document, &run);
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
