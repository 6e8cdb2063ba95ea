/* Serialization. The top-level object is written here: loaded parts by a
 * walker over their jansson trees that writes what jansson would, new views'
 * annotations straight from the compact store; both use one table-driven
 * string escaper, into a growing buffer or a callback in 64 KiB blocks. */
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
    clams_dump_fn fn; /* NULL: keep everything in buf */
    void *data;
    int failed; /* a negative clams code */
    bool pretty;
} writer_t;

/* The slow half of w_reserve: flush to the callback or grow. */
static int w_grow(writer_t *w, size_t n)
{
    if (w->failed)
        return -1;
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

/* Called for every token written, so the common case is a compare. */
static inline int w_reserve(writer_t *w, size_t n)
{
    if (w->len + n <= w->cap)
        return 0;
    return w_grow(w, n);
}

static inline void w_put(writer_t *w, const char *s, size_t n)
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
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* Writes s quoted and escaped. Control characters become \u00xx; hex is
 * upper case for loaded JSON (jansson's spelling, so re-dumped input keeps
 * its bytes) and lower case for the store's values (as before). */
static void w_string_x(writer_t *w, const char *s, size_t n, const char *hex)
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
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        i = run + 1;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

static void w_string(writer_t *w, const char *s, size_t n)
{
    w_string_x(w, s, n, "0123456789abcdef");
}

static void w_int(writer_t *w, long long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = (unsigned long long)v;
    if (v < 0) {
        tmp[n++] = '-';
        u = 0ull - u;
    }
    n += clams__fmt_u64(tmp + n, u);
    w_put(w, tmp, n);
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

/* jansson nests no deeper when parsing; deeper trees built by hand (or a
 * cycle) fail the dump instead of exhausting the stack. */
#define MAX_JSON_DEPTH 10000

static void w_json_at(writer_t *w, const json_t *v, int depth, int nest);

static void w_json_object(writer_t *w, const json_t *v, int depth, int nest)
{
    void *it = json_object_iter((json_t *)v);
    if (!it) {
        W_LIT(w, "{}");
        return;
    }
    W_LIT(w, "{");
    for (bool first = true; it && !w->failed; it = json_object_iter_next((json_t *)v, it)) {
        if (!first)
            W_LIT(w, ",");
        first = false;
        w_newline(w, depth + 1);
        w_string_x(w, json_object_iter_key(it), json_object_iter_key_len(it), "0123456789ABCDEF");
        if (w->pretty)
            W_LIT(w, ": ");
        else
            W_LIT(w, ":");
        w_json_at(w, json_object_iter_value(it), depth + 1, nest + 1);
    }
    w_newline(w, depth);
    W_LIT(w, "}");
}

static void w_json_array(writer_t *w, const json_t *v, int depth, int nest)
{
    size_t n = json_array_size(v);
    if (n == 0) {
        W_LIT(w, "[]");
        return;
    }
    W_LIT(w, "[");
    for (size_t i = 0; i < n && !w->failed; i++) {
        if (i)
            W_LIT(w, ",");
        w_newline(w, depth + 1);
        w_json_at(w, json_array_get(v, i), depth + 1, nest + 1);
    }
    w_newline(w, depth);
    W_LIT(w, "]");
}

/* A loaded or app-built JSON value, byte for byte as jansson would write it
 * (JSON_COMPACT or JSON_INDENT(2), insertion order) at the given depth, but
 * with the fast escaper; reals are left to jansson for its exact spelling. */
static void w_json_at(writer_t *w, const json_t *v, int depth, int nest)
{
    if (w->failed)
        return;
    if (!v || nest > MAX_JSON_DEPTH) {
        w->failed = CLAMS_EINVAL;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: w_json_object(w, v, depth, nest); break;
    case JSON_ARRAY: w_json_array(w, v, depth, nest); break;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!clams__utf8_valid(s, n))
            w->failed = CLAMS_EINVAL; /* jansson refuses to write it too */
        else
            w_string_x(w, s, n, "0123456789ABCDEF");
        break;
    }
    case JSON_INTEGER: w_int(w, json_integer_value(v)); break;
    case JSON_REAL: {
        char tmp[64];
        size_t n = json_dumpb(v, tmp, sizeof(tmp), JSON_ENCODE_ANY | JSON_COMPACT);
        if (n == 0 || n > sizeof(tmp))
            w->failed = CLAMS_EINVAL;
        else
            w_put(w, tmp, n);
        break;
    }
    case JSON_TRUE: W_LIT(w, "true"); break;
    case JSON_FALSE: W_LIT(w, "false"); break;
    default: W_LIT(w, "null"); break;
    }
}

static void w_json(writer_t *w, const json_t *v, int depth)
{
    w_json_at(w, v, depth, 0);
}

static void w_key(writer_t *w, const char *k, size_t n)
{
    w_string(w, k, n);
    if (w->pretty)
        W_LIT(w, ": ");
    else
        W_LIT(w, ":");
}

/* The constant text of a new view's annotations, rendered once per dump:
 * per type everything up to the id value, per key everything up to its
 * value, and the closing text; an annotation is then a few copies and its
 * values. Piece i is t.buf[off[i], off[i + 1]): types, keys, then the tail. */
typedef struct {
    writer_t t;
    size_t *off;
    size_t ntypes, nkeys;
} pieces_t;

static int pieces_build(pieces_t *p, const clams_view_t *v, int depth, bool pretty)
{
    memset(p, 0, sizeof(*p));
    p->t.pretty = pretty;
    p->ntypes = v->ntypes;
    p->nkeys = v->nkeys;
    p->off = malloc((v->ntypes + v->nkeys + 2) * sizeof(*p->off));
    if (!p->off)
        return CLAMS_ENOMEM;
    writer_t *t = &p->t;
    size_t k = 0;
    for (size_t i = 0; i < v->ntypes; i++) {
        p->off[k++] = t->len;
        W_LIT(t, "{");
        w_newline(t, depth + 1);
        w_key(t, "@type", 5);
        w_string(t, v->types[i].uri, v->types[i].uri_len);
        W_LIT(t, ",");
        w_newline(t, depth + 1);
        w_key(t, "properties", 10);
        W_LIT(t, "{");
        w_newline(t, depth + 2);
        w_key(t, "id", 2);
    }
    for (size_t i = 0; i < v->nkeys; i++) {
        p->off[k++] = t->len;
        W_LIT(t, ",");
        w_newline(t, depth + 2);
        w_key(t, v->keys[i], v->keylens[i]);
    }
    p->off[k++] = t->len;
    w_newline(t, depth + 1);
    W_LIT(t, "}");
    w_newline(t, depth);
    W_LIT(t, "}");
    p->off[k] = t->len;
    return t->failed;
}

static void pieces_free(pieces_t *p)
{
    free(p->t.buf);
    free(p->off);
}

static inline void w_piece(writer_t *w, const pieces_t *p, size_t i)
{
    w_put(w, p->t.buf + p->off[i], p->off[i + 1] - p->off[i]);
}

static void w_value(writer_t *w, const mmif_prop_t *p, int depth)
{
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

static void w_annotation(writer_t *w, const clams_annotation_t *a, const pieces_t *p, int depth)
{
    w_piece(w, p, a->type);
    w_string(w, a->id, a->id_len);
    for (uint32_t i = 0; i < a->nprops; i++) {
        w_piece(w, p, p->ntypes + (a->props[i].key & PROP_KEY_MASK));
        w_value(w, &a->props[i], depth + 2);
    }
    w_piece(w, p, p->ntypes + p->nkeys);
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
        pieces_t p;
        if (pieces_build(&p, v, depth + 2, w->pretty) != 0 && !w->failed)
            w->failed = CLAMS_ENOMEM;
        W_LIT(w, "[");
        for (size_t i = 0; i < v->nanns && !w->failed; i++) {
            if (i)
                W_LIT(w, ",");
            w_newline(w, depth + 2);
            w_annotation(w, v->anns[i], &p, depth + 2);
        }
        pieces_free(&p);
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
    return clams__write_all(*(int *)data, buf, size);
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
    if (json_object_set_new(root, "metadata",
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
