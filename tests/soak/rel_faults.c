/* rel_faults: faults injected into the production server while other
 * requests are in flight and queued. Each case starts rel_app --production,
 * puts LOAD good requests in (two in the workers, the rest queued), injects
 * one fault, and asserts: the faulty request gets its documented answer, every
 * other request completes with this app's view, the master keeps serving
 * (/healthz, a fresh request), leaves no zombie, and exits 0 on SIGTERM. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "procinfo.h"
#include "rawhttp.h"
#include "support.h"
#include "check_run.h"

#define LOAD 6

static char *base_mmif;

static void start(clams_ts_server_t *s, const char *const *extra, const char *const *env)
{
    const char *args[32] = {"--production", "--workers",          "2", "--queue",
                            "32",           "--graceful-timeout", "60"};
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
        calls[i] = (rel_call_t){
            .base_url = s->base_url, .query = query, .body = base_mmif, .timeout_s = 180};
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
    rel_call_t bad = {
        .base_url = s.base_url, .query = fault_query, .body = base_mmif, .timeout_s = 180};
    rel_call_run(&bad);
    ck_assert_msg(bad.status == want_status, "faulty request: %ld, expected %ld: %s", bad.status,
                  want_status, bad.snippet);
    if (want_status == 500)
        ck_assert_msg(bad.error_view, "no error view: %s", bad.snippet);
    if (want_text)
        ck_assert_msg(strstr(bad.snippet, want_text), "'%s' missing: %s", want_text, bad.snippet);
    load_check(calls, LOAD);
    survive_and_stop(&s);
}

START_TEST(segv)
{
    fault_case("fault=segv", 500, "signal 11", NULL);
}
END_TEST
START_TEST(abort_)
{
    fault_case("fault=abort", 500, "signal 6", NULL);
}
END_TEST
START_TEST(exit_)
{
    fault_case("fault=exit", 500, "exited with status 3", NULL);
}
END_TEST
START_TEST(app_fail)
{
    fault_case("fault=fail", 500, "failed on purpose", NULL);
}
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
        rel_call_t bad = {
            .base_url = s.base_url, .query = "leakmb=100", .body = base_mmif, .timeout_s = 180};
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
    const char *m =
        r.body ? strstr(r.body, "clams_worker_recycles_total{reason=\"memory\"} ") : NULL;
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
    rel_call_t bad = {
        .base_url = s.base_url, .query = "leakmb=200", .body = base_mmif, .timeout_s = 180};
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

/* --max-worker-memory stops a request that grows past it while it grows
 * (an allocation fails, not the kernel's OOM killer): the request gets a
 * 500 that says so, the worker is replaced, and the server keeps serving. */
START_TEST(worker_memory_limit)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-requests", "0", "--max-worker-memory", "400", NULL};
    start(&s, flags, NULL);
    rel_call_t bad = {
        .base_url = s.base_url, .query = "leakmb=4000", .body = base_mmif, .timeout_s = 120};
    rel_call_run(&bad);
    ck_assert_msg(bad.status == 500 && strstr(bad.snippet, "out of memory"), "%ld %s", bad.status,
                  bad.snippet);
    ck_assert_int_gt(bad.worker, 0);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; i++) {
        gone = kill(bad.worker, 0) != 0;
        if (!gone)
            usleep(50 * 1000);
    }
    ck_assert_msg(gone, "worker %d still alive after failing at its memory limit", bad.worker);
    survive_and_stop(&s);
}
END_TEST

/* kill -9 of a busy worker from outside: its request gets a 500 error view
 * naming the signal, the other in-flight and queued requests complete.
 * Without standbys every child is busy, so the victim picked blindly has a
 * request (with them, half the children are idle standbys; killing one of
 * those is sup_standby_cpu's case). */
START_TEST(kill9)
{
    clams_ts_server_t s;
    start(&s, (const char *[]){"--no-standby", NULL}, NULL);
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
    const char *argv[] = {REL_APP, "--production", "--host", "127.0.0.1", "--port",
                          "0",     "--workers",    "2",      NULL};
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
    ck_assert_msg(extra.status == 503 && extra.retry_after, "overload answer %ld: %s", extra.status,
                  extra.snippet);
    load_check(calls, 2);
    survive_and_stop(&s);
}
END_TEST

/* ---- faults the second reliability wave found (docs/reliability.md) ------ */

/* True once pid is gone or a zombie. */
static bool gone(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

/* The highest open fd number of pid, -1 when unreadable. */
static int max_fd(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int hi = -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) > hi)
            hi = atoi(e->d_name);
    closedir(d);
    return hi;
}

/* The lowest fd number pid has free: with RLIMIT_NOFILE at it, pid can open
 * nothing more (new fds must be below the limit; open ones above it stay). */
static int lowest_free_fd(pid_t pid)
{
    char path[64];
    for (int fd = 0; fd < 65536; fd++) {
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
        if (access(path, F_OK) != 0)
            return fd;
    }
    return -1;
}

/* Sets pid's soft fd limit (the hard one stays, so it can be raised again
 * without CAP_SYS_RESOURCE). */
static void set_nofile(pid_t pid, rlim_t n)
{
    struct rlimit rl;
    ck_assert_int_eq(prlimit(pid, RLIMIT_NOFILE, NULL, &rl), 0);
    rl.rlim_cur = n < rl.rlim_max ? n : rl.rlim_max;
    ck_assert_msg(prlimit(pid, RLIMIT_NOFILE, &rl, NULL) == 0, "prlimit(%d)", (int)pid);
}

/* kill -9 of the master: workers spinning or hung in annotate end too. */
START_TEST(master_kill9)
{
    clams_ts_server_t s;
    start(&s, NULL, NULL);
    rel_call_t spinner = {
        .base_url = s.base_url, .query = "fault=spin", .body = base_mmif, .timeout_s = 20};
    rel_call_t hanger = {
        .base_url = s.base_url, .query = "fault=hang", .body = base_mmif, .timeout_s = 20};
    ck_assert_int_eq(rel_call_start(&spinner), 0);
    ck_assert_int_eq(rel_call_start(&hanger), 0);
    usleep(1000000);
    pid_t kids[8];
    int n = proc_children(s.pid, kids, 8, NULL); /* the two busy ones and their standbys */
    ck_assert_int_ge(n, 2);
    ck_assert_int_eq(kill(s.pid, SIGKILL), 0);
    int st;
    ck_assert_int_eq(clams_ts_wait(s.pid, 10, &st), 0);
    s.pid = 0;
    for (int i = 0; i < n; i++) {
        bool g = false;
        for (int t = 0; t < 60 && !g; t++) {
            g = gone(kids[i]);
            if (!g)
                usleep(50000);
        }
        ck_assert_msg(g, "worker %d outlived its SIGKILLed master by 3 s", (int)kids[i]);
    }
    rel_call_join(&spinner);
    rel_call_join(&hanger);
}
END_TEST

/* A worker that cannot take the body's fd nor make one for its answer exits:
 * the request gets a 500 error view, the worker is replaced, the next
 * request is served (it used to hang for ever, its slot busy). */
START_TEST(worker_out_of_fds)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    rel_call_t ok = {.base_url = s.base_url, .query = "", .body = base_mmif, .timeout_s = 60};
    rel_call_run(&ok);
    ck_assert_msg(ok.status == 200 && ok.worker > 0, "%ld %s", ok.status, ok.snippet);
    /* The worker closes the request's and the answer's memfds just after the
     * answer goes out: read its fds once they are gone. */
    int lo = -1;
    for (int t = 0; t < 40; t++) {
        usleep(50000);
        int now = lowest_free_fd(ok.worker);
        if (now == lo)
            break;
        lo = now;
    }
    ck_assert_int_ge(lo, 3);
    set_nofile(ok.worker, (rlim_t)lo); /* not one fd more */
    rel_call_t bad = {.base_url = s.base_url, .query = "", .body = base_mmif, .timeout_s = 30};
    rel_call_run(&bad);
    ck_assert_msg(bad.status == 500 && bad.error_view, "worker out of fds: %ld %s", bad.status,
                  bad.snippet);
    survive_and_stop(&s);
}
END_TEST

/* The master out of fds when a worker's answer arrives: the memfd cannot be
 * installed (MSG_CTRUNC). The answer is a 500 that says so, never a 200
 * with the worker's length and bytes from nowhere. */
START_TEST(master_out_of_fds)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", NULL};
    start(&s, flags, NULL);
    rel_call_t slow = {
        .base_url = s.base_url, .query = "sleep=2000", .body = base_mmif, .timeout_s = 60};
    ck_assert_int_eq(rel_call_start(&slow), 0);
    usleep(700000);
    int lo = lowest_free_fd(s.pid);
    ck_assert_int_ge(lo, 3);
    set_nofile(s.pid, (rlim_t)lo); /* the master can open nothing more */
    rel_call_join(&slow);
    ck_assert_msg(slow.status == 500, "answer without its memfd: %ld %s", slow.status,
                  slow.snippet);
    ck_assert_msg(strstr(slow.snippet, "no file descriptor left"), "%s", slow.snippet);
    set_nofile(s.pid, 1024);
    survive_and_stop(&s);
}
END_TEST

/* A file-size limit (ulimit -f 2048) and an 8 MB body: the master used to
 * die of SIGXFSZ writing it into a memfd; now the request gets 413 with the
 * reason, and the server goes on. */
START_TEST(file_size_limit)
{
    clams_ts_server_t s;
    start(&s, NULL, NULL);
    struct rlimit rl = {2048 * 1024, 2048 * 1024};
    ck_assert_int_eq(prlimit(s.pid, RLIMIT_FSIZE, &rl, NULL), 0);
    size_t big = 8u << 20;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    memcpy(body, base_mmif, strlen(base_mmif));
    body[big] = '\0';
    rel_call_t c = {.base_url = s.base_url, .query = "", .body = body, .timeout_s = 60};
    rel_call_run(&c);
    free(body);
    ck_assert_msg(c.status == 413, "8 MB body over a 2 MiB file-size limit: %ld %s", c.status,
                  c.snippet);
    ck_assert_msg(strstr(c.snippet, "file size limit"), "%s", c.snippet);
    ck_assert_msg(kill(s.pid, 0) == 0, "the master died");
    survive_and_stop(&s);
}
END_TEST

/* 4,600 idle client connections, then new workers (SIGHUP): a worker holds
 * none of them (a fixed 4096-entry list once leaked the ones above it, and a
 * client asking Connection: close then got no EOF). */
START_TEST(client_fds_above_4096)
{
    struct rlimit mine;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &mine), 0);
    mine.rlim_cur = mine.rlim_max < 16384 ? mine.rlim_max : 16384;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &mine), 0);
    clams_ts_server_t s;
    const char *flags[] = {"--max-connections", "8000", NULL};
    start(&s, flags, NULL);
    set_nofile(s.pid, 16384);
    enum { N = 4600 };
    static int conns[N];
    int n = 0;
    for (int i = 0; i < N; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s.port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_msg(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
                      "connection %d", i);
        conns[n++] = fd;
    }
    for (int t = 0; t < 100 && max_fd(s.pid) < N; t++) /* the master accepts them all */
        usleep(50000);
    ck_assert_msg(max_fd(s.pid) >= N, "the master holds fds up to %d only", max_fd(s.pid));
    pid_t before[8];
    int nb = proc_children(s.pid, before, 8, NULL);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    pid_t kids[8];
    int nk = 0;
    for (int t = 0; t < 100; t++) { /* wait for workers none of which is an old one */
        usleep(50000);
        nk = proc_children(s.pid, kids, 8, NULL);
        bool fresh = nk >= 2;
        for (int i = 0; fresh && i < nk; i++)
            for (int j = 0; j < nb; j++)
                fresh = fresh && kids[i] != before[j];
        if (fresh)
            break;
    }
    ck_assert_int_ge(nk, 2);
    for (int i = 0; i < nk; i++) {
        int fds = proc_fd_count(kids[i]);
        ck_assert_msg(fds >= 0 && fds < 16, "worker %d holds %d fds with %d clients connected",
                      (int)kids[i], fds, N);
    }
    for (int i = 0; i < n; i++)
        close(conns[i]);
    survive_and_stop(&s);
}
END_TEST

/* Workers that cannot start any more (worker_init fails after a first good
 * run): a queued request gets a 503 after --queue-timeout instead of waiting
 * for ever, and /healthz says the server is unhealthy, with the reason, so an
 * orchestrator restarts it; once workers start again both recover. */
START_TEST(queue_timeout_init_failing)
{
    char path[96], flag[128];
    snprintf(path, sizeof(path), "/tmp/rel-init-while-%d", (int)getpid());
    snprintf(flag, sizeof(flag), "REL_INIT_FAIL=while:%s", path);
    unlink(path);
    const char *env[] = {flag, NULL};
    /* --no-standby: a standby initialised before the failures began would
     * serve the request, which is the point of standbys but not of this test. */
    const char *flags[] = {"--workers",       "1", "--max-requests", "1",
                           "--queue-timeout", "2", "--no-standby",   NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    /* A good request runs; while it is in the worker, worker_init starts to
     * fail, so the replacement forked after that worker's exit cannot start. */
    rel_call_t ok = {
        .base_url = s.base_url, .query = "sleep=800", .body = base_mmif, .timeout_s = 60};
    ck_assert_int_eq(rel_call_start(&ok), 0);
    usleep(300000);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    rel_call_join(&ok);
    ck_assert_msg(ok.status == 200, "%ld %s", ok.status, ok.snippet);
    usleep(1500000); /* the replacement of the recycled worker fails, in a row */
    double t0 = raw_now();
    rel_call_t waits = {.base_url = s.base_url, .query = "", .body = base_mmif, .timeout_s = 60};
    rel_call_run(&waits);
    double took = raw_now() - t0;
    ck_assert_msg(waits.status == 503 && waits.retry_after, "queued with no worker: %ld %s",
                  waits.status, waits.snippet);
    ck_assert_msg(took < 10, "the 503 took %.1f s", took);
    clams_ts_response_t r;
    char url[128];
    snprintf(url, sizeof(url), "%shealthz", s.base_url);
    ck_assert_int_eq(clams_ts_request("GET", url, NULL, NULL, NULL, 0, 30, &r), 0);
    ck_assert_msg(r.status == 503 && strstr(r.body, "workers cannot start"),
                  "/healthz with no worker able to start: %ld %s", r.status, r.body);
    clams_ts_response_free(&r);
    unlink(path); /* workers start again (after the backoff) */
    bool healthy = false;
    for (int t = 0; t < 80 && !healthy; t++) {
        usleep(250000);
        if (clams_ts_request("GET", url, NULL, NULL, NULL, 0, 30, &r) == 0)
            healthy = r.status == 200;
        clams_ts_response_free(&r);
    }
    ck_assert_msg(healthy, "/healthz did not recover once workers could start");
    survive_and_stop(&s);
}
END_TEST

/* /metrics counts every status as sent (a 431 was counted as 413). */
START_TEST(metrics_status_as_sent)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-header-size", "2K", NULL};
    start(&s, flags, NULL);
    char *q = malloc(4096);
    memset(q, 'a', 4095);
    memcpy(q, "x=", 2);
    q[4095] = '\0';
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_request("GET", s.base_url, q, NULL, NULL, 0, 30, &r), 0);
    ck_assert_int_eq(r.status, 431);
    clams_ts_response_free(&r);
    free(q);
    char url[128];
    snprintf(url, sizeof(url), "%smetrics", s.base_url);
    ck_assert_int_eq(clams_ts_request("GET", url, NULL, NULL, NULL, 0, 30, &r), 0);
    ck_assert_msg(strstr(r.body, "status=\"431\"} 1"), "no 431 in /metrics:\n%s", r.body);
    ck_assert_msg(!strstr(r.body, "status=\"413\"}"), "a 413 counted:\n%s", r.body);
    clams_ts_response_free(&r);
    survive_and_stop(&s);
}
END_TEST

int main(int argc, char **argv)
{
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"segv", segv},
        {"abort", abort_},
        {"exit", exit_},
        {"app_fail", app_fail},
        {"hang", hang},
        {"spin", spin},
        {"leak", leak},
        {"leak_rss_budget", leak_rss_budget},
        {"worker_memory_limit", worker_memory_limit},
        {"kill9", kill9},
        {"sigterm_load", sigterm_load},
        {"init_fails_once", init_fails_once},
        {"init_always_fails", init_always_fails},
        {"overload_503", overload_503},
        {"master_kill9", master_kill9},
        {"worker_out_of_fds", worker_out_of_fds},
        {"master_out_of_fds", master_out_of_fds},
        {"file_size_limit", file_size_limit},
        {"metrics_status_as_sent", metrics_status_as_sent},
        {"client_fds_above_4096", client_fds_above_4096},
        {"queue_timeout_init_failing", queue_timeout_init_failing},
    };
    struct rlimit nofile;
    if (argc > 1 && strcmp(argv[1], "client_fds_above_4096") == 0 &&
        getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max < 10000) {
        fprintf(stderr, "client_fds_above_4096: the hard fd limit (%llu) is too low: skipped\n",
                (unsigned long long)nofile.rlim_max);
        return 77;
    }
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
