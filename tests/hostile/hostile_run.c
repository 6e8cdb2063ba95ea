/* hostile_run: replays the hostile request corpus (tests/hostile/cases) against
 * a running app, development or production server, over raw sockets.
 *
 *   hostile_run --cases DIR --base FILE --mode dev|prod [--valgrind] -- APP [FLAGS...]
 *
 * It starts APP FLAGS --host 127.0.0.1 --port N (under valgrind with
 * --valgrind), sends every case file of DIR in name order, checks the status,
 * content type and message substrings the case expects, and after each case
 * proves the server still serves: a normal annotate request must answer 200
 * with this app's view. At the end the server is stopped with SIGTERM and must
 * exit 0 (under valgrind: with no error reported). The case file format is in
 * tests/hostile/README.md. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile_case.h"
#include "rawhttp.h"
#include "support.h"

typedef struct {
    const char *cases_dir;
    const char *base_path;
    const char *mode;
    bool valgrind;
    char **app_argv; /* app binary then its flags */
    int app_argc;
} opts_t;

static int usage(void)
{
    fprintf(stderr, "usage: hostile_run --cases DIR --base FILE --mode dev|prod [--valgrind] "
                    "[--only NAME] -- APP [FLAGS...]\n");
    return 2;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Case file names (sorted). Ownership: new (each name and the array). */
static char **list_cases(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".case") != 0)
            continue;
        char **nn = realloc(names, (*n + 1) * sizeof(*names));
        if (!nn)
            break;
        names = nn;
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(*names), cmp_names);
    return names;
}

/* A normal request must still get a 200 with this app's view. */
static bool probe(int port, const char *base, size_t base_len, char *why, size_t why_size)
{
    raw_buf_t req = {0};
    raw_buf_printf(&req,
                   "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
                   "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   port, base_len);
    raw_buf_add(&req, base, base_len);
    raw_resp_t r;
    raw_exchange(port, req.data, req.len, 120, &r);
    bool ok = r.status == 200 && strstr(r.body, "rel-test") != NULL;
    if (!ok)
        snprintf(why, why_size, "probe got status %d%s: %.300s", r.status,
                 r.timed_out ? " (timed out)"
                 : r.reset   ? " (connection reset)"
                             : "",
                 r.body);
    raw_resp_free(&r);
    raw_buf_free(&req);
    return ok;
}

static int start_server(const opts_t *o, clams_ts_server_t *s, const char *const *env)
{
    const char *argv[64];
    int k = 0;
    const char *bin = o->app_argv[0];
    if (o->valgrind) {
        bin = "valgrind";
        argv[k++] = "--error-exitcode=99";
        argv[k++] = "--leak-check=full";
        argv[k++] = "--errors-for-leak-kinds=definite";
        argv[k++] = "--track-fds=no";
        argv[k++] = "-q";
        argv[k++] = o->app_argv[0];
    }
    for (int i = 1; i < o->app_argc && k < 62; i++)
        argv[k++] = o->app_argv[i];
    argv[k] = NULL;
    /* clams_ts_server_start runs a path: resolve valgrind on PATH. */
    static char vg[512];
    if (o->valgrind) {
        FILE *p = popen("command -v valgrind", "r");
        if (!p || !fgets(vg, sizeof(vg), p))
            return -1;
        pclose(p);
        vg[strcspn(vg, "\n")] = '\0';
        bin = vg;
    }
    return clams_ts_server_start(s, bin, argv, env, o->valgrind ? 300 : 60);
}

static int parse_args(int argc, char **argv, opts_t *o, const char **only)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            o->cases_dir = argv[++i];
        else if (!strcmp(argv[i], "--base") && i + 1 < argc)
            o->base_path = argv[++i];
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            o->mode = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            *only = argv[++i];
        else if (!strcmp(argv[i], "--valgrind"))
            o->valgrind = true;
        else if (!strcmp(argv[i], "--") && i + 1 < argc) {
            o->app_argv = argv + i + 1;
            o->app_argc = argc - i - 1;
            break;
        } else
            return -1;
    }
    if (!o->cases_dir || !o->base_path || !o->mode || !o->app_argv)
        return -1;
    return 0;
}

/* Runs one case; returns true when it passed (the probe included). */
static bool run_case(const opts_t *o, clams_ts_server_t *s, const char *name, const char *base,
                     size_t base_len)
{
    char path[1024], why[1024] = "";
    snprintf(path, sizeof(path), "%s/%s", o->cases_dir, name);
    hcase_t c;
    if (hcase_load(path, base, base_len, &c, why, sizeof(why)) != 0) {
        printf("FAIL %-40s bad case file: %s\n", name, why);
        return false;
    }
    if (!hcase_applies(&c, o->mode)) {
        printf("skip %-40s (%s only)\n", name, c.only);
        hcase_free(&c);
        return true;
    }
    raw_buf_t req = {0};
    hcase_request(&c, s->port, &req);
    raw_resp_t r;
    double t0 = raw_now();
    double limit = c.timeout > 0 ? c.timeout * (o->valgrind ? 5 : 1) : o->valgrind ? 300 : 120;
    raw_exchange_ex(s->port, req.data, req.len, limit, c.half_close, &r);
    double took = raw_now() - t0;
    bool ok = hcase_check(&c, o->mode, &r, why, sizeof(why));
    const char *tag = ok ? "ok  " : "FAIL";
    if (c.known[0]) {
        /* A known finding: its wrong answer is reported, not counted; the
         * server must still survive it (the probe below is never excused). */
        tag = ok ? "ok? " : "KNWN";
        if (ok)
            snprintf(why, sizeof(why), "known finding %s no longer shows: fixed?", c.known);
        else
            snprintf(why + strlen(why), sizeof(why) - strlen(why), " [finding %s]", c.known);
        ok = true;
    }
    if (!probe(s->port, base, base_len, why, sizeof(why))) {
        ok = false;
        tag = "FAIL";
    }
    printf("%s %-40s %3d %7zu bytes sent %6.2f s  %s\n", tag, name, r.status, req.len, took,
           strcmp(tag, "ok  ") ? why : "");
    fflush(stdout);
    raw_resp_free(&r);
    raw_buf_free(&req);
    hcase_free(&c);
    return ok;
}

int main(int argc, char **argv)
{
    opts_t o;
    const char *only = NULL;
    if (parse_args(argc, argv, &o, &only) != 0)
        return usage();
    signal(SIGPIPE, SIG_IGN);
    size_t base_len = 0;
    char *base = clams_ts_read_file(o.base_path, &base_len);
    size_t n = 0;
    char **names = list_cases(o.cases_dir, &n);
    if (!base || !names || n == 0) {
        fprintf(stderr, "hostile_run: cannot read %s or the cases in %s\n", o.base_path,
                o.cases_dir);
        return 1;
    }
    clams_ts_server_t s;
    const char *env[] = {"CLAMS_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1",
                         "CLAMS_NVIDIA_SMI=/nonexistent/nvidia-smi", NULL};
    if (start_server(&o, &s, env) != 0) {
        fprintf(stderr, "hostile_run: the server did not start\n");
        return 1;
    }
    size_t failed = 0, ran = 0;
    bool alive = true;
    for (size_t i = 0; i < n; i++) {
        if (only && !strstr(names[i], only))
            continue;
        ran++;
        if (!run_case(&o, &s, names[i], base, base_len))
            failed++;
        if (waitpid(s.pid, NULL, WNOHANG) != 0) {
            printf("FAIL the server died after case %s\n", names[i]);
            alive = false;
            break;
        }
    }
    int st = alive ? clams_ts_server_stop(&s, SIGTERM, o.valgrind ? 120 : 60) : -1;
    bool clean = alive && st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf("\n%zu cases run against the %s server%s: %zu passed, %zu failed; server %s\n", ran,
           o.mode, o.valgrind ? " under valgrind" : "", ran - failed, failed,
           clean ? "stopped cleanly (exit 0)" : "did NOT stop cleanly");
    if (!clean || failed) {
        char *log = clams_ts_server_log(&s);
        if (log) {
            size_t l = strlen(log);
            printf("---- last of the server log ----\n%s\n", l > 6000 ? log + l - 6000 : log);
            free(log);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(base);
    return failed || !clean ? 1 : 0;
}
