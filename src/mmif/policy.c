/* The location policy (clams/limits.h): which files a request may name.
 *
 * A path is first normalised without touching the file system ("." and ".."
 * folded), and refused when that is outside the roots: the answer is the same
 * whether or not the file exists. Only then is it resolved (realpath, which
 * follows symbolic links), and the real path must pass the same checks, so
 * neither ".." nor a link leads out. /proc, /sys and /dev hold files that
 * never end (/dev/zero), block (a terminal) or carry secrets
 * (/proc/self/environ): they are refused even without roots. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clams/limits.h"
#include "common/internal.h"

#define MAX_ROOTS 64

/* Each root as given (normalised) and resolved: a location written through
 * a root that is itself a link ("/media" -> "/mnt/media") passes the first
 * check by the one and the second by the other. */
static struct {
    char *given;
    char *real;
} roots[MAX_ROOTS];
static size_t nroots;

static const char *const never[] = {"/proc", "/sys", "/dev"};

/* Folds ".", ".." and repeated '/' of an absolute path. Ownership: new. */
static char *normalise(const char *path)
{
    size_t n = strlen(path);
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t k = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (k > 0 && out[k - 1] != '/')
                k--;
            if (k > 0)
                k--;
        } else {
            out[k++] = '/';
            memcpy(out + k, p, len);
            k += len;
        }
        p += len;
    }
    if (k == 0)
        out[k++] = '/';
    out[k] = '\0';
    return out;
}

/* True when `path` is `dir` or lies below it. */
static bool below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool forbidden(const char *path)
{
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        if (below(path, never[i]))
            return true;
    return false;
}

static bool inside(const char *path, bool real)
{
    if (nroots == 0)
        return true;
    for (size_t i = 0; i < nroots; i++)
        if (below(path, roots[i].real) || (!real && below(path, roots[i].given)))
            return true;
    return false;
}

int clams_media_root_add(const char *dir, clams_error_t *err)
{
    if (!dir || dir[0] != '/')
        return clams__error_set(err, CLAMS_EINVAL, NULL, NULL,
                                "media root \"%s\": not an absolute path", dir ? dir : "(null)");
    if (nroots == MAX_ROOTS)
        return clams__error_set(err, CLAMS_ETOOBIG, NULL, NULL, "more than %d media roots",
                                MAX_ROOTS);
    char *real = realpath(dir, NULL);
    struct stat st;
    if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int code = !real && errno == ENOENT ? CLAMS_ENOTFOUND : CLAMS_EINVAL;
        free(real);
        return clams__error_set(err, code, NULL, NULL, "media root \"%s\": %s", dir,
                                code == CLAMS_ENOTFOUND ? "no such folder" : "not a folder");
    }
    char *given = normalise(dir);
    if (!given) {
        free(real);
        return clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
    }
    roots[nroots].given = given;
    roots[nroots].real = real;
    nroots++;
    return 0;
}

int clams_media_root_add_list(const char *list, clams_error_t *err)
{
    if (!list)
        return 0;
    while (*list) {
        size_t n = strcspn(list, ":");
        if (n > 0) {
            char *one = strndup(list, n);
            if (!one)
                return clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
            int rc = clams_media_root_add(one, err);
            free(one);
            if (rc != 0)
                return rc;
        }
        list += n + (list[n] == ':');
    }
    return 0;
}

size_t clams_media_root_count(void)
{
    return nroots;
}

const char *clams_media_root_at(size_t i)
{
    return i < nroots ? roots[i].real : NULL;
}

void clams_media_roots_clear(void)
{
    for (size_t i = 0; i < nroots; i++) {
        free(roots[i].given);
        free(roots[i].real);
    }
    nroots = 0;
}

static int refuse(const char *path, const char *why, clams_error_t *err)
{
    clams__request_fault(403);
    return clams__error_set(err, CLAMS_EACCESS, NULL, "location", "%s: %s", path, why);
}

/* Why a path is refused (the same words whatever lies there), or NULL. */
static const char *verdict(const char *path, bool real)
{
    if (forbidden(path))
        return "/proc, /sys and /dev are never read";
    if (!inside(path, real))
        return "outside the media roots (--media-root)";
    return NULL;
}

int clams_location_check(const char *path, char **checked, clams_error_t *err)
{
    if (!checked)
        return CLAMS_EINVAL;
    *checked = NULL;
    if (!path || path[0] != '/')
        return clams__error_set(err, CLAMS_EINVAL, NULL, NULL, "\"%s\": not an absolute path",
                                path ? path : "(null)");
    char *norm = normalise(path);
    if (!norm)
        return clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
    const char *why = verdict(norm, false);
    if (why) {
        free(norm);
        return refuse(path, why, err);
    }
    char *real = realpath(norm, NULL);
    if (!real) {
        /* Missing inside the roots: the reader says so when it opens it. */
        *checked = norm;
        return 0;
    }
    free(norm);
    why = verdict(real, true);
    if (why) {
        free(real);
        return refuse(path, why, err);
    }
    *checked = real;
    return 0;
}
