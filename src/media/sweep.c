/* Sweeps: every frame, or every reference frame, of a video, decoded in
 * segments that run side by side.
 *
 * Why segments: H.264's frame threads keep one core and a half busy on two
 * (each thread waits for the rows of the frames it refers to), while two
 * decoders on two halves of the file need nothing from each other. Each
 * segment starts at a keyframe, so its decoder starts clean, and ends where
 * the next begins: the segment keeps decoding past the next keyframe until
 * a frame at or after that boundary comes out (with open GOPs, frames shown
 * before a keyframe are decoded after it), and leading frames before its own
 * start are dropped. Frame numbers come from the shared index (video.c), so
 * every segment numbers frames as a full decode does.
 *
 * Why reference frames: a decoder told to skip non-reference frames
 * (AVDISCARD_NONREF) never decodes them, and since no other frame is
 * predicted from them the frames it does decode are bit-exact. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/cpu.h>

#include "media_internal.h"

/* Automatic segmentation gives each segment at least this many frames:
 * opening the file and a decoder costs about as much as decoding a few. */
#define SEGMENT_MIN_FRAMES 64

/* A segment stopped because another one failed: not an error of its own. */
#define STOPPED 1

typedef struct sweep_s {
    clams_video_t *video;
    const clams_frame_opts_t *fopts;
    bool reference_only;
    clams_sweep_fn fn;
    void *data;
    int w, h;
    size_t size;
    int threads; /* decoder threads per segment */
    atomic_int stop;
} sweep_t;

typedef struct segment_s {
    sweep_t *sweep;
    int index;
    long long start, end;
    int rc;
    bool from_fn; /* rc is fn's value */
    clams_error_t err;
    clams_video_stats_t stats;
} segment_t;

static int cpu_count(void)
{
    int n = av_cpu_count(); /* the affinity mask, as FFmpeg's own threads */
    return n > 0 ? n : 1;
}

/* Segments asked for (0: automatic) and the thread budget behind them. */
static int segments_wanted(const clams_video_t *v, const clams_sweep_opts_t *o, int *budget)
{
    int threads = clams__video_threads(v);
    *budget = threads > 0 ? threads : cpu_count();
    int asked = CLAMS__MEDIA_HAS(o, segments) && o->segments > 0 ? o->segments : 0;
    if (asked)
        return asked;
    long long by_length = clams_video_info(v)->frame_count / SEGMENT_MIN_FRAMES;
    int n = *budget;
    if (by_length < n)
        n = by_length > 1 ? (int)by_length : 1;
    return n;
}

/* Splits the video at the keyframes nearest to equal shares; the count. */
static int plan(const clams_video_t *v, int want, long long *starts, int max)
{
    long long total = clams_video_info(v)->frame_count;
    starts[0] = 0;
    if (want <= 1 || max <= 1 || total <= 1)
        return 1;
    long long *keys = malloc((size_t)total * sizeof *keys);
    if (!keys)
        return 1; /* one segment needs no keyframe list */
    size_t nk = clams__video_keyframes(v, keys, (size_t)total);
    int n = 1;
    size_t k = 0;
    for (int i = 1; i < want && n < max; i++) {
        long long target = total * i / want;
        /* The first keyframe after the last start, then the nearest to target. */
        while (k < nk && keys[k] <= starts[n - 1])
            k++;
        while (k + 1 < nk && keys[k + 1] <= target)
            k++;
        if (k + 1 < nk && keys[k] < target && keys[k + 1] - target < target - keys[k])
            k++;
        if (k >= nk)
            break;
        starts[n++] = keys[k];
    }
    free(keys);
    return n;
}

int clams_video_sweep_segments(const clams_video_t *v, const clams_sweep_opts_t *o,
                               long long *starts, int max)
{
    if (!v)
        return 0;
    int budget;
    int want = segments_wanted(v, o, &budget);
    if (starts && max >= want)
        return plan(v, want, starts, max);
    /* The count needs the whole plan: made in scratch, copied as it fits. */
    long long *all = malloc((size_t)want * sizeof *all);
    if (!all)
        return 1;
    int n = plan(v, want, all, want);
    for (int i = 0; starts && i < n && i < max; i++)
        starts[i] = all[i];
    free(all);
    return n;
}

/* One segment: decode from its start to its end, deliver, stop early when
 * another segment failed. */
static int run_segment(segment_t *g)
{
    sweep_t *s = g->sweep;
    clams_video_t *r = clams__video_reader(s->video, s->threads, &g->err);
    if (!r)
        return CLAMS_EIO;
    uint8_t *buf = malloc(s->size ? s->size : 1);
    if (!buf) {
        clams_video_close(r);
        return clams__media_fail(&g->err, CLAMS_ENOMEM, "out of memory");
    }
    const clams_video_info_t *info = clams_video_info(s->video);
    clams_image_t img = {.width = s->w,
                         .height = s->h,
                         .stride = (int)(s->size / (size_t)s->h),
                         .format = s->fopts ? s->fopts->format : CLAMS_PIX_RGB24,
                         .data = buf,
                         .size = s->size};
    /* Skipping from the first packet on: what a decoder has in flight when
     * its first frame comes out depends on its threads, and the frames
     * delivered must not. A segment starts at a keyframe, a reference frame;
     * should the first frame not be one, it is decoded in full. */
    clams__video_reference_only(r, s->reference_only);
    int rc = clams__video_seek_frame(r, g->start, &g->err);
    if (rc == CLAMS_EIO && s->reference_only) {
        clams__video_reference_only(r, false);
        g->err = (clams_error_t){0};
        rc = clams__video_seek_frame(r, g->start, &g->err);
        clams__video_reference_only(r, true);
    }
    long long f = g->start, last = g->start - 1;
    bool damaged = false, more = true;
    while (rc == 0 && more) {
        if (atomic_load(&s->stop)) {
            rc = STOPPED;
            break;
        }
        if (damaged) {
            rc = clams__media_fail(&g->err, CLAMS_EIO,
                                   "document %s (%s): cannot decode frame %lld: the frame is "
                                   "damaged",
                                   info->document, info->path, f);
            break;
        }
        if (!s->reference_only && f != last + 1)
            break; /* a frame missing: reported below */
        if ((rc = clams__video_convert(r, s->fopts, buf, s->w, s->h, &g->err)) != 0)
            break;
        if ((rc = s->fn(g->index, f, &img, s->data)) != 0) {
            g->from_fn = true;
            break;
        }
        last = f;
        do {
            int nr = clams__video_next(r, &f, &damaged, &g->err);
            if (nr < 0)
                rc = nr;
            more = nr > 0;
        } while (rc == 0 && more && (f < g->start || f <= last)); /* leading, or repeated */
        more = more && f < g->end;
    }
    if (rc == 0 && !s->reference_only && last != g->end - 1) {
        const char *why = clams__video_last_error(r);
        rc = clams__media_fail(&g->err, CLAMS_EIO, "document %s (%s): cannot decode frame %lld: %s",
                               info->document, info->path, last + 1,
                               why[0] ? why : "the decoder skipped it");
    }
    clams_video_stats(r, &g->stats);
    clams_video_close(r);
    free(buf);
    return rc;
}

static void *segment_thread(void *arg)
{
    segment_t *g = arg;
    g->rc = run_segment(g);
    if (g->rc != 0 && g->rc != STOPPED)
        atomic_store(&g->sweep->stop, 1);
    return NULL;
}

int clams_video_sweep(clams_video_t *v, const clams_frame_opts_t *fo, const clams_sweep_opts_t *so,
                      clams_sweep_fn fn, void *data, clams_error_t *err)
{
    if (!v || !fn)
        return CLAMS_EINVAL;
    if (CLAMS__MEDIA_HAS(so, frames) && so->frames != CLAMS_SWEEP_ALL &&
        so->frames != CLAMS_SWEEP_REFERENCE)
        return clams__media_fail(err, CLAMS_EINVAL, "unknown sweep frames %d", (int)so->frames);
    if (CLAMS__MEDIA_HAS(so, segments) && so->segments < 0)
        return clams__media_fail(err, CLAMS_EINVAL, "segments must be 0 or more (%d)",
                                 so->segments);
    sweep_t s = {.video = v,
                 .fopts = fo,
                 .reference_only =
                     CLAMS__MEDIA_HAS(so, frames) && so->frames == CLAMS_SWEEP_REFERENCE,
                 .fn = fn,
                 .data = data};
    if (clams__video_geometry(v, fo, &s.w, &s.h, &s.size) != 0)
        return clams__media_fail(err, CLAMS_EINVAL, "bad frame options");
    int budget;
    int want = segments_wanted(v, so, &budget);
    long long *starts = malloc((size_t)want * sizeof *starts);
    segment_t *seg = calloc((size_t)want, sizeof *seg);
    pthread_t *th = calloc((size_t)want, sizeof *th);
    if (!starts || !seg || !th) {
        free(starts);
        free(seg);
        free(th);
        return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
    }
    int n = plan(v, want, starts, want);
    /* One segment keeps the video's own decoder threads; several share the
     * budget (a segment's decoder is single-threaded when they fill it). */
    s.threads = n == 1 ? clams__video_threads(v) : (budget / n > 1 ? budget / n : 1);
    long long total = clams_video_info(v)->frame_count;
    for (int i = 0; i < n; i++)
        seg[i] = (segment_t){
            .sweep = &s, .index = i, .start = starts[i], .end = i + 1 < n ? starts[i + 1] : total};
    /* Segment 0 runs on the calling thread; the others on their own. */
    int started = 1;
    for (int i = 1; i < n; i++) {
        if (pthread_create(&th[i], NULL, segment_thread, &seg[i]) != 0)
            break;
        started++;
    }
    int rc = 0;
    if (started < n) {
        atomic_store(&s.stop, 1);
        rc = clams__media_fail(err, CLAMS_ENOMEM, "cannot start %d decoding threads", n - 1);
    } else
        segment_thread(&seg[0]);
    for (int i = 1; i < started; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++)
        clams__video_add_stats(v, &seg[i].stats);
    /* The earliest segment's failure (or fn's value) is the answer. */
    for (int i = 0; rc == 0 && i < started; i++) {
        if (seg[i].rc == 0 || seg[i].rc == STOPPED)
            continue;
        rc = seg[i].rc;
        if (!seg[i].from_fn && err && err->code == 0)
            *err = seg[i].err;
    }
    free(starts);
    free(seg);
    free(th);
    return rc;
}
