/* `clams describe DIR`: the collection summary of mmif-python's
 * describe_mmif_collection. Every "*.mmif" entry directly in DIR is counted by
 * status; files without error views are grouped by workflowId, and each
 * app's running times are reduced to mean, min, max and sample stdev. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/clams.h"
#include "cli/cli.h"

/* pathlib's glob("*.mmif"): case-sensitive, hidden names included. */
static bool mmif_name(const char *name)
{
    size_t n = strlen(name);
    return n >= 5 && strcmp(name + n - 5, ".mmif") == 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The matching names, sorted so that "the first configuration seen" does not
 * depend on the directory's order. NULL when DIR cannot be read. */
static char **list_mmifs(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof(*names));
    struct dirent *e;
    while (names && (e = readdir(d))) {
        if (!mmif_name(e->d_name))
            continue;
        if (n == cap) {
            char **more = realloc(names, (cap *= 2) * sizeof(*names));
            if (!more)
                break;
            names = more;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof(*names), cmp_name);
    *count = n;
    return names;
}

/* Python's truthiness of a JSON value, as `if config:` tests it. */
static bool truthy(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return json_object_size(v) > 0;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_TRUE: return true;
    default: return false;
    }
}

static json_t *child(json_t *parent, const char *key, json_t *(*make)(void))
{
    json_t *c = json_object_get(parent, key);
    if (!c) {
        c = make();
        json_object_set_new(parent, key, c);
    }
    return c;
}

static json_t *new_workflow(void)
{
    return json_pack("{s:[], s:{}}", "mmifs", "apps");
}

static json_t *new_app(void)
{
    return json_pack("{s:n, s:[]}", "conf", "times");
}

typedef struct {
    json_int_t total, successful, with_errors, with_warnings, invalid;
    json_t *workflows; /* workflowId -> {mmifs, apps: uri -> {conf, times}} */
    json_t *counts;    /* annotation type -> count */
} collection_t;

/* Folds one file's single-MMIF summary into the collection. */
static void add_summary(collection_t *c, const char *name, json_t *summary)
{
    json_t *stats = json_object_get(summary, "stats");
    if (json_array_size(json_object_get(stats, "errorViews"))) {
        c->with_errors++;
        return;
    }
    c->successful++;
    if (json_array_size(json_object_get(stats, "warningViews")))
        c->with_warnings++;
    const char *wf_id = json_string_value(json_object_get(summary, "workflowId"));
    json_t *wf = child(c->workflows, wf_id ? wf_id : "", new_workflow);
    json_array_append_new(json_object_get(wf, "mmifs"), json_string(name));
    const char *k;
    json_t *v;
    json_object_foreach (json_object_get(stats, "annotationCountByType"), k, v) {
        if (strcmp(k, "total") != 0) {
            json_int_t old = json_integer_value(json_object_get(c->counts, k));
            json_object_set_new(c->counts, k, json_integer(old + json_integer_value(v)));
        }
    }
    size_t i;
    json_t *run;
    json_array_foreach (json_object_get(summary, "apps"), i, run) {
        const char *uri = json_string_value(json_object_get(run, "app"));
        if (!uri || !*uri || strcmp(uri, CLAMS_CLI_NO_APP) == 0)
            continue;
        json_t *app = child(json_object_get(wf, "apps"), uri, new_app);
        json_t *ms = json_object_get(json_object_get(run, "appProfiling"), "runningTimeMS");
        if (json_is_integer(ms))
            json_array_append(json_object_get(app, "times"), ms);
        json_t *conf = json_object_get(run, "appConfiguration");
        if (json_is_null(json_object_get(app, "conf")) && truthy(conf))
            json_object_set(app, "conf", conf);
    }
}

/* statistics.mean/min/max/stdev of integer milliseconds, with Python's types:
 * an exact mean stays an integer, stdev of one value is the integer 0. */
static json_t *time_stats(json_t *times)
{
    size_t n = json_array_size(times), i;
    if (n == 0)
        return json_object();
    json_int_t sum = 0, lo = 0, hi = 0;
    long double sq = 0;
    json_t *t;
    json_array_foreach (times, i, t) {
        json_int_t x = json_integer_value(t);
        sum += x;
        sq += (long double)x * x;
        lo = i == 0 || x < lo ? x : lo;
        hi = i == 0 || x > hi ? x : hi;
    }
    json_t *mean = sum % (json_int_t)n == 0 ? json_integer(sum / (json_int_t)n)
                                            : json_real((double)sum / (double)n);
    json_t *sd = json_integer(0);
    if (n > 1) {
        /* sum of squared deviations = (n*sq - sum^2) / n, exact for realistic times */
        long double ss = ((long double)n * sq - (long double)sum * sum) / n;
        json_decref(sd);
        sd = json_real((double)sqrtl(ss / (n - 1)));
    }
    return json_pack("{s:o, s:I, s:I, s:o}", "avgRunningTimeMS", mean, "minRunningTimeMS", lo,
                     "maxRunningTimeMS", hi, "stdevRunningTimeMS", sd);
}

/* The keys of an object, sorted as Python's sorted() sorts str (code points,
 * which is byte order in UTF-8). Ownership: new array, borrowed strings. */
static const char **sorted_keys(json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    const char **keys = calloc(*n + 1, sizeof(*keys)), *k;
    size_t i = 0;
    json_t *v;
    json_object_foreach (obj, k, v) {
        if (keys)
            keys[i++] = k;
    }
    if (keys)
        qsort(keys, *n, sizeof(*keys), cmp_name);
    return keys;
}

static json_t *workflow_entry(const char *id, json_t *wf)
{
    json_t *mmifs = json_object_get(wf, "mmifs"), *apps = json_array();
    size_t n;
    const char **uris = sorted_keys(json_object_get(wf, "apps"), &n);
    for (size_t i = 0; uris && i < n; i++) {
        json_t *app = json_object_get(json_object_get(wf, "apps"), uris[i]);
        json_t *conf = json_object_get(app, "conf");
        json_t *cfg = json_is_null(conf) ? json_object() : json_incref(conf);
        json_array_append_new(apps,
                              json_pack("{s:s, s:o, s:o}", "app", uris[i], "appConfiguration", cfg,
                                        "appProfiling", time_stats(json_object_get(app, "times"))));
    }
    free(uris);
    return json_pack("{s:s, s:O, s:I, s:o}", "workflowId", id, "mmifs", mmifs, "mmifCount",
                     (json_int_t)json_array_size(mmifs), "apps", apps);
}

static json_t *finish(collection_t *c)
{
    json_t *workflows = json_array();
    size_t n;
    const char **ids = sorted_keys(c->workflows, &n);
    for (size_t i = 0; ids && i < n; i++)
        json_array_append_new(workflows,
                              workflow_entry(ids[i], json_object_get(c->workflows, ids[i])));
    free(ids);
    json_int_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach (c->counts, k, v)
        total += json_integer_value(v);
    if (total > 0)
        json_object_set_new(c->counts, "total", json_integer(total));
    return json_pack("{s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:O}", "mmifCountByStatus", "total",
                     c->total, "successful", c->successful, "withErrors", c->with_errors,
                     "withWarnings", c->with_warnings, "invalid", c->invalid, "workflows",
                     workflows, "annotationCountByType", c->counts);
}

json_t *clams_cli_describe_dir(const char *dir)
{
    size_t n = 0;
    char **names = list_mmifs(dir, &n);
    if (!names)
        return NULL;
    collection_t c = {.workflows = json_object(), .counts = json_object()};
    c.total = (json_int_t)n;
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
            path = NULL;
        clams_mmif_t *m = path ? clams_cli_load("describe", path) : NULL;
        json_t *summary = m ? clams_cli_describe_mmif(m) : NULL;
        if (summary)
            add_summary(&c, names[i], summary);
        else
            c.invalid++;
        json_decref(summary);
        if (m)
            clams_mmif_free(m);
        free(path);
        free(names[i]);
    }
    free(names);
    json_t *out = finish(&c);
    json_decref(c.workflows);
    json_decref(c.counts);
    return out;
}
