/* clams_serve_python: `clams serve APP_DIR`. A hosted app takes the command
 * line of a C app (clams__main_run) plus the flags below, which only a
 * hosted app has; they are taken out of argv before the common parser sees
 * it, wherever they stand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/clams.h"
#include "common/internal.h"
#include "host/host.h"
#include "serve/options.h"
#include "serve/serve.h"

static void hosted_usage(FILE *f)
{
    fprintf(f, "Hosted clams-python app (clams serve APP_DIR):\n"
               "  --python PATH               the interpreter whose libpython, venv and\n"
               "                              sys.path the app gets (default: python3 on PATH)\n"
               "  --warmup FILE               each new worker annotates this MMIF once before\n"
               "                              it counts as ready (answer discarded)\n"
               "  --preload                   build the app in the template process too (for\n"
               "                              apps that keep off CUDA in __init__)\n"
               "  --no-template               each worker starts its own interpreter instead of\n"
               "                              being forked from the template process\n\n");
}

static clams__app_rt_t *make_hosted(const void *arg)
{
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__host_rt_new(arg, &err);
    if (!rt)
        fprintf(stderr, "clams serve: %s\n", err.text[0] ? err.text : clams_strerror(err.code));
    return rt;
}

int clams_serve_python(const char *app_dir, int argc, char **argv)
{
    clams__host_opts_t o = {.app_dir = app_dir};
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (!rest || !app_dir) {
        free(rest);
        fprintf(stderr, "clams serve: %s\n", rest ? "no app folder" : "out of memory");
        return rest ? 2 : 1;
    }
    int n = 0;
    for (int i = 0; i < argc; i++) {
        int rc = 0;
        if (i > 0 && ((rc = clams__flag_value("--python", argc, argv, &i, &o.python)) != 0 ||
                      (rc = clams__flag_value("--warmup", argc, argv, &i, &o.warmup)) != 0)) {
            if (rc < 0) {
                fprintf(stderr, "clams serve: %s expects a value\n", argv[i]);
                free(rest);
                return 2;
            }
            continue;
        }
        if (i > 0 && strcmp(argv[i], "--preload") == 0)
            o.preload = true;
        else if (i > 0 && strcmp(argv[i], "--no-template") == 0)
            o.no_template = true;
        else
            rest[n++] = argv[i];
    }
    static const clams_app_t placeholder = {.name = "clams serve APP_DIR",
                                            .description = "a hosted clams-python app"};
    int status = clams__main_run(&placeholder, make_hosted, &o, hosted_usage, n, rest);
    free(rest);
    return status;
}
