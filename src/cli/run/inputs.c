/* INPUT arguments as one stream of items, in the order given: a file is one
 * item, a folder its media files (sorted by name, not recursive, hidden and
 * unknown kinds left out), a glob its sorted matches, a .csv file a manifest
 * (an asset_id column and a media path column, clams-kitchen's shape). The
 * manifest is read a line at a time, so the runner's memory does not grow
 * with it; a folder or glob holds its own names while it is read. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/run/run.h"

static const struct {
    const char *ext, *kind, *mime;
} kinds[] = {
    {"mp4", "video", "video/mp4"},       {"mkv", "video", "video/x-matroska"},
    {"mov", "video", "video/quicktime"}, {"avi", "video", "video/x-msvideo"},
    {"webm", "video", "video/webm"},     {"mpg", "video", "video/mpeg"},
    {"mpeg", "video", "video/mpeg"},     {"m4v", "video", "video/mp4"},
    {"ts", "video", "video/mp2t"},       {"wmv", "video", "video/x-ms-wmv"},
    {"wav", "audio", "audio/wav"},       {"mp3", "audio", "audio/mpeg"},
    {"flac", "audio", "audio/flac"},     {"ogg", "audio", "audio/ogg"},
    {"m4a", "audio", "audio/mp4"},       {"aac", "audio", "audio/aac"},
    {"opus", "audio", "audio/opus"},     {"png", "image", "image/png"},
    {"jpg", "image", "image/jpeg"},      {"jpeg", "image", "image/jpeg"},
    {"gif", "image", "image/gif"},       {"bmp", "image", "image/bmp"},
    {"tif", "image", "image/tiff"},      {"tiff", "image", "image/tiff"},
    {"webp", "image", "image/webp"},     {"txt", "text", "text/plain"},
    {"text", "text", "text/plain"},      {"md", "text", "text/markdown"},
};

const char *run_media_kind(const char *path, const char **mime)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcasecmp(dot + 1, kinds[i].ext) == 0) {
            if (mime)
                *mime = kinds[i].mime;
            return kinds[i].kind;
        }
    return NULL;
}

typedef enum { SRC_NONE, SRC_LIST, SRC_CSV } src_kind_t;

struct run_inputs_s {
    const run_opts_t *o;
    int arg;         /* next argument to open */
    src_kind_t kind; /* what is open now */
    char **names;    /* SRC_LIST: absolute paths */
    size_t nnames, pos;
    FILE *csv;
    char *csv_dir; /* base of relative media paths */
    int col_id, col_path;
    char *line;
    size_t linecap;
    size_t index; /* next item's global index */
};

/* ---- CSV ----------------------------------------------------------------------- */

/* Splits one CSV line in place (RFC 4180 quoting; no newline inside
 * quotes). Returns the field count, at most max. */
static int csv_split(char *s, char **f, int max)
{
    int n = 0;
    s[strcspn(s, "\r\n")] = '\0';
    while (n < max) {
        char *w = s;
        f[n++] = w;
        if (*s == '"') {
            s++;
            while (*s) {
                if (s[0] == '"' && s[1] == '"')
                    *w++ = '"', s += 2;
                else if (s[0] == '"')
                    break;
                else
                    *w++ = *s++;
            }
            if (*s == '"')
                s++;
            char *comma = strchr(s, ',');
            *w = '\0';
            if (!comma)
                break;
            s = comma + 1;
        } else {
            char *comma = strchr(s, ',');
            if (!comma)
                break;
            *comma = '\0';
            s = comma + 1;
        }
    }
    return n;
}

static bool is_path_column(const char *h)
{
    static const char *names[] = {"media_filename", "media_path", "path",    "file",
                                  "filename",       "media",      "location"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(h, names[i]) == 0)
            return true;
    return false;
}

static int open_csv(run_inputs_t *in, const char *path)
{
    in->csv = fopen(path, "r");
    if (!in->csv) {
        fprintf(stderr, "clams run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *f[64];
    if (getline(&in->line, &in->linecap, in->csv) < 0) {
        fprintf(stderr, "clams run: %s: empty manifest\n", path);
        return -1;
    }
    int n = csv_split(in->line, f, 64);
    in->col_id = in->col_path = -1;
    for (int i = 0; i < n; i++) {
        char *h = f[i];
        if (i == 0 && (unsigned char)h[0] == 0xEF && (unsigned char)h[1] == 0xBB)
            h += 3; /* a UTF-8 byte order mark, as spreadsheets write */
        if (strcasecmp(h, "asset_id") == 0)
            in->col_id = i;
        else if (in->col_path < 0 && is_path_column(h))
            in->col_path = i;
    }
    if (in->col_path < 0) {
        fprintf(stderr,
                "clams run: %s: no media path column (media_filename, media_path, path, "
                "file)\n",
                path);
        return -1;
    }
    char *copy = strdup(path);
    char *real = copy ? realpath(dirname(copy), NULL) : NULL;
    free(copy);
    in->csv_dir = in->o->media_dir ? realpath(in->o->media_dir, NULL) : real;
    if (in->o->media_dir)
        free(real);
    in->kind = SRC_CSV;
    return in->csv_dir ? 0 : -1;
}

/* ---- folders and globs ---------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push_name(run_inputs_t *in, size_t *cap, const char *path)
{
    if (in->nnames == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char **nn = realloc(in->names, ncap * sizeof(*nn));
        if (!nn)
            return -1;
        in->names = nn;
        *cap = ncap;
    }
    char *real = realpath(path, NULL);
    in->names[in->nnames] = real ? real : strdup(path);
    return in->names[in->nnames++] ? 0 : -1;
}

static int open_dir(run_inputs_t *in, const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "clams run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !run_media_kind(e->d_name, NULL))
            continue;
        char *full = NULL;
        if (asprintf(&full, "%s/%s", path, e->d_name) < 0)
            rc = -1;
        struct stat st;
        if (rc == 0 && stat(full, &st) == 0 && S_ISREG(st.st_mode))
            rc = push_name(in, &cap, full);
        free(full);
    }
    closedir(d);
    qsort(in->names, in->nnames, sizeof(*in->names), name_cmp);
    in->kind = SRC_LIST;
    return rc;
}

static int open_glob(run_inputs_t *in, const char *pattern)
{
    glob_t g;
    int grc = glob(pattern, 0, NULL, &g);
    if (grc != 0 && grc != GLOB_NOMATCH) {
        fprintf(stderr, "clams run: %s: cannot expand\n", pattern);
        return -1;
    }
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; grc == 0 && rc == 0 && i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = push_name(in, &cap, g.gl_pathv[i]);
    }
    if (grc == 0)
        globfree(&g);
    if (in->nnames == 0)
        fprintf(stderr, "clams run: warning: %s matches no file\n", pattern);
    in->kind = SRC_LIST;
    return rc;
}

static void close_source(run_inputs_t *in)
{
    for (size_t i = 0; i < in->nnames; i++)
        free(in->names[i]);
    free(in->names);
    in->names = NULL;
    in->nnames = in->pos = 0;
    if (in->csv)
        fclose(in->csv);
    in->csv = NULL;
    free(in->csv_dir);
    in->csv_dir = NULL;
    in->kind = SRC_NONE;
}

static bool ends_with_csv(const char *p)
{
    size_t n = strlen(p);
    return n > 4 && strcasecmp(p + n - 4, ".csv") == 0;
}

/* Opens argument in->arg as the current source. */
static int open_arg(run_inputs_t *in)
{
    const char *a = in->o->inputs[in->arg++];
    struct stat st;
    if (stat(a, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return open_dir(in, a);
        if (ends_with_csv(a))
            return open_csv(in, a);
        size_t cap = 0;
        in->kind = SRC_LIST;
        return push_name(in, &cap, a);
    }
    if (strpbrk(a, "*?["))
        return open_glob(in, a);
    fprintf(stderr, "clams run: %s: %s\n", a, strerror(errno));
    return -1;
}

/* ---- items ------------------------------------------------------------------------ */

/* The asset id as a safe folder name: '/' and control characters become
 * '_', and a leading '.' gets a '_' before it. */
static char *asset_of(const char *id, size_t index)
{
    char *s = NULL;
    if (!id || !*id) {
        if (asprintf(&s, "item-%zu", index) < 0)
            return NULL;
        return s;
    }
    if (asprintf(&s, "%s%s", id[0] == '.' ? "_" : "", id) < 0)
        return NULL;
    for (char *c = s; *c; c++)
        if (*c == '/' || iscntrl((unsigned char)*c))
            *c = '_';
    return s;
}

static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

/* The next item of the open source: 1, 0 when it is exhausted, -1. */
static int next_raw(run_inputs_t *in, run_item_t *it)
{
    if (in->kind == SRC_LIST) {
        if (in->pos >= in->nnames)
            return 0;
        it->path = strdup(in->names[in->pos++]);
        char *stem = it->path ? stem_of(it->path) : NULL;
        it->asset = asset_of(stem, in->index);
        free(stem);
        return it->path && it->asset ? 1 : -1;
    }
    char *f[64];
    for (;;) {
        if (getline(&in->line, &in->linecap, in->csv) < 0)
            return 0;
        int n = csv_split(in->line, f, 64);
        if (n <= in->col_path || !*f[in->col_path])
            continue; /* blank line */
        const char *p = f[in->col_path];
        if (p[0] == '/')
            it->path = strdup(p);
        else if (asprintf(&it->path, "%s/%s", in->csv_dir, p) < 0)
            it->path = NULL;
        char *stem = it->path ? stem_of(it->path) : NULL;
        const char *id = in->col_id >= 0 && in->col_id < n && *f[in->col_id] ? f[in->col_id] : stem;
        it->asset = asset_of(id, in->index);
        free(stem);
        return it->path && it->asset ? 1 : -1;
    }
}

static bool selected(const run_inputs_t *in, size_t index)
{
    if (in->o->item >= 0 && (long)index != in->o->item)
        return false;
    if (in->o->shard_n > 0 && (int)(index % (size_t)in->o->shard_n) != in->o->shard_i)
        return false;
    return true;
}

int run_inputs_next(run_inputs_t *in, run_item_t *it)
{
    memset(it, 0, sizeof(*it));
    for (;;) {
        if (in->o->item >= 0 && (long)in->index > in->o->item)
            return 0; /* --item: nothing after it can be selected */
        if (in->kind == SRC_NONE) {
            if (in->arg >= in->o->ninputs)
                return 0;
            if (open_arg(in) != 0)
                return -1;
        }
        int rc = next_raw(in, it);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            close_source(in);
            continue;
        }
        it->index = in->index++;
        if (selected(in, it->index))
            return 1;
        run_item_clear(it);
    }
}

run_inputs_t *run_inputs_open(const run_opts_t *o)
{
    run_inputs_t *in = calloc(1, sizeof(*in));
    if (in)
        in->o = o;
    return in;
}

void run_inputs_close(run_inputs_t *in)
{
    if (!in)
        return;
    close_source(in);
    free(in->line);
    free(in);
}

void run_item_clear(run_item_t *it)
{
    free(it->asset);
    free(it->path);
    memset(it, 0, sizeof(*it));
}
