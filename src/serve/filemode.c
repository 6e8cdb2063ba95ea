/* The file mode of an app: `APP annotate [IN|-] [OUT|-] --param NAME=VALUE...`
 * runs the same pipeline as a server request, once, in this process, with
 * the app's preload and worker_init around it (as clams-python's cli.py). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "serve/serve.h"

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
int clams__file_mode(const clams__app_rt_t *rt, int argc, char **argv, int first)
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
