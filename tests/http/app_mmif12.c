/* A test app declaring MMIF 1.2.0: for every TextDocument it adds an
 * upper-cased copy (a new TextDocument of the SDK's default type) and a view
 * with an Alignment from the original to the copy, its type asked of the SDK
 * (clams_annotate_type_uri). Both must come out in the 1.2.0 vocabulary
 * (http://clams.ai/vocabulary/type/...) whatever the input's version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clams/clams.h>

/* Collects the top-level TextDocuments (id, text) first: documents are
 * added after the walk, not during it. */
static int collect(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    const json_t *text =
        json_object_get(json_object_get(json_object_get(doc, "properties"), "text"), "@value");
    if (view || !json_is_string(text))
        return 0;
    return json_array_append_new(data, json_pack("[s,O]", id, text)) ? CLAMS_ENOMEM : 0;
}

static int copy_upper(clams_mmif_t *mmif, const char *id, const char *text)
{
    char *up = strdup(text);
    char newid[160];
    if (!up)
        return CLAMS_ENOMEM;
    for (char *c = up; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 32);
    snprintf(newid, sizeof(newid), "%s_upper", id);
    int rc = clams_mmif_add_text_document(mmif, NULL, newid, up, NULL);
    free(up);
    return rc;
}

static int annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    (void)p;
    size_t before = clams_mmif_document_count(mmif);
    json_t *found = json_array();
    int rc = found ? clams_mmif_foreach_document(
                         mmif, clams_vocab_type_uri("1.1.0", "TextDocument"), 0, collect, found)
                   : CLAMS_ENOMEM;
    size_t i;
    json_t *pair;
    json_array_foreach (found, i, pair)
        if (rc == 0)
            rc = copy_upper(mmif, json_string_value(json_array_get(pair, 0)),
                            json_string_value(json_array_get(pair, 1)));
    json_decref(found);
    if (rc != 0)
        return clams_annotate_fail(ctx, "adding a TextDocument failed: %s", clams_strerror(rc));
    const char *align = clams_annotate_type_uri(ctx, "Alignment");
    clams_view_t *v = clams_annotate_add_view(ctx, mmif);
    if (!align || !v || clams_view_add_contains_new(v, align, NULL) != 0)
        return clams_annotate_fail(ctx, "cannot create the Alignment view");
    for (i = before; i < clams_mmif_document_count(mmif); i++) {
        const char *nid = clams_document_id(clams_mmif_document_at(mmif, i));
        char src[160];
        snprintf(src, sizeof(src), "%.*s", (int)(strlen(nid) - strlen("_upper")), nid);
        clams_annotation_t *a = clams_view_add_annotation(v, align);
        if (!a || clams_annotation_set_str(a, "source", src) != 0 ||
            clams_annotation_set_str(a, "target", nid) != 0)
            return clams_annotate_fail(ctx, "cannot add an Alignment");
    }
    return 0;
}

static const clams_io_spec_t in[] = {
    {.type = "http://clams.ai/vocabulary/type/TextDocument/v2", .description = "text"}, {0}};
static const clams_io_spec_t out[] = {
    {.type = "http://clams.ai/vocabulary/type/TextDocument/v2", .description = "upper case"},
    {.type = "http://clams.ai/vocabulary/type/Alignment/v1", .description = "original to copy"},
    {0},
};

static const clams_app_t app = {
    .name = "MMIF 1.2.0 test app",
    .description = "Upper-cases TextDocuments, in the MMIF 1.2.0 vocabulary.",
    .app_version = "v1",
    .mmif_version = "1.2.0",
    .app_license = "Apache-2.0",
    .identifier = "mmif12-test",
    .url = "https://example.org/mmif12",
    .input = in,
    .output = out,
    .annotate = annotate,
};

int main(int argc, char **argv)
{
    return clams_main(&app, argc, argv);
}
