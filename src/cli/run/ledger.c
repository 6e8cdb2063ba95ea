/* DIR/ledger.jsonl: one JSON line per attempt, appended with one write()
 * each (O_APPEND), never rewritten, so runs and shards sharing a folder on a
 * local disk interleave whole lines. A line torn by a kill is ended with a
 * newline before the next run appends, and readers skip lines that do not
 * parse. The outputs are the truth about what is done (outputs.c); the
 * ledger adds what outputs cannot say: which items failed for good, and
 * the history behind --report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/run/run.h"

static bool is_success(const char *outcome)
{
    return strcmp(outcome, "ok") == 0 || strcmp(outcome, "warnings") == 0;
}

/* failed[asset] = {"stage": n, "key": chain key of that stage, or ""}. */
static void mark_failed(json_t *failed, const char *asset, json_int_t stage, const char *key)
{
    json_object_set_new(failed, asset, json_pack("{s:I,s:s}", "stage", stage, "key", key));
}

/* Reads earlier runs' lines: an item whose last failure for good ("failed")
 * was not followed by a success at that stage or later stays failed. */
static void scan(run_ledger_t *l, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *item = json_string_value(json_object_get(j, "item"));
        const char *outcome = json_string_value(json_object_get(j, "outcome"));
        json_int_t stage = json_integer_value(json_object_get(j, "stage"));
        if (item && outcome) {
            json_t *had = json_object_get(l->failed, item);
            const char *key = json_string_value(json_object_get(j, "key"));
            if (strcmp(outcome, "failed") == 0)
                mark_failed(l->failed, item, stage, key ? key : "");
            else if (had && is_success(outcome) &&
                     stage >= json_integer_value(json_object_get(had, "stage")))
                json_object_del(l->failed, item);
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
}

int run_ledger_open(run_ledger_t *l, const char *out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/ledger.jsonl", out);
    l->failed = json_object();
    if (!l->failed)
        return -1;
    scan(l, path);
    l->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (l->fd < 0) {
        fprintf(stderr, "clams run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(l->fd, &st) != 0)
        return -1;
    char last = '\n';
    if (st.st_size > 0 && pread(l->fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
        if (write(l->fd, "\n", 1) != 1) /* end a line torn by a kill */
            return -1;
        st.st_size++;
    }
    l->start_offset = (long)st.st_size;
    return 0;
}

static json_t *num_or_null(double v, bool known)
{
    return known ? json_real((double)(long long)(v * 1000.0 + 0.5) / 1000.0) : json_null();
}

int run_ledger_append(run_ledger_t *l, const run_ledger_line_t *x)
{
    char when[32];
    run_iso_time(when, sizeof when);
    const run_stage_t *s = x->stage;
    json_t *j = json_object();
    if (!j)
        return -1;
    json_object_set_new(j, "time", json_string(when));
    json_object_set_new(j, "item", json_string(x->item->asset));
    json_object_set_new(j, "index", json_integer((json_int_t)x->item->index));
    json_object_set_new(j, "input", json_string(x->item->path));
    json_object_set_new(j, "stage", json_integer(s ? s->number : 0));
    json_object_set_new(j, "app", json_string(!s ? "source" : s->name ? s->name : s->app));
    json_object_set_new(j, "attempt", json_integer(x->attempt));
    json_object_set_new(j, "outcome", json_string(x->outcome));
    json_object_set_new(j, "http", x->http ? json_integer(x->http) : json_null());
    json_object_set_new(j, "error", x->error ? json_string(x->error) : json_null());
    json_object_set_new(j, "seconds", num_or_null(x->seconds, true));
    json_object_set_new(j, "media_seconds", num_or_null(x->media_s, x->media_s >= 0));
    json_object_set_new(j, "app_id", s && s->identifier ? json_string(s->identifier) : json_null());
    json_object_set_new(j, "app_version", s && s->version ? json_string(s->version) : json_null());
    json_object_set_new(j, "params_hash", s ? json_string(s->params_hash) : json_null());
    json_object_set_new(j, "key", s && s->key[0] ? json_string(s->key) : json_null());
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    json_decref(j);
    if (!text)
        return -1;
    size_t n = strlen(text);
    text[n] = '\n'; /* replaces the NUL: one write() for the whole line */
    ssize_t w = write(l->fd, text, n + 1);
    free(text);
    if (strcmp(x->outcome, "failed") == 0)
        mark_failed(l->failed, x->item->asset, s ? s->number : 0, s ? s->key : "");
    return w == (ssize_t)(n + 1) ? 0 : -1;
}

void run_ledger_close(run_ledger_t *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    json_decref(l->failed);
    l->failed = NULL;
}
