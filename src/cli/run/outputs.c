/* What the runner writes per item: DIR/<asset>/<NN>-<name>.mmif for each
 * stage, the key beside it (<NN>-<name>.key: the stage's chain hash), and
 * DIR/<asset>.mmif, a copy of the last stage's output.
 *
 * Every file is written to a temporary name and renamed (outputs fsynced
 * before), so a run killed at any point leaves either the old file or the
 * new one, never half of one. The order makes "done" safe to believe: an old output is removed
 * before the new key is written, and the output is renamed last, so an
 * output that exists always sits beside the key it was made under. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/clams.h"
#include "cli/cli.h"
#include "cli/run/run.h"

bool run_no_fsync;

/* The data is fsynced before the rename, so a file that exists after a
 * power loss is whole. The folder is not fsynced: a rename lost to a power
 * loss only makes that stage run again, and ext4 and xfs journal the unlink
 * of an old output, the new key's rename and the output's rename in order,
 * so an output never survives beside a key it was not made under. A kill
 * (even SIGKILL) loses nothing the kernel was given, fsync or not:
 * --no-fsync is for scratch disks where a power loss does not matter. */
int run_write_atomic(const char *path, const char *data, size_t len, bool sync)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int rc = off == len && (!sync || run_no_fsync || fsync(fd) == 0) ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

char *run_source_mmif(const run_item_t *it, const run_opts_t *o, size_t *len, char *err,
                      size_t errsize)
{
    const char *mime = NULL;
    const char *kind = run_media_kind(it->path, &mime);
    if (!kind) {
        snprintf(err, errsize, "%s: unknown media type (by its extension)", it->path);
        return NULL;
    }
    if (access(it->path, R_OK) != 0) {
        snprintf(err, errsize, "%s: %s", it->path, strerror(errno));
        return NULL;
    }
    /* --map HOST=APP: the app sees the media under another prefix (a
     * container's /data); only a whole path component matches. */
    const char *path = it->path, *to = "";
    for (int i = 0; i < o->nmaps; i++) {
        size_t n = strlen(o->map_from[i]);
        while (n > 1 && o->map_from[i][n - 1] == '/')
            n--;
        if (strncmp(path, o->map_from[i], n) == 0 && (path[n] == '/' || path[n] == '\0')) {
            to = o->map_to[i];
            path += n;
            break;
        }
    }
    size_t tn = strlen(to);
    while (tn > 0 && to[tn - 1] == '/' && path[0] == '/')
        tn--;
    char *loc = NULL;
    if (asprintf(&loc, "file://%.*s%s", (int)tn, to, path) < 0)
        return NULL;
    clams_mmif_t *m = clams_mmif_new(NULL);
    char *text = NULL;
    int rc = m ? clams_mmif_add_media_document(m, clams_cli_doc_type_for(mime), "d1", mime, loc)
               : CLAMS_ENOMEM;
    if (rc == 0)
        text = clams_mmif_dumps(m, 0, len);
    else
        snprintf(err, errsize, "cannot make the source MMIF: %s", clams_strerror(rc));
    clams_mmif_free(m);
    free(loc);
    return text;
}

void run_stage_path(char *buf, size_t size, const char *out, const char *asset,
                    const run_stage_t *s)
{
    snprintf(buf, size, "%s/%s/%02d-%s.mmif", out, asset, s->number, s->name);
}

static void key_path(char *buf, size_t size, const char *out, const char *asset,
                     const run_stage_t *s)
{
    snprintf(buf, size, "%s/%s/%02d-%s.key", out, asset, s->number, s->name);
}

const char *run_error_message(const clams_mmif_t *m)
{
    for (size_t i = 0; i < clams_mmif_view_count(m); i++) {
        json_t *err = json_object_get(clams_view_metadata(clams_mmif_view_at(m, i)), "error");
        if (err) {
            const char *msg = json_string_value(json_object_get(err, "message"));
            return msg ? msg : "an error view without a message";
        }
    }
    return NULL;
}

static int on_annotation(const clams_view_t *view, json_t *ann, void *data)
{
    (void)view;
    json_t *d = json_object_get(json_object_get(ann, "properties"), "duration");
    if (!json_is_number(d))
        return 0;
    *(double *)data = json_number_value(d) / 1000.0;
    return 1;
}

double run_media_seconds(const clams_mmif_t *m)
{
    double s = -1;
    clams_mmif_foreach_annotation(m, "Annotation", 0, on_annotation, &s);
    return s;
}

bool run_stage_done(const char *out, const char *asset, const run_stage_t *s, size_t *nviews,
                    double *media_s)
{
    char path[4200];
    key_path(path, sizeof path, out, asset, s);
    size_t klen = 0;
    char *key = clams_cli_read_file(path, &klen);
    bool same = s->key[0] && key && klen >= 32 && strncmp(key, s->key, 32) == 0;
    free(key);
    if (!same)
        return false;
    run_stage_path(path, sizeof path, out, asset, s);
    clams_error_t err;
    clams_error_clear(&err);
    clams_mmif_t *m = clams_mmif_load_file(path, &err);
    bool ok = m && !run_error_message(m);
    if (ok && nviews)
        *nviews = clams_mmif_view_count(m);
    if (ok && media_s)
        *media_s = run_media_seconds(m);
    clams_mmif_free(m);
    return ok;
}

static int final_path(char *buf, size_t size, const char *out, const char *asset)
{
    return snprintf(buf, size, "%s/%s.mmif", out, asset) >= (int)size ? -1 : 0;
}

int run_stage_write(const char *out, const char *asset, const run_stage_t *s, const char *body,
                    size_t len, bool last)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", out, asset);
    if (clams_cli_mkdirs(path) != 0)
        return -1;
    run_stage_path(path, sizeof path, out, asset, s);
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    char kpath[4200], key[34];
    key_path(kpath, sizeof kpath, out, asset, s);
    snprintf(key, sizeof key, "%s\n", s->key);
    /* The key unsynced: a key lost to a power loss only makes the stage
     * run again. */
    if (run_write_atomic(kpath, key, 33, false) != 0 ||
        run_write_atomic(path, body, len, true) != 0)
        return -1;
    if (!last)
        return 0;
    return final_path(path, sizeof path, out, asset) == 0 ? run_write_atomic(path, body, len, true)
                                                          : -1;
}

int run_final_ensure(const char *out, const char *asset, const run_stage_t *last)
{
    char path[4200], src[4200];
    if (final_path(path, sizeof path, out, asset) != 0)
        return -1;
    if (access(path, F_OK) == 0)
        return 0;
    run_stage_path(src, sizeof src, out, asset, last);
    size_t len = 0;
    char *body = clams_cli_read_file(src, &len);
    int rc = body ? run_write_atomic(path, body, len, true) : -1;
    free(body);
    return rc;
}
