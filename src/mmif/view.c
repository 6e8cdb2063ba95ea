/* Views: id and metadata access, and the edits an app makes to its new view
 * (app, contains, error, warnings). Loaded views are their jansson objects;
 * new views also own a compact annotation store (see store.c). */
#include <stdlib.h>
#include <string.h>

#include "mmif/mmif_internal.h"

const char *clams_view_id(const clams_view_t *view)
{
    return view ? json_string_value(json_object_get(view->json, "id")) : NULL;
}

json_t *clams_view_metadata(const clams_view_t *view)
{
    return view ? json_object_get(view->json, "metadata") : NULL;
}

size_t clams_view_annotation_count(const clams_view_t *view)
{
    if (!view)
        return 0;
    if (view->is_new)
        return view->nanns;
    return json_array_size(json_object_get(view->json, "annotations"));
}

json_t *clams_view_annotation_json_at(const clams_view_t *view, size_t i)
{
    if (!view || view->is_new)
        return NULL;
    return json_array_get(json_object_get(view->json, "annotations"), i);
}

bool clams_view_is_new(const clams_view_t *view)
{
    return view && view->is_new;
}

/* The metadata object, created when a caller replaced it with a non-object. */
static json_t *metadata_obj(clams_view_t *view)
{
    json_t *md = json_object_get(view->json, "metadata");
    if (json_is_object(md))
        return md;
    md = json_object();
    if (!md || json_object_set_new(view->json, "metadata", md) != 0)
        return NULL;
    return md;
}

int clams_view_reorder_metadata(clams_view_t *view, const char *const *order)
{
    if (!view || !order)
        return CLAMS_EINVAL;
    json_t *md = metadata_obj(view);
    json_t *nm = json_object();
    int bad = !md || !nm;
    for (size_t i = 0; !bad && order[i]; i++) {
        json_t *v = json_object_get(md, order[i]);
        if (v)
            bad |= json_object_set(nm, order[i], v);
    }
    const char *k;
    json_t *v;
    json_object_foreach (md, k, v)
        if (!bad && !json_object_get(nm, k))
            bad |= json_object_set(nm, k, v);
    if (bad) {
        json_decref(nm);
        return CLAMS_ENOMEM;
    }
    /* "metadata" exists: jansson replaces the value in place, no allocation. */
    return json_object_set_new(view->json, "metadata", nm) == 0 ? 0 : CLAMS_ENOMEM;
}

int clams_view_set_app(clams_view_t *view, const char *app)
{
    if (!view || !app)
        return CLAMS_EINVAL;
    json_t *md = metadata_obj(view);
    json_t *s = json_string(app);
    if (!md || !s) {
        json_decref(s);
        return md ? clams__json_text_failure(app) : CLAMS_ENOMEM;
    }
    return json_object_set_new(md, "app", s) == 0 ? 0 : CLAMS_ENOMEM;
}

int clams_view_add_contains_new(clams_view_t *view, const char *type_uri, json_t *props)
{
    if (!props)
        props = json_object();
    if (!view || !type_uri || !json_is_object(props)) {
        json_decref(props);
        return CLAMS_EINVAL;
    }
    json_t *md = metadata_obj(view);
    if (!md) {
        json_decref(props);
        return CLAMS_ENOMEM;
    }
    json_t *c = json_object_get(md, "contains");
    if (!json_is_object(c)) {
        c = json_object();
        if (!c || json_object_set_new(md, "contains", c) != 0) {
            json_decref(props);
            return CLAMS_ENOMEM;
        }
    }
    return json_object_set_new(c, type_uri, props) == 0 ? 0 : clams__json_text_failure(type_uri);
}

int clams_view_set_error(clams_view_t *view, const char *message, const char *stack_trace)
{
    if (!view || !message || !*message)
        return CLAMS_EINVAL;
    json_t *md = metadata_obj(view);
    if (!md)
        return CLAMS_ENOMEM;
    json_t *e = json_pack("{s:s}", "message", message);
    if (!e)
        return clams__json_text_failure(message);
    if (stack_trace && json_object_set_new(e, "stackTrace", json_string(stack_trace)) != 0) {
        json_decref(e);
        return clams__json_text_failure(stack_trace);
    }
    json_object_del(md, "contains");
    json_object_del(md, "warnings");
    if (json_object_set_new(md, "error", e) != 0)
        return CLAMS_ENOMEM;
    if (view->is_new)
        clams__view_reset_store(view);
    else
        json_array_clear(json_object_get(view->json, "annotations"));
    clams__mmif_index_invalidate(view->mmif);
    return 0;
}

int clams_view_add_warning(clams_view_t *view, const char *warning)
{
    if (!view || !warning)
        return CLAMS_EINVAL;
    json_t *md = metadata_obj(view);
    if (!md)
        return CLAMS_ENOMEM;
    json_t *s = json_string(warning);
    if (!s)
        return clams__json_text_failure(warning);
    json_t *w = json_object_get(md, "warnings");
    if (!json_is_array(w)) {
        w = json_array();
        if (!w || json_object_set_new(md, "warnings", w) != 0) {
            json_decref(s);
            return CLAMS_ENOMEM;
        }
    }
    json_object_del(md, "contains");
    return json_array_append_new(w, s) == 0 ? 0 : CLAMS_ENOMEM;
}

void clams__view_free(clams_view_t *view)
{
    if (!view)
        return;
    if (view->is_new) {
        for (size_t i = 0; i < view->nanns; i++) {
            clams_annotation_t *a = view->anns[i];
            for (uint32_t k = 0; k < a->nprops; k++)
                if ((a->props[k].key >> PROP_KIND_SHIFT) == PROP_JSON)
                    json_decref(a->props[k].v.j);
        }
        json_decref(view->json);
        clams__arena_free(&view->arena);
        free(view->anns);
        free(view->types);
        free(view->keys);
        free(view->keylens);
        free(view->keyhash);
    }
    free(view);
}
