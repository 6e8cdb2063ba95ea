/* clams_main: an app's command line. Serves (development or production),
 * annotates a file (`annotate IN OUT --param NAME=VALUE`), or prints help,
 * version or metadata. Exit status: 0 ok, 1 failure, 2 bad usage/config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/options.h"
#include "app/pipeline.h"
#include "clams/clams.h"
#include "common/internal.h"
#include "http/http.h"
#include "sup/sup.h"

static void usage(const clams_app_t *app, const char *prog, FILE *f)
{
    fprintf(f,
        "Usage: %s [OPTIONS]                 serve the app over HTTP\n"
        "       %s annotate [IN|-] [OUT|-] [--param NAME=VALUE]...\n\n"
        "%s: %s\n\n"
        "Options:\n"
        "  --help                      print this help and exit\n"
        "  --version                   print the app and SDK versions and exit\n"
        "  --describe                  print the app metadata (pretty JSON) and exit\n"
        "  --host ADDR                 listen address (default: all interfaces)\n"
        "  --port N                    listen port (default 5000)\n"
        "  --max-body BYTES            largest request body, K/M/G allowed; larger\n"
        "                              bodies get 413 (default 256M)\n"
        "  --max-header-size BYTES     request line plus headers (query string included);\n"
        "                              larger requests get 431 (default 64K)\n"
        "  --client-timeout SECONDS    drop a client idle this long, e.g. a slow sender\n"
        "                              (default 60)\n"
        "  --max-connections N         open client connections (default 1024)\n"
        "  --production                run the production server (master + workers)\n"
        "Production server:\n"
        "  --workers N                 worker count (default: from CPUs and GPU memory,\n"
        "                              or CLAMS_GUNICORN_WORKERS)\n"
        "  --max-requests N            requests per worker before it is replaced\n"
        "                              (default 1; 0 = never)\n"
        "  --max-requests-jitter N     random extra requests per worker (default 0)\n"
        "  --timeout SECONDS           per-request limit (default 0 = none)\n"
        "  --graceful-timeout SECONDS  drain time on shutdown (default 30)\n"
        "  --queue N                   requests waiting for a worker before 503 (default 64)\n"
        "  --vram-soft-budget MIB      recycle a worker after a request above this GPU\n"
        "                              memory (default: est_gpu_mem_typ; 0 = off)\n"
        "  --vram-hard-budget MIB      fail a request above this GPU memory (default 0 = off)\n"
        "  --worker-rss-budget MIB     recycle a worker that keeps more host memory (RSS)\n"
        "                              than this after a request (default 0 = off)\n"
        "File mode:\n"
        "  annotate IN OUT             read MMIF from IN (default stdin), write to OUT\n"
        "                              (default stdout); --param NAME=VALUE repeats\n\n"
        "Environment: CLAMS_LOGLEVEL (debug, info, warning, error, critical),\n"
        "CLAMS_APP_VERSION, CLAMS_GUNICORN_WORKERS.\n",
        prog, prog, app->name ? app->name : "app", app->description ? app->description : "");
}

static int print_describe(const clams__app_rt_t *rt)
{
    char *s = json_dumps(clams__app_rt_metadata(rt), JSON_INDENT(2));
    if (!s)
        return 1;
    printf("%s\n", s);
    free(s);
    return 0;
}

static int print_version(const clams__app_rt_t *rt)
{
    const json_t *m = clams__app_rt_metadata(rt);
    printf("%s %s (clams-c %s, MMIF %s)\n",
           json_string_value(json_object_get(m, "name")),
           json_string_value(json_object_get(m, "app_version")), clams_version_str(),
           json_string_value(json_object_get(m, "mmif_version")));
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* annotate [IN|-] [OUT|-] --param NAME=VALUE... (argv[first] is after "annotate"). */
static int file_mode(const clams__app_rt_t *rt, int argc, char **argv, int first)
{
    const char *paths[2] = {"-", "-"};
    int npaths = 0;
    clams__query_t q = {0};
    int status = 2;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *kv = NULL;
        if (strcmp(a, "--param") == 0 && i + 1 < argc)
            kv = argv[++i];
        else if (strncmp(a, "--param=", 8) == 0)
            kv = a + 8;
        if (kv) {
            const char *eq = strchr(kv, '=');
            char *key = eq ? strndup(kv, (size_t)(eq - kv)) : NULL;
            if (!key || !*key) {
                fprintf(stderr, "--param expects NAME=VALUE, got '%s'\n", kv);
                free(key);
                goto out;
            }
            clams__query_add(&q, key, eq + 1);
            free(key);
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "annotate: unknown option '%s' (see --help)\n", a);
            goto out;
        } else if (npaths < 2) {
            paths[npaths++] = a;
        } else {
            fprintf(stderr, "annotate: too many arguments (see --help)\n");
            goto out;
        }
    }
    status = 1;
    int in = strcmp(paths[0], "-") ? open(paths[0], O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (in < 0) {
        fprintf(stderr, "cannot open %s: %s\n", paths[0], strerror(errno));
        goto out;
    }
    size_t len = 0;
    char *body = clams__read_all(in, &len);
    if (in != STDIN_FILENO)
        close(in);
    if (!body) {
        fprintf(stderr, "cannot read %s\n", paths[0]);
        goto out;
    }
    const clams_app_t *app = clams__app_rt_app(rt);
    clams_error_t ierr = {0};
    if ((app->preload && app->preload(app->user, &ierr) != 0) ||
        (app->worker_init && app->worker_init(app->user, &ierr) != 0)) {
        fprintf(stderr, "app initialisation failed: %s\n", ierr.text);
        free(body);
        goto out;
    }
    clams__response_t r = {0};
    int rc = clams__app_rt_annotate(rt, &q, body, len, &r);
    free(body);
    if (app->worker_fini)
        app->worker_fini(app->user);
    if (rc != 0) {
        fprintf(stderr, "out of memory\n");
    } else if (strncmp(r.content_type, "text/plain", 10) == 0) {
        fprintf(stderr, "%.*s\n", (int)r.len, r.body);
    } else {
        int out_fd = strcmp(paths[1], "-") ? open(paths[1], O_WRONLY | O_CREAT | O_TRUNC |
                                                  O_CLOEXEC, 0644) : STDOUT_FILENO;
        if (out_fd < 0 || write_all(out_fd, r.body, r.len) != 0)
            fprintf(stderr, "cannot write %s: %s\n", paths[1], strerror(errno));
        else if (r.status == 200)
            status = 0;
        else
            fprintf(stderr, "annotate failed (HTTP %d); the error view was written\n",
                    r.status);
        if (out_fd >= 0 && out_fd != STDOUT_FILENO)
            close(out_fd);
    }
    clams__response_free(&r);
out:
    clams__query_free(&q);
    return status;
}

static clams__app_rt_t *make_rt(const clams_app_t *app)
{
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(app, &err);
    if (!rt)
        fprintf(stderr, "invalid app declaration: %s\n",
                err.text[0] ? err.text : clams_strerror(err.code));
    return rt;
}

int clams_main(const clams_app_t *app, int argc, char **argv)
{
    if (clams__log_init() != 0) {
        fprintf(stderr, "CLAMS_LOGLEVEL='%s' is not a log level (use debug, info, warning, "
                "error or critical)\n", getenv("CLAMS_LOGLEVEL"));
        return 2;
    }
    const char *prog = argc > 0 ? argv[0] : "app";
    clams__options_t opts;
    clams__options_defaults(&opts, app);
    enum { RUN, HELP, VERSION, DESCRIBE, ANNOTATE } mode = RUN;
    int annotate_at = 0;
    for (int i = 1; i < argc && mode != ANNOTATE; i++) {
        char msg[256];
        int rc = clams__options_parse_flag(&opts, argc, argv, &i, msg, sizeof(msg));
        if (rc < 0) {
            fprintf(stderr, "%s\n", msg);
            return 2;
        }
        if (rc == 1)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) mode = HELP;
        else if (!strcmp(argv[i], "--version")) mode = VERSION;
        else if (!strcmp(argv[i], "--describe")) mode = DESCRIBE;
        else if (!strcmp(argv[i], "annotate") && i == 1) { mode = ANNOTATE; annotate_at = 2; }
        else {
            fprintf(stderr, "unknown argument '%s' (see %s --help)\n", argv[i], prog);
            return 2;
        }
        if (mode == HELP)
            break;
    }
    if (mode == HELP) {
        usage(app, prog, stdout);
        return 0;
    }
    clams__app_rt_t *rt = make_rt(app);
    if (!rt)
        return 1;
    int status;
    switch (mode) {
    case VERSION: status = print_version(rt); break;
    case DESCRIBE: status = print_describe(rt); break;
    case ANNOTATE: status = file_mode(rt, argc, argv, annotate_at); break;
    default:
        if (clams__malloc_tune() < 0)
            clams__log(CLAMS_LOG_DEBUG, 0, "mallopt refused the heap thresholds "
                       "(not glibc's allocator?); its defaults stay");
        status = opts.production ? clams__production_serve(rt, &opts)
                                 : clams__dev_serve(rt, &opts);
    }
    clams__app_rt_free(rt);
    return status;
}
