/* The names of ABI 0, kept for apps built before the ownership renames
 * (clams/compat.h). Each forwards to its new name with the old semantics;
 * this file sits on the top floor because clams_main does. */
#include "clams/compat.h"

/* The element structs as ABI 0 declared them, so that their sizes stay
 * what old apps were compiled with on every target, whatever members the
 * public structs gain later. clams_app_t itself keeps its size (app.h). */
struct param_spec_v0 {
    const char *name, *description;
    clams_param_type_t type;
    bool multivalued;
    const char *default_value;
    const char *const *default_values, *const *choices;
};
struct io_spec_v0 {
    const char *type, *description;
    const clams_kv_t *properties;
    bool optional;
    const void *one_of;
};
struct kv_v0 {
    const char *key, *value;
};

static const clams_abi_t abi0 = {
    .version = 0,
    .app_size = sizeof(clams_app_t),
    .param_spec_size = sizeof(struct param_spec_v0),
    .io_spec_size = sizeof(struct io_spec_v0),
    .kv_size = sizeof(struct kv_v0),
};

int(clams_main)(const clams_app_t *app, int argc, char **argv)
{
    return clams_main_abi(app, &abi0, argc, argv);
}

clams_view_t *clams_mmif_view_new(clams_mmif_t *mmif)
{
    return clams_mmif_add_view(mmif);
}

clams_annotation_t *clams_view_annotation_new(clams_view_t *view, const char *type_uri)
{
    return clams_view_add_annotation(view, type_uri);
}

clams_view_t *clams_annotate_new_view(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif)
{
    return clams_annotate_add_view(ctx, mmif);
}

int clams_view_add_contains(clams_view_t *view, const char *type_uri, json_t *props)
{
    return clams_view_add_contains_new(view, type_uri, props);
}

int clams_annotation_set_json(clams_annotation_t *ann, const char *key, json_t *value)
{
    return clams_annotation_set_json_new(ann, key, value);
}

clams_mmif_t *clams_mmif_from_json(json_t *root, clams_error_t *err)
{
    return clams_mmif_from_json_new(root, err);
}

json_t *clams_annotation_get(const clams_annotation_t *ann, const char *key)
{
    return clams_annotation_get_copy(ann, key);
}
