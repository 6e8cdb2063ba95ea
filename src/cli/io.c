/* Input and output helpers shared by the `clams` subcommands: every command
 * reads a MMIF from a path or standard input and writes its result to a path
 * or standard output, reporting failures the same way. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clams/clams.h"
#include "cli/cli.h"

clams_mmif_t *clams_cli_load(const char *cmd, const char *path)
{
    clams_error_t err;
    clams_error_clear(&err);
    bool std_in = !path || strcmp(path, "-") == 0;
    clams_mmif_t *m = std_in ? clams_mmif_load_fd(0, &err) : clams_mmif_load_file(path, &err);
    if (!m) {
        const char *why = err.text[0] ? err.text : clams_strerror(err.code);
        if (err.code == CLAMS_ESCHEMA)
            fprintf(stderr, "clams %s: %s: %s (rule: %s)\n", cmd, std_in ? "<stdin>" : path, why,
                    err.rule);
        else
            fprintf(stderr, "clams %s: %s: %s\n", cmd, std_in ? "<stdin>" : path, why);
    }
    return m;
}

int clams_cli_write(const char *cmd, const char *path, const char *text, size_t len)
{
    bool std_out = !path || strcmp(path, "-") == 0;
    FILE *f = std_out ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "clams %s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return 1;
    }
    int bad = fwrite(text, 1, len, f) != len;
    bad |= std_out ? fflush(f) != 0 : fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "clams %s: cannot write %s\n", cmd, std_out ? "<stdout>" : path);
        return 1;
    }
    return 0;
}

int clams_cli_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

char *clams_cli_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}
