/* libFuzzer harness: clams_mmif_load on arbitrary bytes, then, for every
 * document that loads, the operations a server runs on it (lookups, type
 * walks, a new view with annotations, compact and pretty dumps) and the
 * round-trip invariant: what we dump loads again and means the same. */
#include <clams/mmif.h>

#include "fuzz_common.h"

static int count_ann(const clams_view_t *view, json_t *ann, void *data)
{
    (void)view;
    (void)json_object_get(json_object_get(ann, "properties"), "id");
    size_t *n = data;
    (*n)++;
    return 0;
}

static void reload_same(const clams_mmif_t *m, int flags)
{
    size_t len = 0;
    char *out = clams_mmif_dumps(m, flags, &len);
    FUZZ_CHECK(out != NULL, "dump failed");
    FUZZ_CHECK(strlen(out) == len, "dump length %zu vs strlen %zu", len, strlen(out));
    clams_error_t err = {0};
    clams_mmif_t *again = clams_mmif_load(out, len, &err);
    FUZZ_CHECK(again != NULL, "our own dump does not load: %s (%s) [%s]", err.text, err.path, out);
    json_t *a = clams_mmif_to_json(m), *b = clams_mmif_to_json(again);
    FUZZ_CHECK(a && b && json_equal(a, b), "dump/load changed the document");
    json_decref(a);
    json_decref(b);
    clams_mmif_free(again);
    free(out);
}

static void exercise(clams_mmif_t *m)
{
    size_t n = 0;
    clams_mmif_foreach_annotation(m, "TimeFrame", 0, count_ann, &n);
    clams_mmif_foreach_annotation(m, NULL, 0, count_ann, &n);
    for (size_t i = 0; i < clams_mmif_view_count(m); i++) {
        clams_view_t *v = clams_mmif_view_at(m, i);
        FUZZ_CHECK(v != NULL, "view %zu missing", i);
        const char *id = clams_view_id(v);
        FUZZ_CHECK(id && clams_mmif_view_by_id(m, id) != NULL, "view id lookup");
        for (size_t k = 0; k < clams_view_annotation_count(v) && k < 64; k++) {
            json_t *a = clams_view_annotation_json_at(v, k);
            const char *aid =
                json_string_value(json_object_get(json_object_get(a, "properties"), "id"));
            if (aid) {
                char longid[512];
                snprintf(longid, sizeof(longid), "%s:%s", id, aid);
                (void)clams_mmif_lookup(m, aid);
                (void)clams_mmif_lookup(m, longid);
            }
        }
    }
    for (size_t i = 0; i < clams_mmif_document_count(m); i++) {
        json_t *d = clams_mmif_document_at(m, i);
        const char *t = json_string_value(json_object_get(d, "@type"));
        char shortname[64];
        if (t)
            clams_type_short_name(t, shortname, sizeof(shortname));
    }
    reload_same(m, 0);
    clams_view_t *v = clams_mmif_add_view(m);
    FUZZ_CHECK(v != NULL, "view_new failed");
    FUZZ_CHECK(clams_view_set_app(v, "http://apps.clams.ai/fuzz/v1") == 0, "set_app");
    clams_annotation_t *a =
        clams_view_add_annotation(v, "http://mmif.clams.ai/vocabulary/TimeFrame/v6");
    FUZZ_CHECK(a != NULL, "annotation_new failed");
    clams_annotation_set_int(a, "start", 1);
    clams_annotation_set_str(a, "label", "speech");
    clams_view_add_contains_new(v, "http://mmif.clams.ai/vocabulary/TimeFrame/v6", NULL);
    reload_same(m, CLAMS_DUMP_PRETTY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clams_error_t err = {0};
    clams_mmif_t *m = clams_mmif_load((const char *)data, size, &err);
    if (!m) {
        FUZZ_CHECK(err.code < 0, "load failed without an error code");
        FUZZ_CHECK(memchr(err.text, '\0', sizeof(err.text)) != NULL, "unterminated error");
        return 0;
    }
    exercise(m);
    clams_mmif_free(m);
    return 0;
}
