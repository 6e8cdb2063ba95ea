/* Finding things: the lazy id index behind clams_mmif_lookup (built on the
 * first lookup, dropped by edits) and the type-filtered annotation walk. */
#include <stdlib.h>
#include <string.h>

#include "mmif/mmif_internal.h"

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void clams__mmif_index_invalidate(clams_mmif_t *mmif)
{
    if (!mmif || !mmif->index_valid)
        return;
    free(mmif->index);
    mmif->index = NULL;
    mmif->index_cap = mmif->index_len = 0;
    clams__arena_free(&mmif->index_arena);
    mmif->index_valid = false;
}

/* Adds key -> val unless key is present (the first one wins). */
static void index_put(clams_mmif_t *m, const char *key, json_t *val)
{
    size_t mask = m->index_cap - 1;
    for (size_t h = hash_str(key) & mask;; h = (h + 1) & mask) {
        if (!m->index[h].key) {
            m->index[h].key = key;
            m->index[h].val = val;
            m->index_len++;
            return;
        }
        if (strcmp(m->index[h].key, key) == 0)
            return;
    }
}

static const char *ann_id(json_t *ann)
{
    return json_string_value(json_object_get(json_object_get(ann, "properties"), "id"));
}

static bool build_index(clams_mmif_t *m)
{
    json_t *docs = json_object_get(m->root, "documents");
    size_t n = json_array_size(docs);
    for (size_t i = 0; i < m->nviews; i++)
        if (!m->views[i]->is_new)
            n += 2 * json_array_size(json_object_get(m->views[i]->json, "annotations"));
    size_t cap = 64;
    while (cap < n * 2)
        cap *= 2;
    m->index = calloc(cap, sizeof(*m->index));
    if (!m->index)
        return false;
    m->index_cap = cap;
    size_t i;
    json_t *d;
    json_array_foreach (docs, i, d) {
        const char *id = ann_id(d);
        if (id)
            index_put(m, id, d);
    }
    for (size_t v = 0; v < m->nviews; v++) {
        const clams_view_t *view = m->views[v];
        if (view->is_new)
            continue;
        const char *vid = clams_view_id(view);
        size_t vlen = vid ? strlen(vid) : 0;
        json_t *a;
        json_array_foreach (json_object_get(view->json, "annotations"), i, a) {
            const char *id = ann_id(a);
            if (!id)
                continue;
            if (strchr(id, ':') || !vid) {
                index_put(m, id, a);
                continue;
            }
            /* A short id from MMIF before 1.1: reachable as "<view>:<id>" too. */
            size_t ilen = strlen(id);
            char *full = clams__arena_alloc(&m->index_arena, vlen + ilen + 2);
            if (!full)
                return false;
            memcpy(full, vid, vlen);
            full[vlen] = ':';
            memcpy(full + vlen + 1, id, ilen + 1);
            index_put(m, full, a);
            index_put(m, id, a);
        }
    }
    m->index_valid = true;
    return true;
}

json_t *clams_mmif_lookup(const clams_mmif_t *mmif, const char *id)
{
    if (!mmif || !id)
        return NULL;
    /* The index is a cache: building it does not change the document. */
    clams_mmif_t *m = (clams_mmif_t *)mmif;
    if (!m->index_valid && !build_index(m)) {
        free(m->index);
        m->index = NULL;
        m->index_cap = 0;
        clams__arena_free(&m->index_arena);
        return NULL;
    }
    size_t mask = m->index_cap - 1;
    for (size_t h = hash_str(id) & mask; m->index[h].key; h = (h + 1) & mask)
        if (strcmp(m->index[h].key, id) == 0)
            return m->index[h].val;
    return NULL;
}

static int walk_new_view(const clams_view_t *v, const char *type, int flags, clams_annotation_fn fn,
                         void *data)
{
    /* Decide per type slot once, not per annotation. */
    unsigned char *match = calloc(v->ntypes ? v->ntypes : 1, 1);
    if (!match)
        return CLAMS_ENOMEM;
    for (size_t t = 0; t < v->ntypes; t++)
        match[t] = !type || clams_type_matches(v->types[t].uri, type, flags);
    int rc = 0;
    for (size_t i = 0; i < v->nanns && rc == 0; i++) {
        if (!match[v->anns[i]->type])
            continue;
        json_t *j = clams__annotation_to_json(v->anns[i]);
        if (!j) {
            rc = CLAMS_ENOMEM;
            break;
        }
        rc = fn(v, j, data);
        json_decref(j);
    }
    free(match);
    return rc;
}

int clams_mmif_foreach_annotation(const clams_mmif_t *mmif, const char *type, int flags,
                                  clams_annotation_fn fn, void *data)
{
    if (!mmif || !fn)
        return CLAMS_EINVAL;
    for (size_t v = 0; v < mmif->nviews; v++) {
        const clams_view_t *view = mmif->views[v];
        int rc;
        if (view->is_new) {
            rc = walk_new_view(view, type, flags, fn, data);
            if (rc)
                return rc;
            continue;
        }
        size_t i;
        json_t *a;
        json_array_foreach (json_object_get(view->json, "annotations"), i, a) {
            const char *t = json_string_value(json_object_get(a, "@type"));
            if (type && !clams_type_matches(t, type, flags))
                continue;
            if ((rc = fn(view, a, data)) != 0)
                return rc;
        }
    }
    return 0;
}
