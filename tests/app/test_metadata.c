/* Unit tests of metadata resolution (clams__app_rt_new) and of pipeline
 * pieces called directly: identifier/version/url rules, optional fields and
 * their order, GPU fields, declaration errors, the time spellings, and the
 * production master's error response. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "app/rt.h"
#include "../support/check_run.h"

static int noop(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    return 0;
}

static const clams_io_spec_t in_td[] = {
    {.type = "http://mmif.clams.ai/vocabulary/TextDocument/v1",
     .description = "text",
     .optional = true,
     .properties = (const clams_kv_t[]){{"lang", "*"}, {0}}},
    {0},
};
static const clams_io_spec_t out_tf[] = {
    {.type = "http://mmif.clams.ai/vocabulary/TimeFrame/v6"},
    {0},
};

static clams_app_t base_app(void)
{
    clams_app_t a = {.name = "n",
                     .description = "d",
                     .app_version = "1.2",
                     .app_license = "MIT",
                     .identifier = "my-app",
                     .url = "https://example.org",
                     .input = in_td,
                     .output = out_tf,
                     .annotate = noop};
    return a;
}

static char *dump(const clams__app_rt_t *rt)
{
    return json_dumps(clams__app_rt_metadata(rt), JSON_COMPACT);
}

START_TEST(test_identifier_and_url)
{
    clams_app_t a = base_app();
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(&a, &err);
    ck_assert_msg(rt != NULL, "%s", err.text);
    const json_t *m = clams__app_rt_metadata(rt);
    ck_assert_str_eq(json_string_value(json_object_get(m, "identifier")),
                     "http://apps.clams.ai/my-app/1.2");
    ck_assert_str_eq(json_string_value(json_object_get(m, "url")), "https://example.org/");
    ck_assert_str_eq(json_string_value(json_object_get(m, "mmif_version")), "1.1.0");
    char *s = dump(rt);
    ck_assert_ptr_nonnull(strstr(s, "\"input\":[{\"@type\":\"http://mmif.clams.ai/vocabulary/"
                                    "TextDocument/v1\",\"description\":\"text\",\"properties\":"
                                    "{\"lang\":\"*\"},\"required\":false}]"));
    free(s);
    clams__app_rt_free(rt);
    a.identifier = "https://x.org/apps/thing";
    rt = clams__app_rt_new(&a, &err);
    ck_assert_str_eq(json_string_value(json_object_get(clams__app_rt_metadata(rt), "identifier")),
                     "https://x.org/apps/thing/1.2");
    clams__app_rt_free(rt);
}
END_TEST

START_TEST(test_optional_fields_order)
{
    clams_app_t a = base_app();
    a.analyzer_version = "9";
    a.analyzer_versions = (const clams_kv_t[]){{"whisper", "3"}, {0}};
    a.analyzer_license = "BSD";
    a.dependencies = (const char *const[]){"libfoo", NULL};
    a.more = (const clams_kv_t[]){{"k", "v"}, {0}};
    a.app_tags = (const char *const[]){"asr", NULL};
    a.est_gpu_mem_min = 100;
    a.est_gpu_mem_typ = 300;
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(&a, &err);
    ck_assert_ptr_nonnull(rt);
    const char *order[] = {"name",
                           "description",
                           "app_version",
                           "mmif_version",
                           "analyzer_version",
                           "analyzer_versions",
                           "app_license",
                           "analyzer_license",
                           "identifier",
                           "url",
                           "input",
                           "output",
                           "parameters",
                           "dependencies",
                           "more",
                           "app_tags",
                           "est_gpu_mem_min",
                           "est_gpu_mem_typ"};
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)clams__app_rt_metadata(rt), key, v) {
        ck_assert_msg(i < 18, "extra key %s", key);
        ck_assert_str_eq(key, order[i]);
        i++;
    }
    ck_assert_int_eq((int)i, 18);
    ck_assert_int_eq(clams__app_rt_gpu_typ(rt), 300);
    clams__app_rt_free(rt);
}
END_TEST

START_TEST(test_gpu_correction)
{
    clams_app_t a = base_app();
    a.est_gpu_mem_min = 500;
    a.est_gpu_mem_typ = 200;
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(&a, &err);
    ck_assert_int_eq(clams__app_rt_gpu_min(rt), 500);
    ck_assert_int_eq(clams__app_rt_gpu_typ(rt), 500);
    clams__app_rt_free(rt);
    a.est_gpu_mem_typ = 0; /* min only: left as is */
    rt = clams__app_rt_new(&a, &err);
    ck_assert_int_eq(clams__app_rt_gpu_typ(rt), 0);
    ck_assert_ptr_null(json_object_get(clams__app_rt_metadata(rt), "est_gpu_mem_typ"));
    clams__app_rt_free(rt);
}
END_TEST

START_TEST(test_declaration_errors)
{
    clams_error_t err = {0};
    clams_app_t a = base_app();
    a.annotate = NULL;
    ck_assert_ptr_null(clams__app_rt_new(&a, &err));
    ck_assert_int_eq(err.code, CLAMS_EMETADATA);
    clams_error_clear(&err);
    a = base_app();
    a.url = NULL;
    ck_assert_ptr_null(clams__app_rt_new(&a, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "url"));
    clams_error_clear(&err);
    a = base_app();
    a.output = (const clams_io_spec_t[]){{.type = "http://x/T"}, {.type = "http://x/T"}, {0}};
    ck_assert_ptr_null(clams__app_rt_new(&a, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "twice"));
}
END_TEST

START_TEST(test_time_spellings)
{
    char buf[64];
    clams__timedelta_str(614, buf, sizeof(buf));
    ck_assert_str_eq(buf, "0:00:00.000614");
    clams__timedelta_str(3723000000LL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1:02:03");
    clams__timedelta_str(90000000000LL + 5, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1 day, 1:00:00.000005");
    clams__iso_now(buf, sizeof(buf));
    ck_assert_int_eq((int)strlen(buf), 26);
    ck_assert(buf[10] == 'T' && buf[19] == '.');
}
END_TEST

START_TEST(test_master_error_response)
{
    clams_app_t a = base_app();
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(&a, &err);
    clams__query_t q = {0};
    clams__query_add(&q, "x", "1");
    const char *body = "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, "
                       "\"documents\": [], \"views\": []}";
    clams__response_t r;
    ck_assert_int_eq(clams__app_rt_error_response(rt, &q, body, strlen(body), "worker died", &r),
                     0);
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(r.content_type, "application/json");
    json_t *d = json_loadb(r.body, r.len, 0, NULL);
    json_t *md = json_object_get(json_array_get(json_object_get(d, "views"), 0), "metadata");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(md, "error"), "message")),
                     "worker died");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(md, "parameters"), "x")),
                     "1");
    json_decref(d);
    clams__response_free(&r);
    ck_assert_int_eq(clams__app_rt_error_response(rt, &q, "nope", 4, "worker died", &r), 0);
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(r.content_type, "text/plain; charset=utf-8");
    clams__response_free(&r);
    clams__query_free(&q);
    clams__app_rt_free(rt);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("app_metadata");
    TCase *tc = tcase_create("metadata");
    tcase_add_test(tc, test_identifier_and_url);
    tcase_add_test(tc, test_optional_fields_order);
    tcase_add_test(tc, test_gpu_correction);
    tcase_add_test(tc, test_declaration_errors);
    tcase_add_test(tc, test_time_spellings);
    tcase_add_test(tc, test_master_error_response);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
