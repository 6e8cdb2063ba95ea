/* clams_main: an app's command line, the top floor of the library (see
 * docs/architecture.md). Serves (development or production), annotates a
 * file (`annotate IN OUT --param NAME=VALUE`), or prints help, version or
 * metadata. Exit status: 0 ok, 1 failure, 2 bad usage/config. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/pipeline.h"
#include "clams/clams.h"
#include "common/internal.h"
#include "serve/serve.h"
#include "sup/sup.h"

static void usage(const clams_app_t *app, const char *prog, void (*extra_usage)(FILE *), FILE *f)
{
    fprintf(f,
            "Usage: %s [OPTIONS]                 serve the app over HTTP\n"
            "       %s annotate [IN|-] [OUT|-] [--param NAME=VALUE]...\n\n"
            "%s: %s\n\n",
            prog, prog, app->name ? app->name : "app", app->description ? app->description : "");
    clams__options_usage(f);
    clams__limit_flags_usage(f, 30);
    if (extra_usage)
        extra_usage(f);
    fprintf(f, "File mode:\n"
               "  annotate IN OUT             read MMIF from IN (default stdin), write to OUT\n"
               "                              (default stdout); each app parameter below is a\n"
               "                              flag (--NAME VALUE), or --param NAME=VALUE\n\n"
               "Environment: CLAMS_LOGLEVEL (debug, info, warning, error, critical),\n"
               "CLAMS_APP_VERSION, CLAMS_GUNICORN_WORKERS.\n\n");
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
    printf("%s %s (clams-c %s, MMIF %s)\n", json_string_value(json_object_get(m, "name")),
           json_string_value(json_object_get(m, "app_version")), clams_version_str(),
           json_string_value(json_object_get(m, "mmif_version")));
    return 0;
}

/* What clams_main_abi passes make_rt. */
typedef struct {
    const clams_app_t *app;
    const clams_abi_t *abi;
} c_app_t;

static clams__app_rt_t *make_rt(const void *arg)
{
    const c_app_t *c = arg;
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new_abi(c->app, c->abi, &err);
    if (!rt)
        fprintf(stderr, "invalid app declaration: %s\n",
                err.text[0] ? err.text : clams_strerror(err.code));
    return rt;
}

int clams_main_abi(const clams_app_t *app, const clams_abi_t *abi, int argc, char **argv)
{
    c_app_t c = {app, abi};
    return clams__main_run(app, make_rt, &c, NULL, argc, argv);
}

int clams__main_run(const clams_app_t *app, clams__app_rt_t *(*make)(const void *arg),
                    const void *arg, void (*extra_usage)(FILE *f), int argc, char **argv)
{
    if (clams__log_init() != 0) {
        fprintf(stderr,
                "CLAMS_LOGLEVEL='%s' is not a log level (use debug, info, warning, "
                "notice, error or critical)\n",
                getenv("CLAMS_LOGLEVEL"));
        return 2;
    }
    const char *prog = argc > 0 ? argv[0] : "app";
    /* A file-size limit (ulimit -f) makes a write fail with EFBIG, which every
     * writer here reports, instead of killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    clams__options_t opts;
    clams__options_defaults(&opts, app);
    enum { RUN, HELP, VERSION, DESCRIBE, ANNOTATE } mode = RUN;
    int annotate_at = 0;
    char emsg[256];
    if (clams__limit_flags_env(emsg, sizeof(emsg)) != 0) {
        fprintf(stderr, "%s\n", emsg);
        return 2;
    }
    for (int i = 1; i < argc && mode != ANNOTATE; i++) {
        char msg[256];
        int rc = clams__options_parse_flag(&opts, argc, argv, &i, msg, sizeof(msg));
        if (rc == 0)
            rc = clams__limit_flags_parse(argc, argv, &i, msg, sizeof(msg));
        if (rc < 0) {
            fprintf(stderr, "%s\n", msg);
            return 2;
        }
        if (rc == 1)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            mode = HELP;
        else if (!strcmp(argv[i], "--version"))
            mode = VERSION;
        else if (!strcmp(argv[i], "--describe"))
            mode = DESCRIBE;
        else if (!strcmp(argv[i], "annotate") && i == 1) {
            mode = ANNOTATE;
            annotate_at = 2;
        } else {
            fprintf(stderr, "unknown argument '%s' (see %s --help)\n", argv[i], prog);
            return 2;
        }
        if (mode == HELP)
            break;
    }
    clams__app_rt_t *rt = make(arg);
    if (mode == HELP) {
        usage(rt ? clams__app_rt_app(rt) : app, prog, extra_usage, stdout);
        if (rt) /* an invalid declaration still gets the flags, and says why above */
            clams__print_params(stdout, clams__app_rt_metadata(rt));
        clams__app_rt_free(rt);
        return 0;
    }
    if (!rt)
        return 1;
    int status;
    switch (mode) {
    case VERSION: status = print_version(rt); break;
    case DESCRIBE: status = print_describe(rt); break;
    case ANNOTATE: status = clams__file_mode(rt, argc, argv, annotate_at); break;
    default:
        /* The development server runs annotate in its own process, where a
         * request cannot be stopped half-way: refuse the flag rather than
         * ignore it. */
        if (!opts.production && opts.sup.timeout > 0) {
            fprintf(stderr, "--timeout needs --production (the development server cannot stop "
                            "a running request)\n");
            status = 2;
            break;
        }
        if (clams_media_root_count() == 0)
            clams__log(CLAMS_LOG_WARNING, 0,
                       "no media root (--media-root, CLAMS_MEDIA_ROOT): a request may name any "
                       "file this process can read, except under /proc, /sys and /dev");
        if (clams__malloc_tune() < 0)
            clams__log(CLAMS_LOG_DEBUG, 0,
                       "mallopt refused the heap thresholds "
                       "(not glibc's allocator?); its defaults stay");
        status = opts.production ? clams__production_serve(rt, &opts.http, &opts.sup)
                                 : clams__dev_serve(rt, &opts.http);
    }
    clams__app_rt_free(rt);
    return status;
}
