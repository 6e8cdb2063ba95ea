/* tokenizer: an example CLAMS app in C. Reads every TextDocument (and, on
 * request, TextDocuments kept inside earlier views) and adds one view with
 * Token and Sentence annotations whose start/end are code-point offsets. */
#include <stdlib.h>
#include <string.h>

#include <clams/clams.h>

#include "tokenize.h"

#define TOKEN_TYPE    CLAMS_MMIF11_TOKEN
#define SENTENCE_TYPE CLAMS_MMIF11_SENTENCE

static const clams_io_spec_t inputs[] = {
    {.type = CLAMS_MMIF11_TEXTDOCUMENT,
     .description = "Text to tokenize (inline, or a UTF-8 file at its location)."},
    {0}};

static const clams_kv_t token_props[] = {{"document", "*"}, {0}};
static const clams_io_spec_t outputs[] = {
    {.type = TOKEN_TYPE,
     .description = "One per word or punctuation mark; start/end are "
                    "code-point offsets into the document text, word is the token text.",
     .properties = token_props},
    {.type = SENTENCE_TYPE,
     .description =
         "One per sentence (when splitSentences is true); "
         "start/end are code-point offsets, or, when sentenceTargets is true, targets lists the "
         "token ids instead (one anchor, never both)."},
    {0},
};

static const clams_param_spec_t params[] = {
    {.name = "splitSentences",
     .description = "Also add Sentence annotations.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "true"},
    {.name = "lowercase",
     .description = "Write the word property in lower case (ASCII "
                    "letters only); offsets are unchanged.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = "sentenceTargets",
     .description = "Anchor each sentence by the ids of its tokens "
                    "(targets) instead of start/end offsets.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = "includeViewDocuments",
     .description = "Also tokenize TextDocuments found inside "
                    "views (for example the output of a speech recognizer).",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {0},
};

typedef struct {
    clams_annotate_ctx_t *ctx;
    clams_view_t *view;
    const char *text;
    const char *doc_id;
    bool lowercase, sentences, targets;
    json_t *sent_tokens; /* token ids of the open sentence (targets) */
    size_t sent_start;
    bool in_sentence;
    char *lower_buf;
    size_t lower_cap;
    bool include_views; /* includeViewDocuments */
    int found;          /* TextDocuments that had text */
} run_t;

static const char *word_of(run_t *r, const tok_span_t *t)
{
    size_t n = t->byte_end - t->byte_start;
    if (!r->lowercase)
        return r->text + t->byte_start;
    if (n + 1 > r->lower_cap) {
        char *b = realloc(r->lower_buf, n + 64);
        if (!b)
            return NULL;
        r->lower_buf = b;
        r->lower_cap = n + 64;
    }
    for (size_t i = 0; i < n; i++) {
        char c = r->text[t->byte_start + i];
        r->lower_buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return r->lower_buf;
}

static int add_sentence(run_t *r, size_t end)
{
    clams_annotation_t *s = clams_view_add_annotation(r->view, SENTENCE_TYPE);
    if (!s)
        return clams_annotate_fail(r->ctx, "cannot create a Sentence annotation");
    /* One anchor or the other: mmif-python refuses an annotation with both
     * start/end and targets ("annotation anchors are ambiguous"). */
    int rc;
    if (r->targets) {
        rc = clams_annotation_set_json_new(s, "targets", r->sent_tokens); /* steals the list */
        r->sent_tokens = json_array();
        if (!r->sent_tokens)
            rc = CLAMS_ENOMEM;
    } else {
        rc = clams_annotation_set_int(s, "start", (long long)r->sent_start);
        rc |= clams_annotation_set_int(s, "end", (long long)end);
    }
    rc |= clams_annotation_set_str(s, "document", r->doc_id);
    r->in_sentence = false;
    /* Each setter returns 0 or a negative code, so any failure leaves rc
     * negative; out of memory is the only way they fail here. */
    return rc ? clams_annotate_fail(r->ctx, "cannot fill a Sentence annotation") : 0;
}

static int on_token(const tok_span_t *t, bool sentence_end, void *data)
{
    run_t *r = data;
    clams_annotation_t *a = clams_view_add_annotation(r->view, TOKEN_TYPE);
    const char *word = word_of(r, t);
    if (!a || !word)
        return clams_annotate_fail(r->ctx, "cannot create a Token annotation");
    int rc = clams_annotation_set_int(a, "start", (long long)t->cp_start);
    rc |= clams_annotation_set_int(a, "end", (long long)t->cp_end);
    rc |= clams_annotation_set_strn(a, "word", word, t->byte_end - t->byte_start);
    rc |= clams_annotation_set_str(a, "document", r->doc_id);
    if (rc)
        return clams_annotate_fail(r->ctx, "cannot fill a Token annotation");
    if (!r->sentences)
        return 0;
    if (!r->in_sentence) {
        r->in_sentence = true;
        r->sent_start = t->cp_start;
    }
    if (r->targets && json_array_append_new(r->sent_tokens, json_string(clams_annotation_id(a))))
        return clams_annotate_fail(r->ctx, "out of memory");
    return sentence_end ? add_sentence(r, t->cp_end) : 0;
}

/* Tokenizes one TextDocument; `id` is its long id inside a view
 * ("v_1:td_1"). Returns 1 when it had text. */
static int tokenize_doc(run_t *r, const json_t *doc, const char *id)
{
    /* Inline text, or the UTF-8 file at the document's location (a
     * TextDocument made by `clams source text:...`). */
    char *text = NULL;
    size_t len = 0;
    clams_error_t err = {0};
    int trc = id ? clams_text_document_text(doc, &text, &len, &err) : CLAMS_ENOTFOUND;
    if (trc == CLAMS_ENOMEM)
        return CLAMS_ENOMEM;
    /* A location the server may not read, or a file over the text limit,
     * is the request's fault: the SDK answers 403 or 400. */
    if (trc == CLAMS_EACCESS || trc == CLAMS_ETOOBIG)
        return clams_annotate_reject(r->ctx, "%s", err.text);
    if (trc != 0)
        return clams_annotate_warn(r->ctx, "TextDocument %s has no readable text (%s); skipped",
                                   id ? id : "(no id)",
                                   err.text[0] ? err.text : clams_strerror(trc));
    r->doc_id = id;
    r->text = text;
    int rc = tok_scan(r->text, len, on_token, r);
    r->text = NULL;
    free(text);
    return rc < 0 ? rc : 1;
}

/* Every TextDocument in mmif-python's order (those inside earlier views
 * first, then the top-level ones); view documents only with
 * includeViewDocuments, never this request's own view. Negative stops. */
static int on_document(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    run_t *r = data;
    if (view && (!r->include_views || clams_view_is_new(view)))
        return 0;
    int rc = tokenize_doc(r, doc, id);
    r->found += rc > 0;
    return rc < 0 ? rc : 0;
}

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    run_t r = {.ctx = ctx,
               .lowercase = clams_param_bool(p, "lowercase", false),
               .sentences = clams_param_bool(p, "splitSentences", true),
               .targets = clams_param_bool(p, "sentenceTargets", false),
               .sent_tokens = json_array()};
    r.view = clams_annotate_add_view(ctx, mmif);
    if (!r.view)
        return clams_annotate_fail(ctx, "cannot create the output view");
    int rc = clams_view_add_contains_new(r.view, TOKEN_TYPE, NULL);
    if (rc == 0 && r.sentences)
        rc = clams_view_add_contains_new(r.view, SENTENCE_TYPE, NULL);
    if (rc != 0 || !r.sent_tokens) {
        json_decref(r.sent_tokens);
        return clams_annotate_fail(ctx, "cannot describe the output view");
    }
    r.include_views = clams_param_bool(p, "includeViewDocuments", false);
    rc = clams_mmif_foreach_document(mmif, "TextDocument", 0, on_document, &r);
    json_decref(r.sent_tokens);
    free(r.lower_buf);
    if (rc < 0)
        return rc;
    if (!r.found)
        return clams_annotate_warn(ctx, "the input has no readable TextDocument");
    return 0;
}

static const clams_app_t app = {
    .name = "Tokenizer (clams-c example)",
    .description = "Splits the text of TextDocuments into word and punctuation tokens and "
                   "sentences. An example of a CLAMS app written in C with clams-c.",
    .app_version = "v1.0",
    .app_license = "Apache-2.0",
    .identifier = "tokenizer",
    .url = "https://github.com/clamsproject/clams-c",
    .input = inputs,
    .output = outputs,
    .parameters = params,
    .app_tags = (const char *const[]){"tokenization", "sentence-splitting", NULL},
    .annotate = annotate,
};

int main(int argc, char **argv)
{
    return clams_main(&app, argc, argv);
}
