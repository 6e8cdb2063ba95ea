/* The file mode of an app: `APP annotate [IN|-] [OUT|-] [--NAME VALUE...]`
 * runs the same pipeline as a server request, once, in this process, with
 * the app's preload and worker_init around it, as clams-python's generated
 * cli.py does. Each runtime parameter is a flag of its own, as in cli.py:
 * `--minLength 3`, a multivalued one takes one or more values (`--labels A B`,
 * repeats add up), `--NAME=VALUE` works too; `--param NAME=VALUE` is the
 * older spelling and stays. Values are checked by the pipeline, exactly as
 * query-string values are. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "serve/serve.h"

/* The declared parameter (metadata entry) named by a "--NAME[=VALUE]"
 * argument, or NULL. */
static const json_t *param_flag(const json_t *params, const char *arg, size_t *name_len)
{
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    size_t i;
    const json_t *p;
    json_array_foreach (params, i, p) {
        const char *pn = json_string_value(json_object_get(p, "name"));
        if (pn && strlen(pn) == n && strncmp(pn, name, n) == 0) {
            *name_len = n;
            return p;
        }
    }
    return NULL;
}

void clams__print_params(FILE *f, const json_t *metadata)
{
    const json_t *params = json_object_get(metadata, "parameters");
    fprintf(f, "App parameters (annotate: --NAME VALUE or --param NAME=VALUE; over HTTP: "
               "?NAME=VALUE):\n");
    size_t i;
    const json_t *p;
    json_array_foreach (params, i, p) {
        const char *type = json_string_value(json_object_get(p, "type"));
        bool multi = json_is_true(json_object_get(p, "multivalued"));
        char left[128];
        char upper[16] = "";
        for (size_t k = 0; type && type[k] && k + 1 < sizeof(upper); k++)
            upper[k] = (char)(type[k] >= 'a' && type[k] <= 'z' ? type[k] - 32 : type[k]);
        int w = snprintf(left, sizeof(left), "  --%s %s%s",
                         json_string_value(json_object_get(p, "name")), upper, multi ? "..." : "");
        fprintf(f, "%s%*s%s", left, w < 30 ? 30 - w : 1, "",
                json_string_value(json_object_get(p, "description")));
        const json_t *def = json_object_get(p, "default");
        char *d = def ? json_dumps(def, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        const json_t *ch = json_object_get(p, "choices");
        char *c = ch ? json_dumps(ch, JSON_COMPACT) : NULL;
        fprintf(f, " (%s%s%s%s%s)\n", d ? "default: " : "required", d ? d : "",
                multi ? "; multivalued" : "", c ? "; choices: " : "", c ? c : "");
        free(d);
        free(c);
    }
}

static void annotate_usage(const clams__app_rt_t *rt, const char *prog, FILE *f)
{
    fprintf(f,
            "Usage: %s annotate [IN|-] [OUT|-] [--NAME VALUE...] [--param NAME=VALUE...]\n"
            "Reads MMIF from IN (default stdin) and writes the annotated MMIF to OUT\n"
            "(default stdout). Exit status: 0, 1 when the app or a parameter failed (the\n"
            "error view is written) or the input is not MMIF (the reason on stderr), 2 for\n"
            "bad usage.\n\n",
            prog);
    clams__print_params(f, clams__app_rt_metadata(rt));
}

/* annotate [IN|-] [OUT|-] [--NAME VALUE...] (argv[first] is after "annotate"). */
int clams__file_mode(const clams__app_rt_t *rt, int argc, char **argv, int first)
{
    const char *paths[2] = {"-", "-"};
    int npaths = 0;
    int stdout_fd = -1;
    clams__query_t q = {0};
    int status = 2;
    const json_t *params = json_object_get(clams__app_rt_metadata(rt), "parameters");
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *kv = NULL;
        size_t nlen = 0;
        const json_t *p;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            annotate_usage(rt, argv[0], stdout);
            status = 0;
            goto out;
        }
        if (strcmp(a, "--param") == 0 && i + 1 < argc)
            kv = argv[++i];
        else if (strncmp(a, "--param=", 8) == 0)
            kv = a + 8;
        else if ((p = param_flag(params, a, &nlen)) != NULL) {
            char *key = strndup(a + 2, nlen);
            int rc = key ? 0 : CLAMS_ENOMEM;
            int got = 0;
            if (rc == 0 && a[2 + nlen] == '=') {
                rc = clams__query_add(&q, key, a + 3 + nlen);
                got = 1;
            } else {
                /* One value, or (multivalued) every value up to the next --flag. */
                bool multi = json_is_true(json_object_get(p, "multivalued"));
                while (rc == 0 && i + 1 < argc && (got == 0 || multi) &&
                       strncmp(argv[i + 1], "--", 2) != 0) {
                    rc = clams__query_add(&q, key, argv[++i]);
                    got++;
                }
            }
            free(key);
            if (rc != 0) {
                fprintf(stderr, "out of memory\n");
                status = 1;
                goto out;
            }
            if (!got) {
                fprintf(stderr, "annotate: %.*s expects a value (see %s annotate --help)\n",
                        (int)nlen + 2, a, argv[0]);
                goto out;
            }
            continue;
        }
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
            fprintf(stderr,
                    "annotate: unknown option '%s' (not a parameter of this app; see "
                    "%s annotate --help)\n",
                    a, argv[0]);
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
    /* The answer goes to the stdout we were given, even when the app's
     * worker_init points fd 1 elsewhere (a hosted app sends whatever it
     * prints to the log, so nothing can slip into the MMIF written here). */
    if (!strcmp(paths[1], "-"))
        stdout_fd = dup(STDOUT_FILENO);
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
        int out_fd = strcmp(paths[1], "-")
                         ? open(paths[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                         : stdout_fd;
        if (out_fd < 0 || clams__write_all(out_fd, r.body, r.len) != 0)
            fprintf(stderr, "cannot write %s: %s\n", paths[1], strerror(errno));
        else if (r.status == 200)
            status = 0;
        else
            fprintf(stderr, "annotate failed (HTTP %d); the error view was written\n", r.status);
        if (out_fd >= 0 && out_fd != stdout_fd)
            close(out_fd);
    }
    clams__response_free(&r);
out:
    if (stdout_fd >= 0)
        close(stdout_fd);
    clams__query_free(&q);
    return status;
}
