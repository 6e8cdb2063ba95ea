/* `clams rewind [IN] [OUT] [-p] -n N [-m view|app]`: removes the last N views
 * of a MMIF, or the views of the last N producer apps (a run of consecutive
 * views by the same app counts once), like mmif-python's `rewind`. N must be
 * given and be at least 1: there is no interactive prompt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/clams.h"
#include "cli/cli.h"

void clams_cli_rewind_usage(FILE *out)
{
    fprintf(out, "usage: clams rewind [IN|-] [OUT|-] -n N [-m view|app] [-p] [-o OUT]\n\n"
                 "Removes the last N views of a MMIF (mode view, the default) or every view of\n"
                 "the last N producer apps (mode app; consecutive views of one app count as one)\n"
                 "and prints the result. IN defaults to standard input, OUT to standard output.\n\n"
                 "options:\n"
                 "  -n, --number N    how many views or apps to remove; required, at least 1\n"
                 "                    (the Python tool prompts when N is 0; this one does not)\n"
                 "  -m, --mode MODE   view (default) or app\n"
                 "  -o, --output OUT  same as the OUT argument\n"
                 "  -p, --pretty      indent the output\n");
}

static const char *view_app(json_t *view)
{
    const char *a = json_string_value(json_object_get(json_object_get(view, "metadata"), "app"));
    return a ? a : "";
}

/* How many views at the end of `views` belong to the last n apps. */
static size_t views_of_last_apps(json_t *views, long n)
{
    size_t total = json_array_size(views), k = 0;
    long apps = 0;
    const char *cur = NULL;
    while (k < total) {
        const char *app = view_app(json_array_get(views, total - 1 - k));
        if (!cur || strcmp(app, cur) != 0) {
            if (apps == n)
                break;
            apps++;
            cur = app;
        }
        k++;
    }
    return k;
}

static int parse_n(const char *s, long *n)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1) {
        fprintf(stderr, "clams rewind: -n wants a whole number of at least 1, got '%s'%s\n", s,
                strcmp(s, "0") == 0 ? " (there is no interactive prompt)" : "");
        return -1;
    }
    *n = v;
    return 0;
}

/* Parses the command line; returns -1 to exit with status 2, 1 for --help. */
static int parse_args(int argc, char **argv, const char *paths[2], long *n, bool *by_app,
                      bool *pretty)
{
    int npaths = 0;
    const char *out_opt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return 1;
        if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
            *pretty = true;
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--number")) && has_val) {
            if (parse_n(argv[++i], n) != 0)
                return -1;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--mode")) && has_val) {
            const char *m = argv[++i];
            if (strcmp(m, "app") && strcmp(m, "view")) {
                fprintf(stderr, "clams rewind: --mode is 'view' or 'app', not '%s'\n", m);
                return -1;
            }
            *by_app = !strcmp(m, "app");
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_val) {
            out_opt = argv[++i];
        } else if ((a[0] != '-' || !a[1]) && npaths < 2) {
            paths[npaths++] = a;
        } else {
            fprintf(stderr, "clams rewind: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    if (out_opt && npaths == 2) {
        fprintf(stderr, "clams rewind: OUT given twice\n");
        return -1;
    }
    if (out_opt)
        paths[1] = out_opt;
    if (*n < 1) {
        fprintf(stderr, "clams rewind: say how many views or apps to remove with -n N "
                        "(N >= 1)\n");
        return -1;
    }
    return 0;
}

int clams_cli_rewind(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    long n = 0;
    bool by_app = false, pretty = false;
    int pr = parse_args(argc, argv, paths, &n, &by_app, &pretty);
    if (pr != 0) {
        clams_cli_rewind_usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? 0 : 2;
    }
    clams_mmif_t *m = clams_cli_load("rewind", paths[0]);
    if (!m)
        return 1;
    json_t *root = clams_mmif_to_json(m);
    clams_mmif_free(m);
    json_t *views = json_object_get(root, "views");
    size_t total = json_array_size(views);
    size_t drop = by_app ? views_of_last_apps(views, n) : (size_t)n < total ? (size_t)n : total;
    for (size_t i = 0; i < drop; i++)
        json_array_remove(views, total - 1 - i);
    clams_error_t err;
    clams_error_clear(&err);
    clams_mmif_t *rewound = root ? clams_mmif_from_json_new(root, &err) : NULL;
    size_t len = 0;
    char *text = rewound ? clams_mmif_dumps(rewound, pretty ? CLAMS_DUMP_PRETTY : 0, &len) : NULL;
    clams_mmif_free(rewound);
    if (!text) {
        fprintf(stderr, "clams rewind: %s\n", err.text[0] ? err.text : "out of memory");
        return 1;
    }
    int rc = clams_cli_write("rewind", paths[1], text, len);
    free(text);
    return rc;
}
