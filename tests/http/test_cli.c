/* The app command line: --help, --version, --describe, flag validation (exit
 * 2), startup errors (duplicate parameters), metadata rules (version
 * fallback, typ<min correction, app tags), the file mode, and the extra
 * annotate cases served over HTTP (warnings from annotate, invalid output). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common.h"
#include "../support/check_run.h"

static int run_app(const char *const *args, const char *const *env, const char *in, char **out,
                   char **err)
{
    const char *argv[16] = {EXAMPLE_APP_PATH};
    size_t n = 1;
    for (size_t i = 0; args && args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int rc = clams_ts_run(argv, env, in, in ? strlen(in) : 0, 120, out, err);
    ck_assert_msg(!strstr(*err, "Sanitizer"), "sanitizer report: %s", *err);
    return rc;
}

static const char *const v1_env[] = {"CLAMS_APP_VERSION=v1.0", NULL};

START_TEST(test_help_lists_flags)
{
    char *out, *err;
    ck_assert_int_eq(run_app((const char *[]){"--help", NULL}, NULL, NULL, &out, &err), 0);
    const char *flags[] = {"--help",
                           "--version",
                           "--describe",
                           "--port",
                           "--host",
                           "--max-body",
                           "--production",
                           "--workers",
                           "--max-requests",
                           "--max-requests-jitter",
                           "--timeout",
                           "--graceful-timeout",
                           "--queue",
                           "--vram-soft-budget",
                           "--vram-hard-budget",
                           "annotate"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        ck_assert_msg(strstr(out, flags[i]) != NULL, "%s missing from --help", flags[i]);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_version_and_describe)
{
    char *out, *err;
    ck_assert_int_eq(run_app((const char *[]){"--version", NULL}, v1_env, NULL, &out, &err), 0);
    ck_assert_msg(strstr(out, "v1.0") && strstr(out, "Example CLAMS App"), "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(run_app((const char *[]){"--describe", NULL}, v1_env, NULL, &out, &err), 0);
    json_t *t = golden_transcript("GET_metadata_pretty");
    char *want = NULL;
    ck_assert(asprintf(&want, "%s\n", json_string_value(json_object_get(t, "body"))) > 0);
    ck_assert_str_eq(out, want);
    char msg[1024];
    ck_assert_int_eq(clams_ts_validate_metadata(out, strlen(out), msg, sizeof(msg)),
                     CLAMS_TS_VALID);
    free(want);
    json_decref(t);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_version_fallback)
{
    char *out, *err;
    ck_assert_int_eq(run_app((const char *[]){"--describe", NULL}, NULL, NULL, &out, &err), 0);
    json_t *m = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(m);
    const char *v = json_string_value(json_object_get(m, "app_version"));
    const char *env = getenv("CLAMS_APP_VERSION");
    ck_assert_str_eq(v, env && *env ? env : "unresolvable");
    json_decref(m);
    free(out);
    free(err);
}
END_TEST

static void expect_usage_error(const char *const *args, const char *const *env, const char *needle)
{
    char *out, *err;
    int rc = run_app(args, env, NULL, &out, &err);
    ck_assert_msg(rc == 2, "%s: exit %d, want 2 (%s)", args[0], rc, err);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s' not in stderr: %s", needle, err);
    free(out);
    free(err);
}

START_TEST(test_bad_flags_exit_2)
{
    expect_usage_error((const char *[]){"--port", "abc", NULL}, NULL, "--port");
    expect_usage_error((const char *[]){"--port=70000", NULL}, NULL, "--port");
    expect_usage_error((const char *[]){"--workers", "-1", NULL}, NULL, "--workers");
    expect_usage_error((const char *[]){"--max-requests", "x", NULL}, NULL, "--max-requests");
    expect_usage_error((const char *[]){"--timeout", "-3", NULL}, NULL, "--timeout");
    expect_usage_error((const char *[]){"--graceful-timeout", "nan", NULL}, NULL,
                       "--graceful-timeout");
    expect_usage_error((const char *[]){"--queue", "0", NULL}, NULL, "--queue");
    expect_usage_error((const char *[]){"--max-body", "12Q", NULL}, NULL, "--max-body");
    expect_usage_error((const char *[]){"--vram-hard-budget", "-5", NULL}, NULL,
                       "--vram-hard-budget");
    expect_usage_error((const char *[]){"--vram-soft-budget", NULL}, NULL, "--vram-soft-budget");
    expect_usage_error((const char *[]){"--max-requests-jitter", "1.5", NULL}, NULL,
                       "--max-requests-jitter");
    expect_usage_error((const char *[]){"--frobnicate", NULL}, NULL, "--frobnicate");
    expect_usage_error((const char *[]){"--describe", NULL},
                       (const char *[]){"CLAMS_LOGLEVEL=chatty", NULL}, "CLAMS_LOGLEVEL");
}
END_TEST

START_TEST(test_duplicate_parameter_startup_error)
{
    char *out, *err;
    int rc = run_app((const char *[]){"--describe", NULL},
                     (const char *[]){"EXAMPLE_APP_VARIANT=dup", NULL}, NULL, &out, &err);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(err, "\"count\"") && strstr(err, "more than once"), "%s", err);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_gpu_typ_raised_to_min)
{
    char *out, *err;
    int rc = run_app((const char *[]){"--describe", NULL},
                     (const char *[]){"EXAMPLE_APP_VARIANT=gpu", "CLAMS_LOGLEVEL=warning", NULL},
                     NULL, &out, &err);
    ck_assert_int_eq(rc, 0);
    json_t *m = json_loads(out, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "est_gpu_mem_min")), 4000);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "est_gpu_mem_typ")), 4000);
    /* exactly one warning line naming both fields */
    int lines = 0;
    char *copy = strdup(err), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        lines +=
            strstr(l, "est_gpu_mem_typ") && strstr(l, "est_gpu_mem_min") && strstr(l, "WARNING");
    ck_assert_msg(lines == 1, "%d warning lines: %s", lines, err);
    free(copy);
    json_decref(m);
    free(out);
    free(err);
    /* default: no gpu fields, no app_tags */
    rc = run_app((const char *[]){"--describe", NULL}, NULL, NULL, &out, &err);
    m = json_loads(out, 0, NULL);
    ck_assert_ptr_null(json_object_get(m, "est_gpu_mem_min"));
    ck_assert_ptr_null(json_object_get(m, "est_gpu_mem_typ"));
    ck_assert_ptr_null(json_object_get(m, "app_tags"));
    json_decref(m);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_file_mode)
{
    char *input = golden_input(), *out, *err;
    char path_in[] = "/tmp/clams-app-in-XXXXXX", path_out[] = "/tmp/clams-app-out-XXXXXX";
    int fd = mkstemp(path_in);
    ck_assert(write(fd, input, strlen(input)) == (ssize_t)strlen(input));
    close(fd);
    close(mkstemp(path_out));
    int rc = run_app((const char *[]){"annotate", path_in, path_out, "--param", "count=7",
                                      "--param=labels=Q", NULL},
                     v1_env, NULL, &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    size_t len;
    char *res = clams_ts_read_file(path_out, &len);
    char msg[1024];
    ck_assert_int_eq(clams_ts_validate_mmif(res, len, msg, sizeof(msg)), CLAMS_TS_VALID);
    json_t *d = json_loads(res, 0, NULL);
    json_t *md = json_object_get(json_array_get(json_object_get(d, "views"), 0), "metadata");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(md, "appConfiguration"), "count")), 7);
    json_decref(d);
    free(res);
    free(out);
    free(err);
    /* stdin to stdout, app failure: error view written, exit 1 */
    rc = run_app((const char *[]){"annotate", "-", "-", "--param", "raise_error=1", NULL}, v1_env,
                 input, &out, &err);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(out, "\"error\""));
    ck_assert_int_eq(clams_ts_validate_mmif(out, strlen(out), msg, sizeof(msg)), CLAMS_TS_VALID);
    free(out);
    free(err);
    /* invalid input: message on stderr, exit 1 */
    rc = run_app((const char *[]){"annotate", NULL}, v1_env, "not json", &out, &err);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(err, "Invalid input data"));
    free(out);
    free(err);
    rc = run_app((const char *[]){"annotate", "--param", "novalue", NULL}, v1_env, input, &out,
                 &err);
    ck_assert_int_eq(rc, 2);
    free(out);
    free(err);
    unlink(path_in);
    unlink(path_out);
    free(input);
}
END_TEST

/* appConfiguration of the app's view in a file-mode output (new). */
static json_t *file_mode_config(const char *const *args, const char *input)
{
    char *out, *err;
    int rc = run_app(args, v1_env, input, &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    json_t *d = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(d);
    json_t *md = json_object_get(json_array_get(json_object_get(d, "views"), 0), "metadata");
    json_t *conf = json_deep_copy(json_object_get(md, "appConfiguration"));
    json_decref(d);
    free(out);
    free(err);
    return conf;
}

/* clams-python's cli.py form: one flag per runtime parameter, multivalued
 * ones taking several values, beside the --param form. */
START_TEST(test_file_mode_parameter_flags)
{
    char *input = golden_input();
    json_t *flags =
        file_mode_config((const char *[]){"annotate", "-", "-", "--count", "7", "--labels", "Q",
                                          "R", "--labelMap", "a:b", "--mode=slow", NULL},
                         input);
    json_t *params =
        file_mode_config((const char *[]){"annotate", "-", "-", "--param", "count=7", "--param",
                                          "labels=Q", "--param", "labels=R", "--param",
                                          "labelMap=a:b", "--param", "mode=slow", NULL},
                         input);
    assert_json_equal(flags, params, "the two spellings");
    ck_assert_int_eq(json_integer_value(json_object_get(flags, "count")), 7);
    ck_assert_int_eq(json_array_size(json_object_get(flags, "labels")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(flags, "mode")), "slow");
    json_decref(flags);
    json_decref(params);
    char *out, *err;
    /* A flag without its value, and one that is no parameter: usage errors. */
    ck_assert_int_eq(
        run_app((const char *[]){"annotate", "-", "-", "--count", NULL}, v1_env, input, &out, &err),
        2);
    ck_assert_msg(strstr(err, "--count expects a value"), "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(
        run_app((const char *[]){"annotate", "--minLength", "3", NULL}, v1_env, input, &out, &err),
        2);
    ck_assert_msg(strstr(err, "not a parameter of this app"), "%s", err);
    free(out);
    free(err);
    /* A bad value is the pipeline's 400 error view, as over HTTP. */
    ck_assert_int_eq(
        run_app((const char *[]){"annotate", "--count", "x", NULL}, v1_env, input, &out, &err), 1);
    ck_assert_msg(strstr(out, "expects an integer"), "%s", out);
    free(out);
    free(err);
    free(input);
}
END_TEST

/* --help and annotate --help list the app's own parameters. */
START_TEST(test_help_lists_parameters)
{
    const char *const *which[] = {(const char *[]){"--help", NULL},
                                  (const char *[]){"annotate", "--help", NULL}};
    for (size_t w = 0; w < 2; w++) {
        char *out, *err;
        ck_assert_int_eq(run_app(which[w], NULL, NULL, &out, &err), 0);
        ck_assert_msg(strstr(out, "--count INTEGER") && strstr(out, "(default: 3"),
                      "no --count with type and default:\n%s", out);
        ck_assert_msg(strstr(out, "--labels STRING...") && strstr(out, "multivalued"), "%s", out);
        ck_assert_msg(strstr(out, "choices: [\"fast\",\"slow\"]"), "%s", out);
        ck_assert_msg(strstr(out, "--tfSamplingMode STRING"), "%s", out);
        free(out);
        free(err);
    }
}
END_TEST

/* Serves the app with extra environment and POSTs the golden input once. */
static json_t *serve_and_post(const char *const *env, const char *query, long status)
{
    clams_ts_server_t s;
    ck_assert_int_eq(clams_ts_server_start(&s, EXAMPLE_APP_PATH, NULL, env, 60), 0);
    char *input = golden_input();
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_post(s.base_url, query, input, &r), 0);
    clams_ts_server_stop(&s, SIGTERM, 60);
    char *log = clams_ts_server_log(&s);
    ck_assert_msg(!log || !strstr(log, "Sanitizer"), "server log: %s", log);
    free(log);
    ck_assert_msg(r.status == status, "status %ld: %.400s", r.status, r.body);
    assert_valid_mmif(&r);
    json_t *d = parse_body(&r);
    clams_ts_response_free(&r);
    free(input);
    unlink(s.log_path);
    return d;
}

START_TEST(test_warning_from_annotate)
{
    json_t *d =
        serve_and_post((const char *[]){"EXAMPLE_APP_WARN=1", NULL}, "hwFetch=true&u=1", 200);
    json_t *views = json_object_get(d, "views");
    ck_assert_int_eq((int)json_array_size(views), 2);
    json_t *md = json_object_get(json_array_get(views, 1), "metadata");
    json_t *w = json_object_get(md, "warnings");
    ck_assert_int_eq((int)json_array_size(w), 2); /* undefined "u", then the app's */
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(w, 1)), "count=3"));
    ck_assert(json_is_object(json_object_get(json_object_get(md, "appProfiling"), "hardware")));
    ck_assert_ptr_nonnull(json_object_get(md, "appConfiguration"));
    json_decref(d);
}
END_TEST

START_TEST(test_reject_is_400)
{
    json_t *d = serve_and_post((const char *[]){"EXAMPLE_APP_REJECT=1", NULL}, NULL, 400);
    json_t *views = json_object_get(d, "views");
    ck_assert_int_eq((int)json_array_size(views), 1);
    json_t *err = json_object_get(json_object_get(json_array_get(views, 0), "metadata"), "error");
    ck_assert_str_eq(json_string_value(json_object_get(err, "message")),
                     "TimeFrame tf_1: TimePoint tp_99 not found");
    const char *trace = json_string_value(json_object_get(err, "stackTrace"));
    ck_assert_msg(trace && strstr(trace, "example_app.c"), "trace: %s", trace);
    json_decref(d);
}
END_TEST

START_TEST(test_invalid_output_is_500)
{
    json_t *d = serve_and_post((const char *[]){"EXAMPLE_APP_BAD_VIEW=1", NULL}, NULL, 500);
    json_t *views = json_object_get(d, "views");
    ck_assert_int_eq((int)json_array_size(views), 1);
    json_t *err = json_object_get(json_object_get(json_array_get(views, 0), "metadata"), "error");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(err, "message")), "schema"));
    json_decref(d);
}
END_TEST

START_TEST(test_app_tags_signed)
{
    json_t *d = serve_and_post((const char *[]){"EXAMPLE_APP_VARIANT=tags", NULL}, NULL, 200);
    json_t *md = json_object_get(json_array_get(json_object_get(d, "views"), 0), "metadata");
    json_t *tags = json_object_get(md, "appTags");
    ck_assert_int_eq((int)json_array_size(tags), 2);
    ck_assert_str_eq(json_string_value(json_array_get(tags, 0)), "testing");
    json_decref(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_help_lists_flags);
    tcase_add_test(tc, test_version_and_describe);
    tcase_add_test(tc, test_version_fallback);
    tcase_add_test(tc, test_bad_flags_exit_2);
    tcase_add_test(tc, test_duplicate_parameter_startup_error);
    tcase_add_test(tc, test_gpu_typ_raised_to_min);
    tcase_add_test(tc, test_file_mode);
    tcase_add_test(tc, test_warning_from_annotate);
    tcase_add_test(tc, test_file_mode_parameter_flags);
    tcase_add_test(tc, test_help_lists_parameters);
    tcase_add_test(tc, test_reject_is_400);
    tcase_add_test(tc, test_invalid_output_is_500);
    tcase_add_test(tc, test_app_tags_signed);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
