/* The compact annotation store of new views. An app may add hundreds of
 * thousands of annotations to one view, so each is a record in the view's
 * arena with typed property values (no json_t, no malloc per annotation);
 * keys are interned per view. dump.c writes these records straight out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "mmif/mmif_internal.h"

#define INITIAL_PROPS 6

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int keyhash_insert(clams_view_t *v, uint32_t idx)
{
    size_t mask = v->keyhash_cap - 1;
    size_t h = hash_bytes(v->keys[idx], v->keylens[idx]) & mask;
    while (v->keyhash[h])
        h = (h + 1) & mask;
    v->keyhash[h] = idx + 1;
    return 0;
}

static int keyhash_grow(clams_view_t *v)
{
    size_t cap = v->keyhash_cap ? v->keyhash_cap * 2 : 32;
    uint32_t *nh = calloc(cap, sizeof(*nh));
    if (!nh)
        return -1;
    free(v->keyhash);
    v->keyhash = nh;
    v->keyhash_cap = cap;
    for (size_t i = 0; i < v->nkeys; i++)
        keyhash_insert(v, (uint32_t)i);
    return 0;
}

/* The interned index of key, added when new; CLAMS_EINVAL for a key that
 * cannot be one (not UTF-8, too many keys), CLAMS_ENOMEM. */
static long intern_key(clams_view_t *v, const char *key)
{
    size_t n = strlen(key);
    if (v->keyhash_cap) {
        size_t mask = v->keyhash_cap - 1;
        for (size_t h = hash_bytes(key, n) & mask; v->keyhash[h]; h = (h + 1) & mask) {
            uint32_t i = v->keyhash[h] - 1;
            if (v->keylens[i] == n && memcmp(v->keys[i], key, n) == 0)
                return i;
        }
    }
    if (v->nkeys >= PROP_KEY_MASK || !clams__utf8_valid(key, n))
        return CLAMS_EINVAL;
    if (v->nkeys == v->capkeys) { /* two arrays, one capacity */
        size_t kcap = v->capkeys, lcap = v->capkeys;
        if (clams__grow(&v->keys, &kcap, v->nkeys, sizeof(*v->keys), 16) != 0)
            return CLAMS_ENOMEM;
        if (clams__grow(&v->keylens, &lcap, v->nkeys, sizeof(*v->keylens), 16) != 0) {
            /* keys grew, keylens did not: both keep the smaller capacity */
            return CLAMS_ENOMEM;
        }
        v->capkeys = kcap;
    }
    char *copy = clams__arena_strndup(&v->arena, key, n);
    if (!copy)
        return CLAMS_ENOMEM;
    v->keys[v->nkeys] = copy;
    v->keylens[v->nkeys] = (uint32_t)n;
    v->nkeys++;
    if (v->nkeys * 2 > v->keyhash_cap) {
        if (keyhash_grow(v) != 0) {
            v->nkeys--;
            return CLAMS_ENOMEM;
        }
    } else {
        keyhash_insert(v, (uint32_t)(v->nkeys - 1));
    }
    return (long)(v->nkeys - 1);
}

/* "<view id>:<prefix>_": what every id of the slot's type starts with. */
static int set_id_prefix(clams_view_t *v, mmif_vtype_t *t, const char *prefix)
{
    const char *vid = clams_view_id(v);
    size_t nv = vid ? strlen(vid) : 0, np = strlen(prefix);
    if (nv + np + 2 > 128)
        return -1; /* an id could not fit the 160 bytes ids have always had */
    char *p = clams__arena_alloc(&v->arena, nv + np + 3);
    if (!p)
        return -1;
    memcpy(p, vid, nv);
    p[nv] = ':';
    memcpy(p + nv + 1, prefix, np);
    p[nv + 1 + np] = '_';
    p[nv + 2 + np] = '\0';
    t->idpre = p;
    t->idpre_len = (uint32_t)(nv + np + 2);
    return 0;
}

/* intern_key through the view's pointer cache. */
static long cached_key(clams_view_t *v, const char *key)
{
    /* Fibonacci hashing: literals sit a few bytes apart in .rodata. */
    size_t h =
        (size_t)(((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull) >> 60) & (MMIF_KEYCACHE - 1);
    if (v->keycache_ptr[h] == key && strcmp(v->keys[v->keycache_idx[h]], key) == 0)
        return v->keycache_idx[h];
    long k = intern_key(v, key);
    if (k >= 0) {
        v->keycache_ptr[h] = key;
        v->keycache_idx[h] = (uint32_t)k;
    }
    return k;
}

/* The type slot for uri in this view, created (with its prefix) when new. */
static long type_slot(clams_view_t *v, const char *uri)
{
    for (size_t i = v->ntypes; i-- > 0;)
        if (strcmp(v->types[i].uri, uri) == 0)
            return (long)i;
    /* Checked once per type: a later match is byte-equal to this one. */
    size_t ulen = strlen(uri);
    if (!clams__utf8_valid(uri, ulen) || ulen > UINT32_MAX)
        return -1;
    if (clams__grow(&v->types, &v->captypes, v->ntypes, sizeof(*v->types), 8) != 0)
        return -1;
    mmif_vtype_t *t = &v->types[v->ntypes];
    memset(t, 0, sizeof(*t));
    t->uri = clams__arena_strndup(&v->arena, uri, ulen);
    if (!t->uri)
        return -1;
    t->uri_len = (uint32_t)ulen;
    clams_type_short_name(uri, t->name, sizeof(t->name));
    t->owner = (uint32_t)v->ntypes;
    /* Another version of the same type shares its prefix and counter, so
     * ids stay unique within the view. */
    for (size_t i = 0; i < v->ntypes; i++) {
        if (clams_type_matches(v->types[i].uri, uri, 0)) {
            t->owner = v->types[i].owner;
            break;
        }
    }
    if (t->owner == v->ntypes)
        clams__type_prefix(t->name, v->types, v->ntypes, t->prefix, sizeof(t->prefix));
    else
        memcpy(t->prefix, v->types[t->owner].prefix, sizeof(t->prefix));
    if (set_id_prefix(v, t, t->prefix) != 0)
        return -1;
    return (long)v->ntypes++;
}

clams_annotation_t *clams_view_add_annotation(clams_view_t *view, const char *type_uri)
{
    if (!view || !view->is_new || !type_uri || !*type_uri)
        return NULL;
    size_t before = view->ntypes;
    long slot = type_slot(view, type_uri);
    if (slot < 0)
        return NULL;
    if (view->ntypes != before) {
        /* First use of this type: list it in contains, as mmif-python does. */
        json_t *c = json_object_get(clams_view_metadata(view), "contains");
        if (json_is_object(c) && !json_object_get(c, type_uri))
            json_object_set_new(c, type_uri, json_object());
    }
    if (view->nanns == view->capanns && /* per annotation: skip the call */
        clams__grow(&view->anns, &view->capanns, view->nanns, sizeof(*view->anns), 1024) != 0)
        return NULL;
    mmif_vtype_t *owner = &view->types[view->types[slot].owner];
    const mmif_vtype_t *t = &view->types[slot];
    /* One block: the record, its id, then its properties last, so that
     * clams__arena_extend can grow them in place. */
    size_t rec = (sizeof(clams_annotation_t) + 7) & ~(size_t)7;
    size_t idn = (t->idpre_len + 21 + 7) & ~(size_t)7;
    char *block = clams__arena_alloc(&view->arena, rec + idn + INITIAL_PROPS * sizeof(mmif_prop_t));
    if (!block)
        return NULL;
    clams_annotation_t *a = (clams_annotation_t *)block;
    char *id = block + rec;
    a->props = (mmif_prop_t *)(block + rec + idn);
    memcpy(id, t->idpre, t->idpre_len);
    size_t n = t->idpre_len + clams__fmt_u64(id + t->idpre_len, owner->counter + 1ull);
    id[n] = '\0';
    a->id = id;
    a->id_len = (uint32_t)n;
    owner->counter++;
    a->view = view;
    a->type_uri = view->types[slot].uri;
    a->type = (uint32_t)slot;
    a->nprops = 0;
    a->cap = INITIAL_PROPS;
    view->anns[view->nanns++] = a;
    return a;
}

clams_annotation_t *clams_view_annotation_at(const clams_view_t *view, size_t i)
{
    if (!view || !view->is_new || i >= view->nanns)
        return NULL;
    return view->anns[i];
}

const char *clams_annotation_id(const clams_annotation_t *ann)
{
    return ann ? ann->id : NULL;
}

const char *clams_annotation_type(const clams_annotation_t *ann)
{
    return ann ? ann->type_uri : NULL;
}

/* The slot for key (existing or appended) in *out. Returns 0, CLAMS_EINVAL
 * (no annotation or key; "id", which the store writes from the record; a
 * key that cannot be one) or CLAMS_ENOMEM. */
static int prop_slot(clams_annotation_t *a, const char *key, int kind, mmif_prop_t **out)
{
    if (!a || !key || (key[0] == 'i' && key[1] == 'd' && key[2] == '\0'))
        return CLAMS_EINVAL;
    clams_view_t *v = a->view;
    long k = cached_key(v, key);
    if (k < 0)
        return (int)k;
    for (uint32_t i = 0; i < a->nprops; i++) {
        if ((a->props[i].key & PROP_KEY_MASK) == (uint32_t)k) {
            if ((a->props[i].key >> PROP_KIND_SHIFT) == PROP_JSON)
                json_decref(a->props[i].v.j);
            a->props[i].key = (uint32_t)k | ((uint32_t)kind << PROP_KIND_SHIFT);
            *out = &a->props[i];
            return 0;
        }
    }
    if (a->nprops == a->cap) {
        size_t oldn = a->cap * sizeof(mmif_prop_t), newn = oldn * 2;
        if (!clams__arena_extend(&v->arena, a->props, oldn, newn)) {
            mmif_prop_t *np = clams__arena_alloc(&v->arena, newn);
            if (!np)
                return CLAMS_ENOMEM;
            memcpy(np, a->props, oldn);
            a->props = np;
        }
        a->cap *= 2;
    }
    mmif_prop_t *p = &a->props[a->nprops++];
    p->key = (uint32_t)k | ((uint32_t)kind << PROP_KIND_SHIFT);
    p->len = 0;
    *out = p;
    return 0;
}

int clams_annotation_set_int(clams_annotation_t *ann, const char *key, long long value)
{
    mmif_prop_t *p = NULL;
    int rc = prop_slot(ann, key, PROP_INT, &p);
    if (rc != 0)
        return rc;
    p->v.i = value;
    return 0;
}

int clams_annotation_set_real(clams_annotation_t *ann, const char *key, double value)
{
    if (!isfinite(value))
        return CLAMS_EINVAL; /* JSON has no NaN or infinity */
    mmif_prop_t *p = NULL;
    int rc = prop_slot(ann, key, PROP_REAL, &p);
    if (rc != 0)
        return rc;
    p->v.d = value;
    return 0;
}

int clams_annotation_set_bool(clams_annotation_t *ann, const char *key, bool value)
{
    mmif_prop_t *p = NULL;
    int rc = prop_slot(ann, key, PROP_BOOL, &p);
    if (rc != 0)
        return rc;
    p->v.i = value;
    return 0;
}

int clams_annotation_set_strn(clams_annotation_t *ann, const char *key, const char *value,
                              size_t len)
{
    if (!ann || !value || len > UINT32_MAX || !clams__utf8_valid(value, len))
        return CLAMS_EINVAL;
    mmif_prop_t *p = NULL;
    int rc = prop_slot(ann, key, PROP_STR, &p);
    if (rc != 0)
        return rc;
    p->v.s = "";
    p->len = 0;
    const char *copy = clams__arena_strndup(&ann->view->arena, value, len);
    if (!copy)
        return CLAMS_ENOMEM;
    p->v.s = copy;
    p->len = (uint32_t)len;
    return 0;
}

int clams_annotation_set_str(clams_annotation_t *ann, const char *key, const char *value)
{
    if (!value)
        return CLAMS_EINVAL;
    return clams_annotation_set_strn(ann, key, value, strlen(value));
}

int clams_annotation_set_json_new(clams_annotation_t *ann, const char *key, json_t *value)
{
    if (!value)
        value = json_null();
    mmif_prop_t *p = NULL;
    int rc = prop_slot(ann, key, PROP_JSON, &p);
    if (rc != 0) {
        json_decref(value);
        return rc;
    }
    p->v.j = value;
    return 0;
}

static json_t *prop_to_json(const mmif_prop_t *p)
{
    switch (p->key >> PROP_KIND_SHIFT) {
    case PROP_INT: return json_integer(p->v.i);
    case PROP_REAL: return json_real(p->v.d);
    case PROP_BOOL: return json_boolean(p->v.i);
    case PROP_STR: return json_stringn_nocheck(p->v.s, p->len);
    default: return json_incref(p->v.j);
    }
}

json_t *clams_annotation_get_copy(const clams_annotation_t *ann, const char *key)
{
    if (!ann || !key)
        return NULL;
    if (strcmp(key, "id") == 0)
        return json_string(ann->id);
    const clams_view_t *v = ann->view;
    for (uint32_t i = 0; i < ann->nprops; i++) {
        uint32_t k = ann->props[i].key & PROP_KEY_MASK;
        if (strcmp(v->keys[k], key) == 0)
            return prop_to_json(&ann->props[i]);
    }
    return NULL;
}

json_t *clams__annotation_to_json(const clams_annotation_t *ann)
{
    json_t *props = json_pack("{s:s}", "id", ann->id);
    json_t *obj = json_pack("{s:s,s:o}", "@type", ann->type_uri, "properties", props);
    if (!obj)
        return NULL;
    for (uint32_t i = 0; i < ann->nprops; i++) {
        const char *key = ann->view->keys[ann->props[i].key & PROP_KEY_MASK];
        if (json_object_set_new(props, key, prop_to_json(&ann->props[i])) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

void clams__view_reset_store(clams_view_t *view)
{
    for (size_t i = 0; i < view->nanns; i++) {
        clams_annotation_t *a = view->anns[i];
        for (uint32_t k = 0; k < a->nprops; k++)
            if ((a->props[k].key >> PROP_KIND_SHIFT) == PROP_JSON)
                json_decref(a->props[k].v.j);
        a->nprops = 0;
    }
    view->nanns = 0;
}
