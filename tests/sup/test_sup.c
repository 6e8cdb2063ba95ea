/* Production-server tests: each case starts the real test app (sup_app) with
 * --production on a free loopback port and drives it over HTTP with libcurl:
 * recycling, crashes, timeouts, init failures, the bounded queue, graceful
 * shutdown, SIGHUP, concurrency, slow uploads, master-only paths, pool size
 * and GPU placement with the fake NVML, and the VRAM budgets.
 * Usage: test_sup <case> (one ctest entry per case). */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "support.h"
#include "check_run.h"

static const char *MMIF =
    "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, \"documents\": [{\"@type\": "
    "\"http://mmif.clams.ai/vocabulary/TextDocument/v1\", \"properties\": {\"id\": \"d1\", "
    "\"text\": {\"@value\": \"hello world\"}}}], \"views\": []}";

/* ---- helpers ------------------------------------------------------------------ */

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts sup_app --production with extra flags (NULL-terminated) and env. */
static void start(clams_ts_server_t *s, const char *const *flags, const char *const *env)
{
    const char *args[32] = {"--production"};
    int n = 1;
    for (int i = 0; flags && flags[i] && n < 31; i++)
        args[n++] = flags[i];
    args[n] = NULL;
    int rc = clams_ts_server_start(s, SUP_APP, args, env, 60);
    ck_assert_msg(rc == 0, "the server did not start");
}

static char *log_of(clams_ts_server_t *s)
{
    char *l = clams_ts_server_log(s);
    return l ? l : strdup("");
}

static void stop_ok(clams_ts_server_t *s)
{
    int st = clams_ts_server_stop(s, SIGTERM, 60);
    char *l = log_of(s);
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "server did not exit 0 after SIGTERM (status 0x%x); log:\n%s", st, l);
    free(l);
}

static int post(clams_ts_server_t *s, const char *query, clams_ts_response_t *r)
{
    static const char *const hdr[] = {"Content-Type: application/json", NULL};
    memset(r, 0, sizeof(*r));
    return clams_ts_request("POST", s->base_url, query, hdr, MMIF, strlen(MMIF), 120, r);
}

static int get_path(clams_ts_server_t *s, const char *path, clams_ts_response_t *r)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    memset(r, 0, sizeof(*r));
    return clams_ts_request("GET", url, NULL, NULL, NULL, 0, 60, r);
}

/* A property of the first annotation of the last view, as a string (malloc'd). */
static char *view_prop(const char *body, const char *key)
{
    json_t *root = json_loads(body, 0, NULL);
    json_t *views = json_object_get(
        json_object_get(root, "mmif") ? json_object_get(root, "mmif") : root, "views");
    json_t *last = json_array_get(views, json_array_size(views) - 1);
    json_t *ann = json_array_get(json_object_get(last, "annotations"), 0);
    json_t *v = json_object_get(json_object_get(ann, "properties"), key);
    char *out = NULL;
    if (json_is_string(v))
        out = strdup(json_string_value(v));
    else if (json_is_integer(v) && asprintf(&out, "%lld", (long long)json_integer_value(v)) < 0)
        out = NULL;
    json_decref(root);
    return out;
}

/* The value of a /metrics sample line that starts with `sample`; -1 if absent. */
static double metric(clams_ts_server_t *s, const char *sample)
{
    clams_ts_response_t r;
    double v = -1;
    if (get_path(s, "/metrics", &r) == 0 && r.status == 200) {
        size_t n = strlen(sample);
        for (char *line = r.body; line && *line;) {
            if (strncmp(line, sample, n) == 0 && line[n] == ' ') {
                v = atof(line + n + 1);
                break;
            }
            line = strchr(line, '\n');
            line = line ? line + 1 : NULL;
        }
    }
    clams_ts_response_free(&r);
    return v;
}

static void wait_metric_ge(clams_ts_server_t *s, const char *sample, double want, double secs)
{
    double end = now_s() + secs;
    double v = -1;
    while (now_s() < end) {
        v = metric(s, sample);
        if (v >= want)
            return;
        sleep_s(0.05);
    }
    ck_abort_msg("metric %s stayed at %g (wanted >= %g)", sample, v, want);
}

typedef struct {
    clams_ts_server_t *s;
    const char *query;
    clams_ts_response_t r;
    int rc;
    pthread_t th;
} call_t;

static void *call_thread(void *arg)
{
    call_t *c = arg;
    c->rc = post(c->s, c->query, &c->r);
    return NULL;
}

static void call_start(call_t *c, clams_ts_server_t *s, const char *query)
{
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->query = query;
    ck_assert_int_eq(pthread_create(&c->th, NULL, call_thread, c), 0);
}

static void call_join(call_t *c)
{
    pthread_join(c->th, NULL);
}

static char *pid_of_post(clams_ts_server_t *s, const char *query)
{
    clams_ts_response_t r;
    ck_assert_int_eq(post(s, query, &r), 0);
    ck_assert_msg(r.status == 200, "status %ld body %s", r.status, r.body);
    ck_assert_ptr_nonnull(r.worker);
    char *pid = view_prop(r.body, "pid");
    ck_assert_ptr_nonnull(pid);
    ck_assert_str_eq(pid, r.worker); /* the header names the process that answered */
    clams_ts_response_free(&r);
    return pid;
}

/* ---- recycling ---------------------------------------------------------------- */

START_TEST(recycle_default)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "2", NULL};
    start(&s, flags, NULL);
    char *pids[6];
    for (int i = 0; i < 6; i++) {
        pids[i] = pid_of_post(&s, NULL);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(pids[i], pids[j]);
    }
    for (int i = 0; i < 6; i++)
        free(pids[i]);
    stop_ok(&s);
}
END_TEST

START_TEST(recycle_never)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    char *first = pid_of_post(&s, NULL);
    for (int i = 0; i < 5; i++) {
        char *p = pid_of_post(&s, NULL);
        ck_assert_str_eq(p, first);
        free(p);
    }
    free(first);
    stop_ok(&s);
}
END_TEST

START_TEST(recycle_n)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "3", NULL};
    start(&s, flags, NULL);
    char *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = pid_of_post(&s, NULL);
    ck_assert_str_eq(p[0], p[1]);
    ck_assert_str_eq(p[1], p[2]);
    ck_assert_str_ne(p[2], p[3]);
    ck_assert_str_eq(p[3], p[4]);
    ck_assert_str_eq(p[4], p[5]);
    for (int i = 0; i < 6; i++)
        free(p[i]);
    ck_assert(metric(&s, "clams_worker_recycles_total{reason=\"max_requests\"}") >= 2);
    stop_ok(&s);
}
END_TEST

/* The app declares a jitter of 1000 extra requests; --max-requests-jitter 0
 * turns it off, so with the default max_requests 1 every request gets a new
 * worker. (When sup/ merged the app's defaults a second time, the app's
 * jitter came back and a worker served up to 1001 requests.) */
START_TEST(recycle_jitter_flag_zero)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests-jitter", "0", NULL};
    const char *env[] = {"SUP_JITTER=1000", NULL};
    start(&s, flags, env);
    char *pids[4];
    for (int i = 0; i < 4; i++) {
        pids[i] = pid_of_post(&s, NULL);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(pids[i], pids[j]);
    }
    for (int i = 0; i < 4; i++)
        free(pids[i]);
    stop_ok(&s);
}
END_TEST

/* The app's own default (max_requests 3 here) holds when no flag is given,
 * and --max-requests overrides it. */
START_TEST(recycle_app_default)
{
    clams_ts_server_t s;
    const char *env[] = {"SUP_MAX_REQUESTS=3", NULL};
    const char *flags[] = {"--workers", "1", NULL};
    start(&s, flags, env);
    char *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = pid_of_post(&s, NULL);
    ck_assert_str_eq(p[0], p[1]);
    ck_assert_str_eq(p[1], p[2]);
    ck_assert_str_ne(p[2], p[3]);
    for (int i = 0; i < 4; i++)
        free(p[i]);
    stop_ok(&s);
    const char *flags1[] = {"--workers", "1", "--max-requests", "1", NULL};
    start(&s, flags1, env);
    char *a = pid_of_post(&s, NULL), *b = pid_of_post(&s, NULL);
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
    stop_ok(&s);
}
END_TEST

/* ---- clients that leave while their request waits ------------------------- */

/* Sends a whole annotate request on a new connection and closes it at once. */
static void post_and_leave(int port, const char *query)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "POST /?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n", query,
                     strlen(MMIF));
    ck_assert_int_eq(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    ck_assert_int_eq(send(fd, MMIF, strlen(MMIF), MSG_NOSIGNAL), (ssize_t)strlen(MMIF));
    close(fd);
}

/* One worker busy for 1.5 s; three clients queue a 1 s request each and
 * leave. By default none of the three runs (each is logged and counted as
 * 499 as soon as its client leaves), so the next live request is served
 * right after the first: 2 answers of 200 in all. With
 * --ignore-client-abort the three run in the worker (200 each, sent to
 * nobody). */
static void client_abort_case(bool ignore)
{
    char log[] = "/tmp/sup_run_log.XXXXXX";
    int lfd = mkstemp(log);
    ck_assert_int_ge(lfd, 0);
    close(lfd);
    char env_log[64];
    snprintf(env_log, sizeof(env_log), "SUP_RUN_LOG=%s", log);
    const char *env[] = {env_log, NULL};
    clams_ts_server_t s;
    const char *flags[] = {"--workers",
                           "1",
                           "--max-requests",
                           "0",
                           "--no-standby",
                           ignore ? "--ignore-client-abort" : NULL,
                           NULL};
    start(&s, flags, env);
    call_t busy;
    call_start(&busy, &s, "sleep=1500");
    wait_metric_ge(&s, "clams_workers{state=\"busy\"}", 1, 30);
    for (int i = 0; i < 3; i++)
        post_and_leave(s.port, "sleep=1000");
    if (!ignore)
        wait_metric_ge(&s, "clams_requests_total{status=\"499\"}", 3, 30);
    else
        sleep_s(0.3); /* the three are queued behind the busy worker */
    char *pid = pid_of_post(&s, "sleep=1");
    free(pid);
    call_join(&busy);
    ck_assert_int_eq(busy.rc, 0);
    ck_assert_int_eq(busy.r.status, 200);
    clams_ts_response_free(&busy.r);
    double dropped = metric(&s, "clams_requests_total{status=\"499\"}");
    stop_ok(&s);
    /* What the worker ran, in order. */
    size_t len = 0;
    char *ran = clams_ts_read_file(log, &len);
    unlink(log);
    ck_assert_ptr_nonnull(ran);
    const char *want = ignore ? "sleep=1500\nsleep=1000\nsleep=1000\nsleep=1000\nsleep=1\n"
                              : "sleep=1500\nsleep=1\n";
    ck_assert_msg(strcmp(ran, want) == 0, "the worker ran:\n%s(wanted:\n%s)", ran, want);
    free(ran);
    ck_assert_msg(ignore ? dropped <= 0 : dropped == 3, "499 answers: %g", dropped);
}

START_TEST(client_abort_dropped)
{
    client_abort_case(false);
}
END_TEST

START_TEST(client_abort_ignored)
{
    client_abort_case(true);
}
END_TEST

/* ---- crashes and timeouts --------------------------------------------------------- */

static void crash_case(const char *how, const char *expect)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    char q[64];
    snprintf(q, sizeof(q), "crash=%s", how);
    clams_ts_response_t r;
    ck_assert_int_eq(post(&s, q, &r), 0);
    ck_assert_int_eq(r.status, 500);
    ck_assert_ptr_nonnull(r.worker);
    ck_assert_msg(strstr(r.body, expect) && strstr(r.body, "while annotating") &&
                      strstr(r.body, r.worker),
                  "error view lacks '%s': %s", expect, r.body);
    /* The answer is an error view MMIF: a view with metadata.error. */
    ck_assert_msg(strstr(r.body, "\"error\""), "not an error view: %s", r.body);
    clams_ts_response_free(&r);
    char *p = pid_of_post(&s, NULL); /* the next request is served */
    free(p);
    stop_ok(&s);
}

START_TEST(crash_segv)
{
    crash_case("segv", "killed by signal 11 (Segmentation fault)");
}
END_TEST
START_TEST(crash_abort)
{
    crash_case("abort", "killed by signal 6 (Aborted)");
}
END_TEST
START_TEST(crash_exit)
{
    crash_case("exit", "exited with status 3");
}
END_TEST

START_TEST(timeout_kill)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "2", "--timeout", "2", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 2, 60);
    call_t slow;
    call_start(&slow, &s, "sleep=30000");
    wait_metric_ge(&s, "clams_workers{state=\"busy\"}", 1, 60);
    char *p = pid_of_post(&s, NULL); /* unaffected by the slow one */
    free(p);
    call_join(&slow);
    ck_assert_int_eq(slow.rc, 0);
    ck_assert_int_eq(slow.r.status, 500);
    ck_assert_msg(strstr(slow.r.body, "request timeout of 2 s"), "%s", slow.r.body);
    clams_ts_response_free(&slow.r);
    p = pid_of_post(&s, NULL);
    free(p);
    ck_assert(metric(&s, "clams_worker_recycles_total{reason=\"timeout\"}") >= 1);
    stop_ok(&s);
}
END_TEST

/* ---- worker init ---------------------------------------------------------------------- */

START_TEST(init_fails_once)
{
    char marker[] = "/tmp/sup-init-once-XXXXXX";
    int fd = mkstemp(marker);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(marker); /* the app creates it on its first (failing) init */
    char env1[128];
    snprintf(env1, sizeof(env1), "SUP_INIT_FAIL_ONCE=%s", marker);
    const char *env[] = {env1, NULL};
    const char *flags[] = {"--workers", "1", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    char *p = pid_of_post(&s, NULL);
    free(p);
    char *l = log_of(&s);
    ck_assert_msg(strstr(l, "first init fails (on purpose)"), "log:\n%s", l);
    free(l);
    unlink(marker);
    stop_ok(&s);
}
END_TEST

START_TEST(init_always_fails)
{
    const char *argv[] = {SUP_APP, "--production", "--host", "127.0.0.1", "--port",
                          "0",     "--workers",    "2",      NULL};
    const char *env[] = {"SUP_INIT_FAIL=always", NULL};
    char *out = NULL, *err = NULL;
    int rc = clams_ts_run(argv, env, NULL, 0, 120, &out, &err);
    ck_assert_msg(rc > 0 && rc < 128, "exit %d; stderr:\n%s", rc, err);
    ck_assert_msg(strstr(err, "cannot start") && strstr(err, "model file missing"), "stderr:\n%s",
                  err);
    free(out);
    free(err);
}
END_TEST

START_TEST(init_exit_2)
{
    const char *argv[] = {SUP_APP, "--production", "--host", "127.0.0.1", "--port",
                          "0",     "--workers",    "1",      NULL};
    const char *env[] = {"SUP_INIT_EXIT=2", NULL};
    char *out = NULL, *err = NULL;
    int rc = clams_ts_run(argv, env, NULL, 0, 120, &out, &err);
    ck_assert_msg(rc > 0 && rc < 128, "exit %d; stderr:\n%s", rc, err);
    ck_assert_msg(strstr(err, "exited with status 2"), "stderr:\n%s", err);
    free(out);
    free(err);
}
END_TEST

/* ---- queue, drain, reload -------------------------------------------------------------- */

START_TEST(queue_full)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--queue", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    call_t a, b;
    call_start(&a, &s, "sleep=3000");
    wait_metric_ge(&s, "clams_workers{state=\"busy\"}", 1, 60);
    call_start(&b, &s, NULL);
    wait_metric_ge(&s, "clams_queue_length", 1, 60);
    clams_ts_response_t r;
    ck_assert_int_eq(post(&s, NULL, &r), 0);
    ck_assert_int_eq(r.status, 503);
    char *ra = clams_ts_header(&r, "Retry-After");
    ck_assert_ptr_nonnull(ra);
    free(ra);
    clams_ts_response_free(&r);
    call_join(&a);
    call_join(&b);
    ck_assert_int_eq(a.r.status, 200);
    ck_assert_int_eq(b.r.status, 200);
    clams_ts_response_free(&a.r);
    clams_ts_response_free(&b.r);
    stop_ok(&s);
}
END_TEST

START_TEST(graceful_shutdown)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "2", NULL}; /* max_requests 1: the queued one
                                                       needs a replacement worker */
    start(&s, flags, NULL);
    call_t c[3];
    for (int i = 0; i < 3; i++)
        call_start(&c[i], &s, "sleep=1500");
    wait_metric_ge(&s, "clams_queue_length", 1, 60);
    int st = clams_ts_server_stop(&s, SIGTERM, 120);
    for (int i = 0; i < 3; i++) {
        call_join(&c[i]);
        ck_assert_msg(c[i].rc == 0 && c[i].r.status == 200, "request %d: rc %d status %ld %s", i,
                      c[i].rc, c[i].r.status, c[i].r.error);
        clams_ts_response_free(&c[i].r);
    }
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
}
END_TEST

START_TEST(sighup_replaces)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    char *before = pid_of_post(&s, NULL);
    kill(s.pid, SIGHUP);
    wait_metric_ge(&s, "clams_worker_recycles_total{reason=\"reload\"}", 1, 60);
    char *after = pid_of_post(&s, NULL);
    ck_assert_str_ne(before, after);
    free(before);
    free(after);
    stop_ok(&s);
}
END_TEST

/* ---- load ------------------------------------------------------------------------------ */

typedef struct {
    clams_ts_server_t *s;
    int n, ok;
    pthread_t th;
} loader_t;

static void *loader(void *arg)
{
    loader_t *l = arg;
    for (int i = 0; i < l->n; i++) {
        clams_ts_response_t r;
        if (post(l->s, NULL, &r) == 0 && r.status == 200 && r.worker)
            l->ok++;
        clams_ts_response_free(&r);
    }
    return NULL;
}

START_TEST(concurrent_clients)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "3", NULL};
    start(&s, flags, NULL);
    loader_t l[8];
    int total = 0;
    for (int i = 0; i < 8; i++) {
        l[i] = (loader_t){&s, i < 2 ? 7 : 6, 0, 0};
        total += l[i].n;
        pthread_create(&l[i].th, NULL, loader, &l[i]);
    }
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(l[i].th, NULL);
        ok += l[i].ok;
    }
    ck_assert_int_eq(total, 50);
    ck_assert_int_eq(ok, 50);
    stop_ok(&s);
}
END_TEST

/* A raw-socket client that sends the body in small pieces over ~2 s. */
typedef struct {
    int port;
    volatile int done_sending;
    int status;
    pthread_t th;
} slow_t;

static void *slow_upload(void *arg)
{
    slow_t *sl = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)sl->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        return NULL;
    size_t len = strlen(MMIF);
    char hdr[256];
    int n = snprintf(hdr, sizeof(hdr),
                     "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     len);
    if (write(fd, hdr, (size_t)n) != n)
        return NULL;
    size_t step = len / 20 + 1;
    for (size_t off = 0; off < len; off += step) {
        size_t k = len - off < step ? len - off : step;
        if (write(fd, MMIF + off, k) != (ssize_t)k)
            break;
        sleep_s(0.1);
    }
    sl->done_sending = 1;
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof(buf) - 1);
    if (got > 12) {
        buf[got] = '\0';
        sl->status = atoi(buf + 9);
    }
    close(fd);
    return NULL;
}

START_TEST(slow_client)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 1, 60);
    slow_t sl = {.port = s.port};
    pthread_create(&sl.th, NULL, slow_upload, &sl);
    sleep_s(0.3);
    /* The only worker serves others while the slow client is still uploading. */
    int served_meanwhile = 0;
    for (int i = 0; i < 3; i++) {
        char *p = pid_of_post(&s, NULL);
        free(p);
        if (!sl.done_sending)
            served_meanwhile++;
    }
    pthread_join(sl.th, NULL);
    ck_assert_int_eq(sl.status, 200);
    ck_assert_msg(served_meanwhile > 0, "no request was served during the slow upload");
    stop_ok(&s);
}
END_TEST

/* ---- master-only paths -------------------------------------------------------------------- */

START_TEST(master_paths_when_busy)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, NULL);
    call_t a;
    call_start(&a, &s, "sleep=3000");
    wait_metric_ge(&s, "clams_workers{state=\"busy\"}", 1, 60);
    clams_ts_response_t r;
    ck_assert_int_eq(get_path(&s, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    ck_assert_int_eq(get_path(&s, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    ck_assert_int_eq(get_path(&s, "/", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "Supervisor Test App"));
    ck_assert_ptr_null(r.worker);
    clams_ts_response_free(&r);
    ck_assert_int_eq(get_path(&s, "/nope", &r), 0);
    ck_assert_int_eq(r.status, 404);
    clams_ts_response_free(&r);
    ck_assert(a.r.status == 0); /* still in the worker */
    call_join(&a);
    ck_assert_int_eq(a.r.status, 200);
    clams_ts_response_free(&a.r);
    stop_ok(&s);
    /* The access log: one line per request on stdout, with the worker pid. */
    char *l = log_of(&s);
    ck_assert_msg(strstr(l, "\"POST /?sleep=3000\" 200 ") && strstr(l, "\"GET /healthz\" 200 "),
                  "log:\n%s", l);
    free(l);
}
END_TEST

/* All workers alive but none free for longer than --ready-wait: /readyz
 * says 503 (busy) so a balancer sends new work elsewhere; ready again once
 * the queue moves. */
/* The development server stops on SIGTERM even while annotate runs on and
 * on: after a grace (10 s) it exits 1 without the request, and a second
 * signal ends it at once. */
static void dev_stop_case(bool twice)
{
    clams_ts_server_t s;
    int rc = clams_ts_server_start(&s, SUP_APP, NULL, NULL, 60);
    ck_assert_msg(rc == 0, "the development server did not start");
    call_t busy;
    call_start(&busy, &s, "sleep=120000");
    sleep_s(0.5); /* in annotate now */
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    if (twice) {
        sleep_s(0.2);
        ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    }
    int st = 0;
    ck_assert_msg(clams_ts_wait(s.pid, 60, &st) == 0, "still running 60 s after SIGTERM");
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x", st);
    s.pid = 0;
    char *l = log_of(&s);
    ck_assert_msg(strstr(l, twice ? "again: exiting" : "still running"), "log:\n%s", l);
    free(l);
    call_join(&busy);
    clams_ts_response_free(&busy.r);
}

START_TEST(dev_stop_while_busy)
{
    dev_stop_case(false);
}
END_TEST

START_TEST(dev_stop_second_signal)
{
    dev_stop_case(true);
}
END_TEST

START_TEST(readyz_busy)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", "--no-standby", "--ready-wait",
                           "0.3",       NULL};
    start(&s, flags, NULL);
    call_t busy, queued;
    call_start(&busy, &s, "sleep=2000");
    wait_metric_ge(&s, "clams_workers{state=\"busy\"}", 1, 30);
    call_start(&queued, &s, "sleep=1");
    sleep_s(0.8);
    clams_ts_response_t r;
    ck_assert_int_eq(get_path(&s, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 503);
    ck_assert_msg(strstr(r.body, "busy"), "readyz: %s", r.body);
    clams_ts_response_free(&r);
    ck_assert_int_eq(get_path(&s, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200); /* alive all the same */
    clams_ts_response_free(&r);
    call_join(&busy);
    call_join(&queued);
    ck_assert_int_eq(busy.r.status, 200);
    ck_assert_int_eq(queued.r.status, 200);
    clams_ts_response_free(&busy.r);
    clams_ts_response_free(&queued.r);
    ck_assert_int_eq(get_path(&s, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    stop_ok(&s);
}
END_TEST

START_TEST(readyz_before_ready)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", NULL};
    const char *env[] = {"SUP_INIT_SLEEP_MS=3000", NULL};
    start(&s, flags, env);
    clams_ts_response_t r;
    ck_assert_int_eq(get_path(&s, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 503);
    clams_ts_response_free(&r);
    ck_assert_int_eq(get_path(&s, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 1, 60);
    ck_assert_int_eq(get_path(&s, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    clams_ts_response_free(&r);
    stop_ok(&s);
}
END_TEST

/* ---- pool size and placement (fake NVML) --------------------------------------------------- */

#define UUID0 "GPU-00000000-aaaa-bbbb-cccc-000000000000"
#define UUID1 "GPU-11111111-aaaa-bbbb-cccc-111111111111"

static int expected_cpu_workers(void)
{
    return clams__cpu_count(NULL, 0) * 2 + 1;
}

/* Holds `n` requests in workers at once and counts where they ran. */
static void placement(clams_ts_server_t *s, int n, int *on0, int *on1, int *unset)
{
    call_t c[16];
    *on0 = *on1 = *unset = 0;
    for (int i = 0; i < n; i++)
        call_start(&c[i], s, "sleep=1500");
    for (int i = 0; i < n; i++) {
        call_join(&c[i]);
        ck_assert_int_eq(c[i].r.status, 200);
        char *cvd = view_prop(c[i].r.body, "cudaVisibleDevices");
        ck_assert_ptr_nonnull(cvd);
        if (strcmp(cvd, UUID0) == 0)
            (*on0)++;
        else if (strcmp(cvd, UUID1) == 0)
            (*on1)++;
        else if (strcmp(cvd, "unset") == 0)
            (*unset)++;
        free(cvd);
        clams_ts_response_free(&c[i].r);
    }
}

static double workers_total(clams_ts_server_t *s)
{
    return metric(s, "clams_workers{state=\"ready\"}") +
           metric(s, "clams_workers{state=\"busy\"}") +
           metric(s, "clams_workers{state=\"spawning\"}");
}

START_TEST(gpu_one)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    const char *env[] = {"SUP_GPU_MIN=3000", "SUP_GPU_TYP=4000", "CLAMS_LOGLEVEL=info", NULL};
    const char *flags[] = {"--max-requests", "0", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    int want = expected_cpu_workers() < 4 ? expected_cpu_workers() : 4;
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", want, 60);
    ck_assert_int_eq((int)workers_total(&s), want);
    int on0, on1, unset;
    placement(&s, want, &on0, &on1, &unset);
    ck_assert_int_eq(on0, want);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}
END_TEST

START_TEST(gpu_mixed)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 8192 NVIDIA Big\n1 " UUID1 " 4096 NVIDIA Small\n");
    ck_assert_ptr_nonnull(dir);
    const char *env[] = {"SUP_GPU_MIN=3000", "SUP_GPU_TYP=4000", NULL};
    const char *flags[] = {"--max-requests", "0", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    ck_assert_msg(expected_cpu_workers() >= 3, "needs 1 CPU at least");
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 3, 60);
    ck_assert_int_eq((int)workers_total(&s), 3);
    int on0, on1, unset;
    placement(&s, 3, &on0, &on1, &unset);
    ck_assert_int_eq(on0, 2); /* floor(8192/4000) */
    ck_assert_int_eq(on1, 1); /* floor(4096/4000) */
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}
END_TEST

static void visible_case(const char *cvd, int expect_on0, int expect_on1)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 8192 NVIDIA Big\n1 " UUID1 " 4096 NVIDIA Small\n");
    ck_assert_ptr_nonnull(dir);
    char e[160];
    snprintf(e, sizeof(e), "CUDA_VISIBLE_DEVICES=%s", cvd);
    const char *env[] = {"SUP_GPU_MIN=3000", "SUP_GPU_TYP=4000", e, NULL};
    const char *flags[] = {"--max-requests", "0", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    int n = expect_on0 + expect_on1;
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", n, 60);
    ck_assert_int_eq((int)workers_total(&s), n);
    int on0, on1, unset;
    placement(&s, n, &on0, &on1, &unset);
    ck_assert_int_eq(on0, expect_on0);
    ck_assert_int_eq(on1, expect_on1);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}

START_TEST(gpu_visible_index)
{
    visible_case("1", 0, 1);
}
END_TEST
START_TEST(gpu_visible_uuid)
{
    visible_case(UUID0, 2, 0);
}
END_TEST

START_TEST(gpu_typ_zero)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    const char *flags[] = {"--max-requests", "0", "--workers", "2", NULL};
    clams_ts_server_t s;
    start(&s, flags, NULL);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 2, 60);
    int on0, on1, unset;
    placement(&s, 2, &on0, &on1, &unset);
    ck_assert_int_eq(unset, 2);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}
END_TEST

START_TEST(gpu_override)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    const char *env[] = {"SUP_GPU_MIN=3000", "SUP_GPU_TYP=4000", "CLAMS_GUNICORN_WORKERS=2", NULL};
    const char *flags[] = {"--max-requests", "0", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 2, 60);
    ck_assert_int_eq((int)workers_total(&s), 2);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}
END_TEST

START_TEST(gpu_bad_override)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    const char *argv[] = {SUP_APP, "--production", "--host", "127.0.0.1", "--port", "0", NULL};
    const char *env[] = {"SUP_GPU_MIN=3000", "SUP_GPU_TYP=4000", "CLAMS_GUNICORN_WORKERS=lots",
                         NULL};
    char *out = NULL, *err = NULL;
    int rc = clams_ts_run(argv, env, NULL, 0, 60, &out, &err);
    ck_assert_msg(rc > 0 && rc < 128, "exit %d", rc);
    ck_assert_msg(strstr(err, "CLAMS_GUNICORN_WORKERS"), "stderr:\n%s", err);
    free(out);
    free(err);
    fake_gpu_cleanup(dir);
}
END_TEST

/* ---- phase 2: VRAM budgets ------------------------------------------------------------------ */

START_TEST(vram_soft)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    const char *env[] = {"SUP_GPU_MIN=1000", "SUP_GPU_TYP=2000", NULL};
    const char *flags[] = {"--max-requests", "0", "--workers", "1", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    char *a = pid_of_post(&s, "alloc=104857600");  /* 100 MiB: under the 2000 MiB budget */
    char *b = pid_of_post(&s, "alloc=3221225472"); /* 3 GiB: over it, recycled after */
    char *c = pid_of_post(&s, NULL);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(b, c);
    ck_assert(metric(&s, "clams_worker_recycles_total{reason=\"vram\"}") >= 1);
    free(a);
    free(b);
    free(c);
    stop_ok(&s);
    char *l = log_of(&s);
    ck_assert_msg(strstr(l, "above the app's est_gpu_mem_typ of 2000 MiB"), "log:\n%s", l);
    free(l);
    fake_gpu_cleanup(dir);
}
END_TEST

START_TEST(vram_hard)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    const char *env[] = {"SUP_GPU_MIN=1000", "SUP_GPU_TYP=2000", NULL};
    const char *flags[] = {"--max-requests",     "0",    "--workers", "1",
                           "--vram-hard-budget", "1024", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    clams_ts_response_t r;
    ck_assert_int_eq(post(&s, "alloc=2147483648&sleep=20000", &r), 0);
    ck_assert_int_eq(r.status, 500);
    ck_assert_msg(strstr(r.body, "2048 MiB") && strstr(r.body, "hard budget of 1024 MiB"), "%s",
                  r.body);
    clams_ts_response_free(&r);
    char *p = pid_of_post(&s, NULL);
    free(p);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}
END_TEST

/* ---- cheaper recycling: standby (CPU apps) and overlap (GPU apps) ---------------- */

/* A CPU app with --max-requests 1 keeps a replacement forked and initialised
 * per worker: no request is served twice by one worker, a crashed worker is
 * replaced, the pool line says so, and SIGTERM drains all of them. */
START_TEST(standby_cpu)
{
    const char *flags[] = {"--workers", "2", "--max-requests", "1", NULL};
    const char *env[] = {"CLAMS_LOGLEVEL=info", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    /* 2 serving + 2 standbys, told apart */
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 2, 60);
    wait_metric_ge(&s, "clams_workers{state=\"standby\"}", 2, 60);
    ck_assert_int_eq((int)metric(&s, "clams_workers{state=\"ready\"}"), 2);
    char *seen[12];
    for (int i = 0; i < 12; i++) {
        seen[i] = pid_of_post(&s, NULL);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(seen[i], seen[j]) != 0, "worker %s served two requests", seen[i]);
    }
    for (int i = 0; i < 12; i++)
        free(seen[i]);
    clams_ts_response_t r;
    ck_assert_int_eq(post(&s, "crash=segv", &r), 0);
    ck_assert_int_eq(r.status, 500);
    clams_ts_response_free(&r);
    wait_metric_ge(&s, "clams_workers{state=\"standby\"}", 2, 60);
    char *l = log_of(&s);
    ck_assert_msg(
        strstr(l, "standby replacements, forked and initialised ahead, up to one per worker"),
        "pool line:\n%s", l);
    free(l);
    stop_ok(&s);
}
END_TEST

START_TEST(standby_off)
{
    const char *flags[] = {"--workers", "2", "--max-requests", "1", "--no-standby", NULL};
    clams_ts_server_t s;
    start(&s, flags, NULL);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 2, 60);
    usleep(300000);
    ck_assert_int_eq((int)metric(&s, "clams_workers{state=\"ready\"}"), 2);
    char *p = pid_of_post(&s, NULL);
    free(p);
    stop_ok(&s);
}
END_TEST

/* A GPU app's replacement starts while the old worker still exits only when
 * the GPU's free memory holds est_gpu_mem_typ. The fake GPU has 16 GiB; the
 * test process itself holds `held` MiB of it; the app declares 4000 MiB and
 * runs one worker, which takes 700 ms to leave (worker_fini). */
static bool overlapped(unsigned long long held_mib)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    char line[64];
    snprintf(line, sizeof(line), "%s %llu\n", UUID0, held_mib << 20);
    char name[64];
    snprintf(name, sizeof(name), "procs/%d", (int)getpid());
    ck_assert_int_eq(fake_gpu_write(dir, name, line), 0);
    const char *env[] = {"SUP_GPU_MIN=3000", "SUP_GPU_TYP=4000", "SUP_FINI_SLEEP_MS=700",
                         "CLAMS_LOGLEVEL=debug", NULL};
    const char *flags[] = {"--workers", "1", "--max-requests", "1", NULL};
    clams_ts_server_t s;
    start(&s, flags, env);
    char *p = pid_of_post(&s, NULL);
    free(p);
    wait_metric_ge(&s, "clams_workers{state=\"ready\"}", 1, 60);
    usleep(1200000); /* past the old worker's exit */
    char *l = log_of(&s);
    bool yes = strstr(l, "still exits") != NULL;
    ck_assert_msg(strstr(l, "may start before the old worker exits"), "pool line:\n%s", l);
    free(l);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
    return yes;
}

START_TEST(overlap_gpu_room)
{
    ck_assert_msg(overlapped(0), "no overlap with 16 GiB free");
}
END_TEST
START_TEST(overlap_gpu_no_room)
{
    ck_assert_msg(!overlapped(14000), "overlap with 2384 MiB free and est_gpu_mem_typ 4000");
}
END_TEST

/* ---- workers in a PID namespace (containers): the host-PID binding ------------ */

#define HOST_OFFSET 400000 /* the fake driver lists a pid as pid + this */

/* The production server with a fake GPU whose driver lists host PIDs (pid +
 * HOST_OFFSET), a worker_init that takes 300 MiB (its "context"), one
 * worker: run either plainly or inside a new PID namespace (unshare --pid
 * --fork --mount-proc; root is needed, the CI machine has it). */
static char *pidns_start(clams_ts_server_t *s, bool unshare, bool init_context,
                         const char *const *more_flags)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    char off[32];
    snprintf(off, sizeof(off), "%d\n", HOST_OFFSET);
    ck_assert_int_eq(fake_gpu_write(dir, "pid_offset", off), 0);
    const char *env[] = {"SUP_GPU_MIN=1000", "SUP_GPU_TYP=2000", "CLAMS_LOGLEVEL=info",
                         init_context ? "SUP_INIT_GPU_BYTES=314572800" : "SUP_NONE=1", NULL};
    const char *args[32];
    int n = 0;
    if (unshare) {
        args[n++] = "--pid";
        args[n++] = "--fork";
        args[n++] = "--mount-proc";
        args[n++] = SUP_APP;
    }
    args[n++] = "--production";
    args[n++] = "--workers";
    args[n++] = "1";
    for (int i = 0; more_flags && more_flags[i] && n < 30; i++)
        args[n++] = more_flags[i];
    args[n] = NULL;
    int rc = clams_ts_server_start(s, unshare ? "/usr/bin/unshare" : SUP_APP, args, env, 60);
    ck_assert_msg(rc == 0, "the server did not start%s", unshare ? " under unshare" : "");
    return dir;
}

/* Stops a server started under unshare: SIGTERM goes to the master (PID 1
 * inside, unshare's child outside), and unshare exits with its status. */
static void stop_ns_ok(clams_ts_server_t *s, bool unshare)
{
    if (!unshare) {
        stop_ok(s);
        return;
    }
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)s->pid, (int)s->pid);
    FILE *f = fopen(path, "r");
    int master = 0;
    ck_assert_msg(f && fscanf(f, "%d", &master) == 1, "no child of unshare %d", (int)s->pid);
    fclose(f);
    ck_assert_int_eq(kill(master, SIGTERM), 0);
    int st = 0;
    ck_assert_int_eq(clams_ts_wait(s->pid, 60, &st), 0);
    s->pid = 0;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the master under unshare exited 0x%x",
                  st);
}

/* The binding line of /metrics for the worker that answered (new). */
static char *binding_of(clams_ts_server_t *s, const char *worker)
{
    clams_ts_response_t r;
    ck_assert_int_eq(get_path(s, "/metrics", &r), 0);
    char key[64];
    snprintf(key, sizeof(key), "clams_worker_gpu_binding{slot=\"0\",pid=\"%s\"", worker);
    char *at = strstr(r.body, key);
    char *line = at ? strndup(at, strcspn(at, "\n")) : NULL;
    ck_assert_msg(line, "no binding for worker %s in /metrics:\n%s", worker, r.body);
    clams_ts_response_free(&r);
    return line;
}

/* nvidia-smi alone (no NVML), a PID namespace (the fake's pid offset) and a
 * worker whose context exists as soon as worker_init starts: it reports
 * READY well within nvidia-smi's 100 ms cache. The binding still finds its
 * host PID, because both lists are read fresh (a cached second list was the
 * first one again: "no process appeared during worker_init"). */
START_TEST(pidns_smi_fast_ready)
{
    char *dir = fake_gpu_setup("0 " UUID0 " 16384 NVIDIA Test 16G\n");
    ck_assert_ptr_nonnull(dir);
    char off[32];
    snprintf(off, sizeof(off), "%d\n", HOST_OFFSET);
    ck_assert_int_eq(fake_gpu_write(dir, "pid_offset", off), 0);
    const char *env[] = {"SUP_GPU_MIN=1000", "SUP_GPU_TYP=2000", "SUP_INIT_GPU_BYTES=314572800",
                         "CLAMS_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1", NULL};
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", "--max-requests", "0", NULL};
    start(&s, flags, env);
    char *worker = pid_of_post(&s, NULL);
    char *line = binding_of(&s, worker);
    char want[64];
    snprintf(want, sizeof(want), "host_pid=\"%d\",binding=\"bound\"", atoi(worker) + HOST_OFFSET);
    ck_assert_msg(strstr(line, want), "binding: %s (wanted %s)", line, want);
    free(line);
    free(worker);
    stop_ok(&s);
    fake_gpu_cleanup(dir);
}
END_TEST

static void pidns_budgets(bool unshare)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-requests", "0", NULL};
    char *dir = pidns_start(&s, unshare, true, flags);
    /* hwFetch: the worker's own peak, asked by its host PID. */
    clams_ts_response_t r;
    ck_assert_int_eq(post(&s, "hwFetch=true&alloc=1073741824", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.body, "\"peakMethod\":\"nvml-process-sampled\"") ||
                      strstr(r.body, "\"peakMethod\": \"nvml-process-sampled\""),
                  "hwFetch without a sampled peak: %.600s", strstr(r.body, "hardware"));
    char *worker = strdup(r.worker);
    clams_ts_response_free(&r);
    char *line = binding_of(&s, worker);
    char want[64];
    snprintf(want, sizeof(want), "host_pid=\"%d\",binding=\"bound\"", atoi(worker) + HOST_OFFSET);
    ck_assert_msg(strstr(line, want), "binding: %s (wanted %s)", line, want);
    free(line);
    /* The soft budget (est_gpu_mem_typ 2000 MiB) acts on the host PID's figure. */
    char *a = pid_of_post(&s, "alloc=3221225472");
    char *b = pid_of_post(&s, NULL);
    ck_assert_str_eq(a, worker);
    ck_assert_str_ne(a, b);
    ck_assert(metric(&s, "clams_worker_recycles_total{reason=\"vram\"}") >= 1);
    free(a);
    free(b);
    free(worker);
    stop_ns_ok(&s, unshare);
    fake_gpu_cleanup(dir);
}

START_TEST(pidns_offset_budgets)
{
    pidns_budgets(false);
}
END_TEST
START_TEST(pidns_unshare_budgets)
{
    pidns_budgets(true);
}
END_TEST

/* The hard budget kills a worker known by its host PID, with its 500. */
START_TEST(pidns_unshare_hard)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-requests", "0", "--vram-hard-budget", "1024", NULL};
    char *dir = pidns_start(&s, true, true, flags);
    clams_ts_response_t r;
    ck_assert_int_eq(post(&s, "alloc=2147483648&sleep=20000", &r), 0);
    ck_assert_int_eq(r.status, 500);
    ck_assert_msg(strstr(r.body, "hard budget of 1024 MiB"), "%s", r.body);
    clams_ts_response_free(&r);
    char *p = pid_of_post(&s, NULL);
    free(p);
    stop_ns_ok(&s, true);
    fake_gpu_cleanup(dir);
}
END_TEST

/* No process appears while worker_init runs (the app makes its context
 * later): the binding is unknown and says so, in /metrics and once in the
 * log; nothing is guessed. */
START_TEST(pidns_unknown)
{
    clams_ts_server_t s;
    const char *flags[] = {"--max-requests", "0", NULL};
    char *dir = pidns_start(&s, true, false, flags);
    char *worker = pid_of_post(&s, NULL);
    char *line = binding_of(&s, worker);
    ck_assert_msg(strstr(line, "host_pid=\"0\",binding=\"no process appeared during worker_init\""),
                  "binding: %s", line);
    free(line);
    free(worker);
    stop_ns_ok(&s, true);
    char *l = log_of(&s);
    ck_assert_msg(strstr(l, "its host PID is unknown (no process appeared"), "log:\n%s", l);
    free(l);
    fake_gpu_cleanup(dir);
}
END_TEST

START_TEST(metrics_format)
{
    clams_ts_server_t s;
    const char *flags[] = {"--workers", "1", NULL};
    start(&s, flags, NULL);
    char *p = pid_of_post(&s, NULL);
    free(p);
    clams_ts_response_t r;
    ck_assert_int_eq(get_path(&s, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    const char *want[] = {"# TYPE clams_workers gauge",
                          "clams_requests_total{status=\"200\"}",
                          "clams_request_duration_seconds_bucket{le=\"+Inf\"}",
                          "clams_queue_length 0",
                          "clams_worker_recycles_total{reason=\"crash\"} 0",
                          NULL};
    for (int i = 0; want[i]; i++)
        ck_assert_msg(strstr(r.body, want[i]), "missing %s in\n%s", want[i], r.body);
    clams_ts_response_free(&r);
    stop_ok(&s);
}
END_TEST

/* ---- runner ------------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    const TTest *test;
} case_t;

int main(int argc, char **argv)
{
#define C(n)  \
    {         \
#n, n \
    }
    const case_t cases[] = {
        C(recycle_default),
        C(recycle_never),
        C(recycle_n),
        C(recycle_jitter_flag_zero),
        C(recycle_app_default),
        C(client_abort_dropped),
        C(client_abort_ignored),
        C(crash_segv),
        C(crash_abort),
        C(crash_exit),
        C(timeout_kill),
        C(init_fails_once),
        C(init_always_fails),
        C(init_exit_2),
        C(queue_full),
        C(graceful_shutdown),
        C(sighup_replaces),
        C(concurrent_clients),
        C(slow_client),
        C(master_paths_when_busy),
        C(readyz_before_ready),
        C(readyz_busy),
        C(dev_stop_while_busy),
        C(dev_stop_second_signal),
        C(gpu_one),
        C(gpu_mixed),
        C(gpu_visible_index),
        C(gpu_visible_uuid),
        C(gpu_typ_zero),
        C(gpu_override),
        C(gpu_bad_override),
        C(vram_soft),
        C(vram_hard),
        C(metrics_format),
        C(standby_cpu),
        C(standby_off),
        C(overlap_gpu_room),
        C(overlap_gpu_no_room),
        C(pidns_offset_budgets),
        C(pidns_unshare_budgets),
        C(pidns_unshare_hard),
        C(pidns_unknown),
        C(pidns_smi_fast_ready),
    };
    /* The PID-namespace cases need unshare(1) with CLONE_NEWPID (root, or a
     * user namespace): where it is refused they are skipped (77), not passed. */
    if (argc > 1 &&
        (strncmp(argv[1], "pidns_unshare", 13) == 0 || strcmp(argv[1], "pidns_unknown") == 0) &&
        system("/usr/bin/unshare --pid --fork --mount-proc true >/dev/null 2>&1") != 0) {
        fprintf(stderr, "%s: unshare --pid is not permitted here: skipped\n", argv[1]);
        return 77;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    /* No real GPU tooling unless a case sets up the fakes. */
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("CLAMS_NVIDIA_SMI", "/nonexistent/nvidia-smi", 1);
    unsetenv("CUDA_VISIBLE_DEVICES");
    unsetenv("CLAMS_GUNICORN_WORKERS");
    signal(SIGPIPE, SIG_IGN);
    Suite *su = suite_create("sup");
    TCase *tc = tcase_create("sup");
    tcase_set_timeout(tc, 300);
    int found = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            tcase_add_test(tc, cases[i].test);
            found++;
        }
    }
    if (!found) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    suite_add_tcase(su, tc);
    return clams_ts_run_suite(su, false);
}
