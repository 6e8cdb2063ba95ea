/* A hosted app's request (see clams__app_ops_t in pipeline.h): the input was
 * checked by pipeline.c; the app annotates it; with hwFetch, the server's own
 * per-process measurement (CUDA context included, every GPU the worker sees)
 * replaces appProfiling.hardware in the views the app added, so a hosted app
 * reports what a C app reports, in one place, never twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/rt.h"
#include "common/internal.h"

static bool was_in_input(const clams_mmif_t *mmif, const char *id)
{
    size_t n = clams_mmif_view_count(mmif);
    for (size_t i = 0; i < n; i++) {
        const char *vid = clams_view_id(clams_mmif_view_at((clams_mmif_t *)mmif, i));
        if (vid && strcmp(vid, id) == 0)
            return true;
    }
    return false;
}

/* Puts `hardware` into appProfiling of every view the app added. The answer
 * is left as the app wrote it when it is not the JSON expected (the app's
 * own business) or memory runs out (hwFetch never fails a request). */
static void merge_hardware(const clams_mmif_t *input, json_t *hardware, bool pretty,
                           clams__response_t *out)
{
    json_error_t jerr;
    json_t *doc = json_loadb(out->body, out->len, 0, &jerr);
    json_t *views = json_object_get(doc, "views");
    size_t i, changed = 0;
    json_t *v;
    json_array_foreach (views, i, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        json_t *md = json_object_get(v, "metadata");
        if (!id || !json_is_object(md) || was_in_input(input, id))
            continue;
        json_t *prof = json_object_get(md, "appProfiling");
        if (!json_is_object(prof)) {
            prof = json_object();
            if (json_object_set_new(md, "appProfiling", prof) != 0)
                continue;
        }
        if (json_object_set(prof, "hardware", hardware) == 0)
            changed++;
    }
    size_t len = 0;
    char *body =
        changed ? json_dumps(doc, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : 0)) : NULL;
    if (body && (len = strlen(body)) > 0) {
        free(out->body);
        out->body = body;
        out->len = len;
    } else {
        free(body);
    }
    json_decref(doc);
}

typedef struct {
    char *msg;
    size_t size;
} gate_t;

static int gate_document(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    (void)view;
    gate_t *g = data;
    const char *loc =
        json_string_value(json_object_get(json_object_get(doc, "properties"), "location"));
    if (!loc)
        return 0;
    char *path = NULL;
    clams_error_t err = {0};
    /* clams_location_path applies the policy to the path it makes. A scheme
     * only the app knows (its own docloc plugin) cannot be checked here, and
     * a malformed location is the app's to answer. */
    int rc = clams_location_path(loc, &path, &err);
    free(path);
    if (rc == CLAMS_EACCESS) {
        snprintf(g->msg, g->size, "document %s: %s", id, err.text);
        return rc;
    }
    return rc == CLAMS_ENOMEM ? rc : 0;
}

int clams__hosted_gate(const clams_mmif_t *mmif, char *msg, size_t size)
{
    gate_t g = {msg, size};
    return clams_mmif_foreach_document(mmif, NULL, 0, gate_document, &g);
}

int clams__hosted_annotate(const clams__app_rt_t *rt, const clams_mmif_t *mmif,
                           const clams__query_t *merged, const clams__query_t *q, const char *body,
                           size_t len, clams__response_t *out)
{
    bool hw = clams__query_flag(merged, CLAMS__UP_HW_FETCH);
    clams__hwprof_t *prof = clams__hwprof_begin(hw);
    int rc = rt->ops->annotate(rt->ops_ctx, q, body, len, out);
    json_t *hardware = clams__hwprof_end(prof, &out->gpu_peak);
    if (rc == 0 && hardware && out->body && out->content_type &&
        strncmp(out->content_type, "application/json", 16) == 0)
        merge_hardware(mmif, hardware, clams__query_flag(merged, CLAMS__UP_PRETTY), out);
    json_decref(hardware);
    return rc;
}
