/* Unit tests (Check) for the MMIF document model: ids and prefixes, type
 * matching, lookup, documents, error and warning views, syntax and schema
 * errors, dumps of created annotations, and file/fd loading. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/mmif.h"
#include "mmif/mmif_internal.h"
#include "../support/check_run.h"

#ifndef SAMPLES_DIR
#define SAMPLES_DIR "."
#endif
#define TF    "http://mmif.clams.ai/vocabulary/TimeFrame/v6"
#define TOKEN "http://mmif.clams.ai/vocabulary/Token/v1"

static const char *MINI =
    "{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},"
    "\"documents\":[{\"@type\":\"http://mmif.clams.ai/vocabulary/TextDocument/v1\","
    "\"properties\":{\"id\":\"d1\",\"text\":{\"@value\":\"hi\"}}}],"
    "\"views\":[{\"id\":\"v_0\",\"metadata\":{\"app\":\"http://x.org/app/v1\",\"contains\":{}},"
    "\"annotations\":[{\"@type\":\"" TF "\",\"properties\":{\"id\":\"v_0:tf_1\",\"start\":1}},"
    "{\"@type\":\"http://vocab.lappsgrid.org/Token\",\"properties\":{\"id\":\"t7\"}}]}]}";

static clams_mmif_t *mini(void)
{
    clams_error_t err;
    clams_error_clear(&err);
    clams_mmif_t *m = clams_mmif_load(MINI, strlen(MINI), &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

/* Dumps, reparses and returns the document as JSON. */
static json_t *reparse(const clams_mmif_t *m, int flags)
{
    size_t len = 0;
    char *s = clams_mmif_dumps(m, flags, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(strlen(s), len);
    json_error_t jerr;
    json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "dump is not JSON: %s", jerr.text);
    clams_error_t err;
    clams_error_clear(&err);
    ck_assert_msg(clams_mmif_validate_json(j, &err) == 0, "dump invalid: %s", err.text);
    free(s);
    return j;
}

START_TEST(view_ids_and_prefixes)
{
    clams_mmif_t *m = mini();
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_str_eq(clams_view_id(v), "v_1");
    ck_assert(clams_view_is_new(v));
    ck_assert(!clams_view_is_new(clams_mmif_view_at(m, 0)));
    clams_view_t *v2 = clams_mmif_add_view(m);
    ck_assert_str_eq(clams_view_id(v2), "v_2");
    const struct {
        const char *uri, *id;
    } want[] = {
        {TF, "v_1:tf_1"},
        {TF, "v_1:tf_2"},
        {TOKEN, "v_1:to_1"},
        {"http://mmif.clams.ai/vocabulary/BoundingBox/v5", "v_1:bb_1"},
        {"http://mmif.clams.ai/vocabulary/TimePoint/v5", "v_1:tp_1"},
        {"http://mmif.clams.ai/vocabulary/TextDocument/v1", "v_1:td_1"},
        {"http://mmif.clams.ai/vocabulary/Alignment/v1", "v_1:al_1"},
        {"http://mmif.clams.ai/vocabulary/TimeFrame/v5", "v_1:tf_3"},
        {"http://example.org/types/Frobnicator", "v_1:f_1"},
        {"http://example.org/types/Foo", "v_1:fo_1"},
        {TOKEN, "v_1:to_2"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        clams_annotation_t *a = clams_view_add_annotation(v, want[i].uri);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(clams_annotation_id(a), want[i].id);
        ck_assert_str_eq(clams_annotation_type(a), want[i].uri);
    }
    ck_assert_uint_eq(clams_view_annotation_count(v), 11);
    ck_assert_ptr_null(clams_view_annotation_json_at(v, 0));
    ck_assert_ptr_null(clams_view_add_annotation(clams_mmif_view_at(m, 0), TF));
    /* Types used are listed in contains. */
    json_t *c = json_object_get(clams_view_metadata(v), "contains");
    ck_assert_ptr_nonnull(json_object_get(c, TF));
    ck_assert_ptr_nonnull(json_object_get(c, TOKEN));
    clams_mmif_free(m);
}
END_TEST

START_TEST(view_id_skips_taken)
{
    const char *doc = "{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[],"
                      "\"views\":[{\"id\":\"v_1\",\"metadata\":{\"app\":\"http://a/b/c\","
                      "\"contains\":{}},\"annotations\":[]}]}";
    clams_mmif_t *m = clams_mmif_load(doc, strlen(doc), NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(clams_view_id(clams_mmif_add_view(m)), "v_2");
    ck_assert_str_eq(clams_view_id(clams_mmif_add_view(m)), "v_3");
    ck_assert_ptr_nonnull(clams_mmif_view_by_id(m, "v_2"));
    ck_assert_ptr_null(clams_mmif_view_by_id(m, "v_9"));
    clams_mmif_free(m);
}
END_TEST

START_TEST(type_matching)
{
    ck_assert(clams_type_matches(TF, "TimeFrame", 0));
    ck_assert(clams_type_matches(TF, "http://mmif.clams.ai/vocabulary/TimeFrame/v1", 0));
    ck_assert(!clams_type_matches(TF, "http://mmif.clams.ai/vocabulary/TimeFrame/v1",
                                  CLAMS_TYPE_MATCH_VERSION));
    ck_assert(clams_type_matches(TF, "http://mmif.clams.ai/vocabulary/TimeFrame/v6",
                                 CLAMS_TYPE_MATCH_VERSION));
    ck_assert(clams_type_matches("http://clams.ai/vocabulary/type/TimeFrame/v7", TF, 0));
    ck_assert(
        clams_type_matches("http://vocab.lappsgrid.org/Token", TOKEN, CLAMS_TYPE_MATCH_VERSION));
    ck_assert(clams_type_matches("http://vocab.lappsgrid.org/Token", "Token", 0));
    ck_assert(!clams_type_matches(TF, "TimePoint", 0));
    ck_assert(!clams_type_matches(TF, "Time", 0));
    ck_assert(!clams_type_matches("http://example.org/TimeFrame", "TimeFrame", 0));
    ck_assert(clams_type_matches("http://example.org/X/v2", "http://example.org/X/v1", 0));
    ck_assert(!clams_type_matches(NULL, "X", 0));
    char buf[8];
    ck_assert_uint_eq(clams_type_short_name(TF, buf, sizeof(buf)), 9);
    ck_assert_str_eq(buf, "TimeFra");
    char big[64];
    clams_type_short_name("http://clams.ai/vocabulary/type/VideoDocument/v2", big, sizeof(big));
    ck_assert_str_eq(big, "VideoDocument");
    clams_type_short_name("http://vocab.lappsgrid.org/SemanticTag", big, sizeof(big));
    ck_assert_str_eq(big, "SemanticTag");
}
END_TEST

static int count_fn(const clams_view_t *view, json_t *ann, void *data)
{
    (void)view;
    ck_assert_ptr_nonnull(json_object_get(ann, "@type"));
    (*(int *)data)++;
    return 0;
}

static int stop_fn(const clams_view_t *view, json_t *ann, void *data)
{
    (void)view, (void)ann, (void)data;
    return 42;
}

START_TEST(lookup_and_foreach)
{
    clams_mmif_t *m = mini();
    ck_assert_ptr_nonnull(clams_mmif_lookup(m, "d1"));
    json_t *a = clams_mmif_lookup(m, "v_0:tf_1");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(a, "properties"), "start")),
                     1);
    ck_assert_ptr_nonnull(clams_mmif_lookup(m, "v_0:t7")); /* old short id */
    ck_assert_ptr_null(clams_mmif_lookup(m, "nope"));
    ck_assert_int_eq(clams_mmif_add_text_document(m, NULL, "d2", "txt", "en"), 0);
    ck_assert_ptr_nonnull(clams_mmif_lookup(m, "d2")); /* index rebuilt */
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_annotation_set_int(clams_view_add_annotation(v, TF), "start", 5), 0);
    int n = 0;
    ck_assert_int_eq(clams_mmif_foreach_annotation(m, "TimeFrame", 0, count_fn, &n), 0);
    ck_assert_int_eq(n, 2);
    n = 0;
    clams_mmif_foreach_annotation(m, "http://mmif.clams.ai/vocabulary/Token/v1", 0, count_fn, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(clams_mmif_foreach_annotation(m, "TimeFrame", 0, stop_fn, NULL), 42);
    clams_mmif_free(m);
}
END_TEST

START_TEST(documents)
{
    clams_mmif_t *m = clams_mmif_new(NULL);
    ck_assert_str_eq(json_string_value(json_object_get(clams_mmif_metadata(m), "mmif")),
                     "http://mmif.clams.ai/1.1.0");
    ck_assert_int_eq(
        clams_mmif_add_media_document(m, "http://mmif.clams.ai/vocabulary/VideoDocument/v1", "m1",
                                      "video/mp4", "file:///a.mp4"),
        0);
    ck_assert_int_eq(clams_mmif_add_text_document(m, NULL, "t1", "héllo \"q\"", NULL), 0);
    ck_assert_int_eq(clams_mmif_add_text_document(m, NULL, "m1", "x", NULL), CLAMS_EEXIST);
    ck_assert_int_eq(clams_mmif_add_media_document(m, NULL, "m2", "a", "b"), CLAMS_EINVAL);
    ck_assert_uint_eq(clams_mmif_document_count(m), 2);
    json_t *t = clams_mmif_document_at(m, 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(t, "properties"), "text"), "@value")),
                     "héllo \"q\"");
    ck_assert_ptr_null(clams_mmif_document_at(m, 2));
    json_t *j = reparse(m, CLAMS_DUMP_PRETTY);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "documents")), 2);
    json_decref(j);
    clams_mmif_free(m);
}
END_TEST

START_TEST(error_and_warning_views)
{
    clams_mmif_t *m = mini();
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_view_set_app(v, "http://apps.clams.ai/test/v1"), 0);
    ck_assert_int_eq(clams_annotation_set_int(clams_view_add_annotation(v, TF), "start", 1), 0);
    ck_assert_int_eq(clams_view_set_error(v, "it broke", "trace\nline 2"), 0);
    ck_assert_uint_eq(clams_view_annotation_count(v), 0);
    json_t *md = clams_view_metadata(v);
    ck_assert_ptr_null(json_object_get(md, "contains"));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(md, "error"), "stackTrace")),
                     "trace\nline 2");
    ck_assert_int_eq(clams_view_set_error(v, "", NULL), CLAMS_EINVAL);
    clams_view_t *w = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_view_set_app(w, "http://apps.clams.ai/test/v1"), 0);
    ck_assert_int_eq(clams_view_add_warning(w, "first"), 0);
    ck_assert_int_eq(clams_view_add_warning(w, "second"), 0);
    md = clams_view_metadata(w);
    ck_assert_ptr_null(json_object_get(md, "contains"));
    ck_assert_uint_eq(json_array_size(json_object_get(md, "warnings")), 2);
    /* An error in a loaded view empties its annotations. */
    clams_view_t *old = clams_mmif_view_at(m, 0);
    ck_assert_int_eq(clams_view_set_error(old, "bad", NULL), 0);
    ck_assert_uint_eq(clams_view_annotation_count(old), 0);
    ck_assert_ptr_null(clams_mmif_lookup(m, "v_0:tf_1"));
    json_t *j = reparse(m, 0);
    json_decref(j);
    clams_mmif_free(m);
}
END_TEST

START_TEST(contains_props)
{
    clams_mmif_t *m = clams_mmif_new("1.0.0");
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_str_eq(clams_view_id(v), "v_0");
    ck_assert_int_eq(clams_view_set_app(v, "http://apps.clams.ai/test/v1"), 0);
    ck_assert_int_eq(clams_view_add_contains_new(v, TF, json_pack("{s:s}", "timeUnit", "ms")), 0);
    ck_assert_int_eq(clams_view_add_contains_new(v, TF, json_pack("{s:s}", "timeUnit", "s")), 0);
    ck_assert_int_eq(clams_view_add_contains_new(v, TF, json_integer(3)), CLAMS_EINVAL);
    json_t *c = json_object_get(clams_view_metadata(v), "contains");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(c, TF), "timeUnit")), "s");
    ck_assert_str_eq(json_string_value(json_object_get(clams_mmif_metadata(m), "mmif")),
                     "http://mmif.clams.ai/1.0.0");
    clams_mmif_free(m);
}
END_TEST

START_TEST(created_annotation_dump)
{
    clams_mmif_t *m = mini();
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_view_set_app(v, "http://apps.clams.ai/test/v1"), 0);
    clams_annotation_t *a = clams_view_add_annotation(v, TOKEN);
    const char nasty[] = "q\"b\\s/\n\r\t\b\f\x01\x1f é 日本 😀";
    ck_assert_int_eq(clams_annotation_set_str(a, "word", nasty), 0);
    ck_assert_int_eq(clams_annotation_set_strn(a, "nul", "a\0b", 3), 0);
    ck_assert_int_eq(clams_annotation_set_int(a, "start", -9007199254740993LL), 0);
    ck_assert_int_eq(clams_annotation_set_real(a, "score", 0.1), 0);
    ck_assert_int_eq(clams_annotation_set_real(a, "big", 1e300), 0);
    ck_assert_int_eq(clams_annotation_set_real(a, "whole", 3.0), 0);
    ck_assert_int_eq(clams_annotation_set_real(a, "nan", nan("")), CLAMS_EINVAL);
    ck_assert_int_eq(clams_annotation_set_bool(a, "ok", true), 0);
    ck_assert_int_eq(clams_annotation_set_json_new(
                         a, "nested", json_pack("{s:[i,{s:n}],s:s}", "l", 1, "x", "k", "v\n")),
                     0);
    ck_assert_int_eq(clams_annotation_set_int(a, "ok", 7), 0); /* last value wins */
    ck_assert_int_eq(clams_annotation_set_str(a, "bad", "\xff\xfe"), CLAMS_EINVAL);
    ck_assert_int_eq(clams_annotation_set_int(a, "id", 1), CLAMS_EINVAL);
    for (int i = 0; i < 20; i++) { /* grows past the initial property slots */
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        ck_assert_int_eq(clams_annotation_set_int(a, k, i), 0);
    }
    json_t *got = clams_annotation_get_copy(a, "word");
    ck_assert_str_eq(json_string_value(got), nasty);
    json_decref(got);
    for (int flags = 0; flags <= CLAMS_DUMP_PRETTY; flags++) {
        json_t *j = reparse(m, flags);
        json_t *p = json_object_get(
            json_array_get(
                json_object_get(json_array_get(json_object_get(j, "views"), 1), "annotations"), 0),
            "properties");
        ck_assert_str_eq(json_string_value(json_object_get(p, "id")), "v_1:to_1");
        ck_assert_str_eq(json_string_value(json_object_get(p, "word")), nasty);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "start")), -9007199254740993LL);
        ck_assert(json_real_value(json_object_get(p, "score")) == 0.1);
        ck_assert(json_real_value(json_object_get(p, "big")) == 1e300);
        ck_assert(json_is_real(json_object_get(p, "whole")));
        ck_assert_int_eq(json_integer_value(json_object_get(p, "ok")), 7);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "k19")), 19);
        ck_assert_ptr_null(json_object_get(p, "nan"));
        json_t *want = json_pack("{s:[i,{s:n}],s:s}", "l", 1, "x", "k", "v\n");
        ck_assert(json_equal(json_object_get(p, "nested"), want));
        json_decref(want);
        /* to_json gives the same tree. */
        json_t *tj = clams_mmif_to_json(m);
        ck_assert(json_equal(tj, j));
        json_decref(tj);
        json_decref(j);
    }
    clams_mmif_free(m);
}
END_TEST

START_TEST(pretty_is_indented)
{
    clams_mmif_t *m = clams_mmif_new(NULL);
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_view_set_app(v, "http://apps.clams.ai/test/v1"), 0);
    ck_assert_int_eq(clams_annotation_set_int(clams_view_add_annotation(v, TF), "start", 0), 0);
    char *s = clams_mmif_dumps(m, CLAMS_DUMP_PRETTY, NULL);
    ck_assert_ptr_nonnull(strstr(s, "\n  \"views\": [\n    {\n      \"id\": \"v_0\",\n"));
    ck_assert_ptr_nonnull(strstr(s, "\n      \"metadata\": {\n        \"contains\": {\n"));
    ck_assert_ptr_nonnull(strstr(s, "\n          \"properties\": {\n            \"id\": "
                                    "\"v_0:tf_1\",\n            \"start\": 0\n"));
    free(s);
    s = clams_mmif_dumps(m, 0, NULL);
    ck_assert_ptr_null(strchr(s, '\n'));
    free(s);
    clams_mmif_free(m);
}
END_TEST

START_TEST(syntax_errors)
{
    const char *doc = "{\n  \"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"},\n"
                      "  \"documents\": [,]\n}";
    clams_error_t err;
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_mmif_load(doc, strlen(doc), &err));
    ck_assert_int_eq(err.code, CLAMS_ESYNTAX);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 17);
    ck_assert_ptr_nonnull(strstr(err.text, "expected"));
    const char *dup = "{\"metadata\":{\"mmif\":\"x\"},\"metadata\":{}}";
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_mmif_load(dup, strlen(dup), &err));
    ck_assert_int_eq(err.code, CLAMS_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicate"));
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_mmif_load("{\"a\": 1", 7, &err));
    ck_assert_int_eq(err.code, CLAMS_ESYNTAX);
    ck_assert_int_eq(err.line, 1);
    ck_assert_ptr_nonnull(strstr(err.text, "expected"));
}
END_TEST

START_TEST(schema_errors)
{
    static const struct {
        const char *doc, *path, *rule;
    } cases[] = {
        {"{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[],\"views\":["
         "{\"id\":\"v\",\"metadata\":{\"app\":\"short\",\"contains\":{}},\"annotations\":[]}]}",
         "/views/0/metadata/app", "minLength"},
        {"{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[],\"views\":["
         "{\"id\":\"v\",\"metadata\":{\"app\":\"http://a/b\",\"contains\":{\"ftp://x\":{}}},"
         "\"annotations\":[]}]}",
         "/views/0/metadata/contains", "additionalProperties"},
        {"{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[],\"views\":["
         "{\"id\":\"v\",\"metadata\":{\"app\":\"http://a/b\",\"contains\":{},\"warnings\":[]},"
         "\"annotations\":[]}]}",
         "/views/0/metadata", "oneOf"},
        {"{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[{\"@type\":"
         "\"x\",\"properties\":{\"id\":1}}],\"views\":[]}",
         "/documents/0/properties/id", "type"},
        {"{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[]}", "",
         "required"},
        {"{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[],\"views\":["
         "{\"id\":\"v\",\"metadata\":{\"app\":\"http://a/b\",\"parameters\":{\"a/b~\":[1]},"
         "\"contains\":{}},\"annotations\":[]}]}",
         "/views/0/metadata/parameters/a~1b~0", "anyOf"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clams_error_t err;
        clams_error_clear(&err);
        ck_assert_ptr_null(clams_mmif_load(cases[i].doc, strlen(cases[i].doc), &err));
        ck_assert_int_eq(err.code, CLAMS_ESCHEMA);
        ck_assert_str_eq(err.path, cases[i].path);
        ck_assert_str_eq(err.rule, cases[i].rule);
        ck_assert(strlen(err.text) > 0);
    }
}
END_TEST

START_TEST(file_and_fd_loading)
{
    clams_error_t err;
    clams_error_clear(&err);
    clams_mmif_t *m = clams_mmif_load_file(SAMPLES_DIR "/everything.mmif.json", &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_ge(clams_mmif_view_count(m), 5);
    clams_mmif_free(m);
    int fd = open(SAMPLES_DIR "/bars-tones-slates.mmif.json", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    m = clams_mmif_load_fd(fd, &err);
    ck_assert_ptr_nonnull(m);
    close(fd);
    /* A pipe: no size known in advance. */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(clams_mmif_dump_fd(m, CLAMS_DUMP_PRETTY, p[1]), 0);
    close(p[1]);
    clams_mmif_t *m2 = clams_mmif_load_fd(p[0], &err);
    close(p[0]);
    ck_assert_ptr_nonnull(m2);
    json_t *a = clams_mmif_to_json(m), *b = clams_mmif_to_json(m2);
    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    clams_mmif_free(m2);
    clams_mmif_free(m);
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_mmif_load_file("/nonexistent/x.json", &err));
    ck_assert_int_eq(err.code, CLAMS_ENOTFOUND);
    ck_assert_ptr_null(clams_mmif_from_json_new(json_pack("[]"), NULL));
}
END_TEST

static int stop_after_first(const char *buf, size_t size, void *data)
{
    (void)buf, (void)size;
    return ++*(int *)data > 1 ? -1 : 0;
}

START_TEST(many_annotations_and_callback)
{
    clams_mmif_t *m = clams_mmif_new(NULL);
    ck_assert_int_eq(clams_mmif_add_text_document(m, NULL, "d1", "words", NULL), 0);
    clams_view_t *v = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_view_set_app(v, "http://apps.clams.ai/test/v1"), 0);
    for (int i = 0; i < 20000; i++) {
        clams_annotation_t *a = clams_view_add_annotation(v, TOKEN);
        ck_assert_int_eq(clams_annotation_set_int(a, "start", i), 0);
        ck_assert_int_eq(clams_annotation_set_int(a, "end", i + 1), 0);
        ck_assert_int_eq(clams_annotation_set_str(a, "document", "d1"), 0);
        ck_assert_int_eq(clams_annotation_set_str(a, "word", "w"), 0);
    }
    ck_assert_str_eq(clams_annotation_id(clams_view_annotation_at(v, 19999)), "v_0:to_20000");
    json_t *got = clams_annotation_get_copy(clams_view_annotation_at(v, 123), "start");
    ck_assert_int_eq(json_integer_value(got), 123);
    json_decref(got);
    json_t *j = reparse(m, CLAMS_DUMP_PRETTY);
    ck_assert_uint_eq(json_array_size(json_object_get(
                          json_array_get(json_object_get(j, "views"), 0), "annotations")),
                      20000);
    json_decref(j);
    int calls = 0;
    ck_assert_int_lt(clams_mmif_dump_callback(m, 0, stop_after_first, &calls), 0);
    clams_mmif_free(m);
}
END_TEST

static Suite *mmif_suite(void)
{
    Suite *s = suite_create("mmif");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, view_ids_and_prefixes);
    tcase_add_test(tc, view_id_skips_taken);
    tcase_add_test(tc, type_matching);
    tcase_add_test(tc, lookup_and_foreach);
    tcase_add_test(tc, documents);
    tcase_add_test(tc, error_and_warning_views);
    tcase_add_test(tc, contains_props);
    tcase_add_test(tc, created_annotation_dump);
    tcase_add_test(tc, pretty_is_indented);
    tcase_add_test(tc, syntax_errors);
    tcase_add_test(tc, schema_errors);
    tcase_add_test(tc, file_and_fd_loading);
    tcase_add_test(tc, many_annotations_and_callback);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return clams_ts_run_suite(mmif_suite(), false);
}
