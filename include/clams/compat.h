/* clams/compat.h: names kept in the ABI for apps built against an older header.
 *
 * An app binary built before a rename still finds the old symbol in the new
 * library, and it still does what it did then (a steal still steals). New
 * code must not call these: each carries a deprecation warning that names its
 * replacement. They go away only with a new major version (see the ABI policy
 * in clams/clams.h). This header is not included by clams/clams.h.
 */
#ifndef CLAMS_COMPAT_H
#define CLAMS_COMPAT_H

#include "clams/app.h"
#include "clams/export.h"
#include "clams/mmif.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 0 (before 2026-12): clams_main was a function; it reads the app's
 * arrays with the element sizes of that version (the first layout of
 * clams_param_spec_t, clams_io_spec_t and clams_kv_t). */
CLAMS_API CLAMS_DEPRECATED("the clams_main macro") int(clams_main)(const clams_app_t *app, int argc,
                                                                   char **argv);
/* Ownership: borrowed. */
CLAMS_API CLAMS_DEPRECATED("clams_mmif_add_view")
    clams_view_t *clams_mmif_view_new(clams_mmif_t *mmif);
/* Ownership: borrowed. */
CLAMS_API CLAMS_DEPRECATED("clams_view_add_annotation")
    clams_annotation_t *clams_view_annotation_new(clams_view_t *view, const char *type_uri);
/* Ownership: borrowed. */
CLAMS_API CLAMS_DEPRECATED("clams_annotate_add_view")
    clams_view_t *clams_annotate_new_view(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif);
/* Ownership: steals props. */
CLAMS_API CLAMS_DEPRECATED("clams_view_add_contains_new") int clams_view_add_contains(
    clams_view_t *view, const char *type_uri, json_t *props);
/* Ownership: steals value. */
CLAMS_API CLAMS_DEPRECATED("clams_annotation_set_json_new") int clams_annotation_set_json(
    clams_annotation_t *ann, const char *key, json_t *value);
/* Ownership: steals root; result new. */
CLAMS_API CLAMS_DEPRECATED("clams_mmif_from_json_new")
    clams_mmif_t *clams_mmif_from_json(json_t *root, clams_error_t *err);
/* Ownership: new (json_decref). */
CLAMS_API CLAMS_DEPRECATED("clams_annotation_get_copy") json_t *clams_annotation_get(
    const clams_annotation_t *ann, const char *key);

#ifdef __cplusplus
}
#endif
#endif
