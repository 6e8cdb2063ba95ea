/* Resolving an app's declaration into the metadata JSON served by GET /:
 * version and identifier rules, universal parameters, typed defaults, GPU
 * fields (typ raised to min), key order as clams-python writes it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/abi.h"
#include "app/rt.h"
#include "common/internal.h"

/* clams_app_t is initialised statically by apps already built: its size and
 * the offsets of its members are ABI. A new member takes its place from
 * reserved[] (app.h), so the size and the offset of the last member of the
 * first version stay as they are (figures for LP64). */
_Static_assert(sizeof(void *) != 8 || sizeof(clams_app_t) == 312,
               "clams_app_t changed size: take new members from reserved[] (see app.h)");
_Static_assert(sizeof(void *) != 8 || offsetof(clams_app_t, production) == 176,
               "clams_app_t members moved: add new ones in place of reserved[] entries");

/* The builders below return NULL when anything in them could not be made
 * (a failed json_object_set_new or json_array_append_new, or a NULL value
 * given to one, returns -1): metadata is served whole or not at all. */
static json_t *whole(json_t *v, int bad)
{
    if (bad) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static json_t *kv_object(const clams_kv_t *kv)
{
    json_t *o = json_object();
    int bad = !o;
    for (size_t i = 0; !bad && kv && kv[i].key; i++)
        bad |= json_object_set_new(o, kv[i].key, json_string(kv[i].value ? kv[i].value : ""));
    return whole(o, bad);
}

static bool io_end(const clams_io_spec_t *io)
{
    return !io->type && !io->one_of;
}

static json_t *io_json(const clams_io_spec_t *io, bool input)
{
    json_t *o = json_object();
    int bad = json_object_set_new(o, "@type", json_string(io->type));
    if (io->description)
        bad |= json_object_set_new(o, "description", json_string(io->description));
    if (io->properties && io->properties[0].key)
        bad |= json_object_set_new(o, "properties", kv_object(io->properties));
    if (input)
        bad |= json_object_set_new(o, "required", json_boolean(!io->optional));
    return whole(o, bad);
}

static json_t *io_list(const clams_io_spec_t *list, bool input)
{
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && list && !io_end(&list[i]); i++) {
        if (input && list[i].one_of) {
            json_t *alt = json_array();
            int abad = !alt;
            for (const clams_io_spec_t *a = list[i].one_of; !abad && !io_end(a); a++)
                abad |= json_array_append_new(alt, io_json(a, true));
            bad |= json_array_append_new(arr, whole(alt, abad));
        } else {
            bad |= json_array_append_new(arr, io_json(&list[i], input));
        }
    }
    return whole(arr, bad);
}

static json_t *strv_json(const char *const *v)
{
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && v && v[i]; i++)
        bad |= json_array_append_new(arr, json_string(v[i]));
    return whole(arr, bad);
}

static char *resolve_version(const clams_app_t *app)
{
    const char *v = app->app_version;
    if (!v || !*v)
        v = getenv("CLAMS_APP_VERSION");
    return strdup(v && *v ? v : "unresolvable");
}

static char *resolve_identifier(const char *id, const char *version)
{
    char *out = NULL;
    int n = strchr(id, '/') ? asprintf(&out, "%s/%s", id, version)
                            : asprintf(&out, "http://apps.clams.ai/%s/%s", id, version);
    return n < 0 ? NULL : out;
}

/* A bare "scheme://host" gets the trailing "/" an URL parser would add. */
static char *normalise_url(const char *url)
{
    const char *host = strstr(url, "://");
    char *out = NULL;
    if (host && !strchr(host + 3, '/') && host[3]) {
        if (asprintf(&out, "%s/", url) < 0)
            return NULL;
        return out;
    }
    return strdup(url);
}

/* The same type listed twice (with the same properties) is a declaration bug. */
static int check_io_unique(const clams_io_spec_t *list, const char *field, clams_error_t *err)
{
    for (size_t i = 0; list && !io_end(&list[i]); i++) {
        if (!list[i].type)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (!list[j].type || strcmp(list[i].type, list[j].type) != 0)
                continue;
            json_t *a = kv_object(list[i].properties), *b = kv_object(list[j].properties);
            bool same = json_equal(a, b);
            json_decref(a);
            json_decref(b);
            if (same)
                return clams__error_set(err, CLAMS_EMETADATA, field, "unique",
                                        "app metadata: %s lists %s twice", field, list[i].type);
        }
    }
    return 0;
}

static int check_required(const clams_app_t *app, clams_error_t *err)
{
    const struct {
        const char *name;
        const char *value;
    } req[] = {{"name", app->name},
               {"description", app->description},
               {"app_license", app->app_license},
               {"identifier", app->identifier},
               {"url", app->url}};
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
        if (!req[i].value || !*req[i].value)
            return clams__error_set(err, CLAMS_EMETADATA, req[i].name, "required",
                                    "app metadata: \"%s\" is required", req[i].name);
    if (!app->annotate)
        return clams__error_set(err, CLAMS_EMETADATA, "annotate", "required",
                                "app metadata: no annotate function");
    if (check_io_unique(app->input, "input", err) || check_io_unique(app->output, "output", err))
        return CLAMS_EMETADATA;
    if (app->est_gpu_mem_min < 0 || app->est_gpu_mem_typ < 0)
        return clams__error_set(err, CLAMS_EMETADATA, "est_gpu_mem_min", "minimum",
                                "app metadata: est_gpu_mem_min/est_gpu_mem_typ must not be "
                                "negative");
    return 0;
}

static void fix_gpu(clams__app_rt_t *rt)
{
    rt->gpu_min = rt->app->est_gpu_mem_min;
    rt->gpu_typ = rt->app->est_gpu_mem_typ;
    if (rt->gpu_min > 0 && rt->gpu_typ > 0 && rt->gpu_typ < rt->gpu_min) {
        clams__log(CLAMS_LOG_WARNING, 0,
                   "app metadata: est_gpu_mem_typ (%d MB) is lower than est_gpu_mem_min "
                   "(%d MB); using est_gpu_mem_typ = %d",
                   rt->gpu_typ, rt->gpu_min, rt->gpu_min);
        rt->gpu_typ = rt->gpu_min;
    }
}

static json_t *build_metadata(clams__app_rt_t *rt, const char *version)
{
    const clams_app_t *app = rt->app;
    json_t *m = json_object();
    char *url = normalise_url(app->url);
    int bad = !url;
    bad |= json_object_set_new(m, "name", json_string(app->name));
    bad |= json_object_set_new(m, "description", json_string(app->description));
    bad |= json_object_set_new(m, "app_version", json_string(version));
    bad |= json_object_set_new(
        m, "mmif_version",
        json_string(app->mmif_version ? app->mmif_version : CLAMS_MMIF_SPEC_VERSION));
    if (app->analyzer_version)
        bad |= json_object_set_new(m, "analyzer_version", json_string(app->analyzer_version));
    if (app->analyzer_versions && app->analyzer_versions[0].key)
        bad |= json_object_set_new(m, "analyzer_versions", kv_object(app->analyzer_versions));
    bad |= json_object_set_new(m, "app_license", json_string(app->app_license));
    if (app->analyzer_license)
        bad |= json_object_set_new(m, "analyzer_license", json_string(app->analyzer_license));
    bad |= json_object_set_new(m, "identifier", json_string(rt->identifier));
    bad |= json_object_set_new(m, "url", json_string(url ? url : app->url));
    bad |= json_object_set_new(m, "input", io_list(app->input, true));
    bad |= json_object_set_new(m, "output", io_list(app->output, false));
    bad |= json_object_set_new(m, "parameters", clams__pspecs_metadata(&rt->specs));
    if (app->dependencies)
        bad |= json_object_set_new(m, "dependencies", strv_json(app->dependencies));
    if (app->more && app->more[0].key)
        bad |= json_object_set_new(m, "more", kv_object(app->more));
    if (app->app_tags && app->app_tags[0])
        bad |= json_object_set(m, "app_tags", rt->app_tags);
    if (rt->gpu_min > 0)
        bad |= json_object_set_new(m, "est_gpu_mem_min", json_integer(rt->gpu_min));
    if (rt->gpu_typ > 0)
        bad |= json_object_set_new(m, "est_gpu_mem_typ", json_integer(rt->gpu_typ));
    free(url);
    return whole(m, bad);
}

clams__app_rt_t *clams__app_rt_new(const clams_app_t *app, clams_error_t *err)
{
    return clams__app_rt_new_abi(app, NULL, err);
}

clams__app_rt_t *clams__app_rt_new_abi(const clams_app_t *declared, const clams_abi_t *abi,
                                       clams_error_t *err)
{
    if (!declared) {
        clams__error_set(err, CLAMS_EINVAL, NULL, NULL, "no app");
        return NULL;
    }
    clams_app_t *app = clams__app_import(declared, abi, err);
    if (!app)
        return NULL;
    if (check_required(app, err) != 0) {
        clams__app_import_free(app);
        return NULL;
    }
    clams__app_rt_t *rt = calloc(1, sizeof(*rt));
    if (!rt) {
        clams__app_import_free(app);
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    rt->app = app;
    if (clams__pspecs_build(&rt->specs, app->parameters, err) != 0) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory"); /* unless set */
        clams__app_import_free(app);
        free(rt);
        return NULL;
    }
    char *version = resolve_version(app);
    rt->identifier = version ? resolve_identifier(app->identifier, version) : NULL;
    if (app->app_tags && app->app_tags[0])
        rt->app_tags = strv_json(app->app_tags);
    fix_gpu(rt);
    if (rt->identifier)
        rt->metadata = build_metadata(rt, version);
    free(version);
    if (!rt->metadata) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        clams__app_rt_free(rt);
        return NULL;
    }
    return rt;
}

clams__app_rt_t *clams__app_rt_new_hosted(const clams_app_t *app, json_t *metadata,
                                          const clams__app_ops_t *ops, void *ctx,
                                          clams_error_t *err)
{
    static const clams_param_spec_t none[1];
    clams__app_rt_t *rt = calloc(1, sizeof(*rt));
    const char *id = json_string_value(json_object_get(metadata, "identifier"));
    if (!rt || !id) {
        if (ops && ops->free)
            ops->free(ctx);
        free(rt);
        clams__error_set(err, rt ? CLAMS_EMETADATA : CLAMS_ENOMEM, NULL, NULL,
                         rt ? "the app's metadata has no identifier" : "out of memory");
        return NULL;
    }
    rt->app = app;
    rt->ops = ops;
    rt->ops_ctx = ctx;
    rt->metadata = json_incref(metadata);
    rt->identifier = strdup(id);
    json_t *tags = json_object_get(metadata, "app_tags");
    if (json_is_array(tags) && json_array_size(tags) > 0)
        rt->app_tags = json_incref(tags);
    /* Apps older than the fields (clams-python < 1.4) declare none: 0, a CPU
     * app, as clams-python sizes them (docs/python-apps.md). */
    json_t *min = json_object_get(metadata, "est_gpu_mem_min");
    json_t *typ = json_object_get(metadata, "est_gpu_mem_typ");
    rt->gpu_min = json_is_integer(min) ? (int)json_integer_value(min) : 0;
    rt->gpu_typ = json_is_integer(typ) ? (int)json_integer_value(typ) : 0;
    if (rt->gpu_typ < rt->gpu_min)
        rt->gpu_typ = rt->gpu_min;
    if (!rt->identifier || clams__pspecs_build(&rt->specs, none, err) != 0) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        clams__app_rt_free(rt);
        return NULL;
    }
    return rt;
}

const clams__app_ops_t *clams__app_rt_ops(const clams__app_rt_t *rt)
{
    return rt->ops;
}

void *clams__app_rt_ops_ctx(const clams__app_rt_t *rt)
{
    return rt->ops_ctx;
}

void clams__app_rt_free(clams__app_rt_t *rt)
{
    if (!rt)
        return;
    clams__pspecs_free(&rt->specs);
    json_decref(rt->metadata);
    json_decref(rt->app_tags);
    free(rt->identifier);
    if (rt->ops) { /* a hosted app's shell belongs to its ctx */
        if (rt->ops->free)
            rt->ops->free(rt->ops_ctx);
    } else {
        clams__app_import_free((clams_app_t *)rt->app);
    }
    free(rt);
}

const clams_app_t *clams__app_rt_app(const clams__app_rt_t *rt)
{
    return rt->app;
}

const json_t *clams__app_rt_metadata(const clams__app_rt_t *rt)
{
    return rt->metadata;
}

int clams__app_rt_gpu_min(const clams__app_rt_t *rt)
{
    return rt->gpu_min;
}

int clams__app_rt_gpu_typ(const clams__app_rt_t *rt)
{
    return rt->gpu_typ;
}

int clams__app_rt_get(const clams__app_rt_t *rt, const clams__query_t *q, clams__response_t *out)
{
    bool pretty = clams__query_flag(q, CLAMS__UP_PRETTY);
    out->status = 200;
    out->content_type = "application/json";
    out->body = json_dumps(rt->metadata, pretty ? JSON_INDENT(2) : JSON_COMPACT);
    if (!out->body)
        return CLAMS_ENOMEM;
    out->len = strlen(out->body);
    return 0;
}
