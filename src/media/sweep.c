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
 * predicted from them the frames it does decode are bit-exact.
 *
 * A list of frames is split the same way, each segment taking the frames
 * from its start to the next one's and reaching each as clams_video_frames
 * does (video.c: forward while cheap, else from the keyframe before it). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/cpu.h>

#include "media_internal.h"

/* Automatic segmentation gives each segment at least this many frames to
 * decode: opening the file and a decoder costs about as much as decoding a
 * few. */
#define SEGMENT_MIN_FRAMES 64
/* Segments asked for are capped at this many per CPU: each is a thread with
 * its own file, demuxer and decoder. */
#define SEGMENTS_PER_CPU 4

typedef struct sweep_s {
    clams_video_t *video;
    const clams_frame_opts_t *fopts;
    clams_sweep_which_t which;
    const long long *list; /* CLAMS_SWEEP_LIST */
    size_t count;
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
    size_t first, last; /* CLAMS_SWEEP_LIST: list[first .. last) */
    int rc;
    bool from_fn; /* rc is fn's value */
    bool stopped; /* stopped because another segment failed (rc 0) */
    clams_error_t err;
    clams_video_stats_t stats;
} segment_t;

static int cpu_count(void)
{
    int n = av_cpu_count(); /* the affinity mask, as FFmpeg's own threads */
    return n > 0 ? n : 1;
}

static clams_sweep_which_t which_of(const clams_sweep_opts_t *o)
{
    return CLAMS__MEDIA_HAS(o, which) ? o->which : CLAMS_SWEEP_ALL;
}

/* The list's frames, or none (a list option without its list). */
static size_t list_count(const clams_sweep_opts_t *o)
{
    return which_of(o) == CLAMS_SWEEP_LIST && CLAMS__MEDIA_HAS(o, count) && o->list ? o->count : 0;
}

/* Segments to plan for (0: automatic) and the thread budget behind them. */
static int segments_wanted(const clams_video_t *v, const clams_sweep_opts_t *o, int *budget)
{
    int threads = clams__video_threads(v);
    *budget = threads > 0 ? threads : cpu_count();
    long long frames = which_of(o) == CLAMS_SWEEP_LIST ? (long long)list_count(o)
                                                       : clams_video_info(v)->frame_count;
    long long n = CLAMS__MEDIA_HAS(o, segments) && o->segments > 0 ? o->segments : 0;
    if (n) { /* as asked, within reason: no more than CPUs allow or frames fill */
        long long cap = (long long)SEGMENTS_PER_CPU * cpu_count();
        n = n < cap ? n : cap;
    } else { /* automatic: the budget, each with frames enough to be worth it */
        n = frames / SEGMENT_MIN_FRAMES;
        n = n < *budget ? n : *budget;
    }
    n = n < frames ? n : frames;
    return n > 1 ? (int)n : 1;
}

/* Splits the video at keyframes into at most `want` segments of about equal
 * work: equal shares of the frames, or of the list's frames (at the
 * keyframe before the share's first frame, where its decoding has to start
 * anyway). The count, or -1 when out of memory. */
static int plan(const clams_video_t *v, const clams_sweep_opts_t *o, int want, long long *starts)
{
    long long total = clams_video_info(v)->frame_count;
    bool list = which_of(o) == CLAMS_SWEEP_LIST;
    size_t count = list_count(o);
    starts[0] = 0;
    if (want <= 1 || total <= 1 || (list && count < 2))
        return 1;
    long long *keys = malloc((size_t)total * sizeof *keys);
    if (!keys)
        return -1;
    size_t nk = clams__video_keyframes(v, keys, (size_t)total);
    int n = 1;
    size_t k = 0;
    for (int i = 1; i < want; i++) {
        long long target = list ? o->list[count * (size_t)i / (size_t)want] : total * i / want;
        /* The first keyframe after the last start, then the last one at or
         * before the target (a list) or the nearest to it. */
        while (k < nk && keys[k] <= starts[n - 1])
            k++;
        while (k + 1 < nk && keys[k + 1] <= target)
            k++;
        if (!list && k + 1 < nk && keys[k] < target && keys[k + 1] - target < target - keys[k])
            k++;
        if (k >= nk || (list && keys[k] > target))
            continue;
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
    long long *all = malloc((size_t)want * sizeof *all);
    int n = all ? plan(v, o, want, all) : -1;
    for (int i = 0; starts && i < n && i < max; i++)
        starts[i] = all[i];
    free(all);
    return n > 0 ? n : 0;
}

/* Frames start .. end - 1 in order (all, or the reference frames). */
static int run_stream(segment_t *g, clams_video_t *r, clams_image_t *img)
{
    sweep_t *s = g->sweep;
    bool refs = s->which == CLAMS_SWEEP_REFERENCE;
    const clams_video_info_t *info = clams_video_info(s->video);
    /* Skipping from the first packet on: what a decoder has in flight when
     * its first frame comes out depends on its threads, and the frames
     * delivered must not. A segment starts at a keyframe, a reference frame;
     * should the first frame not be one, it is decoded in full. */
    clams__video_reference_only(r, refs);
    int rc = clams__video_seek_frame(r, g->start, &g->err);
    if (rc == CLAMS_EIO && refs) {
        clams__video_reference_only(r, false);
        g->err = (clams_error_t){0};
        rc = clams__video_seek_frame(r, g->start, &g->err);
        clams__video_reference_only(r, true);
    }
    long long f = g->start, last = g->start - 1;
    bool damaged = false, more = true;
    while (rc == 0 && more) {
        if (atomic_load(&s->stop)) {
            g->stopped = true;
            return 0;
        }
        if (damaged)
            return clams__media_fail(&g->err, CLAMS_EIO,
                                     "document %s (%s): cannot decode frame %lld: the frame is "
                                     "damaged",
                                     info->document, info->path, f);
        if (!refs && f != last + 1)
            break; /* a frame missing: reported below */
        if ((rc = clams__video_convert(r, s->fopts, img->data, s->w, s->h, &g->err)) != 0)
            return rc;
        if ((rc = s->fn(g->index, f, img, s->data)) != 0) {
            g->from_fn = true;
            return rc;
        }
        last = f;
        do {
            int nr = clams__video_next(r, &f, &damaged, &g->err);
            if (nr < 0)
                return nr;
            more = nr > 0;
        } while (more && (f < g->start || f <= last)); /* leading, or repeated */
        more = more && f < g->end;
    }
    const char *why = clams__video_last_error(r);
    if (rc == 0 && !refs && last != g->end - 1)
        rc = clams__media_fail(&g->err, CLAMS_EIO, "document %s (%s): cannot decode frame %lld: %s",
                               info->document, info->path, last + 1,
                               why[0] ? why : "the decoder skipped it");
    else if (rc == 0 && refs && why[0]) /* a reference frame lost: not silently */
        rc = clams__media_fail(&g->err, CLAMS_EIO,
                               "document %s (%s): cannot decode a reference frame after frame "
                               "%lld: %s",
                               info->document, info->path, last, why);
    return rc;
}

/* The list's frames of this segment. */
static int run_list(segment_t *g, clams_video_t *r, clams_image_t *img)
{
    sweep_t *s = g->sweep;
    for (size_t i = g->first; i < g->last; i++) {
        if (atomic_load(&s->stop)) {
            g->stopped = true;
            return 0;
        }
        long long f = s->list[i];
        int rc = clams__video_seek_frame(r, f, &g->err);
        if (rc == 0)
            rc = clams__video_convert(r, s->fopts, img->data, s->w, s->h, &g->err);
        if (rc)
            return rc;
        if ((rc = s->fn(g->index, f, img, s->data)) != 0) {
            g->from_fn = true;
            return rc;
        }
    }
    return 0;
}

/* One segment on its own reader; stops early when another one failed. */
static int run_segment(segment_t *g)
{
    sweep_t *s = g->sweep;
    clams_video_t *r = clams__video_reader(s->video, s->threads, &g->err);
    if (!r)
        return g->err.code ? g->err.code : CLAMS_EIO;
    uint8_t *buf = malloc(s->size ? s->size : 1);
    if (!buf) {
        clams_video_close(r);
        return clams__media_fail(&g->err, CLAMS_ENOMEM, "out of memory");
    }
    clams_image_t img = {.width = s->w,
                         .height = s->h,
                         .stride = (int)(s->size / (size_t)s->h),
                         .format = s->fopts ? s->fopts->format : CLAMS_PIX_RGB24,
                         .data = buf,
                         .size = s->size};
    int rc = s->which == CLAMS_SWEEP_LIST ? run_list(g, r, &img) : run_stream(g, r, &img);
    clams_video_stats(r, &g->stats);
    clams_video_close(r);
    free(buf);
    return rc;
}

static void *segment_thread(void *arg)
{
    segment_t *g = arg;
    g->rc = run_segment(g);
    if (g->rc != 0) /* fn's stop or a failure: every segment stops */
        atomic_store(&g->sweep->stop, 1);
    return NULL;
}

int clams_video_sweep(clams_video_t *v, const clams_frame_opts_t *fo, const clams_sweep_opts_t *so,
                      clams_sweep_fn fn, void *data, clams_error_t *err)
{
    if (!v || !fn)
        return CLAMS_EINVAL;
    clams_sweep_which_t which = which_of(so);
    if (which != CLAMS_SWEEP_ALL && which != CLAMS_SWEEP_REFERENCE && which != CLAMS_SWEEP_LIST)
        return clams__media_fail(err, CLAMS_EINVAL, "unknown sweep %d", (int)which);
    if (CLAMS__MEDIA_HAS(so, segments) && so->segments < 0)
        return clams__media_fail(err, CLAMS_EINVAL, "segments must be 0 or more (%d)",
                                 so->segments);
    sweep_t s = {.video = v, .fopts = fo, .which = which, .fn = fn, .data = data};
    if (which == CLAMS_SWEEP_LIST) {
        if (!CLAMS__MEDIA_HAS(so, count) || (so->count && !so->list))
            return clams__media_fail(err, CLAMS_EINVAL, "a sweep over a list without the list");
        long long total = clams_video_info(v)->frame_count;
        for (size_t i = 0; i < so->count; i++) {
            if (so->list[i] < 0 || so->list[i] >= total)
                return clams__media_fail(err, CLAMS_ENOTFOUND,
                                         "document %s (%s): frame %lld is out of range (the "
                                         "video has %lld frames)",
                                         clams_video_info(v)->document, clams_video_info(v)->path,
                                         so->list[i], total);
            if (i > 0 && so->list[i] <= so->list[i - 1])
                return clams__media_fail(err, CLAMS_EINVAL,
                                         "frame numbers must be ascending without repeats "
                                         "(%lld after %lld)",
                                         so->list[i], so->list[i - 1]);
        }
        s.list = so->list;
        s.count = so->count;
    }
    int rc = clams__video_geometry(v, fo, &s.w, &s.h, &s.size, err);
    if (rc || (which == CLAMS_SWEEP_LIST && s.count == 0))
        return rc;
    int budget;
    int want = segments_wanted(v, so, &budget);
    long long *starts = malloc((size_t)want * sizeof *starts);
    segment_t *seg = calloc((size_t)want, sizeof *seg);
    pthread_t *th = calloc((size_t)want, sizeof *th);
    int n = starts && seg && th ? plan(v, so, want, starts) : -1;
    if (n < 0) {
        free(starts);
        free(seg);
        free(th);
        return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
    }
    /* One segment keeps the video's own decoder threads; several share the
     * budget (a segment's decoder is single-threaded when they fill it). */
    s.threads = n == 1 ? clams__video_threads(v) : (budget / n > 1 ? budget / n : 1);
    /* Reference frames are decoded on one thread a segment: with frame
     * threads, which frames a decoder skips near the start of some files
     * depends on the thread count (seen on an MP4 edit list, 3 threads
     * against 1 or 2), and the set delivered must not. */
    if (which == CLAMS_SWEEP_REFERENCE)
        s.threads = 1;
    long long total = clams_video_info(v)->frame_count;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        seg[i] = (segment_t){.sweep = &s,
                             .index = i,
                             .start = starts[i],
                             .end = i + 1 < n ? starts[i + 1] : total,
                             .first = at};
        while (at < s.count && s.list[at] < seg[i].end)
            at++;
        seg[i].last = at;
    }
    /* Segment 0 runs on the calling thread, the others on their own; any
     * that cannot get a thread (a thread limit) run on this one after it. */
    int started = 1;
    for (int i = 1; i < n && started == i; i++)
        if (pthread_create(&th[i], NULL, segment_thread, &seg[i]) == 0)
            started++;
    for (int i = 0; i < n; i++)
        if (i == 0 || i >= started)
            segment_thread(&seg[i]);
    for (int i = 1; i < started; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++)
        clams__video_add_stats(v, &seg[i].stats);
    /* The earliest segment's failure (or fn's value) is the answer. */
    for (int i = 0; rc == 0 && i < n; i++) {
        if (seg[i].rc == 0)
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
