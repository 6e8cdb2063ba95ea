/* rel_faults: faults injected into the production server while other
 * requests are in flight and queued. Each case starts rel_app --production,
 * puts LOAD good requests in (two in the workers, the rest queued), injects
 * one fault, and asserts: the faulty request gets its documented answer, every
 * other request completes with this app's view, the master keeps serving
 * (/healthz, a fresh request), leaves no zombie, and exits 0 on SIGTERM. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "procinfo.h"
#include "support.h"
#include "check_run.h"

#define LOAD 6

static char *base_mmif;

static void start(clams_ts_server_t *s, const char *const *extra, const char *const *env)
{
    const char *args[32] = {"--production", "--workers", "2", "--queue", "32",
                            "--graceful-timeout", "60"};
    int k = 7;
    for (int i = 0; extra && extra[i] && k < 30; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    const char *envs[16] = {"CLAMS_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1",
                            "CLAMS_NVIDIA_SMI=/nonexistent/nvidia-smi"};
    int e = 2;
    for (int i = 0; env && env[i] && e < 15; i++)
        envs[e++] = env[i];
    envs[e] = NULL;
    ck_assert_int_eq(clams_ts_server_start(s, REL_APP, args, envs, 120), 0);
}

static void load_start(rel_call_t *calls, int n, const clams_ts_server_t *s, const char *query)
{
    for (int i = 0; i < n; i++) {
        calls[i] = (rel_call_t){.base_url = s->base_url, .query = query, .body = base_mmif,
                                .timeout_s = 180};
        ck_assert_int_eq(rel_call_start(&calls[i]), 0);
    }
}

/* Every good request completed with the app's view. */
static void load_check(rel_call_t *calls, int n)
{
    for (int i = 0; i < n; i++) {
        rel_call_join(&calls[i]);
        ck_assert_msg(calls[i].status == 200 && calls[i].has_view,
                      "good request %d: status %ld: %s", i, calls[i].status, calls[i].snippet);
    }
}

/* The master still serves, has no zombie child, and stops cleanly. */
static void survive_and_stop(clams_ts_server_t *s)
{
    clams_ts_response_t r;
    char url[128];
    snprintf(url, sizeof(url), "%shealthz", s->base_url);
    ck_assert_int_eq(clams_ts_request("GET", url, NULL, NULL, NULL, 0, 30, &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    rel_call_t c = {.base_url = s->base_url, .query = "", .body = base_mmif, .timeout_s = 120};
    rel_call_run(&c);
    ck_assert_msg(c.status == 200 && c.has_view, "after the fault: %ld %s", c.status, c.snippet);
    int zombies = 0;
    pid_t kids[64];
    for (int tries = 0; tries < 50; tries++) { /* a reap may be a moment behind */
        proc_children(s->pid, kids, 64, &zombies);
        if (zombies == 0)
            break;
        usleep(100000);
    }
    ck_assert_int_eq(zombies, 0);
    int st = clams_ts_server_stop(s, SIGTERM, 90);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "master exit status 0x%x", st);
}

/* One faulty request among LOAD good ones (sleep 1500 ms each). */
static void fault_case(const char *fault_query, long want_status, const char *want_text,
                       const char *const *flags)
{
    clams_ts_server_t s;
    start(&s, flags, NULL);
    rel_call_t calls[LOAD];
    load_start(calls, LOAD, &s, "sleep=1500");
    usleep(300000);
    rel_call_t bad = {.base_url = s.base_url, .query = fault_query, .body = base_mmif,
                      .timeout_s = 180};
    rel_call_run(&bad);
    ck_assert_msg(bad.status == want_status, "faulty request: %ld, expected %ld: %s",
                  bad.status, want_status, bad.snippet);
    if (want_status == 500)
        ck_assert_msg(bad.error_view, "no error view: %s", bad.snippet);
    if (want_text)
        ck_assert_msg(strstr(bad.snippet, want_text), "'%s' missing: %s", want_text, bad.snippet);
    load_check(calls, LOAD);
    survive_and_stop(&s);
}

START_TEST(segv) { fault_case("fault=segv", 500, "signal 11", NULL); }
END_TEST
START_TEST(abort_) { fault_case("fault=abort", 500, "signal 6", NULL); }
END_TEST
START_TEST(exit_) { fault_case("fault=exit", 500, "exited with status 3", NULL); }
END_TEST
START_TEST(app_fail) { fault_case("fault=fail", 500, "failed on purpose", NULL); }
END_TEST

START_TEST(hang)
{
    const char *flags[] = {"--timeout", "5", NULL};
    fault_case("fault=hang", 500, NULL, flags);
}
END_TEST

START_TEST(spin)
{
    const char *flags[] = {"--timeout", "5", NULL};
    fault_case("fault=spin", 500, NULL, flags);
}
END_TEST

/* A worker that keeps 100 MiB per request and is never recycled (no
 * --worker-rss-budget): the master's memory does not move. */
START_TEST(leak)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-requests", "0", NULL};
    start(&s, flags, NULL);
    long before = proc_rss_kib(s.pid);
    rel_call_t calls[LOAD];
    load_start(calls, LOAD, &s, "sleep=500");
    for (int i = 0; i < 3; i++) {
        rel_call_t bad = {.base_url = s.base_url, .query = "leakmb=100", .body = base_mmif,
                          .timeout_s = 180};
        rel_call_run(&bad);
        ck_assert_msg(bad.status == 200, "leaking request: %ld %s", bad.status, bad.snippet);
    }
    load_check(calls, LOAD);
    long after = proc_rss_kib(s.pid);
    ck_assert_msg(after - before < 20 * 1024, "master grew from %ld to %ld KiB", before, after);
    survive_and_stop(&s);
}
END_TEST

/* The memory-recycle count in /metrics ("memory" reason), or -1. */
static long memory_recycles(const clams_ts_server_t *s)
{
    clams_ts_response_t r;
    char url[128];
    snprintf(url, sizeof(url), "%smetrics", s->base_url);
    if (clams_ts_request("GET", url, NULL, NULL, NULL, 0, 30, &r) != 0)
        return -1;
    long n = -1;
    const char *m = r.body ? strstr(r.body, "clams_worker_recycles_total{reason=\"memory\"} ")
                           : NULL;
    if (m)
        n = strtol(strchr(m, '}') + 2, NULL, 10);
    clams_ts_response_free(&r);
    return n;
}

/* With --worker-rss-budget, a worker that keeps more host memory than the
 * budget after its request is recycled even with --max-requests 0; a request
 * that stays under it changes nothing. */
START_TEST(leak_rss_budget)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-requests", "0", "--worker-rss-budget", "150", NULL};
    start(&s, flags, NULL);
    rel_call_t ok = {.base_url = s.base_url, .query = "", .body = base_mmif, .timeout_s = 120};
    rel_call_run(&ok);
    ck_assert_msg(ok.status == 200 && ok.has_view, "%ld %s", ok.status, ok.snippet);
    ck_assert_int_eq(memory_recycles(&s), 0);
    rel_call_t bad = {.base_url = s.base_url, .query = "leakmb=200", .body = base_mmif,
                      .timeout_s = 180};
    rel_call_run(&bad);
    ck_assert_msg(bad.status == 200 && bad.has_view, "%ld %s", bad.status, bad.snippet);
    ck_assert_int_gt(bad.worker, 0);
    ck_assert_int_eq(memory_recycles(&s), 1);
    /* The leaking worker goes away (the master reaps it); its slot is refilled. */
    bool gone = false;
    for (int i = 0; i < 200 && !gone; i++) {
        gone = kill(bad.worker, 0) != 0;
        if (!gone)
            usleep(50 * 1000);
    }
    ck_assert_msg(gone, "worker %d still alive after exceeding its RSS budget", bad.worker);
    survive_and_stop(&s);
}
END_TEST

/* kill -9 of a busy worker from outside: its request gets a 500 error view
 * naming the signal, the other in-flight and queued requests complete. */
START_TEST(kill9)
{
    clams_ts_server_t s;
    start(&s, NULL, NULL);
    rel_call_t calls[LOAD];
    load_start(calls, LOAD, &s, "sleep=3000");
    usleep(1000000);
    pid_t kids[8];
    int n = proc_children(s.pid, kids, 8, NULL);
    ck_assert_int_ge(n, 1);
    pid_t victim = kids[0];
    ck_assert_int_eq(kill(victim, SIGKILL), 0);
    int killed = 0;
    for (int i = 0; i < LOAD; i++) {
        rel_call_join(&calls[i]);
        if (calls[i].worker == victim) {
            killed++;
            ck_assert_msg(calls[i].status == 500 && calls[i].error_view, "victim's request: %ld %s",
                          calls[i].status, calls[i].snippet);
        } else {
            ck_assert_msg(calls[i].status == 200 && calls[i].has_view, "request %d: %ld %s", i,
                          calls[i].status, calls[i].snippet);
        }
    }
    ck_assert_int_eq(killed, 1);
    survive_and_stop(&s);
}
END_TEST

/* SIGTERM to the master with requests in workers and in the queue: all of
 * them complete (graceful drain), then the master exits 0. */
START_TEST(sigterm_load)
{
    clams_ts_server_t s;
    start(&s, NULL, NULL);
    rel_call_t calls[LOAD];
    load_start(calls, LOAD, &s, "sleep=1500");
    usleep(700000);
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    load_check(calls, LOAD);
    int st = 0;
    ck_assert_int_eq(clams_ts_wait(s.pid, 90, &st), 0);
    s.pid = 0;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "master exit status 0x%x", st);
}
END_TEST

/* worker_init fails once: the slot is retried, every request completes. */
START_TEST(init_fails_once)
{
    char flag[128];
    snprintf(flag, sizeof(flag), "REL_INIT_FAIL=once:/tmp/rel-init-once-%d", (int)getpid());
    unlink(flag + strlen("REL_INIT_FAIL=once:"));
    const char *env[] = {flag, NULL};
    clams_ts_server_t s;
    start(&s, NULL, env);
    rel_call_t calls[LOAD];
    load_start(calls, LOAD, &s, "sleep=200");
    load_check(calls, LOAD);
    survive_and_stop(&s);
    unlink(flag + strlen("REL_INIT_FAIL=once:"));
}
END_TEST

/* worker_init always fails: the master gives up with a message and a
 * non-zero status instead of looping or serving nothing forever. */
START_TEST(init_always_fails)
{
    const char *argv[] = {REL_APP, "--production", "--host", "127.0.0.1", "--port", "0",
                          "--workers", "2", NULL};
    const char *env[] = {"REL_INIT_FAIL=always", NULL};
    char *out = NULL, *err = NULL;
    int rc = clams_ts_run(argv, env, NULL, 0, 120, &out, &err);
    ck_assert_msg(rc > 0 && rc < 128, "exit %d; stderr:\n%s", rc, err);
    ck_assert_msg(strstr(err, "model missing"), "stderr:\n%s", err);
    free(out);
    free(err);
}
END_TEST

/* Overload: one worker, a queue of 1: the third concurrent request is
 * refused with 503 and Retry-After; the others complete. */
START_TEST(overload_503)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--queue", "1", NULL};
    start(&s, flags, NULL);
    rel_call_t calls[2];
    load_start(calls, 2, &s, "sleep=2500");
    usleep(800000);
    rel_call_t extra = {.base_url = s.base_url, .query = "", .body = base_mmif, .timeout_s = 60};
    rel_call_run(&extra);
    ck_assert_msg(extra.status == 503 && extra.retry_after, "overload answer %ld: %s",
                  extra.status, extra.snippet);
    load_check(calls, 2);
    survive_and_stop(&s);
}
END_TEST

int main(int argc, char **argv)
{
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"segv", segv},   {"abort", abort_}, {"exit", exit_}, {"app_fail", app_fail},
        {"hang", hang},   {"spin", spin},    {"leak", leak},  {"leak_rss_budget", leak_rss_budget},  {"kill9", kill9},
        {"sigterm_load", sigterm_load},      {"init_fails_once", init_fails_once},
        {"init_always_fails", init_always_fails}, {"overload_503", overload_503},
    };
    base_mmif = clams_ts_read_file(REL_BASE_MMIF, NULL);
    if (!base_mmif)
        return 2;
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    Suite *su = suite_create("rel_faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 400);
    int found = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            tcase_add_test(tc, cases[i].test);
            found++;
        }
    if (!found)
        return 2;
    suite_add_tcase(su, tc);
    int status = clams_ts_run_suite(su, false);
    free(base_mmif);
    return status;
}
