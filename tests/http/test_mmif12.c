/* An app declaring MMIF 1.2.0, end to end over HTTP on both servers: its
 * metadata says 1.2.0; given a 1.2.0 document (clams.ai/vocabulary/type URIs)
 * and a 1.1.0 one (mmif.clams.ai URIs), the TextDocument the SDK adds by
 * default and the Alignment type the app asks the SDK for are the 1.2.0
 * URIs; the output validates against the MMIF schema; the input's own
 * documents keep their types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "clams/clams.h"

#include "common.h"
#include "../support/check_run.h"

#define NEW_TEXT  "http://clams.ai/vocabulary/type/TextDocument/v2"
#define NEW_ALIGN "http://clams.ai/vocabulary/type/Alignment/v1"

static char *doc_of(const char *version, const char *text_type)
{
    char *s = NULL;
    int n = asprintf(&s,
                     "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/%s\"}, \"documents\": "
                     "[{\"@type\": \"%s\", \"properties\": {\"id\": \"d1\", \"text\": "
                     "{\"@value\": \"Hello, world\"}}}], \"views\": []}",
                     version, text_type);
    ck_assert_int_gt(n, 0);
    return s;
}

START_TEST(test_app_declaring_1_2_0)
{
    static const char *const prod[] = {"--production", NULL};
    static const char *const env[] = {"CLAMS_GUNICORN_WORKERS=1", NULL};
    clams_ts_server_t s;
    ck_assert_int_eq(clams_ts_server_start(&s, MMIF12_APP_PATH, _i ? prod : NULL, env, 60), 0);
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_get(s.base_url, NULL, &r), 0);
    json_t *md = parse_body(&r);
    ck_assert_str_eq(json_string_value(json_object_get(md, "mmif_version")), "1.2.0");
    json_decref(md);
    clams_ts_response_free(&r);
    const char *inputs[2][2] = {{"1.2.0", NEW_TEXT},
                                {"1.1.0", "http://mmif.clams.ai/vocabulary/TextDocument/v1"}};
    for (int k = 0; k < 2; k++) {
        char *in = doc_of(inputs[k][0], inputs[k][1]);
        ck_assert_int_eq(clams_ts_post(s.base_url, NULL, in, &r), 0);
        ck_assert_msg(r.status == 200, "%s input: %ld %s", inputs[k][0], r.status, r.body);
        assert_valid_mmif(&r);
        json_t *d = parse_body(&r);
        json_t *docs = json_object_get(d, "documents");
        ck_assert_int_eq(json_array_size(docs), 2);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(docs, 0), "@type")),
                         inputs[k][1]); /* the input's document is left as it was */
        json_t *added = json_array_get(docs, 1);
        ck_assert_str_eq(json_string_value(json_object_get(added, "@type")), NEW_TEXT);
        ck_assert_str_eq(
            json_string_value(json_object_get(
                json_object_get(json_object_get(added, "properties"), "text"), "@value")),
            "HELLO, WORLD");
        json_t *view = json_array_get(json_object_get(d, "views"), 0);
        json_t *a = json_array_get(json_object_get(view, "annotations"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(a, "@type")), NEW_ALIGN);
        ck_assert_ptr_nonnull(json_object_get(
            json_object_get(json_object_get(view, "metadata"), "contains"), NEW_ALIGN));
        json_decref(d);
        clams_ts_response_free(&r);
        free(in);
    }
    clams_ts_server_stop(&s, 0, 30);
}
END_TEST

START_TEST(test_vocabulary_table)
{
    ck_assert_str_eq(clams_vocab_type_uri("1.1.0", "TimeFrame"),
                     "http://mmif.clams.ai/vocabulary/TimeFrame/v6");
    ck_assert_str_eq(clams_vocab_type_uri(NULL, "BoundingBox"),
                     "http://mmif.clams.ai/vocabulary/BoundingBox/v5");
    ck_assert_str_eq(clams_vocab_type_uri("http://mmif.clams.ai/1.2.0", "VideoDocument"),
                     "http://clams.ai/vocabulary/type/VideoDocument/v2");
    ck_assert_ptr_null(clams_vocab_type_uri("1.2.0", "BoundingBox")); /* not known: no guess */
    ck_assert_ptr_null(clams_vocab_type_uri("2.0.0", "TextDocument"));
    ck_assert_ptr_null(clams_vocab_type_uri("1.1.0", "NoSuchType"));
    clams_mmif_t *m = clams_mmif_new("1.1.0");
    ck_assert_int_eq(clams_mmif_set_vocabulary(m, "9.9"), CLAMS_EINVAL);
    ck_assert_int_eq(clams_mmif_add_text_document(m, NULL, "a", "x", NULL), 0);
    ck_assert_int_eq(clams_mmif_set_vocabulary(m, "1.2.0"), 0);
    ck_assert_int_eq(clams_mmif_add_text_document(m, NULL, "b", "y", NULL), 0);
    ck_assert_str_eq(json_string_value(json_object_get(clams_mmif_document_at(m, 0), "@type")),
                     "http://mmif.clams.ai/vocabulary/TextDocument/v1");
    ck_assert_str_eq(json_string_value(json_object_get(clams_mmif_document_at(m, 1), "@type")),
                     NEW_TEXT);
    clams_mmif_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmif12");
    TCase *tc = tcase_create("app");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_app_declaring_1_2_0, 0, 2);
    tcase_add_test(tc, test_vocabulary_table);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
