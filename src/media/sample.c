/* TimeFrame sampling: the frames tfSamplingMode asks for, by the rules of
 * the parameter's description (mmif-python's extract_frames_by_mode, frame
 * number generation). Uses only the public MMIF API. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

/* A frame to sample and the TimePoint it came from. The TimePoint's long id
 * is a string of its own (never a pointer into this array, which realloc
 * and qsort move); `order` keeps the sort stable, so of two TimePoints on
 * the same frame the first one listed is kept. */
typedef struct {
    long long frame;
    size_t order;
    char *tp; /* new, or NULL for a frame not taken from a TimePoint */
} pick_t;

typedef struct {
    const clams_mmif_t *mmif;
    const char *document;
    clams_tf_mode_t mode;
    double fps;
    const char *const *labels;
    long long max_frames; /* what this call may still take */
    clams_tf_fn fn;
    void *data;
    clams_error_t *err;
    pick_t *picks;
    size_t n, cap;
    long long *frames;
    const char **tps;
    size_t out_cap;
    int rc;
    /* How the limits name the TimeFrame being sampled: made once per
     * TimeFrame, not for every frame charged. */
    char what[600];
} walk_t;

static const char *prop_str(const json_t *ann, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ann, "properties"), key));
}

/* A property of the annotation, else of its type in the view's contains. */
static const char *prop_or_contains(const clams_view_t *view, const json_t *ann, const char *key)
{
    const char *v = prop_str(ann, key);
    if (v)
        return v;
    const char *type = json_string_value(json_object_get(ann, "@type"));
    json_t *contains = json_object_get(clams_view_metadata(view), "contains");
    const char *k;
    json_t *val;
    json_object_foreach (contains, k, val) {
        if (type && clams_type_matches(k, type, 0)) {
            v = json_string_value(json_object_get(val, key));
            if (v)
                return v;
        }
    }
    return NULL;
}

/* Counts n frames against the call's limit and the request's (a TimeFrame
 * asking for more is the request's fault: 400 naming the flag). */
static int charge(walk_t *w, long long n)
{
    if (n > w->max_frames)
        return clams_limit_refuse(CLAMS_LIMIT_FRAMES, w->what, n, w->err);
    w->max_frames -= n;
    return clams_limit_charge(CLAMS_LIMIT_FRAMES, n, w->what, w->err);
}

static int add_pick(walk_t *w, long long frame, const clams_view_t *view, const char *tp)
{
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 64;
        pick_t *np = nc > SIZE_MAX / sizeof *np ? NULL : realloc(w->picks, nc * sizeof *np);
        if (!np)
            return clams__media_fail(w->err, CLAMS_ENOMEM, "out of memory");
        w->picks = np;
        w->cap = nc;
    }
    char *id = NULL;
    if (tp) {
        /* The whole id, however long: a cut one would name no TimePoint. */
        int n = strchr(tp, ':') || !view ? asprintf(&id, "%s", tp)
                                         : asprintf(&id, "%s:%s", clams_view_id(view), tp);
        if (n < 0)
            return clams__media_fail(w->err, CLAMS_ENOMEM, "out of memory");
    }
    pick_t *p = &w->picks[w->n];
    p->frame = frame;
    p->order = w->n++;
    p->tp = id;
    return 0;
}

/* Frees the TimeFrame's picks' ids and empties the list. */
static void clear_picks(walk_t *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->picks[i].tp);
    w->n = 0;
}

static int cmp_pick(const void *a, const void *b)
{
    const pick_t *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* int(f) for a frame number, refusing what no long long holds (a cast of
 * such a double is undefined, and 9e18 - -9e18 overflows). */
static int to_frame(walk_t *w, const char *what, double f, long long *frame)
{
    if (!(f > -4e18 && f < 4e18))
        return clams__media_fail(w->err, CLAMS_EINVAL, "%s: frame %g is out of range", what, f);
    *frame = (long long)trunc(f);
    return 0;
}

/* int(convert(timePoint, its unit, frames)) for a TimePoint id. */
static int tp_frame(walk_t *w, const clams_view_t *view, const char *tfid, const char *id,
                    long long *frame)
{
    json_t *tp = clams_mmif_resolve(w->mmif, view, id);
    if (!tp)
        return clams__media_fail(w->err, CLAMS_ENOTFOUND, "TimeFrame %s: TimePoint %s not found",
                                 tfid, id);
    /* The TimePoint's own view holds its unit. */
    const clams_view_t *tv = view;
    const char *colon = strchr(id, ':');
    if (colon) {
        char vid[256];
        snprintf(vid, sizeof vid, "%.*s", (int)(colon - id), id);
        const clams_view_t *x = clams_mmif_view_by_id(w->mmif, vid);
        if (x)
            tv = x;
    }
    double f;
    clams_error_t mine = {0};
    int rc = clams_annotation_time(w->mmif, tv, tp, "frames", w->fps, &f, NULL, &mine);
    if (rc)
        return clams__media_fail(w->err, rc, "TimeFrame %s: TimePoint %s: %s", tfid, id, mine.text);
    char what[600];
    snprintf(what, sizeof what, "TimeFrame %s: TimePoint %s", tfid, id);
    return to_frame(w, what, f, frame);
}

/* int() of a TimeFrame's start and end converted to frames. */
static int tf_frames(walk_t *w, const clams_view_t *view, const char *tfid, const json_t *tf,
                     long long *a, long long *b)
{
    double s, e;
    clams_error_t mine = {0};
    int rc = clams_annotation_time(w->mmif, view, tf, "frames", w->fps, &s, &e, &mine);
    if (rc)
        return clams__media_fail(w->err, rc, "%s", mine.text);
    char what[600];
    snprintf(what, sizeof what, "TimeFrame %s", tfid);
    if ((rc = to_frame(w, what, s, a)) != 0)
        return rc;
    return to_frame(w, what, e, b);
}

static bool label_ok(const walk_t *w, const char *label)
{
    if (!w->labels || !w->labels[0])
        return true;
    for (size_t i = 0; label && w->labels[i]; i++)
        if (strcmp(w->labels[i], label) == 0)
            return true;
    return false;
}

static int on_timeframe(const clams_view_t *view, json_t *tf, void *data)
{
    walk_t *w = data;
    const char *sid = clams_document_id(tf);
    char idbuf[512];
    if (!sid)
        sid = "(no id)";
    if (strchr(sid, ':'))
        snprintf(idbuf, sizeof idbuf, "%s", sid);
    else
        snprintf(idbuf, sizeof idbuf, "%s:%s", clams_view_id(view), sid);
    const char *label = prop_str(tf, "label");
    if (!label)
        label = prop_str(tf, "frameType");
    if (!label)
        label = prop_or_contains(view, tf, "label");
    if (!label_ok(w, label))
        return 0;
    snprintf(w->what, sizeof w->what, "TimeFrame %s (tfSamplingMode=%s)", idbuf,
             clams_tf_mode_name(w->mode));
    json_t *props = json_object_get(tf, "properties");
    json_t *reps = json_object_get(props, "representatives");
    json_t *targets = json_object_get(props, "targets");
    if (w->document) {
        const char *doc = prop_or_contains(view, tf, "document");
        if (!doc && json_array_size(targets) > 0) {
            json_t *t0 =
                clams_mmif_resolve(w->mmif, view, json_string_value(json_array_get(targets, 0)));
            doc = t0 ? prop_or_contains(view, t0, "document") : NULL;
        }
        if (!doc || strcmp(doc, w->document) != 0)
            return 0;
    }
    clear_picks(w);
    const char *skipped = NULL;
    /* No start/end and no targets: nothing to take a time from. */
    bool timeless = !json_object_get(props, "start") && !json_object_get(props, "end") &&
                    json_array_size(targets) == 0;
    size_t nreps = json_is_array(reps) ? json_array_size(reps) : 0;
    int rc = 0;
    long long f;
    switch (w->mode) {
    case CLAMS_TF_REPRESENTATIVES:
        for (size_t i = 0; rc == 0 && i < nreps; i++) {
            const char *r = json_string_value(json_array_get(reps, i));
            if (!r)
                return clams__media_fail(w->err, CLAMS_EINVAL,
                                         "TimeFrame %s: a representative is not "
                                         "an id",
                                         idbuf);
            if ((rc = tp_frame(w, view, idbuf, r, &f)) == 0 && (rc = charge(w, 1)) == 0)
                rc = add_pick(w, f, view, r);
        }
        if (nreps == 0)
            skipped = "no representatives";
        break;
    case CLAMS_TF_SINGLE:
        if (nreps > 0) {
            const char *r = json_string_value(json_array_get(reps, nreps / 2));
            if (!r)
                return clams__media_fail(w->err, CLAMS_EINVAL,
                                         "TimeFrame %s: a representative is not "
                                         "an id",
                                         idbuf);
            if ((rc = tp_frame(w, view, idbuf, r, &f)) == 0 && (rc = charge(w, 1)) == 0)
                rc = add_pick(w, f, view, r);
        } else if (timeless) {
            skipped = "no representatives, and no start/end or targets to take a midpoint of";
        } else {
            long long a, b;
            if ((rc = tf_frames(w, view, idbuf, tf, &a, &b)) != 0)
                return rc;
            long long sum = a + b; /* both within +-4e18 (to_frame): no overflow */
            /* Python's // floors. */
            long long mid = sum >= 0 ? sum / 2 : -((-sum + 1) / 2);
            if ((rc = charge(w, 1)) == 0)
                rc = add_pick(w, mid, NULL, NULL);
        }
        break;
    case CLAMS_TF_ALL:
        if (targets) {
            size_t nt = json_array_size(targets);
            for (size_t i = 0; rc == 0 && i < nt; i++) {
                const char *t = json_string_value(json_array_get(targets, i));
                if (!t)
                    return clams__media_fail(w->err, CLAMS_EINVAL,
                                             "TimeFrame %s: a target is not an id", idbuf);
                if ((rc = tp_frame(w, view, idbuf, t, &f)) == 0 && (rc = charge(w, 1)) == 0)
                    rc = add_pick(w, f, view, t);
            }
            if (nt == 0)
                skipped = "empty targets";
        } else if (timeless) {
            skipped = "no targets and no start/end";
        } else {
            long long a, b;
            if ((rc = tf_frames(w, view, idbuf, tf, &a, &b)) != 0)
                return rc;
            /* a and b are within +-4e18: b - a cannot overflow. */
            if (b > a && (rc = charge(w, b - a)) != 0)
                return rc;
            for (long long k = a; rc == 0 && k < b; k++)
                rc = add_pick(w, k, NULL, NULL);
            if (b <= a)
                skipped = "the interval holds no frame";
        }
        break;
    }
    if (rc)
        return rc;
    if (w->n > 1) /* picks is still NULL when no TimeFrame has given a frame yet */
        qsort(w->picks, w->n, sizeof *w->picks, cmp_pick);
    if (w->n > w->out_cap) {
        long long *nf = realloc(w->frames, w->n * sizeof *nf);
        if (nf)
            w->frames = nf;
        const char **nt = nf ? realloc(w->tps, w->n * sizeof *nt) : NULL;
        if (nt)
            w->tps = nt;
        if (!nf || !nt)
            return clams__media_fail(w->err, CLAMS_ENOMEM, "out of memory");
        w->out_cap = w->n;
    }
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (k > 0 && w->frames[k - 1] == w->picks[i].frame)
            continue;
        w->frames[k] = w->picks[i].frame;
        w->tps[k] = w->picks[i].tp;
        k++;
    }
    clams_tf_sample_t s = {.view = view,
                           .id = idbuf,
                           .timeframe = tf,
                           .label = label,
                           .frames = k ? w->frames : NULL,
                           .count = k,
                           .timepoints = k ? w->tps : NULL,
                           .skipped = k ? NULL : skipped};
    if (k == 0 && !s.skipped)
        s.skipped = "no frame";
    rc = w->fn(&s, w->data);
    if (rc)
        w->rc = rc;
    return rc;
}

int clams_tf_sample(const clams_mmif_t *mmif, const clams_tf_sample_opts_t *opts, clams_tf_fn fn,
                    void *data, clams_error_t *err)
{
    if (!mmif || !opts || !fn)
        return CLAMS_EINVAL;
    clams_tf_sample_opts_t o = {0};
    /* Members past what the caller's struct holds (an app built against
     * an older header) keep their zero: the default. */
    size_t have = opts->struct_size ? opts->struct_size : sizeof o;
    memcpy(&o, opts, have < sizeof o ? have : sizeof o);
    if (o.mode < CLAMS_TF_REPRESENTATIVES || o.mode > CLAMS_TF_ALL || o.max_frames < 0)
        return clams__media_fail(err, CLAMS_EINVAL, "bad TimeFrame sampling options");
    long long cap = clams_limit_get(CLAMS_LIMIT_FRAMES);
    walk_t w = {.mmif = mmif,
                .document = o.document,
                .mode = o.mode,
                .fps = o.fps,
                .labels = o.labels,
                .max_frames = o.max_frames > 0 && o.max_frames < cap ? o.max_frames : cap,
                .fn = fn,
                .data = data,
                .err = err};
    int rc = clams_mmif_foreach_annotation(mmif, "TimeFrame", 0, on_timeframe, &w);
    clear_picks(&w);
    free(w.picks);
    free(w.frames);
    free(w.tps);
    return rc;
}
