/* `clams new NAME [--dir PARENT]`: creates a ready-to-build CLAMS app project
 * (PARENT/NAME) from the templates installed with the tool, filling in the
 * app's name. The project builds against the installed libclams through
 * find_package(clams) or pkg-config. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clams/clams.h"
#include "cli/cli.h"

#ifndef CLAMS_TEMPLATE_SRC_DIR
#define CLAMS_TEMPLATE_SRC_DIR ""
#endif
#ifndef CLAMS_TEMPLATE_REL_DIR
#define CLAMS_TEMPLATE_REL_DIR "share/clams/templates"
#endif

void clams_cli_new_usage(FILE *out)
{
    fprintf(out,
            "usage: clams new NAME [--dir PARENT]\n\n"
            "Creates PARENT/NAME (PARENT defaults to the current folder and is created when\n"
            "missing): a CLAMS app in C\n"
            "with src/app.c (metadata and an annotate function), CMakeLists.txt (uses the\n"
            "installed clams package), a Containerfile, a sample input and a README.\n"
            "NAME: letters, digits, '-' and '_', starting with a letter.\n\n"
            "Templates are read from $CLAMS_TEMPLATE_DIR, else from ../%s\n"
            "next to this program, else from the source tree.\n",
            CLAMS_TEMPLATE_REL_DIR);
}

typedef struct {
    const char *key;
    char value[256];
} subst_t;

enum { S_NAME, S_IDENT, S_TITLE, S_VERSION, NSUBST };

static bool valid_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) || strlen(s) > 100)
        return false;
    for (; *s; s++)
        if (!(strchr("-_", *s) || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
              (*s >= 'A' && *s <= 'Z')))
            return false;
    return true;
}

static void make_substs(subst_t *s, const char *name)
{
    s[S_NAME].key = "{{name}}";
    s[S_IDENT].key = "{{ident}}";
    s[S_TITLE].key = "{{title}}";
    s[S_VERSION].key = "{{clams_version}}";
    snprintf(s[S_NAME].value, sizeof(s[0].value), "%s", name);
    char *id = s[S_IDENT].value, *t = s[S_TITLE].value;
    bool word_start = true;
    for (size_t i = 0; name[i]; i++) {
        char c = name[i];
        bool sep = c == '-' || c == '_';
        id[i] = sep ? '_' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        t[i] = sep ? ' ' : (word_start && c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        word_start = sep;
        id[i + 1] = t[i + 1] = '\0';
    }
    snprintf(s[S_VERSION].value, sizeof(s[0].value), "%s", clams_version_str());
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the "app" template folder is; false when none is found. */
static bool find_templates(char *out, size_t size)
{
    const char *env = getenv("CLAMS_TEMPLATE_DIR");
    if (env && *env) {
        int k = snprintf(out, size, "%s/app", env);
        return k > 0 && (size_t)k < size && is_dir(out);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int k = snprintf(out, size, "%s/../%s/app", exe, CLAMS_TEMPLATE_REL_DIR);
            if (k > 0 && (size_t)k < size && is_dir(out))
                return true;
        }
    }
    int k = snprintf(out, size, "%s/app", CLAMS_TEMPLATE_SRC_DIR);
    return CLAMS_TEMPLATE_SRC_DIR[0] && k > 0 && (size_t)k < size && is_dir(out);
}

/* Copies one file, replacing every placeholder. */
static int copy_filled(const char *from, const char *to, const subst_t *s, mode_t mode)
{
    size_t len;
    char *text = clams_cli_read_file(from, &len);
    FILE *out = text ? fopen(to, "wb") : NULL;
    if (!out) {
        fprintf(stderr, "clams new: cannot copy %s to %s: %s\n", from, to, strerror(errno));
        free(text);
        return -1;
    }
    for (const char *p = text; *p;) {
        const char *hit = NULL;
        int which = -1;
        for (int i = 0; i < NSUBST; i++) {
            const char *h = strstr(p, s[i].key);
            if (h && (!hit || h < hit)) {
                hit = h;
                which = i;
            }
        }
        size_t plain = hit ? (size_t)(hit - p) : strlen(p);
        fwrite(p, 1, plain, out);
        if (!hit)
            break;
        fputs(s[which].value, out);
        p = hit + strlen(s[which].key);
    }
    free(text);
    int rc = fclose(out) == 0 ? 0 : -1;
    if (rc == 0)
        chmod(to, mode & 0777);
    return rc;
}

static int copy_tree(const char *from, const char *to, const subst_t *s)
{
    if (mkdir(to, 0755) != 0) {
        fprintf(stderr, "clams new: cannot create %s: %s\n", to, strerror(errno));
        return -1;
    }
    DIR *d = opendir(from);
    if (!d) {
        fprintf(stderr, "clams new: cannot read %s: %s\n", from, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        int k1 = snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
        int k2 = snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
        if (k1 < 0 || k2 < 0 || (size_t)k1 >= sizeof(src) || (size_t)k2 >= sizeof(dst)) {
            fprintf(stderr, "clams new: path too long under %s\n", to);
            rc = -1;
            break;
        }
        if (stat(src, &st) != 0)
            continue;
        rc = S_ISDIR(st.st_mode) ? copy_tree(src, dst, s) : copy_filled(src, dst, s, st.st_mode);
    }
    closedir(d);
    return rc;
}

int clams_cli_new(int argc, char **argv)
{
    const char *name = NULL, *parent = ".";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            clams_cli_new_usage(stdout);
            return 0;
        } else if ((!strcmp(a, "--dir") || !strcmp(a, "-d")) && i + 1 < argc) {
            parent = argv[++i];
        } else if (!strncmp(a, "--dir=", 6)) {
            parent = a + 6;
        } else if (a[0] != '-' && !name) {
            name = a;
        } else {
            fprintf(stderr, "clams new: unexpected argument '%s'\n", a);
            clams_cli_new_usage(stderr);
            return 2;
        }
    }
    if (!name || !valid_name(name)) {
        fprintf(stderr, "clams new: %s\n",
                name ? "NAME may hold letters, digits, '-' and '_' "
                       "and starts with a letter"
                     : "NAME is missing");
        clams_cli_new_usage(stderr);
        return 2;
    }
    char tpl[PATH_MAX], dst[PATH_MAX];
    if (!find_templates(tpl, sizeof(tpl))) {
        fprintf(stderr, "clams new: no app templates found (set CLAMS_TEMPLATE_DIR)\n");
        return 1;
    }
    int k = snprintf(dst, sizeof(dst), "%s/%s", parent, name);
    if (k < 0 || (size_t)k >= sizeof(dst)) {
        fprintf(stderr, "clams new: %s/%s is too long a path\n", parent, name);
        return 2;
    }
    if (access(dst, F_OK) == 0) {
        fprintf(stderr, "clams new: %s already exists\n", dst);
        return 1;
    }
    if (clams_cli_mkdirs(parent) != 0) {
        fprintf(stderr, "clams new: cannot create %s: %s\n", parent, strerror(errno));
        return 1;
    }
    subst_t s[NSUBST];
    make_substs(s, name);
    if (copy_tree(tpl, dst, s) != 0)
        return 1;
    /* The project finds clams-c with find_package: name this installation's
     * prefix, which a private one (make install PREFIX=...) needs. */
    char pfx[PATH_MAX], hint[PATH_MAX + 32] = "";
    if (clams_cli_install_prefix(pfx, sizeof(pfx)) == 0)
        snprintf(hint, sizeof(hint), " -DCMAKE_PREFIX_PATH=%s", pfx);
    printf("created %s\n\nbuild and try it:\n  cmake -S %s -B %s/build%s && cmake --build "
           "%s/build\n  %s/build/%s annotate %s/sample.mmif\n",
           dst, dst, dst, hint, dst, dst, name, dst);
    return 0;
}
