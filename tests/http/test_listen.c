/* How both servers listen and what a request's target may weigh, checked
 * on the development server and the production server alike (issue 11's
 * three bugs):
 *  - --host takes a name (localhost) in both servers, not only an address;
 *  - a second app started on a port in use exits 1 at once saying "address
 *    already in use" (no SO_REUSEPORT unless --reuse-port asks for it);
 *  - a query that cannot travel to a worker whole is answered 414 by both
 *    servers, never cut short; one that fits comes back pretty from both;
 * and what a newcomer sees (issue 15): both servers say when they are ready,
 * answer /healthz and /readyz, name their own paths in a 404, and log every
 * request with the bytes really sent (a 404's body; nothing for HEAD). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "common.h"
#include "../support/check_run.h"

static const char *const modes[2][2] = {{NULL, NULL}, {"--production", NULL}};
static const char *mode_name(int i)
{
    return i ? "production" : "development";
}

/* Starts the example app with argv extras and returns its pid (stdout and
 * stderr to /dev/null). */
static pid_t spawn_app(const char *const *extra)
{
    pid_t pid = fork();
    if (pid == 0) {
        const char *argv[16] = {EXAMPLE_APP_PATH};
        int n = 1;
        for (int i = 0; extra[i] && n < 15; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        setenv("CLAMS_GUNICORN_WORKERS", "1", 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* GETs url until it answers (up to ~10 s) or pid exits. */
static long wait_answer(pid_t pid, const char *url)
{
    for (int i = 0; i < 200; i++) {
        clams_ts_response_t r;
        if (clams_ts_request("GET", url, NULL, NULL, NULL, 0, 2, &r) == 0) {
            long st = r.status;
            clams_ts_response_free(&r);
            return st;
        }
        clams_ts_response_free(&r);
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return -1;
        usleep(50000);
    }
    return 0;
}

START_TEST(test_host_localhost)
{
    int port = clams_ts_free_port();
    char portbuf[16], url[64];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    snprintf(url, sizeof(url), "http://localhost:%d/", port);
    const char *args[] = {"--host", "localhost", "--port", portbuf, modes[_i][0], NULL};
    pid_t pid = spawn_app(args);
    ck_assert_int_gt(pid, 0);
    long st = wait_answer(pid, url);
    clams_ts_kill(pid);
    ck_assert_msg(st == 200, "%s server with --host localhost: GET / gave %ld (-1: it exited)",
                  mode_name(_i), st);
}
END_TEST

START_TEST(test_port_in_use)
{
    clams_ts_server_t first;
    ck_assert_int_eq(clams_ts_server_start(&first, EXAMPLE_APP_PATH, NULL, NULL, 60), 0);
    char port[16];
    snprintf(port, sizeof(port), "%d", first.port);
    const char *argv[] = {EXAMPLE_APP_PATH, "--host", "127.0.0.1", "--port", port,
                          modes[_i][0],     NULL};
    static const char *const env[] = {"CLAMS_GUNICORN_WORKERS=1", NULL};
    char *out = NULL, *err = NULL;
    int rc = clams_ts_run(argv, env, NULL, 0, 20, &out, &err);
    clams_ts_server_stop(&first, 0, 10);
    ck_assert_msg(rc == 1,
                  "a second %s server on a port in use: exit %d (-1: still running "
                  "after 20 s), stderr:\n%s",
                  mode_name(_i), rc, err ? err : "");
    ck_assert_msg(strstr(err, "address already in use"), "stderr:\n%s", err);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_reuse_port_on_purpose)
{
    static const char *const reuse[] = {"--reuse-port", NULL};
    clams_ts_server_t first;
    ck_assert_int_eq(clams_ts_server_start(&first, EXAMPLE_APP_PATH, reuse, NULL, 60), 0);
    char port[16];
    snprintf(port, sizeof(port), "%d", first.port);
    const char *args[] = {"--host",       "127.0.0.1",  "--port", port,
                          "--reuse-port", modes[_i][0], NULL};
    pid_t pid = spawn_app(args);
    sleep(1);
    int status;
    bool alive = waitpid(pid, &status, WNOHANG) == 0;
    clams_ts_kill(pid);
    clams_ts_server_stop(&first, 0, 10);
    ck_assert_msg(alive, "a second %s server with --reuse-port did not keep running",
                  mode_name(_i));
}
END_TEST

/* "pretty=true&pad=xxxx..." of about `len` bytes. */
static char *padded_query(size_t len)
{
    char *q = malloc(len + 1);
    int n = snprintf(q, len + 1, "pretty=true&pad=");
    memset(q + n, 'x', len - (size_t)n);
    q[len] = '\0';
    return q;
}

START_TEST(test_long_query_same_in_both_servers)
{
    static const char *const big_headers[] = {"--max-header-size", "1M", NULL};
    const char *args[] = {"--max-header-size", "1M", modes[_i][0], NULL};
    clams_ts_server_t s;
    ck_assert_int_eq(clams_ts_server_start(&s, EXAMPLE_APP_PATH, _i ? args : big_headers, NULL, 60),
                     0);
    char *in = golden_input();
    /* Fits: the answer honours pretty=true (indented output). */
    char *q = padded_query(50 * 1024);
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_request("POST", s.base_url, q, NULL, in, strlen(in), 30, &r), 0);
    ck_assert_msg(r.status == 200, "%s: 50 kB query gave %ld: %s", mode_name(_i), r.status, r.body);
    ck_assert_msg(strstr(r.body, "\n  \"metadata\""),
                  "%s: 50 kB query with pretty=true came "
                  "back compact",
                  mode_name(_i));
    clams_ts_response_free(&r);
    free(q);
    /* Does not fit in what a worker is sent: 414 from both, never cut. */
    q = padded_query(70 * 1024);
    ck_assert_int_eq(clams_ts_request("POST", s.base_url, q, NULL, in, strlen(in), 30, &r), 0);
    ck_assert_msg(r.status == 414, "%s: 70 kB query gave %ld", mode_name(_i), r.status);
    ck_assert_msg(strstr(r.body, "URI too long"), "%s", r.body);
    clams_ts_response_free(&r);
    free(q);
    /* The server goes on. */
    ck_assert_int_eq(clams_ts_post(s.base_url, NULL, in, &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    free(in);
    int st = clams_ts_server_stop(&s, 0, 30);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
}
END_TEST

/* Waits up to 3 s for the server log to contain needle; the log (new) or NULL. */
static char *log_with(const clams_ts_server_t *s, const char *needle)
{
    for (int i = 0; i < 60; i++) {
        char *log = clams_ts_server_log(s);
        if (log && strstr(log, needle))
            return log;
        free(log);
        usleep(50000);
    }
    return NULL;
}

START_TEST(test_ready_line_service_paths_access_log)
{
    static const char *const prod[] = {"--production", NULL};
    static const char *const env[] = {"CLAMS_GUNICORN_WORKERS=2", NULL};
    clams_ts_server_t s;
    ck_assert_int_eq(clams_ts_server_start(&s, EXAMPLE_APP_PATH, _i ? prod : NULL, env, 60), 0);
    char want[160];
    snprintf(want, sizeof(want), "ready: %s server on http://127.0.0.1:%d/",
             _i ? "production" : "development", s.port);
    char *log = log_with(&s, want);
    ck_assert_msg(log, "no ready line \"%s\" at the default log level", want);
    ck_assert_msg(strstr(log, "NOTICE") && strstr(log, "Example CLAMS App for testing"), "%s", log);
    if (_i)
        ck_assert_msg(strstr(log, "(2 workers") && strstr(log, "CLAMS_GUNICORN_WORKERS"),
                      "the production ready line says how many workers and why:\n%s", log);
    free(log);
    const char *paths[] = {"healthz", "readyz"};
    for (int k = 0; k < 2; k++) {
        char url[96];
        snprintf(url, sizeof(url), "%s%s", s.base_url, paths[k]);
        clams_ts_response_t r;
        ck_assert_int_eq(clams_ts_get(url, NULL, &r), 0);
        ck_assert_msg(r.status == 200, "%s /%s: %ld", mode_name(_i), paths[k], r.status);
        clams_ts_response_free(&r);
    }
    char url[96];
    snprintf(url, sizeof(url), "%snope", s.base_url);
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_get(url, NULL, &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_msg(strstr(r.body, "/healthz") && (_i ? strstr(r.body, "/metrics") != NULL
                                                    : strstr(r.body, "/metrics") == NULL),
                  "%s 404 names the wrong paths: %s", mode_name(_i), r.body);
    char line[96];
    snprintf(line, sizeof(line), "\"GET /nope\" 404 %zu ", r.body_len);
    clams_ts_response_free(&r);
    log = log_with(&s, line);
    ck_assert_msg(log, "%s access log has no %s", mode_name(_i), line);
    free(log);
    ck_assert_int_eq(clams_ts_request("HEAD", s.base_url, NULL, NULL, NULL, 0, 10, &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    log = log_with(&s, "\"HEAD /\" 200 0 ");
    ck_assert_msg(log, "%s access log: HEAD / not logged with 0 bytes", mode_name(_i));
    free(log);
    clams_ts_server_stop(&s, 0, 30);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("listen");
    TCase *tc = tcase_create("both servers");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_host_localhost, 0, 2);
    tcase_add_loop_test(tc, test_port_in_use, 0, 2);
    tcase_add_loop_test(tc, test_reuse_port_on_purpose, 0, 2);
    tcase_add_loop_test(tc, test_long_query_same_in_both_servers, 0, 2);
    tcase_add_loop_test(tc, test_ready_line_service_paths_access_log, 0, 2);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
