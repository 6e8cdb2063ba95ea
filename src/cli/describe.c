/* `clams describe [MMIF_FILE|DIR|-] [-o OUT] [-p]`: mmif-python's workflow
 * summary of one MMIF as JSON: a workflowId (app name / version / MD5 of the
 * raw parameters, per app run), stats (app runs, error, warning and empty
 * views, annotation counts) and one entry per app run (views sharing app and
 * timestamp) with its running time; a DIR goes to describe_dir.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clams/clams.h"
#include "cli/cli.h"

#define NO_APP CLAMS_CLI_NO_APP

void clams_cli_describe_usage(FILE *out)
{
    fprintf(out,
            "usage: clams describe [MMIF_FILE|DIR|-] [-o OUT] [-p]\n\n"
            "Prints a JSON summary of the workflow recorded in a MMIF (standard input when\n"
            "MMIF_FILE is \"-\" or missing):\n"
            "  workflowId  app-name/version/parameter-MD5 per successful app run, joined by \"/\"\n"
            "  stats       appCount, errorViews, warningViews, emptyViews,\n"
            "              annotationCountByType (with a total)\n"
            "  apps        one entry per app run (views with the same app and timestamp):\n"
            "              app, viewIds, appConfiguration, appProfiling.runningTimeMS,\n"
            "              annotationCountByType; views that belong to no run are listed\n"
            "              last under %s\n\n"
            "For a directory, summarises the *.mmif files directly in it:\n"
            "  mmifCountByStatus      total, successful, withErrors, withWarnings, invalid\n"
            "  workflows              per workflowId of the files without error views:\n"
            "                         mmifs, mmifCount, apps (appConfiguration and\n"
            "                         avg/min/max/stdev RunningTimeMS per app)\n"
            "  annotationCountByType  over those files, with a total\n\n"
            "options:\n"
            "  -o, --output OUT  write to OUT instead of standard output\n"
            "  -p, --pretty      indent the JSON\n",
            NO_APP);
}

typedef struct {
    clams_view_t *view;
    const char *app, *timestamp;
    size_t order;
} vref_t;

static json_t *meta_get(const clams_view_t *v, const char *key)
{
    return json_object_get(clams_view_metadata(v), key);
}

static bool has_error(const clams_view_t *v)
{
    json_t *e = meta_get(v, "error");
    return json_is_object(e) && json_object_size(e) > 0;
}

static bool has_warnings(const clams_view_t *v)
{
    return json_array_size(meta_get(v, "warnings")) > 0;
}

static int cmp_vref(const void *a, const void *b)
{
    const vref_t *x = a, *y = b;
    int c = strcmp(x->timestamp, y->timestamp);
    if (!c)
        c = strcmp(x->app, y->app);
    return c ? c : (x->order > y->order) - (x->order < y->order); /* stable */
}

/* Python's repr() of a str, as str(list) writes list elements. */
static void py_repr(json_t *out_list, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    size_t cap = strlen(s) * 4 + 3, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return;
    buf[n++] = q;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\' || *p == (unsigned char)q) {
            buf[n++] = '\\';
            buf[n++] = (char)*p;
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            buf[n++] = '\\';
            buf[n++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
        } else if (*p < 0x20 || *p == 0x7f) {
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *p);
        } else {
            buf[n++] = (char)*p;
        }
    }
    buf[n++] = q;
    json_array_append_new(out_list, json_stringn(buf, n));
    free(buf);
}

/* str(v) of a parameter value: strings as they are, lists as Python prints them. */
static char *py_str(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!json_is_array(v))
        return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    json_t *items = json_array();
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e) {
        if (json_is_string(e))
            py_repr(items, json_string_value(e));
        else {
            char *d = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
            json_array_append_new(items, json_string(d ? d : ""));
            free(d);
        }
    }
    size_t len = 2;
    json_array_foreach (items, i, e)
        len += json_string_length(e) + 2;
    char *s = malloc(len + 1), *p = s;
    if (s) {
        *p++ = '[';
        json_array_foreach (items, i, e) {
            p += sprintf(p, "%s%s", i ? ", " : "", json_string_value(e));
        }
        strcpy(p, "]");
    }
    json_decref(items);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* MD5 of the sorted "key=value" pairs joined by ",". */
static void param_hash(json_t *params, char out[33])
{
    size_t n = json_is_object(params) ? json_object_size(params) : 0, k = 0, total = 1;
    char **pairs = calloc(n + 1, sizeof(*pairs));
    const char *key;
    json_t *val;
    if (n && pairs) {
        json_object_foreach (params, key, val) {
            char *v = py_str(val);
            if (asprintf(&pairs[k], "%s=%s", key, v ? v : "") < 0)
                pairs[k] = NULL;
            free(v);
            if (pairs[k])
                total += strlen(pairs[k++]) + 1;
        }
        qsort(pairs, k, sizeof(*pairs), cmp_str);
    }
    char *joined = calloc(total, 1);
    for (size_t i = 0; joined && i < k; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, pairs[i]);
    }
    clams_cli_md5_hex(joined ? joined : "", joined ? strlen(joined) : 0, out);
    for (size_t i = 0; i < k; i++)
        free(pairs[i]);
    free(pairs);
    free(joined);
}

/* "uri://domain/NAME/VERSION" as pathlib splits it (empty parts dropped). */
static void split_app(const char *app, char *name, char *version, size_t size)
{
    const char *parts[4] = {0};
    size_t lens[4] = {0};
    int np = 0;
    for (const char *p = app; *p && np < 4;) {
        size_t l = strcspn(p, "/");
        if (l && !(l == 1 && *p == '.')) {
            parts[np] = p;
            lens[np++] = l;
        }
        p += l + (p[l] == '/');
    }
    snprintf(name, size, "%.*s", np > 2 ? (int)lens[2] : 0, np > 2 ? parts[2] : "");
    snprintf(version, size, "%.*s", np > 3 ? (int)lens[3] : 0, np > 3 ? parts[3] : "");
    size_t ln = strlen(name), lv = strlen(version);
    if (np > 3 && ln >= lv && strcmp(name + ln - lv, version) == 0)
        name[ln > lv ? ln - lv - 1 : 0] = '\0';
    if (strcmp(version, "unresolvable") == 0)
        version[0] = '\0';
}

/* "H:MM:SS[.ffffff]" into milliseconds; -1 when it does not parse. */
static long long running_ms(const char *s)
{
    unsigned h, m, sec;
    int used = 0;
    if (!s || sscanf(s, "%u:%u:%u%n", &h, &m, &sec, &used) != 3)
        return -1;
    long long us = 0;
    const char *f = s + used;
    if (*f == '.') {
        int digits = 0;
        for (f++; *f >= '0' && *f <= '9' && digits < 6; f++, digits++)
            us = us * 10 + (*f - '0');
        for (; digits < 6; digits++)
            us *= 10;
    }
    return ((long long)h * 3600 + m * 60 + sec) * 1000 + us / 1000;
}

static json_t *profiling(const clams_view_t *v)
{
    json_t *prof = meta_get(v, "appProfiling");
    json_t *rt = json_object_get(prof, "runningTime");
    if (!rt)
        rt = meta_get(v, "appRunningTime");
    long long ms = running_ms(json_string_value(rt));
    return ms < 0 ? json_object() : json_pack("{s:I}", "runningTimeMS", (json_int_t)ms);
}

static void count_add(json_t *counts, const char *type, json_int_t n)
{
    json_t *c = json_object_get(counts, type);
    json_object_set_new(counts, type, json_integer(json_integer_value(c) + n));
}

/* Adds "total" to a count object, or returns false when everything is 0. */
static bool count_total(json_t *counts)
{
    json_int_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach (counts, k, v)
        total += json_integer_value(v);
    if (total > 0)
        json_object_set_new(counts, "total", json_integer(total));
    return total > 0;
}

typedef struct {
    json_t *apps, *empty, *totals, *wf_segments, *done_ids;
} summary_t;

/* One app run: views [b, e) of the sorted list. */
static void add_run(summary_t *s, const vref_t *b, const vref_t *e)
{
    const clams_view_t *first = b->view;
    if (has_error(first) || has_warnings(first))
        return;
    char name[256], version[256], hash[33];
    split_app(b->app, name, version, sizeof(name));
    param_hash(meta_get(first, "parameters"), hash);
    char *seg = NULL;
    if (asprintf(&seg, "%s/%s/%s", name[0] ? name : "unknown", version[0] ? version : "unversioned",
                 hash) >= 0)
        json_array_append_new(s->wf_segments, json_string(seg));
    free(seg);

    json_t *ids = json_array(), *counts = json_object();
    for (const vref_t *r = b; r < e; r++) {
        const char *id = clams_view_id(r->view);
        size_t na = clams_view_annotation_count(r->view);
        if (na == 0)
            json_array_append_new(s->empty, json_string(id));
        for (size_t i = 0; i < na; i++) {
            json_t *a = clams_view_annotation_json_at(r->view, i);
            const char *t = json_string_value(json_object_get(a, "@type"));
            count_add(counts, t ? t : "", 1);
        }
        json_array_append_new(ids, json_string(id));
        json_object_set_new(s->done_ids, id, json_true());
    }
    json_t *conf = meta_get(first, "appConfiguration");
    json_t *app =
        json_pack("{s:s, s:o, s:o, s:o}", "app", b->app, "viewIds", ids, "appConfiguration",
                  conf ? json_incref(conf) : json_object(), "appProfiling", profiling(first));
    const char *k;
    json_t *v;
    json_object_foreach (counts, k, v)
        count_add(s->totals, k, json_integer_value(v));
    if (count_total(counts))
        json_object_set(app, "annotationCountByType", counts);
    json_decref(counts);
    json_array_append_new(s->apps, app);
}

static char *join_segments(json_t *segs)
{
    size_t len = 1, i;
    json_t *e;
    json_array_foreach (segs, i, e)
        len += json_string_length(e) + 1;
    char *s = calloc(len, 1);
    json_array_foreach (segs, i, e) {
        if (s && i)
            strcat(s, "/");
        if (s)
            strcat(s, json_string_value(e));
    }
    return s;
}

json_t *clams_cli_describe_mmif(const clams_mmif_t *m)
{
    size_t nv = clams_mmif_view_count(m), ng = 0;
    vref_t *refs = calloc(nv + 1, sizeof(*refs));
    summary_t s = {json_array(), json_array(), json_object(), json_array(), json_object()};
    for (size_t i = 0; refs && i < nv; i++) {
        clams_view_t *v = clams_mmif_view_at(m, i);
        const char *app = json_string_value(meta_get(v, "app"));
        const char *ts = json_string_value(meta_get(v, "timestamp"));
        if (app && *app && ts)
            refs[ng++] = (vref_t){v, app, ts, i};
    }
    if (refs)
        qsort(refs, ng, sizeof(*refs), cmp_vref);
    for (size_t b = 0, e; b < ng; b = e) {
        for (e = b + 1; e < ng && !strcmp(refs[e].app, refs[b].app) &&
                        !strcmp(refs[e].timestamp, refs[b].timestamp);
             e++)
            ;
        add_run(&s, refs + b, refs + e);
    }
    free(refs);
    json_int_t app_count = (json_int_t)json_array_size(s.apps);
    json_t *errors = json_array(), *warnings = json_array(), *unassigned = json_array();
    for (size_t i = 0; i < nv; i++) {
        clams_view_t *v = clams_mmif_view_at(m, i);
        const char *id = clams_view_id(v);
        if (json_object_get(s.done_ids, id))
            continue;
        if (has_error(v))
            json_array_append_new(errors, json_string(id));
        else if (has_warnings(v))
            json_array_append_new(warnings, json_string(id));
        else {
            if (clams_view_annotation_count(v) == 0)
                json_array_append_new(s.empty, json_string(id));
            json_array_append_new(unassigned, json_string(id));
        }
    }
    if (json_array_size(unassigned)) {
        size_t n = json_array_size(unassigned);
        const char **ids = calloc(n, sizeof(*ids));
        for (size_t i = 0; ids && i < n; i++)
            ids[i] = json_string_value(json_array_get(unassigned, i));
        if (ids)
            qsort(ids, n, sizeof(*ids), cmp_str);
        json_t *sorted = json_array();
        for (size_t i = 0; ids && i < n; i++)
            json_array_append_new(sorted, json_string(ids[i]));
        free(ids);
        json_array_append_new(s.apps, json_pack("{s:s, s:o}", "app", NO_APP, "viewIds", sorted));
    }
    json_decref(unassigned);
    count_total(s.totals);
    char *wf = join_segments(s.wf_segments);
    json_t *out =
        json_pack("{s:s, s:{s:I, s:o, s:o, s:o, s:o}, s:o}", "workflowId", wf ? wf : "", "stats",
                  "appCount", app_count, "errorViews", errors, "warningViews", warnings,
                  "emptyViews", s.empty, "annotationCountByType", s.totals, "apps", s.apps);
    free(wf);
    json_decref(s.wf_segments);
    json_decref(s.done_ids);
    return out;
}

int clams_cli_describe(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    bool pretty = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            clams_cli_describe_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
            pretty = true;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
            out = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if ((a[0] != '-' || !a[1]) && !in) {
            in = a;
        } else {
            fprintf(stderr, "clams describe: unexpected argument '%s'\n", a);
            clams_cli_describe_usage(stderr);
            return 2;
        }
    }
    json_t *summary;
    struct stat st;
    if (in && strcmp(in, "-") != 0 && stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
        summary = clams_cli_describe_dir(in);
        if (!summary) {
            fprintf(stderr, "clams describe: cannot read directory %s: %s\n", in, strerror(errno));
            return 1;
        }
    } else {
        clams_mmif_t *m = clams_cli_load("describe", in);
        if (!m)
            return 1;
        summary = clams_cli_describe_mmif(m);
        clams_mmif_free(m);
    }
    size_t flags = JSON_ENSURE_ASCII | (pretty ? JSON_INDENT(2) : 0);
    char *text = summary ? json_dumps(summary, flags) : NULL;
    json_decref(summary);
    if (!text) {
        fprintf(stderr, "clams describe: out of memory\n");
        return 1;
    }
    size_t len = strlen(text);
    char *nl = realloc(text, len + 2);
    if (nl) {
        text = nl;
        strcpy(text + len++, "\n");
    }
    int rc = clams_cli_write("describe", out, text, len);
    free(text);
    return rc;
}
