/* The event loop of a run: one thread, libcurl's multi interface for the
 * requests in flight, one FIFO per stage.
 *
 * Depth-first: the later stages are served first and new items are taken
 * from the input only while fewer than a window of items are in the
 * pipeline, so an item's chain finishes soon after it starts (its outputs
 * are complete early, a kill loses little) and memory is bounded by the
 * window, not by the input. --stage-at-a-time calls this once per stage
 * (first == last).
 *
 * Each stage has at most `workers` requests in flight: what its app serves
 * at once. More would only wait in the app's queue, and count against the
 * request's timeout there. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/clams.h"
#include "cli/cli.h"
#include "cli/run/run.h"

volatile int run_stop_signal;

typedef struct task_s {
    run_item_t item;
    int stage;   /* index of the stage to run next */
    int attempt; /* of that stage, from 1 */
    double not_before;
    size_t nviews;  /* views in the stage's input */
    double media_s; /* < 0: unknown */
    CURL *easy;     /* in flight when not NULL */
    struct curl_slist *hdrs;
    char *req;
    char *resp;
    size_t resp_len;
    double started;
    double retry_after;
    char errbuf[CURL_ERROR_SIZE];
    struct task_s *next;   /* in a stage's queue */
    struct task_s *flying; /* in the list of requests in flight */
} task_t;

typedef struct {
    run_pipeline_t *p;
    const run_opts_t *o;
    run_ledger_t *l;
    run_counts_t *c;
    int first, last;
    CURLM *multi;
    task_t *head[100], *tail[100];
    task_t *flying; /* requests in flight */
    int active;     /* tasks taken from the input and not finished */
    int window;
    run_inputs_t *in;
    bool inputs_done;
    char logdir[4200];
    run_progress_t *pr;
    double media_done;
    bool draining;
    double drain_until;
    double next_check;
    int rc;
} engine_t;

/* ---- queues ---------------------------------------------------------------------- */

static void push(engine_t *e, task_t *t)
{
    t->next = NULL;
    if (e->tail[t->stage])
        e->tail[t->stage]->next = t;
    else
        e->head[t->stage] = t;
    e->tail[t->stage] = t;
}

/* The first task of a stage's queue whose backoff is over, unlinked. */
static task_t *pop_ready(engine_t *e, int s, double now)
{
    task_t *prev = NULL;
    for (task_t *t = e->head[s]; t; prev = t, t = t->next) {
        if (t->not_before > now)
            continue;
        if (prev)
            prev->next = t->next;
        else
            e->head[s] = t->next;
        if (e->tail[s] == t)
            e->tail[s] = prev;
        t->next = NULL;
        return t;
    }
    return NULL;
}

static void finish(engine_t *e, task_t *t)
{
    run_item_clear(&t->item);
    free(t->req);
    free(t->resp);
    free(t);
    e->active--;
}

/* ---- outcomes --------------------------------------------------------------------- */

static void ledger(engine_t *e, task_t *t, const char *outcome, long http, const char *err,
                   double secs)
{
    run_ledger_line_t x = {.item = &t->item,
                           .stage = t->stage >= 0 ? &e->p->stages[t->stage] : NULL,
                           .attempt = t->attempt,
                           .outcome = outcome,
                           .http = http,
                           .error = err,
                           .seconds = secs,
                           .media_s = t->media_s};
    if (run_ledger_append(e->l, &x) != 0)
        fprintf(stderr, "clams run: cannot append to the ledger\n");
}

static void fail_for_good(engine_t *e, task_t *t, long http, const char *err, double secs)
{
    ledger(e, t, "failed", http, err, secs);
    if (!e->o->quiet)
        fprintf(stderr, "clams run: %s: stage %d failed: %s\n", t->item.asset, t->stage + 1, err);
    e->c->failed++;
    finish(e, t);
}

/* A failure worth retrying: again after a backoff, or given up. */
static void fail_retryable(engine_t *e, task_t *t, long http, const char *err, double secs)
{
    if (t->attempt <= e->o->retries && !e->draining) {
        ledger(e, t, "retry", http, err, secs);
        double wait = e->o->backoff_s * pow(2, t->attempt - 1);
        if (wait > 60)
            wait = 60;
        if (t->retry_after > wait)
            wait = t->retry_after;
        t->attempt++;
        t->not_before = run_now() + wait;
        push(e, t);
        return;
    }
    ledger(e, t, e->draining ? "interrupted" : "gave-up", http, err, secs);
    if (!e->o->quiet)
        fprintf(stderr, "clams run: %s: stage %d: %s\n", t->item.asset, t->stage + 1, err);
    if (e->draining)
        e->c->interrupted++;
    else
        e->c->gaveup++;
    finish(e, t);
}

static void succeed(engine_t *e, task_t *t, const char *outcome, long http, double secs)
{
    ledger(e, t, outcome, http, NULL, secs);
    if (t->media_s > 0 && t->stage == e->last)
        e->media_done += t->media_s;
    if (t->stage == e->last) {
        e->c->done++;
        finish(e, t);
        return;
    }
    t->stage++;
    t->attempt = 1;
    t->not_before = 0;
    push(e, t);
}

/* ---- an answer ---------------------------------------------------------------------- */

static void drop_resp(task_t *t)
{
    free(t->resp);
    t->resp = NULL;
    t->resp_len = 0;
}

static bool new_warnings(const clams_mmif_t *m, size_t from)
{
    for (size_t i = from; i < clams_mmif_view_count(m); i++)
        if (json_object_get(clams_view_metadata(clams_mmif_view_at(m, i)), "warnings"))
            return true;
    return false;
}

/* A 200: valid MMIF without an error view is a success. */
static void on_answer(engine_t *e, task_t *t, long http, double secs)
{
    run_stage_t *s = &e->p->stages[t->stage];
    clams_error_t err;
    clams_error_clear(&err);
    clams_mmif_t *m = t->resp ? clams_mmif_load(t->resp, t->resp_len, &err) : NULL;
    const char *emsg = m ? run_error_message(m) : NULL;
    char why[1200];
    if (!m || emsg || http != 200) {
        if (emsg)
            snprintf(why, sizeof why, "%s", emsg);
        else if (http != 200)
            snprintf(why, sizeof why, "HTTP %ld: %.300s", http, t->resp ? t->resp : "");
        else
            snprintf(why, sizeof why, "the answer is not valid MMIF: %s",
                     err.text[0] ? err.text : clams_strerror(err.code));
        clams_mmif_free(m);
        drop_resp(t);
        fail_for_good(e, t, http, why, secs);
        return;
    }
    double media = run_media_seconds(m);
    if (media >= 0)
        t->media_s = media;
    bool warn = new_warnings(m, t->nviews);
    t->nviews = clams_mmif_view_count(m);
    clams_mmif_free(m);
    bool last = t->stage == e->p->nstages - 1;
    int wrc = run_stage_write(e->o->out, t->item.asset, s, t->resp, t->resp_len, last);
    int werr = errno;
    drop_resp(t);
    if (wrc != 0) {
        snprintf(why, sizeof why, "cannot write the output: %s", strerror(werr));
        fail_retryable(e, t, http, why, secs);
        return;
    }
    succeed(e, t, warn ? "warnings" : "ok", http, secs);
}

static void restart_if_dead(engine_t *e, run_stage_t *s)
{
    if (!s->down && run_app_dead(s)) {
        fprintf(stderr, "clams run: stage %d: %s exited; restarting it\n", s->number, s->name);
        run_app_restart(s, e->o, e->logdir);
    }
}

static void on_done(engine_t *e, task_t *t, CURLcode cc)
{
    run_stage_t *s = &e->p->stages[t->stage];
    long http = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &http);
    curl_off_t ra = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &ra);
    t->retry_after = (double)ra;
    for (task_t **pp = &e->flying; *pp; pp = &(*pp)->flying)
        if (*pp == t) {
            *pp = t->flying;
            break;
        }
    curl_multi_remove_handle(e->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->hdrs);
    t->easy = NULL;
    t->hdrs = NULL;
    free(t->req);
    t->req = NULL;
    s->inflight--;
    double secs = run_now() - t->started;
    if (cc != CURLE_OK) {
        char why[CURL_ERROR_SIZE + 64];
        snprintf(why, sizeof why, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
        restart_if_dead(e, s);
        drop_resp(t);
        fail_retryable(e, t, 0, why, secs);
        return;
    } else if (http == 502 || http == 503 || http == 504) {
        char why[400];
        snprintf(why, sizeof why, "HTTP %ld: %.300s", http, t->resp ? t->resp : "");
        drop_resp(t);
        fail_retryable(e, t, http, why, secs);
        return;
    } else {
        on_answer(e, t, http, secs); /* t may be freed there */
    }
}

/* ---- a request ------------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    task_t *t = data;
    size_t add = size * n;
    char *nb = realloc(t->resp, t->resp_len + add + 1);
    if (!nb)
        return 0;
    memcpy(nb + t->resp_len, p, add);
    t->resp_len += add;
    nb[t->resp_len] = '\0';
    t->resp = nb;
    return add;
}

/* The stage's input: the source MMIF, or the previous stage's output. */
static char *input_of(engine_t *e, task_t *t, size_t *len, char *err, size_t errsize)
{
    if (t->stage == 0)
        return run_source_mmif(&t->item, e->o, len, err, errsize);
    char path[4200];
    run_stage_path(path, sizeof path, e->o->out, t->item.asset, &e->p->stages[t->stage - 1]);
    char *body = clams_cli_read_file(path, len);
    if (!body)
        snprintf(err, errsize, "%.600s: %s", path, strerror(errno));
    return body;
}

static void start(engine_t *e, task_t *t)
{
    run_stage_t *s = &e->p->stages[t->stage];
    char err[1024] = "";
    t->started = run_now();
    if (s->down) {
        fail_retryable(e, t, 0, "the app could not be restarted", 0);
        return;
    }
    bool had_meta = s->identifier != NULL;
    if (run_app_meta(s, err, sizeof err) != 0) {
        fail_retryable(e, t, 0, err, run_now() - t->started);
        return;
    }
    /* The keys change only when an app's metadata is read for the first
     * time (a URL that was down at the start), not with every request. */
    if (!had_meta)
        run_keys_update(e->p);
    size_t len = 0;
    t->req = input_of(e, t, &len, err, sizeof err);
    if (!t->req) {
        if (t->stage == 0)
            t->stage = -1; /* the source step in the ledger */
        fail_for_good(e, t, 0, err, 0);
        return;
    }
    char *url = NULL;
    if (asprintf(&url, "%s%s%s", s->url, s->query[0] ? "?" : "", s->query) < 0) {
        fail_retryable(e, t, 0, "out of memory", 0);
        return;
    }
    t->easy = curl_easy_init();
    t->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    t->hdrs = curl_slist_append(t->hdrs, "Expect:"); /* no 100-continue round trip */
    t->errbuf[0] = '\0';
    double timeout = s->timeout_s > 0 ? s->timeout_s : e->o->timeout_s;
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->req);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->hdrs);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    free(url);
    curl_multi_add_handle(e->multi, t->easy);
    t->flying = e->flying;
    e->flying = t;
    s->inflight++;
}

/* ---- taking items ------------------------------------------------------------------------ */

/* Where an item starts in this pass: the stage after the last one done; -1
 * when it has nothing to do here, -2 when an earlier stage is missing. */
static int plan(engine_t *e, task_t *t)
{
    for (int k = e->last; k >= e->first - 1 && k >= 0; k--) {
        if (run_stage_done(e->o->out, t->item.asset, &e->p->stages[k], &t->nviews, &t->media_s))
            return k == e->last ? -1 : k + 1;
    }
    return e->first == 0 ? 0 : -2;
}

/* True when the item failed for good under the pipeline as it is now: a
 * failure at a stage whose app, version or parameters (or an earlier
 * stage's) have changed since is not held against it. */
static bool failed_before(engine_t *e, const char *asset)
{
    json_t *f = json_object_get(e->l->failed, asset);
    if (!f)
        return false;
    json_int_t stage = json_integer_value(json_object_get(f, "stage"));
    const char *key = json_string_value(json_object_get(f, "key"));
    if (stage <= 0 || stage > e->p->nstages)
        return true; /* the source step: the input itself */
    return key && strcmp(key, e->p->stages[stage - 1].key) == 0;
}

static void take(engine_t *e, run_item_t *it)
{
    bool failed = failed_before(e, it->asset);
    if (e->o->retry_failed && !failed) {
        e->c->skipped++;
        run_item_clear(it);
        return;
    }
    if (!e->o->retry_failed && failed) {
        e->c->failed++; /* failed for good in an earlier run (or pass) */
        run_item_clear(it);
        return;
    }
    task_t *t = calloc(1, sizeof(*t));
    if (!t) {
        run_item_clear(it);
        e->rc = -1;
        return;
    }
    t->item = *it;
    t->attempt = 1;
    t->media_s = -1;
    e->active++;
    int at = plan(e, t);
    if (at == -1) {
        run_stage_t *lastst = &e->p->stages[e->p->nstages - 1];
        if (e->last == e->p->nstages - 1)
            run_final_ensure(e->o->out, t->item.asset, lastst);
        e->c->already++;
        finish(e, t);
    } else if (at == -2) {
        e->c->gaveup++; /* an earlier pass left it unfinished (worth retrying) */
        finish(e, t);
    } else {
        t->stage = at;
        push(e, t);
    }
}

static void fill(engine_t *e)
{
    while (!e->inputs_done && e->active < e->window && e->rc == 0) {
        run_item_t it;
        int rc = run_inputs_next(e->in, &it);
        if (rc < 0)
            e->rc = -1;
        if (rc <= 0) {
            e->inputs_done = true;
            return;
        }
        take(e, &it);
    }
}

static void dispatch(engine_t *e)
{
    double now = run_now();
    for (int s = e->last; s >= e->first; s--) {
        run_stage_t *st = &e->p->stages[s];
        task_t *t;
        while (st->inflight < st->workers && (t = pop_ready(e, s, now)) != NULL)
            start(e, t);
    }
}

static void collect(engine_t *e)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        task_t *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        on_done(e, t, msg->data.result);
    }
}

static int inflight(const engine_t *e)
{
    int n = 0;
    for (int s = e->first; s <= e->last; s++)
        n += e->p->stages[s].inflight;
    return n;
}

/* Checks the started apps twice a second: a dead one is restarted before a
 * request finds it dead. */
static void check_apps(engine_t *e)
{
    double now = run_now();
    if (now < e->next_check)
        return;
    e->next_check = now + 0.5;
    for (int s = e->first; s <= e->last; s++)
        restart_if_dead(e, &e->p->stages[s]);
}

/* SIGINT / SIGTERM: no new work; what is in flight may finish until the
 * drain deadline; what is still queued is left for the next run. */
static void begin_drain(engine_t *e)
{
    e->draining = true;
    e->drain_until = run_now() + e->o->drain_s;
    fprintf(stderr, "clams run: stopping: no new work; %d request(s) in flight get %.0f s\n",
            inflight(e), e->o->drain_s);
}

static void drop_queued(engine_t *e)
{
    for (int s = 0; s < e->p->nstages; s++) {
        task_t *t;
        while ((t = pop_ready(e, s, INFINITY)) != NULL) {
            e->c->interrupted++;
            finish(e, t);
        }
    }
}

static void abort_inflight(engine_t *e)
{
    while (e->flying) {
        task_t *t = e->flying;
        snprintf(t->errbuf, sizeof t->errbuf, "stopped: the drain deadline passed");
        on_done(e, t, CURLE_ABORTED_BY_CALLBACK);
    }
}

static void loop(engine_t *e)
{
    for (;;) {
        if (run_stop_signal && !e->draining)
            begin_drain(e);
        if (!e->draining) {
            fill(e);
            dispatch(e);
        }
        int running = 0;
        curl_multi_perform(e->multi, &running);
        collect(e);
        if (e->draining && inflight(e) == 0)
            break;
        if (e->draining && run_now() > e->drain_until) {
            abort_inflight(e);
            break;
        }
        if (!e->draining && e->inputs_done && e->active == 0)
            break;
        if (!e->draining) {
            /* Slots freed by the answers just collected are refilled now,
             * not after the poll's timeout. */
            fill(e);
            dispatch(e);
        }
        check_apps(e);
        run_progress_tick(e->pr, e->p, e->c, e->media_done, false);
        curl_multi_poll(e->multi, NULL, 0, 100, NULL);
    }
    drop_queued(e);
}

int run_engine(run_pipeline_t *p, int first, int last, const run_opts_t *o, run_ledger_t *l,
               size_t total, run_counts_t *c)
{
    engine_t e = {.p = p, .o = o, .l = l, .c = c, .first = first, .last = last, .rc = 0};
    snprintf(e.logdir, sizeof e.logdir, "%s/logs", o->out);
    e.window = 0;
    for (int s = first; s <= last; s++)
        e.window += p->stages[s].workers;
    e.window = e.window * 2 < 4 ? 4 : e.window * 2;
    e.in = run_inputs_open(o);
    e.multi = curl_multi_init();
    e.pr = run_progress_new(o->progress_s, total, o->quiet);
    if (!e.in || !e.multi || !e.pr)
        e.rc = -1;
    else
        loop(&e);
    run_progress_tick(e.pr, p, c, e.media_done, true);
    run_progress_free(e.pr);
    curl_multi_cleanup(e.multi);
    run_inputs_close(e.in);
    return e.rc;
}
