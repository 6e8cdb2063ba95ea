/* The document handle: loading (buffer, file, fd, parsed JSON), creating,
 * freeing, and read access to metadata, documents and views. Loaded content
 * stays a jansson tree; each view gets a small handle pointing into it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "mmif/mmif_internal.h"

static int add_view_handle(clams_mmif_t *m, clams_view_t *v)
{
    if (clams__grow(&m->views, &m->capviews, m->nviews, sizeof(*m->views), 8) != 0)
        return CLAMS_ENOMEM;
    m->views[m->nviews++] = v;
    return 0;
}

/* Wraps a root already known to be valid. Steals root. */
static clams_mmif_t *wrap_root(json_t *root, clams_error_t *err)
{
    clams_mmif_t *m = calloc(1, sizeof(*m));
    if (!m) {
        json_decref(root);
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    m->root = root;
    json_t *views = json_object_get(root, "views");
    size_t i;
    json_t *vj;
    json_array_foreach (views, i, vj) {
        clams_view_t *v = calloc(1, sizeof(*v));
        if (!v || add_view_handle(m, v) != 0) {
            free(v);
            clams_mmif_free(m);
            clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
            return NULL;
        }
        v->mmif = m;
        v->json = vj;
    }
    return m;
}

clams_mmif_t *clams_mmif_from_json_new(json_t *root, clams_error_t *err)
{
    if (!root) {
        clams__error_set(err, CLAMS_EINVAL, NULL, NULL, "no JSON value given");
        return NULL;
    }
    if (clams_mmif_validate_json(root, err) != 0) {
        json_decref(root);
        return NULL;
    }
    return wrap_root(root, err);
}

/* jansson says what was expected for most errors ("':' expected near ...");
 * complete the ones that only say what was found. */
static const char *expected_hint(const char *text)
{
    if (strstr(text, "expected"))
        return "";
    if (strncmp(text, "unexpected token", 16) == 0 || strncmp(text, "invalid token", 13) == 0)
        return " (expected a value: object, array, string, number, true, false or null)";
    if (strstr(text, "premature end of input") || strstr(text, "unexpected newline") ||
        strstr(text, "control character"))
        return " (expected the rest of the document)";
    return "";
}

clams_mmif_t *clams_mmif_load(const char *buf, size_t len, clams_error_t *err)
{
    if (!buf) {
        clams__error_set(err, CLAMS_EINVAL, NULL, NULL, "no input buffer");
        return NULL;
    }
    json_error_t jerr = {0}; /* jansson leaves the error code byte unset on some paths */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root && clams__json_failed_for_memory(&jerr, buf, len)) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    if (!root) {
        if (err && err->code == 0) {
            err->line = jerr.line;
            err->column = jerr.column;
            err->position = (long)jerr.position;
        }
        clams__error_set(err, CLAMS_ESYNTAX, NULL, NULL, "line %d, column %d: %s%s", jerr.line,
                         jerr.column, jerr.text, expected_hint(jerr.text));
        return NULL;
    }
    return clams_mmif_from_json_new(root, err);
}

clams_mmif_t *clams_mmif_load_fd(int fd, clams_error_t *err)
{
    size_t len = 0;
    char *buf = clams__read_all(fd, &len);
    if (!buf) {
        int e = errno;
        clams__error_set(err, e == ENOMEM ? CLAMS_ENOMEM : CLAMS_EIO, NULL, NULL,
                         "cannot read input: %s", strerror(e));
        return NULL;
    }
    clams_mmif_t *m = clams_mmif_load(buf, len, err);
    free(buf);
    return m;
}

clams_mmif_t *clams_mmif_load_file(const char *path, clams_error_t *err)
{
    if (!path) {
        clams__error_set(err, CLAMS_EINVAL, NULL, NULL, "no path given");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        clams__error_set(err, e == ENOENT ? CLAMS_ENOTFOUND : CLAMS_EIO, NULL, NULL,
                         "cannot open %s: %s", path, strerror(e));
        return NULL;
    }
    clams_mmif_t *m = clams_mmif_load_fd(fd, err);
    close(fd);
    return m;
}

clams_mmif_t *clams_mmif_new(const char *spec_version)
{
    if (!spec_version)
        spec_version = CLAMS_MMIF_SPEC_VERSION;
    json_t *ver = strstr(spec_version, "://")
                      ? json_string(spec_version)
                      : json_sprintf("http://mmif.clams.ai/%s", spec_version);
    json_t *root = json_pack("{s:{s:o},s:[],s:[]}", "metadata", "mmif", ver, "documents", "views");
    if (!root)
        return NULL;
    return wrap_root(root, NULL);
}

void clams_mmif_free(clams_mmif_t *mmif)
{
    if (!mmif)
        return;
    for (size_t i = 0; i < mmif->nviews; i++)
        clams__view_free(mmif->views[i]);
    free(mmif->views);
    free(mmif->index);
    clams__arena_free(&mmif->index_arena);
    json_decref(mmif->root);
    free(mmif);
}

json_t *clams_mmif_metadata(const clams_mmif_t *mmif)
{
    return mmif ? json_object_get(mmif->root, "metadata") : NULL;
}

size_t clams_mmif_document_count(const clams_mmif_t *mmif)
{
    return mmif ? json_array_size(json_object_get(mmif->root, "documents")) : 0;
}

json_t *clams_mmif_document_at(const clams_mmif_t *mmif, size_t i)
{
    return mmif ? json_array_get(json_object_get(mmif->root, "documents"), i) : NULL;
}

size_t clams_mmif_view_count(const clams_mmif_t *mmif)
{
    return mmif ? mmif->nviews : 0;
}

clams_view_t *clams_mmif_view_at(const clams_mmif_t *mmif, size_t i)
{
    return mmif && i < mmif->nviews ? mmif->views[i] : NULL;
}

clams_view_t *clams_mmif_view_by_id(const clams_mmif_t *mmif, const char *id)
{
    if (!mmif || !id)
        return NULL;
    for (size_t i = 0; i < mmif->nviews; i++) {
        const char *vid = clams_view_id(mmif->views[i]);
        if (vid && strcmp(vid, id) == 0)
            return mmif->views[i];
    }
    return NULL;
}

clams_view_t *clams_mmif_add_view(clams_mmif_t *mmif)
{
    if (!mmif)
        return NULL;
    char id[32];
    for (size_t n = mmif->nviews;; n++) {
        snprintf(id, sizeof(id), "v_%zu", n);
        if (!clams_mmif_view_by_id(mmif, id))
            break;
    }
    clams_view_t *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->mmif = mmif;
    v->is_new = true;
    v->json = json_pack("{s:s,s:{s:{}},s:[]}", "id", id, "metadata", "contains", "annotations");
    if (!v->json || add_view_handle(mmif, v) != 0) {
        json_decref(v->json);
        free(v);
        return NULL;
    }
    clams__mmif_index_invalidate(mmif);
    return v;
}

static bool document_id_taken(const clams_mmif_t *m, const char *id)
{
    json_t *docs = json_object_get(m->root, "documents");
    size_t i;
    json_t *d;
    json_array_foreach (docs, i, d) {
        const char *did =
            json_string_value(json_object_get(json_object_get(d, "properties"), "id"));
        if (did && strcmp(did, id) == 0)
            return true;
    }
    return clams_mmif_lookup(m, id) != NULL;
}

static int append_document(clams_mmif_t *mmif, json_t *doc)
{
    if (!doc)
        return CLAMS_ENOMEM;
    if (json_array_append_new(json_object_get(mmif->root, "documents"), doc) != 0)
        return CLAMS_ENOMEM;
    clams__mmif_index_invalidate(mmif);
    return 0;
}

int clams_mmif_add_text_document(clams_mmif_t *mmif, const char *type_uri, const char *id,
                                 const char *text, const char *language)
{
    if (!mmif || !id || !*id || !text)
        return CLAMS_EINVAL;
    if (document_id_taken(mmif, id))
        return CLAMS_EEXIST;
    if (!type_uri) /* the TextDocument of the document's own MMIF version */
        type_uri = clams_vocab_type_uri(clams__mmif_version_of(mmif), "TextDocument");
    if (!type_uri)
        type_uri = clams_vocab_type_uri(CLAMS_MMIF_SPEC_VERSION, "TextDocument");
    json_t *tv = json_pack("{s:s}", "@value", text);
    if (tv && language && json_object_set_new(tv, "@language", json_string(language)) != 0) {
        json_decref(tv);
        return CLAMS_EINVAL;
    }
    if (!tv)
        return CLAMS_EINVAL; /* text not UTF-8 */
    return append_document(mmif, json_pack("{s:s,s:{s:s,s:o}}", "@type", type_uri, "properties",
                                           "id", id, "text", tv));
}

int clams_mmif_add_media_document(clams_mmif_t *mmif, const char *type_uri, const char *id,
                                  const char *mime, const char *location)
{
    if (!mmif || !type_uri || !*type_uri || !id || !*id)
        return CLAMS_EINVAL;
    if (document_id_taken(mmif, id))
        return CLAMS_EEXIST;
    json_t *props = json_pack("{s:s}", "id", id);
    if (!props)
        return CLAMS_EINVAL;
    if ((mime && json_object_set_new(props, "mime", json_string(mime)) != 0) ||
        (location && json_object_set_new(props, "location", json_string(location)) != 0)) {
        json_decref(props);
        return CLAMS_EINVAL;
    }
    return append_document(mmif, json_pack("{s:s,s:o}", "@type", type_uri, "properties", props));
}
