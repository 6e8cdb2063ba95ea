/* The development server through real HTTP: every golden clams-python
 * transcript replayed against the example app and compared structurally
 * (status changed only where BRIEF fix 1 says so), the Restifier and
 * envelope cases of clams-python's tests, and the HTTP edges (404, 405,
 * 413, HEAD, odd query strings, non-UTF-8 bodies). Every JSON answer is
 * validated with python jsonschema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common.h"
#include "../support/check_run.h"

static clams_ts_server_t srv;
static const char *const app_env[] = {"CLAMS_APP_VERSION=v1.0", NULL};
static const char PREFIX[] = "Invalid input data. See below for validation error.\n\n";

static void start_server(void)
{
    static const char *const args[] = {"--max-body", "200000", NULL};
    if (clams_ts_server_start(&srv, EXAMPLE_APP_PATH, args, app_env, 60) != 0) {
        fprintf(stderr, "example app did not start\n");
        exit(1);
    }
}

/* The server's own sanitizer reports (ASan builds) fail the suite. */
static void stop_server(void)
{
    int st = clams_ts_server_stop(&srv, 0, 60);
    char *log = clams_ts_server_log(&srv);
    if (log && strstr(log, "Sanitizer")) {
        fprintf(stderr, "server log:\n%s\n", log);
        exit(1);
    }
    if (st != 0)
        fprintf(stderr, "server exit status %d\n", st);
    free(log);
    unlink(srv.log_path);
}

/* Sends a request and checks status and content type. */
static void request(const char *method, const char *query, const char *body, long status,
                    const char *ctype, clams_ts_response_t *r)
{
    int rc =
        clams_ts_request(method, srv.base_url, query, NULL, body, body ? strlen(body) : 0, 60, r);
    ck_assert_msg(rc == 0, "%s ?%s failed: %s", method, query ? query : "", r->error);
    ck_assert_msg(r->status == status, "%s ?%s: status %ld, want %ld; body %.500s", method,
                  query ? query : "", r->status, status, r->body);
    if (ctype)
        ck_assert_msg(r->content_type && strcmp(r->content_type, ctype) == 0,
                      "content type %s, want %s", r->content_type, ctype);
}

/* Replays a golden transcript: same request, structural comparison. */
static void replay(const char *name, const char *method, const char *query, const char *body,
                   long status)
{
    json_t *t = golden_transcript(name);
    char *input = body ? NULL : golden_input();
    clams_ts_response_t r;
    request(method, query, body ? body : input, status, "application/json", &r);
    assert_valid_mmif(&r);
    json_t *got = parse_body(&r);
    json_t *want = json_loads(json_string_value(json_object_get(t, "body")), 0, NULL);
    normalise_mmif(got);
    normalise_mmif(want);
    assert_json_equal(got, want, name);
    bool pretty_want = strstr(json_string_value(json_object_get(t, "body")), "\n  ") != NULL;
    ck_assert_msg((strstr(r.body, "\n  ") != NULL) == pretty_want, "%s: pretty mismatch", name);
    json_decref(got);
    json_decref(want);
    json_decref(t);
    clams_ts_response_free(&r);
    free(input);
}

START_TEST(test_get_metadata)
{
    json_t *t = golden_transcript("GET_metadata");
    clams_ts_response_t r;
    request("GET", NULL, NULL, 200, "application/json", &r);
    ck_assert_str_eq(r.body, json_string_value(json_object_get(t, "body")));
    char msg[1024];
    int rc = clams_ts_validate_metadata(r.body, r.body_len, msg, sizeof(msg));
    ck_assert_msg(rc == CLAMS_TS_VALID, "metadata invalid (%d): %s", rc, msg);
    clams_ts_response_free(&r);
    json_decref(t);
}
END_TEST

START_TEST(test_get_metadata_pretty)
{
    json_t *t = golden_transcript("GET_metadata_pretty");
    clams_ts_response_t r;
    request("GET", "pretty=true&count=zz", NULL, 200, "application/json", &r);
    ck_assert_str_eq(r.body, json_string_value(json_object_get(t, "body")));
    clams_ts_response_free(&r);
    json_decref(t);
}
END_TEST

START_TEST(test_head)
{
    clams_ts_response_t r;
    request("HEAD", NULL, NULL, 200, "application/json", &r);
    ck_assert_int_eq((int)r.body_len, 0);
    clams_ts_response_free(&r);
}
END_TEST

START_TEST(test_golden_posts)
{
    replay("POST_default", "POST", NULL, NULL, 200);
    replay("PUT_default", "PUT", NULL, NULL, 200);
    replay("POST_runningTime_false", "POST", "runningTime=false", NULL, 200);
    replay("POST_params_hwFetch_undefined", "POST",
           "pretty=true&hwFetch=true&labels=A&labels=B&labelMap=X:y&labelMap=Z:w:v&count=7"
           "&undefinedParam=zz",
           NULL, 200);
    replay("POST_app_error", "POST", "raise_error=true", NULL, 500);
    /* BRIEF fix 1: bad parameter values are client errors. */
    replay("POST_invalid_choice", "POST", "mode=medium", NULL, 400);
    replay("POST_bad_cast", "POST", "count=abc", NULL, 400);
}
END_TEST

START_TEST(test_golden_envelope)
{
    char *input = golden_input(), *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"parameters\": {\"count\": 9, \"labels\": [\"x\", \"y\"], "
                       "\"labelMap\": {\"k\": \"v\"}, \"pretty\": true}, \"mmif\": %s}",
                       input) > 0);
    replay("POST_envelope", "POST", NULL, body, 200);
    replay("POST_envelope", "PUT", NULL, body, 200);
    free(body);
    free(input);
}
END_TEST

static void expect_invalid_input(const char *query, const char *body, const char *needle)
{
    clams_ts_response_t r;
    request("POST", query, body, 400, "text/plain; charset=utf-8", &r);
    ck_assert_msg(strncmp(r.body, PREFIX, strlen(PREFIX)) == 0, "body: %s", r.body);
    ck_assert_msg(r.body_len > strlen(PREFIX), "no detail");
    ck_assert_msg(r.body_len < 500 && !strstr(r.body, "$schema"), "detail too long: %s", r.body);
    if (needle)
        ck_assert_msg(strstr(r.body, needle) != NULL, "'%s' not in %s", needle, r.body);
    clams_ts_response_free(&r);
}

START_TEST(test_invalid_input)
{
    /* golden POST_not_json / POST_not_mmif / POST_envelope_missing_mmif, now 400 */
    expect_invalid_input(NULL, "this is not json", "line 1");
    expect_invalid_input(NULL,
                         "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, "
                         "\"documents\": [], \"views\": [], \"top string\": 1}",
                         NULL);
    expect_invalid_input(NULL, "{\"parameters\": {}}", "\"mmif\"");
    expect_invalid_input(NULL, "{\"parameters\": [1], \"mmif\": {}}", "\"parameters\"");
    expect_invalid_input(NULL, "{\"parameters\": {}, \"mmif\": {\"views\": 3}}", NULL);
    expect_invalid_input(NULL, "{\"parameters\": {\"a\": 1}, \"mmif\": ", "line 1");
    expect_invalid_input(NULL, "{\"metadata\": {}, \"metadata\": {}}", NULL); /* dup key */
    expect_invalid_input(NULL, "", NULL);
    expect_invalid_input(NULL,
                         "{\"metadata\": {\"mmif\": \"\xff\xfe\"}, \"documents\": [], "
                         "\"views\": []}",
                         NULL); /* not UTF-8 */
}
END_TEST

START_TEST(test_put_with_content_type)
{
    char *input = golden_input();
    const char *const hdr[] = {"Content-Type: Application/json", NULL};
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_request("PUT", srv.base_url, NULL, hdr, input, strlen(input), 60, &r),
                     0);
    ck_assert_int_eq((int)r.status, 200);
    assert_valid_mmif(&r);
    clams_ts_response_free(&r);
    /* Content-Type is ignored: text/plain works the same. */
    const char *const hdr2[] = {"Content-Type: text/plain", NULL};
    ck_assert_int_eq(
        clams_ts_request("POST", srv.base_url, NULL, hdr2, input, strlen(input), 60, &r), 0);
    ck_assert_int_eq((int)r.status, 200);
    clams_ts_response_free(&r);
    free(input);
}
END_TEST

/* Runs a POST and returns the parsed output (status checked). */
static json_t *post_json(const char *query, const char *body, long status)
{
    clams_ts_response_t r;
    request("POST", query, body, status, "application/json", &r);
    assert_valid_mmif(&r);
    json_t *j = parse_body(&r);
    clams_ts_response_free(&r);
    return j;
}

static json_t *view_md(json_t *doc, size_t i)
{
    return json_object_get(json_array_get(json_object_get(doc, "views"), i), "metadata");
}

START_TEST(test_params_recorded_only_when_passed)
{
    char *input = golden_input();
    json_t *d = post_json(NULL, input, 200);
    ck_assert_ptr_null(json_object_get(view_md(d, 0), "parameters"));
    ck_assert_int_eq((int)json_object_size(json_object_get(view_md(d, 0), "appConfiguration")),
                     9); /* 5 app + 4 universal */
    json_decref(d);
    d = post_json("count=5&labels=a", input, 200);
    json_t *p = json_object_get(view_md(d, 0), "parameters");
    ck_assert_int_eq((int)json_object_size(p), 2);
    ck_assert_str_eq(json_string_value(json_object_get(p, "labels")), "['a']");
    json_decref(d);
    free(input);
}
END_TEST

START_TEST(test_undefined_params_warning_view)
{
    char *input = golden_input();
    json_t *d = post_json("zz=1&zz=2&count=4", input, 200);
    json_t *views = json_object_get(d, "views");
    ck_assert_int_eq((int)json_array_size(views), 2);
    json_t *w = json_object_get(view_md(d, 1), "warnings");
    ck_assert_int_eq((int)json_array_size(w), 1);
    const char *msg = json_string_value(json_array_get(w, 0));
    ck_assert_ptr_nonnull(strstr(msg, "\"zz\""));
    ck_assert_ptr_nonnull(strstr(msg, "['1', '2']"));
    ck_assert_ptr_null(json_object_get(view_md(d, 1), "contains"));
    ck_assert_str_eq(json_string_value(json_object_get(view_md(d, 1), "timestamp")),
                     json_string_value(json_object_get(view_md(d, 0), "timestamp")));
    json_decref(d);
    free(input);
}
END_TEST

START_TEST(test_timestamps_increase)
{
    char *input = golden_input();
    json_t *a = post_json(NULL, input, 200);
    json_t *b = post_json(NULL, input, 200);
    const char *ta = json_string_value(json_object_get(view_md(a, 0), "timestamp"));
    const char *tb = json_string_value(json_object_get(view_md(b, 0), "timestamp"));
    ck_assert_msg(strcmp(ta, tb) < 0, "%s !< %s", ta, tb);
    json_decref(a);
    json_decref(b);
    free(input);
}
END_TEST

START_TEST(test_error_goes_to_new_view)
{
    /* BRIEF fix 2: the input already has a view of this app; the error gets
     * a new view and the old one is left alone. */
    clams_ts_response_t r;
    char *input = golden_input();
    request("POST", NULL, input, 200, "application/json", &r);
    json_t *first = parse_body(&r);
    json_t *d = post_json("raise_error=true", r.body, 500);
    ck_assert_int_eq((int)json_array_size(json_object_get(d, "views")), 2);
    assert_json_equal(json_array_get(json_object_get(d, "views"), 0),
                      json_array_get(json_object_get(first, "views"), 0), "old view");
    json_t *md = view_md(d, 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(md, "error"), "message")),
                     "boom");
    const char *trace =
        json_string_value(json_object_get(json_object_get(md, "error"), "stackTrace"));
    ck_assert_msg(trace && strstr(trace, "example_app.c") && strstr(trace, "annotate"), "trace: %s",
                  trace);
    /* No absolute code address (ASLR): backtrace's " [0x...]" is cut. */
    ck_assert_msg(!strstr(trace, "[0x"), "an absolute address in the trace: %s", trace);
    ck_assert_ptr_null(json_object_get(md, "contains"));
    ck_assert_ptr_null(json_object_get(md, "appProfiling"));
    ck_assert_int_eq((int)json_array_size(json_object_get(
                         json_array_get(json_object_get(d, "views"), 1), "annotations")),
                     0);
    json_decref(d);
    json_decref(first);
    clams_ts_response_free(&r);
    free(input);
}
END_TEST

START_TEST(test_envelope_cases)
{
    char *input = golden_input(), *body = NULL;
    /* query string wins over the envelope */
    ck_assert(asprintf(&body,
                       "{\"mmif\": %s, \"parameters\": {\"count\": 9, \"mode\": "
                       "\"slow\"}}",
                       input) > 0);
    json_t *d = post_json("count=5", body, 200);
    json_t *md = view_md(d, 0);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(md, "appConfiguration"), "count")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(md, "parameters"), "count")),
                     "5");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(md, "appConfiguration"), "mode")),
        "slow");
    json_decref(d);
    free(body);
    /* app error with an envelope: raw parameters as normalised */
    ck_assert(asprintf(&body, "{\"parameters\": {\"raise_error\": true}, \"mmif\": %s}", input) >
              0);
    d = post_json(NULL, body, 500);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(view_md(d, 0), "parameters"),
                                                       "raise_error")),
                     "True");
    json_decref(d);
    free(body);
    /* the envelope's mmif given as a string */
    json_t *s = json_string(input);
    char *quoted = json_dumps(s, JSON_ENCODE_ANY);
    ck_assert(asprintf(&body, "{\"parameters\": {}, \"mmif\": %s}", quoted) > 0);
    d = post_json(NULL, body, 200);
    json_decref(d);
    free(body);
    free(quoted);
    json_decref(s);
    free(input);
}
END_TEST

START_TEST(test_not_found_and_methods)
{
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_request("GET", srv.base_url, NULL, NULL, NULL, 0, 30, &r), 0);
    clams_ts_response_free(&r);
    char url[128];
    snprintf(url, sizeof(url), "%sother", srv.base_url);
    ck_assert_int_eq(clams_ts_request("POST", url, NULL, NULL, "{}", 2, 30, &r), 0);
    ck_assert_int_eq((int)r.status, 404);
    ck_assert_str_eq(r.content_type, "application/json");
    json_t *j = parse_body(&r);
    ck_assert(json_is_string(json_object_get(j, "message")));
    json_decref(j);
    clams_ts_response_free(&r);
    const char *methods[] = {"DELETE", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < 3; i++) {
        request(methods[i], NULL, NULL, 405, "application/json", &r);
        char *allow = clams_ts_header(&r, "Allow");
        ck_assert_msg(allow && strstr(allow, "GET") && strstr(allow, "POST") &&
                          strstr(allow, "PUT"),
                      "Allow: %s", allow);
        free(allow);
        clams_ts_response_free(&r);
    }
}
END_TEST

START_TEST(test_body_too_large)
{
    size_t n = 300000;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    clams_ts_response_t r;
    request("POST", NULL, big, 413, "application/json", &r);
    clams_ts_response_free(&r);
    /* chunked upload: no Content-Length, the cap is hit while receiving */
    const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};
    int rc = clams_ts_request("POST", srv.base_url, NULL, chunked, big, n, 60, &r);
    ck_assert_msg(rc == 0 && r.status == 413, "chunked: rc %d status %ld (%s)", rc, r.status,
                  r.error);
    clams_ts_response_free(&r);
    free(big);
    /* the server still works afterwards */
    request("GET", NULL, NULL, 200, "application/json", &r);
    clams_ts_response_free(&r);
}
END_TEST

START_TEST(test_odd_query_strings)
{
    char *input = golden_input();
    json_t *d = post_json("%zz=1&&=x&flag&count=%37&labels=a+b&labels=c%20d", input, 200);
    json_t *conf = json_object_get(view_md(d, 0), "appConfiguration");
    ck_assert_int_eq(json_integer_value(json_object_get(conf, "count")), 7);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(conf, "labels"), 0)), "a b");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(conf, "labels"), 1)), "c d");
    json_t *views = json_object_get(d, "views");
    ck_assert_int_eq((int)json_array_size(views), 2); /* undefined "%zz" and "flag" */
    json_decref(d);
    free(input);
}
END_TEST

START_TEST(test_multivalued_and_required_edge)
{
    char *input = golden_input();
    /* map without a colon: a bad value, 400 error view */
    json_t *d = post_json("labelMap=nocolon", input, 400);
    ck_assert_ptr_nonnull(json_object_get(view_md(d, 0), "error"));
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_object_get(view_md(d, 0), "parameters"), "labelMap")),
                     "['nocolon']");
    json_decref(d);
    free(input);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_devserver");
    TCase *tc = tcase_create("devserver");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_get_metadata);
    tcase_add_test(tc, test_get_metadata_pretty);
    tcase_add_test(tc, test_head);
    tcase_add_test(tc, test_golden_posts);
    tcase_add_test(tc, test_golden_envelope);
    tcase_add_test(tc, test_invalid_input);
    tcase_add_test(tc, test_put_with_content_type);
    tcase_add_test(tc, test_params_recorded_only_when_passed);
    tcase_add_test(tc, test_undefined_params_warning_view);
    tcase_add_test(tc, test_timestamps_increase);
    tcase_add_test(tc, test_error_goes_to_new_view);
    tcase_add_test(tc, test_envelope_cases);
    tcase_add_test(tc, test_not_found_and_methods);
    tcase_add_test(tc, test_body_too_large);
    tcase_add_test(tc, test_odd_query_strings);
    tcase_add_test(tc, test_multivalued_and_required_edge);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
