/* Serialization. The top-level object is written here: loaded parts go
 * through jansson (re-indented to their depth), annotations of new views
 * are written straight from the compact store with a fast string escaper,
 * into a growing buffer or a callback in 64 KiB blocks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmif/mmif_internal.h"

#define FLUSH_AT ((size_t)64 * 1024)

typedef struct {
    char *buf;
    size_t len, cap;
    clams_dump_fn fn;   /* NULL: keep everything in buf */
    void *data;
    int failed;         /* a negative clams code */
    bool pretty;
} writer_t;

static int w_reserve(writer_t *w, size_t n)
{
    if (w->len + n <= w->cap)
        return 0;
    if (w->fn && w->len > 0) {
        if (w->fn(w->buf, w->len, w->data) != 0) {
            w->failed = CLAMS_EIO;
            return -1;
        }
        w->len = 0;
        if (n <= w->cap)
            return 0;
    }
    size_t cap = w->cap ? w->cap : FLUSH_AT;
    while (cap < w->len + n)
        cap *= 2;
    char *nb = realloc(w->buf, cap);
    if (!nb) {
        w->failed = CLAMS_ENOMEM;
        return -1;
    }
    w->buf = nb;
    w->cap = cap;
    return 0;
}

static void w_put(writer_t *w, const char *s, size_t n)
{
    if (w->failed || w_reserve(w, n) != 0)
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

#define W_LIT(w, lit) w_put((w), (lit), sizeof(lit) - 1)

static void w_newline(writer_t *w, int depth)
{
    if (!w->pretty || w->failed || w_reserve(w, 1 + (size_t)depth * 2) != 0)
        return;
    w->buf[w->len++] = '\n';
    memset(w->buf + w->len, ' ', (size_t)depth * 2);
    w->len += (size_t)depth * 2;
}

/* 1 for bytes that JSON strings must escape. */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

static void w_string(writer_t *w, const char *s, size_t n)
{
    /* Worst case 6 bytes per input byte; reserve once. */
    if (w->failed || w_reserve(w, n * 6 + 3) != 0)
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && !needs_escape[(unsigned char)s[run]])
            run++;
        memcpy(o, s + i, run - i);
        o += run - i;
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            o += sprintf(o, "u%04x", c);
        }
        i = run + 1;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

static void w_int(writer_t *w, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%lld", v);
    w_put(w, tmp, (size_t)n);
}

/* The shortest decimal that reads back as the same double. */
static void w_real(writer_t *w, double d)
{
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    if (!strpbrk(tmp, ".eEn"))
        n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, ".0");
    w_put(w, tmp, (size_t)n);
}

typedef struct {
    writer_t *w;
    int depth;
} jdump_t;

/* jansson writes its own newlines; shift each one to our depth. */
static int jdump_cb(const char *buf, size_t size, void *data)
{
    jdump_t *j = data;
    const char *nl;
    while (size > 0 && (nl = memchr(buf, '\n', size)) != NULL) {
        w_put(j->w, buf, (size_t)(nl - buf));
        w_newline(j->w, j->depth);
        size -= (size_t)(nl - buf) + 1;
        buf = nl + 1;
    }
    w_put(j->w, buf, size);
    return j->w->failed ? -1 : 0;
}

static void w_json(writer_t *w, const json_t *v, int depth)
{
    if (w->failed)
        return;
    jdump_t j = {w, depth};
    size_t flags = (w->pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER |
                   JSON_ENCODE_ANY;
    if (json_dump_callback(v, jdump_cb, &j, flags) != 0 && !w->failed)
        w->failed = CLAMS_EINVAL;
}

static void w_key(writer_t *w, const char *k, size_t n)
{
    w_string(w, k, n);
    if (w->pretty)
        W_LIT(w, ": ");
    else
        W_LIT(w, ":");
}

static void w_prop(writer_t *w, const clams_view_t *v, const mmif_prop_t *p, int depth)
{
    uint32_t k = p->key & PROP_KEY_MASK;
    w_key(w, v->keys[k], v->keylens[k]);
    switch (p->key >> PROP_KIND_SHIFT) {
    case PROP_INT: w_int(w, p->v.i); break;
    case PROP_REAL: w_real(w, p->v.d); break;
    case PROP_BOOL:
        if (p->v.i)
            W_LIT(w, "true");
        else
            W_LIT(w, "false");
        break;
    case PROP_STR: w_string(w, p->v.s, p->len); break;
    default: w_json(w, p->v.j, depth); break;
    }
}

static void w_annotation(writer_t *w, const clams_annotation_t *a, int depth)
{
    const clams_view_t *v = a->view;
    W_LIT(w, "{");
    w_newline(w, depth + 1);
    w_key(w, "@type", 5);
    w_string(w, a->type_uri, strlen(a->type_uri));
    W_LIT(w, ",");
    w_newline(w, depth + 1);
    w_key(w, "properties", 10);
    W_LIT(w, "{");
    w_newline(w, depth + 2);
    w_key(w, "id", 2);
    w_string(w, a->id, strlen(a->id));
    for (uint32_t i = 0; i < a->nprops; i++) {
        W_LIT(w, ",");
        w_newline(w, depth + 2);
        w_prop(w, v, &a->props[i], depth + 2);
    }
    w_newline(w, depth + 1);
    W_LIT(w, "}");
    w_newline(w, depth);
    W_LIT(w, "}");
}

static void w_new_view(writer_t *w, const clams_view_t *v, int depth)
{
    const char *id = clams_view_id(v);
    W_LIT(w, "{");
    w_newline(w, depth + 1);
    w_key(w, "id", 2);
    w_string(w, id, strlen(id));
    W_LIT(w, ",");
    w_newline(w, depth + 1);
    w_key(w, "metadata", 8);
    w_json(w, clams_view_metadata(v), depth + 1);
    W_LIT(w, ",");
    w_newline(w, depth + 1);
    w_key(w, "annotations", 11);
    if (v->nanns == 0) {
        W_LIT(w, "[]");
    } else {
        W_LIT(w, "[");
        for (size_t i = 0; i < v->nanns && !w->failed; i++) {
            if (i)
                W_LIT(w, ",");
            w_newline(w, depth + 2);
            w_annotation(w, v->anns[i], depth + 2);
        }
        w_newline(w, depth + 1);
        W_LIT(w, "]");
    }
    w_newline(w, depth);
    W_LIT(w, "}");
}

static void w_document(writer_t *w, const clams_mmif_t *m)
{
    W_LIT(w, "{");
    w_newline(w, 1);
    w_key(w, "metadata", 8);
    w_json(w, json_object_get(m->root, "metadata"), 1);
    W_LIT(w, ",");
    w_newline(w, 1);
    w_key(w, "documents", 9);
    w_json(w, json_object_get(m->root, "documents"), 1);
    W_LIT(w, ",");
    w_newline(w, 1);
    w_key(w, "views", 5);
    if (m->nviews == 0) {
        W_LIT(w, "[]");
    } else {
        W_LIT(w, "[");
        for (size_t i = 0; i < m->nviews && !w->failed; i++) {
            if (i)
                W_LIT(w, ",");
            w_newline(w, 2);
            if (m->views[i]->is_new)
                w_new_view(w, m->views[i], 2);
            else
                w_json(w, m->views[i]->json, 2);
        }
        w_newline(w, 1);
        W_LIT(w, "]");
    }
    w_newline(w, 0);
    W_LIT(w, "}");
}

char *clams_mmif_dumps(const clams_mmif_t *mmif, int flags, size_t *len)
{
    if (!mmif)
        return NULL;
    writer_t w = {.pretty = (flags & CLAMS_DUMP_PRETTY) != 0};
    w_document(&w, mmif);
    w_put(&w, "", 1);
    if (w.failed) {
        free(w.buf);
        return NULL;
    }
    if (len)
        *len = w.len - 1;
    return w.buf;
}

int clams_mmif_dump_callback(const clams_mmif_t *mmif, int flags, clams_dump_fn fn, void *data)
{
    if (!mmif || !fn)
        return CLAMS_EINVAL;
    writer_t w = {.pretty = (flags & CLAMS_DUMP_PRETTY) != 0, .fn = fn, .data = data};
    w_document(&w, mmif);
    if (!w.failed && w.len > 0 && fn(w.buf, w.len, data) != 0)
        w.failed = CLAMS_EIO;
    free(w.buf);
    return w.failed;
}

static int fd_write_cb(const char *buf, size_t size, void *data)
{
    int fd = *(int *)data;
    while (size > 0) {
        ssize_t n = write(fd, buf, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        size -= (size_t)n;
    }
    return 0;
}

int clams_mmif_dump_fd(const clams_mmif_t *mmif, int flags, int fd)
{
    return clams_mmif_dump_callback(mmif, flags, fd_write_cb, &fd);
}

static json_t *view_to_json(const clams_view_t *v)
{
    if (!v->is_new)
        return json_deep_copy(v->json);
    json_t *vj = json_deep_copy(v->json);
    json_t *anns = json_object_get(vj, "annotations");
    for (size_t i = 0; vj && i < v->nanns; i++) {
        if (json_array_append_new(anns, clams__annotation_to_json(v->anns[i])) != 0) {
            json_decref(vj);
            return NULL;
        }
    }
    return vj;
}

json_t *clams_mmif_to_json(const clams_mmif_t *mmif)
{
    if (!mmif)
        return NULL;
    json_t *root = json_object();
    json_t *views = json_array();
    if (!root || !views) {
        json_decref(root);
        json_decref(views);
        return NULL;
    }
    if (
        json_object_set_new(root, "metadata",
                            json_deep_copy(json_object_get(mmif->root, "metadata"))) != 0 ||
        json_object_set_new(root, "documents",
                            json_deep_copy(json_object_get(mmif->root, "documents"))) != 0 ||
        json_object_set_new(root, "views", views) != 0) {
        json_decref(root);
        return NULL;
    }
    for (size_t i = 0; i < mmif->nviews; i++) {
        if (json_array_append_new(views, view_to_json(mmif->views[i])) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}
