/* scan.c: the shot detector's two passes over a video (see scan.h). */
#include "scan.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SHOT_HAVE_CUDA
#include "shot_gpu.h"
#endif

/* One stream of frames, each scored against the one before it: a segment
 * of pass 1, or pass 2. */
typedef struct lane_s {
    long long prev;  /* the frame before; -1 at the start */
    long long first; /* the first frame; -1 while none */
    long long count;
    uint8_t *hsv_prev, *hsv_cur; /* CPU path */
    uint8_t *hsv_first;          /* the first frame's, for the boundary before it */
#ifdef SHOT_HAVE_CUDA
    /* GPU path: frames staged for the GPU (gpu_batch of them, the first
     * being the last frame of the stage before, whose score is not used:
     * the GPU compares a batch's first frame with the last one queued,
     * which may be another lane's), and the first and the last frame's
     * pixels, for that carry and for the boundaries between lanes. */
    uint8_t *stage, *rgb_first, *rgb_last;
    long long *stage_frames;
    size_t fill;
#endif
} lane_t;

typedef struct scan_s {
    const shot_scan_opts_t *o;
    size_t npix;
    shot_result_t *res;
    int pass;
    lane_t *lanes; /* pass 1: one per segment; pass 2: lanes[0] */
    int nlanes;
    pthread_mutex_t mu; /* gaps and why, written by the segments' threads */
    long long (*gaps)[2];
    size_t ngaps, cap_gaps;
    char why[512];
#ifdef SHOT_HAVE_CUDA
    pthread_mutex_t gpu_mu; /* the GPU's two batches, fed by every lane */
    int slot;
    long long *frames; /* 2 * gpu_batch: each slot's frames */
    long long *preds;  /* and the frame each is scored against (-1: none) */
    size_t count[2];
    uint64_t *sums; /* gpu_batch * 3 */
#endif
} scan_t;

/* The GPU path takes at most this many segments: each stages a batch of
 * frames in host memory (7 MB for 64 frames of 256x144). */
#define GPU_SEGMENTS_MAX 4

/* Whether this scan runs on the GPU (never in a build without CUDA, where
 * scan.c serves the CPU path alone). */
static bool gpu_on(const scan_t *s)
{
#ifdef SHOT_HAVE_CUDA
    return s->o->use_gpu;
#else
    (void)s;
    return false;
#endif
}

__attribute__((format(printf, 2, 3))) static void fail(scan_t *s, const char *fmt, ...)
{
    pthread_mutex_lock(&s->mu);
    if (!s->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->why, sizeof s->why, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&s->mu);
}

/* A candidate gap (p, f): decoded in full by pass 2. */
static int add_gap(scan_t *s, long long p, long long f)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (s->ngaps == s->cap_gaps) {
        size_t cap = s->cap_gaps ? 2 * s->cap_gaps : 64;
        long long(*g)[2] = realloc(s->gaps, cap * sizeof *g);
        if (g) {
            s->gaps = g;
            s->cap_gaps = cap;
        } else
            rc = -1;
    }
    if (rc == 0) {
        s->gaps[s->ngaps][0] = p;
        s->gaps[s->ngaps][1] = f;
        s->ngaps++;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* The sums of frame f against frame p: an exact score for neighbours, a
 * coarse one (pass 1) for frames further apart. */
static int record(scan_t *s, long long p, long long f, const uint64_t sums[3])
{
    if (p < 0)
        return 0;
    double score = shot_score(sums, s->npix);
    if (f == p + 1)
        s->res->scores[f] = score;
    else if (s->pass == 1 && f > p + 1 && score >= s->o->threshold * SHOT_COARSE_FACTOR &&
             add_gap(s, p, f) != 0) {
        fail(s, "out of memory");
        return -1;
    }
    return 0;
}

static int lane_push_cpu(scan_t *s, lane_t *l, long long f, const uint8_t *rgb)
{
    uint64_t sums[3];
    shot_frame_cpu(rgb, s->npix, l->prev >= 0 ? l->hsv_prev : NULL, l->hsv_cur, sums);
    if (l->prev < 0)
        memcpy(l->hsv_first, l->hsv_cur, 3 * s->npix);
    uint8_t *t = l->hsv_prev;
    l->hsv_prev = l->hsv_cur;
    l->hsv_cur = t;
    return record(s, l->prev, f, sums);
}

#ifdef SHOT_HAVE_CUDA
/* Waits for batch `slot` and records its scores (under gpu_mu). */
static int gpu_collect(scan_t *s, int slot)
{
    if (s->count[slot] == 0)
        return 0;
    char why[256];
    if (shot_cuda_collect(slot, s->sums, why, sizeof why) != 0) {
        fail(s, "%s", why);
        return -1;
    }
    size_t b = (size_t)s->o->gpu_batch * (size_t)slot;
    for (size_t i = 0; i < s->count[slot]; i++)
        if (record(s, s->preds[b + i], s->frames[b + i], s->sums + 3 * i) != 0)
            return -1;
    s->count[slot] = 0;
    return 0;
}

/* Queues n frames (packed one after another in rgb, numbered frames[i],
 * each scored against the one before it in the list; the first one's score
 * is not used) as one batch, then collects the batch queued before, whose
 * slot is refilled next. */
static int gpu_queue(scan_t *s, size_t n, const uint8_t *rgb, const long long *frames)
{
    char why[256];
    pthread_mutex_lock(&s->gpu_mu);
    size_t b = (size_t)s->o->gpu_batch * (size_t)s->slot; /* slot: under the lock */
    memcpy(shot_cuda_slot(s->slot), rgb, n * 3 * s->npix);
    for (size_t i = 0; i < n; i++) {
        s->frames[b + i] = frames[i];
        s->preds[b + i] = i ? frames[i - 1] : -1;
    }
    int rc = shot_cuda_submit(s->slot, n, why, sizeof why);
    if (rc != 0)
        fail(s, "%s", why);
    else {
        s->count[s->slot] = n;
        s->slot ^= 1;
        rc = gpu_collect(s, s->slot);
    }
    pthread_mutex_unlock(&s->gpu_mu);
    return rc;
}

/* Sends lane l's staged frames and keeps the last one's pixels. */
static int gpu_send(scan_t *s, lane_t *l)
{
    if (l->fill == 0)
        return 0;
    size_t fs = 3 * s->npix;
    int rc = gpu_queue(s, l->fill, l->stage, l->stage_frames);
    memcpy(l->rgb_last, l->stage + (l->fill - 1) * fs, fs);
    l->fill = 0;
    return rc;
}

static int gpu_push(scan_t *s, lane_t *l, long long f, const uint8_t *rgb)
{
    size_t fs = 3 * s->npix;
    if (l->fill == 0 && l->prev >= 0) { /* carry the frame before */
        memcpy(l->stage, l->rgb_last, fs);
        l->stage_frames[l->fill++] = l->prev;
    }
    if (l->prev < 0)
        memcpy(l->rgb_first, rgb, fs);
    memcpy(l->stage + l->fill * fs, rgb, fs);
    l->stage_frames[l->fill++] = f;
    return l->fill == (size_t)s->o->gpu_batch ? gpu_send(s, l) : 0;
}

/* The end of a pass: every lane's partial stage, the boundaries between
 * lanes (the last frame of one against the first of the next), then
 * everything queued collected: the last batch queued is in the other slot. */
static int gpu_close(scan_t *s)
{
    for (int i = 0; i < s->nlanes; i++)
        if (gpu_send(s, &s->lanes[i]) != 0)
            return -1;
    const lane_t *before = NULL;
    for (int i = 0; i < s->nlanes; i++) {
        const lane_t *l = &s->lanes[i];
        if (l->first < 0)
            continue;
        if (before) { /* the stage of lane i, sent, is free */
            size_t fs = 3 * s->npix;
            memcpy(s->lanes[i].stage, before->rgb_last, fs);
            memcpy(s->lanes[i].stage + fs, l->rgb_first, fs);
            long long frames[2] = {before->prev, l->first};
            if (gpu_queue(s, 2, s->lanes[i].stage, frames) != 0)
                return -1;
        }
        before = l;
    }
    if (gpu_collect(s, s->slot ^ 1) != 0 || gpu_collect(s, s->slot) != 0)
        return -1;
    return 0;
}
#endif

/* One frame into lane l (on the lane's thread only). */
static int push(scan_t *s, lane_t *l, long long f, const clams_image_t *img)
{
    if ((size_t)img->width * (size_t)img->height != s->npix || img->format != CLAMS_PIX_RGB24) {
        fail(s, "frame %lld: unexpected %dx%d image", f, img->width, img->height);
        return -1;
    }
    int rc;
#ifdef SHOT_HAVE_CUDA
    if (gpu_on(s))
        rc = gpu_push(s, l, f, img->data);
    else
#endif
        rc = lane_push_cpu(s, l, f, img->data);
    if (l->prev < 0)
        l->first = f;
    l->prev = f;
    l->count++;
    return rc;
}

static int on_sweep(int segment, long long frame, const clams_image_t *img, void *data)
{
    scan_t *s = data;
    if (segment < 0 || segment >= s->nlanes) { /* the sweep split otherwise than it said */
        fail(s, "frame %lld from segment %d of %d", frame, segment, s->nlanes);
        return -1;
    }
    return push(s, &s->lanes[segment], frame, img);
}

static int cmp_gap(const void *a, const void *b)
{
    const long long *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* After a pass: the pairs across segment boundaries (the last frame of one
 * segment, the first of the next; on the CPU path here, on the GPU path in
 * gpu_close). After pass 1 also the frames before the first and after the last
 * frame scored, which are unknown and so decoded in pass 2. */
static int close_pass(scan_t *s, long long total)
{
    const lane_t *before = NULL;
    for (int i = 0; i < s->nlanes; i++) {
        const lane_t *l = &s->lanes[i];
        if (l->first < 0)
            continue;
        if (before && !gpu_on(s)) {
            uint64_t sums[3];
            shot_diff_sums_cpu(before->hsv_prev, l->hsv_first, s->npix, sums);
            if (record(s, before->prev, l->first, sums) != 0)
                return -1;
        }
        if (s->pass == 1 && !before && l->first > 0 && add_gap(s, 0, l->first) != 0)
            return -1;
        before = l;
    }
    long long last = before ? before->prev : 0;
    if (s->pass == 1 && total > 0 && last < total - 1 && add_gap(s, last, total - 1) != 0)
        return -1;
    return 0;
}

/* Pass 2's frames: every frame of every candidate gap, ascending, once. */
static long long *gap_frames(scan_t *s, size_t *n)
{
    if (s->ngaps) /* qsort must not see NULL, even for 0 items */
        qsort(s->gaps, s->ngaps, sizeof *s->gaps, cmp_gap);
    size_t cap = 0;
    for (size_t i = 0; i < s->ngaps; i++)
        cap += (size_t)(s->gaps[i][1] - s->gaps[i][0] + 1);
    long long *list = malloc((cap ? cap : 1) * sizeof *list);
    if (!list)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < s->ngaps; i++) {
        long long from = s->gaps[i][0];
        if (*n && from <= list[*n - 1])
            from = list[*n - 1] + 1;
        for (long long f = from; f <= s->gaps[i][1]; f++)
            list[(*n)++] = f;
    }
    return list;
}

static void lanes_free(scan_t *s)
{
    for (int i = 0; s->lanes && i < s->nlanes; i++) {
        lane_t *l = &s->lanes[i];
        free(l->hsv_prev);
        free(l->hsv_cur);
        free(l->hsv_first);
#ifdef SHOT_HAVE_CUDA
        free(l->stage);
        free(l->rgb_first);
        free(l->rgb_last);
        free(l->stage_frames);
#endif
    }
    free(s->lanes);
    s->lanes = NULL;
    s->nlanes = 0;
}

static int lanes_new(scan_t *s, int n)
{
    lanes_free(s);
    s->lanes = calloc((size_t)n, sizeof *s->lanes);
    if (!s->lanes)
        return -1;
    s->nlanes = n;
    for (int i = 0; i < n; i++) {
        lane_t *l = &s->lanes[i];
        l->prev = l->first = -1;
#ifdef SHOT_HAVE_CUDA
        if (gpu_on(s)) {
            size_t fs = 3 * s->npix, b = (size_t)s->o->gpu_batch;
            l->stage = malloc(b * fs);
            l->rgb_first = malloc(fs);
            l->rgb_last = malloc(fs);
            l->stage_frames = malloc(b * sizeof *l->stage_frames);
            if (!l->stage || !l->rgb_first || !l->rgb_last || !l->stage_frames)
                return -1;
            continue;
        }
#endif
        l->hsv_prev = malloc(3 * s->npix);
        l->hsv_cur = malloc(3 * s->npix);
        l->hsv_first = malloc(3 * s->npix);
        if (!l->hsv_prev || !l->hsv_cur || !l->hsv_first)
            return -1;
    }
    return 0;
}

/* One pass: a sweep with a lane per segment, then the pairs across its
 * segments. Returns the frames scored, or -1. */
static long long run_pass(scan_t *s, clams_video_t *v, const clams_frame_opts_t *fo,
                          clams_sweep_opts_t *so, int *segments, clams_error_t *err)
{
    so->segments = 0;
    int n = clams_video_sweep_segments(v, so, NULL, 0);
    if (gpu_on(s) && n > GPU_SEGMENTS_MAX) {
        so->segments = GPU_SEGMENTS_MAX;
        n = clams_video_sweep_segments(v, so, NULL, 0);
    }
    if (segments)
        *segments = n;
    if (n < 1 || lanes_new(s, n) != 0 || clams_video_sweep(v, fo, so, on_sweep, s, err) != 0)
        return -1;
#ifdef SHOT_HAVE_CUDA
    if (gpu_on(s) && gpu_close(s) != 0)
        return -1;
#endif
    if (close_pass(s, clams_video_info(v)->frame_count) != 0)
        return -1;
    long long scored = 0;
    for (int i = 0; i < s->nlanes; i++)
        scored += s->lanes[i].count;
    return scored;
}

static int why_of(scan_t *s, const clams_error_t *err, char *why, size_t ws)
{
    snprintf(why, ws, "%s", s->why[0] ? s->why : err->text[0] ? err->text : "out of memory");
    return -1;
}

int shot_scan(clams_video_t *v, const shot_scan_opts_t *o, shot_result_t *res,
              shot_scan_stats_t *stats, char *why, size_t ws)
{
    const clams_video_info_t *info = clams_video_info(v);
    /* Analysis frames (area means, libclams-media's cheap reduction): both
     * paths read the same frames, so the GPU still equals the CPU. */
    clams_frame_opts_t fo = CLAMS_FRAME_OPTS_INIT;
    fo.format = CLAMS_PIX_RGB24;
    fo.scale = CLAMS_SCALE_ANALYSIS;
    shot_analysis_size(info->width, info->height, &fo.width, &fo.height);
    size_t n = (size_t)info->frame_count;
    scan_t s = {.o = o, .npix = (size_t)fo.width * (size_t)fo.height, .res = res, .pass = 1};
    pthread_mutex_init(&s.mu, NULL);
#ifdef SHOT_HAVE_CUDA
    pthread_mutex_init(&s.gpu_mu, NULL);
#endif
    clams_error_t err = {0};
    shot_scan_stats_t st = {0};
    long long *list = NULL;
    int rc = -1;
    res->scores = calloc(n ? n : 1, sizeof *res->scores);
    res->nscores = n;
    if (!res->scores)
        goto done;
#ifdef SHOT_HAVE_CUDA
    if (o->use_gpu) {
        if (o->gpu_batch < 2) { /* a lane's stage carries a frame from the one before */
            fail(&s, "GPU batches of %d frames: at least 2 are needed", o->gpu_batch);
            goto done;
        }
        size_t b = (size_t)o->gpu_batch;
        s.frames = malloc(2 * b * sizeof *s.frames);
        s.preds = malloc(2 * b * sizeof *s.preds);
        s.sums = malloc(3 * b * sizeof *s.sums);
        if (!s.frames || !s.preds || !s.sums ||
            shot_cuda_begin(s.npix, b, s.why, sizeof s.why) != 0)
            goto done;
    }
#endif
    clams_sweep_opts_t so = CLAMS_SWEEP_OPTS_INIT;
    so.which = o->every_frame ? CLAMS_SWEEP_ALL : CLAMS_SWEEP_REFERENCE;
    if ((st.first_pass = run_pass(&s, v, &fo, &so, &st.segments, &err)) < 0)
        goto done;
    st.candidates = (long long)s.ngaps;
    size_t nlist = 0;
    if (!(list = gap_frames(&s, &nlist)))
        goto done;
    s.pass = 2;
    so = (clams_sweep_opts_t)CLAMS_SWEEP_OPTS_INIT;
    so.which = CLAMS_SWEEP_LIST;
    so.list = list;
    so.count = nlist;
    if (nlist && (st.second_pass = run_pass(&s, v, &fo, &so, NULL, &err)) < 0)
        goto done;

    rc = 0;
done:
    if (rc != 0)
        why_of(&s, &err, why, ws);
    else if (stats)
        *stats = st;
    free(list);
    free(s.gaps);
    lanes_free(&s);
#ifdef SHOT_HAVE_CUDA
    free(s.frames);
    free(s.preds);
    free(s.sums);
#endif
    pthread_mutex_destroy(&s.mu);
#ifdef SHOT_HAVE_CUDA
    pthread_mutex_destroy(&s.gpu_mu);
#endif
    return rc;
}
