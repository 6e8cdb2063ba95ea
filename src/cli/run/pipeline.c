/* The PIPELINE file: {"stages": [{"app": PATH-OR-URL, "params": {...}}, ...]}
 * plus optional "name", "concurrency", "timeout", "env" and "args" per stage.
 * Parameters become a query string, never the JSON envelope: apps that
 * predate the envelope (clams-python before 2026-05, every C app built on an
 * older clams-c) read only the query string, and every app reads it. Lists
 * become repeated keys (multivalued parameters), objects repeated "k:v"
 * values (map parameters), as clams-python's own query parsing expects. */
#include <curl/curl.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run/run.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} sb_t;

static void sb_put(sb_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->failed = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* One key=value pair, both percent-encoded. */
static void put_pair(sb_t *b, const char *key, const char *val)
{
    char *k = curl_easy_escape(NULL, key, 0), *v = curl_easy_escape(NULL, val, 0);
    if (!k || !v)
        b->failed = true;
    else {
        if (b->len)
            sb_put(b, "&", 1);
        sb_put(b, k, strlen(k));
        sb_put(b, "=", 1);
        sb_put(b, v, strlen(v));
    }
    curl_free(k);
    curl_free(v);
}

/* A scalar as the text an app casts: strings as they are, numbers in JSON's
 * spelling, booleans "true"/"false". 0, or -1 for a non-scalar. */
static int scalar_text(json_t *v, char *buf, size_t size, const char **out)
{
    if (json_is_string(v))
        *out = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), *out = buf;
    else if (json_is_real(v))
        snprintf(buf, size, "%.17g", json_real_value(v)), *out = buf;
    else if (json_is_boolean(v))
        *out = json_is_true(v) ? "true" : "false";
    else
        return -1;
    return 0;
}

static int put_value(sb_t *b, const char *key, json_t *v, char *err, size_t errsize)
{
    char num[64];
    const char *text;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            if (scalar_text(e, num, sizeof num, &text) != 0) {
                snprintf(err, errsize, "parameter %s: list items must be scalars", key);
                return -1;
            }
            put_pair(b, key, text);
        }
        return 0;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach (v, k, e) {
            if (scalar_text(e, num, sizeof num, &text) != 0) {
                snprintf(err, errsize, "parameter %s: map values must be scalars", key);
                return -1;
            }
            char *kv = NULL;
            if (asprintf(&kv, "%s:%s", k, text) < 0)
                return -1;
            put_pair(b, key, kv);
            free(kv);
        }
        return 0;
    }
    if (scalar_text(v, num, sizeof num, &text) != 0) {
        snprintf(err, errsize, "parameter %s: null is not a value", key);
        return -1;
    }
    put_pair(b, key, text);
    return 0;
}

char *run_params_query(json_t *params, char *err, size_t errsize)
{
    sb_t b = {0};
    sb_put(&b, "", 0);
    if (params && !json_is_object(params)) {
        snprintf(err, errsize, "\"params\" must be an object");
        free(b.buf);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach (params, key, v) {
        if (put_value(&b, key, v, err, errsize) != 0) {
            free(b.buf);
            return NULL;
        }
    }
    if (b.failed) {
        snprintf(err, errsize, "out of memory");
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

static char **string_list(json_t *v, bool env)
{
    size_t n = json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
    char **out = calloc(n + 1, sizeof(*out));
    if (!out)
        return NULL;
    size_t i = 0;
    if (env && json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach (v, k, e) {
            if (json_is_string(e) && asprintf(&out[i], "%s=%s", k, json_string_value(e)) >= 0)
                i++;
        }
    } else if (json_is_array(v)) {
        json_t *e;
        size_t j;
        json_array_foreach (v, j, e) {
            if (json_is_string(e))
                out[i++] = strdup(json_string_value(e));
        }
    }
    return out;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

/* A relative app path is relative to the pipeline file's folder. */
static char *resolve_app(const char *app, const char *dir)
{
    if (strncmp(app, "http://", 7) == 0 || strncmp(app, "https://", 8) == 0 || app[0] == '/')
        return strdup(app);
    char *joined = NULL;
    if (asprintf(&joined, "%s/%s", dir, app) < 0)
        return NULL;
    char *real = realpath(joined, NULL);
    if (real) {
        free(joined);
        return real;
    }
    return joined;
}

static int classify(run_stage_t *s, char *err, size_t errsize)
{
    if (strncmp(s->app, "http://", 7) == 0 || strncmp(s->app, "https://", 8) == 0) {
        s->kind = RUN_APP_URL;
        return 0;
    }
    struct stat st;
    if (stat(s->app, &st) != 0) {
        snprintf(err, errsize, "%s: %s", s->app, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        /* A clams-python app folder, recognised by its app.py: apps.c
         * serves it with `clams serve`. */
        char *py = NULL;
        if (asprintf(&py, "%s/app.py", s->app) < 0)
            return -1;
        bool ok = access(py, R_OK) == 0;
        free(py);
        if (!ok) {
            snprintf(err, errsize, "%s: a folder without app.py", s->app);
            return -1;
        }
        s->kind = RUN_APP_PYDIR;
        return 0;
    }
    if (access(s->app, X_OK) != 0) {
        snprintf(err, errsize, "%s: not an executable app", s->app);
        return -1;
    }
    s->kind = RUN_APP_BINARY;
    return 0;
}

static int load_stage(run_stage_t *s, json_t *js, const char *dir, char *err, size_t errsize)
{
    const char *app = json_string_value(json_object_get(js, "app"));
    if (!app || !*app) {
        snprintf(err, errsize, "\"app\" (a path or URL) is required");
        return -1;
    }
    s->app = resolve_app(app, dir);
    if (!s->app || classify(s, err, errsize) != 0)
        return -1;
    json_t *params = json_object_get(js, "params");
    s->query = run_params_query(params, err, errsize);
    if (!s->query)
        return -1;
    char *canon = params ? json_dumps(params, JSON_SORT_KEYS | JSON_COMPACT) : strdup("{}");
    if (!canon)
        return -1;
    clams_cli_md5_hex(canon, strlen(canon), s->params_hash);
    free(canon);
    const char *name = json_string_value(json_object_get(js, "name"));
    s->name = name ? strdup(name) : NULL;
    json_t *c = json_object_get(js, "concurrency");
    s->concurrency = json_is_integer(c) ? (int)json_integer_value(c) : 0;
    json_t *t = json_object_get(js, "timeout");
    s->timeout_s = json_is_number(t) ? json_number_value(t) : 0;
    s->env = string_list(json_object_get(js, "env"), true);
    s->args = string_list(json_object_get(js, "args"), false);
    return s->env && s->args ? 0 : -1;
}

int run_pipeline_load(const char *path, run_pipeline_t *p)
{
    memset(p, 0, sizeof(*p));
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "clams run: %s:%d: %s\n", path, jerr.line, jerr.text);
        return -1;
    }
    json_t *stages = json_object_get(root, "stages");
    if (!json_is_array(stages) || json_array_size(stages) == 0 || json_array_size(stages) > 99) {
        fprintf(stderr, "clams run: %s: \"stages\" must be a list of 1 to 99 stages\n", path);
        json_decref(root);
        return -1;
    }
    char *copy = strdup(path);
    char *real = copy ? realpath(dirname(copy), NULL) : NULL;
    free(copy);
    p->dir = real;
    p->nstages = (int)json_array_size(stages);
    p->stages = calloc((size_t)p->nstages, sizeof(*p->stages));
    int rc = p->stages && p->dir ? 0 : -1;
    for (int i = 0; i < p->nstages && rc == 0; i++) {
        char err[512] = "out of memory";
        p->stages[i].number = i + 1;
        rc = load_stage(&p->stages[i], json_array_get(stages, (size_t)i), p->dir, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "clams run: %s: stage %d: %s\n", path, i + 1, err);
    }
    json_decref(root);
    if (rc != 0)
        run_pipeline_free(p);
    return rc;
}

void run_pipeline_free(run_pipeline_t *p)
{
    for (int i = 0; p->stages && i < p->nstages; i++) {
        run_stage_t *s = &p->stages[i];
        free(s->app);
        free(s->name);
        free(s->query);
        free(s->url);
        free(s->identifier);
        free(s->version);
        free_list(s->env);
        free_list(s->args);
    }
    free(p->stages);
    free(p->dir);
    memset(p, 0, sizeof(*p));
}
