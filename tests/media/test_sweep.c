/* clams_video_sweep against clams_video_frames (itself byte-identical to
 * ffmpeg, media_unit) on every video gen_media.py made (H.264 with B-frames,
 * open GOPs, an edit list, variable frame rate, MPEG-TS, MPEG-4, VP9):
 *  - CLAMS_SWEEP_ALL delivers every frame once, each the same bytes, for 1,
 *    2, 3 and 5 segments, each segment's frames ascending and inside the
 *    range clams_video_sweep_segments gave it;
 *  - CLAMS_SWEEP_REFERENCE delivers the same set of frames whatever the
 *    segments, each the same bytes as in a full decode, frame 0 among them,
 *    and for H.264 with B-frames fewer than all (frames were skipped);
 *  - CLAMS_SWEEP_LIST delivers exactly a list's frames;
 * and the errors: bad lists, options, a damaged file, fn's stop value.
 * usage: test_sweep MANIFEST.json */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <clams/media.h>

#include "check_run.h"
#include "manifest.h"

static json_t *manifest;

#define MAX_SEGMENTS 8

/* What one sweep delivered: a hash per frame (0: not delivered). */
typedef struct {
    pthread_mutex_t mu;
    size_t n;
    unsigned long long *hash;
    int times[4096];
    long long last[MAX_SEGMENTS]; /* each segment's last frame, -1 none */
    long long starts[MAX_SEGMENTS + 1];
    int nseg;
    char bad[256]; /* the first broken promise */
} got_t;

static unsigned long long fnv(const uint8_t *d, size_t n)
{
    unsigned long long x = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        x ^= d[i];
        x *= 1099511628211ULL;
    }
    return x | 1; /* never 0 */
}

static void got_init(got_t *g, size_t n)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    g->n = n;
    g->hash = calloc(n, sizeof *g->hash);
    ck_assert_ptr_nonnull(g->hash);
    ck_assert(n <= 4096);
    for (int i = 0; i < MAX_SEGMENTS; i++)
        g->last[i] = -1;
}

static void got_free(got_t *g)
{
    free(g->hash);
    pthread_mutex_destroy(&g->mu);
}

static int on_sweep(int seg, long long f, const clams_image_t *img, void *data)
{
    got_t *g = data;
    unsigned long long h = fnv(img->data, img->size);
    pthread_mutex_lock(&g->mu);
    if (!g->bad[0]) {
        if (seg < 0 || seg >= g->nseg)
            snprintf(g->bad, sizeof g->bad, "segment %d of %d", seg, g->nseg);
        else if (f < g->starts[seg] || f >= g->starts[seg + 1])
            snprintf(g->bad, sizeof g->bad, "frame %lld in segment %d [%lld, %lld)", f, seg,
                     g->starts[seg], g->starts[seg + 1]);
        else if (f <= g->last[seg])
            snprintf(g->bad, sizeof g->bad, "segment %d: frame %lld after %lld", seg, f,
                     g->last[seg]);
    }
    if (seg >= 0 && seg < MAX_SEGMENTS)
        g->last[seg] = f;
    if (f >= 0 && (size_t)f < g->n) {
        g->hash[f] = h;
        g->times[f]++;
    }
    pthread_mutex_unlock(&g->mu);
    return 0;
}

static int on_frame(long long f, const clams_image_t *img, void *data)
{
    unsigned long long *hash = data;
    hash[f] = fnv(img->data, img->size);
    return 0;
}

static clams_frame_opts_t small_analysis(void)
{
    clams_frame_opts_t fo = CLAMS_FRAME_OPTS_INIT;
    fo.scale = CLAMS_SCALE_ANALYSIS;
    fo.width = 96;
    return fo;
}

/* Runs one sweep into g (planned first, so the ranges can be checked). */
static int sweep(clams_video_t *v, const clams_frame_opts_t *fo, clams_sweep_opts_t *so, got_t *g,
                 clams_error_t *err)
{
    long long total = clams_video_info(v)->frame_count;
    g->nseg = clams_video_sweep_segments(v, so, g->starts, MAX_SEGMENTS);
    ck_assert_int_ge(g->nseg, 1);
    ck_assert_int_le(g->nseg, MAX_SEGMENTS);
    ck_assert_int_eq(g->starts[0], 0);
    for (int i = 1; i < g->nseg; i++)
        ck_assert_int_gt(g->starts[i], g->starts[i - 1]);
    g->starts[g->nseg] = total;
    return clams_video_sweep(v, fo, so, on_sweep, g, err);
}

START_TEST(sweep_matches_frames)
{
    json_t *e = json_array_get(json_object_get(manifest, "videos"), (size_t)_i);
    const char *path = json_string_value(json_object_get(e, "path"));
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open_file(path, NULL, &err);
    ck_assert_msg(v != NULL, "%s: %s", path, err.text);
    size_t n = (size_t)clams_video_info(v)->frame_count;
    clams_frame_opts_t fo = small_analysis();

    /* The reference: every frame through clams_video_frames. */
    unsigned long long *ref = calloc(n, sizeof *ref);
    long long *all = calloc(n, sizeof *all);
    ck_assert(ref && all);
    for (size_t i = 0; i < n; i++)
        all[i] = (long long)i;
    ck_assert_int_eq(clams_video_frames(v, all, n, &fo, on_frame, ref, &err), 0);

    static const int segs[] = {1, 2, 3, 5};
    unsigned long long *refs_first = NULL;
    size_t nrefs_first = 0;
    for (size_t k = 0; k < sizeof segs / sizeof *segs; k++) {
        /* Every frame. */
        got_t g;
        got_init(&g, n);
        clams_sweep_opts_t so = CLAMS_SWEEP_OPTS_INIT;
        so.segments = segs[k];
        int rc = sweep(v, &fo, &so, &g, &err);
        ck_assert_msg(rc == 0, "%s, %d segments: %s", path, segs[k], err.text);
        ck_assert_msg(!g.bad[0], "%s, %d segments: %s", path, segs[k], g.bad);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(g.times[i] == 1 && g.hash[i] == ref[i],
                          "%s, %d segments: frame %zu delivered %d times, %s", path, segs[k], i,
                          g.times[i], g.hash[i] == ref[i] ? "same bytes" : "other bytes");
        got_free(&g);

        /* Reference frames only: the same set whatever the segments. */
        got_init(&g, n);
        so.which = CLAMS_SWEEP_REFERENCE;
        rc = sweep(v, &fo, &so, &g, &err);
        ck_assert_msg(rc == 0, "%s, %d segments, reference: %s", path, segs[k], err.text);
        ck_assert_msg(!g.bad[0], "%s, %d segments, reference: %s", path, segs[k], g.bad);
        ck_assert_msg(g.times[0] == 1, "%s: frame 0 is a reference frame", path);
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_le(g.times[i], 1);
            ck_assert_msg(!g.times[i] || g.hash[i] == ref[i],
                          "%s, %d segments: reference frame %zu differs from a full decode", path,
                          segs[k], i);
            count += (size_t)g.times[i];
        }
        if (!refs_first) {
            refs_first = g.hash;
            nrefs_first = count;
            g.hash = NULL;
        } else {
            ck_assert_uint_eq(count, nrefs_first);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(!g.hash[i] == !refs_first[i],
                              "%s: frame %zu delivered with %d segments but not with 1", path, i,
                              segs[k]);
        }
        got_free(&g);
    }
    /* The H.264 videos with B-frames leave some frames out. */
    if (strstr(path, "h264_bframes") || strstr(path, "opengop"))
        ck_assert_msg(nrefs_first < n, "%s: %zu reference frames of %zu", path, nrefs_first, n);

    /* A list, split or not. */
    json_t *sparse = json_object_get(json_object_get(e, "lists"), "sparse");
    size_t nl = json_array_size(sparse);
    long long list[64];
    ck_assert(nl <= 64);
    for (size_t i = 0; i < nl; i++)
        list[i] = json_integer_value(json_array_get(sparse, i));
    for (int s = 1; s <= 3; s += 2) {
        got_t g;
        got_init(&g, n);
        clams_sweep_opts_t so = CLAMS_SWEEP_OPTS_INIT;
        so.which = CLAMS_SWEEP_LIST;
        so.list = list;
        so.count = nl;
        so.segments = s;
        int rc = sweep(v, &fo, &so, &g, &err);
        ck_assert_msg(rc == 0 && !g.bad[0], "%s, list, %d segments: %s %s", path, s, err.text,
                      g.bad);
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            count += (size_t)g.times[i];
        ck_assert_uint_eq(count, nl);
        for (size_t i = 0; i < nl; i++)
            ck_assert_msg(g.times[list[i]] == 1 && g.hash[list[i]] == ref[list[i]],
                          "%s, list, %d segments: frame %lld", path, s, list[i]);
        got_free(&g);
    }
    clams_video_stats_t st;
    clams_video_stats(v, &st);
    ck_assert_int_gt(st.decoded, 0);
    free(refs_first);
    free(ref);
    free(all);
    clams_video_close(v);
}
END_TEST

/* Stops at frame 7 with 42, or with *data when given. */
static int stop_at_7(int seg, long long f, const clams_image_t *img, void *data)
{
    (void)seg, (void)img;
    return f == 7 ? (data ? *(const int *)data : 42) : 0;
}

/* Counts frames, from any number of segments. */
static int on_frame_count(int seg, long long f, const clams_image_t *img, void *data)
{
    (void)seg, (void)f, (void)img;
    got_t *g = data;
    pthread_mutex_lock(&g->mu);
    g->times[0]++;
    pthread_mutex_unlock(&g->mu);
    return 0;
}

START_TEST(sweep_errors)
{
    json_t *e = json_array_get(json_object_get(manifest, "videos"), 0);
    const char *path = json_string_value(json_object_get(e, "path"));
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open_file(path, NULL, &err);
    ck_assert_msg(v != NULL, "%s", err.text);
    long long n = clams_video_info(v)->frame_count;
    clams_frame_opts_t fo = small_analysis();
    got_t g;
    got_init(&g, (size_t)n);
    g.nseg = 1;
    g.starts[1] = n;

    /* Lists that are refused, before anything is decoded. */
    long long backwards[] = {5, 3}, repeat[] = {4, 4}, beyond[] = {1, n};
    const struct {
        const long long *list;
        int code;
        const char *says;
    } refused[] = {{backwards, CLAMS_EINVAL, "ascending"},
                   {repeat, CLAMS_EINVAL, "without repeats"},
                   {beyond, CLAMS_ENOTFOUND, "out of range"},
                   {NULL, CLAMS_EINVAL, "without the list"}};
    clams_sweep_opts_t so = CLAMS_SWEEP_OPTS_INIT;
    so.which = CLAMS_SWEEP_LIST;
    so.count = 2;
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        err = (clams_error_t){0};
        so.list = refused[i].list;
        ck_assert_int_eq(clams_video_sweep(v, &fo, &so, on_sweep, &g, &err), refused[i].code);
        ck_assert_msg(strstr(err.text, refused[i].says), "%s", err.text);
    }
    ck_assert_int_eq(g.times[1] + g.times[3] + g.times[4] + g.times[5], 0);
    err = (clams_error_t){0};
    so.count = 0; /* an empty list: nothing to do */
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, on_sweep, &g, &err), 0);
    ck_assert_int_eq(g.times[0] + g.times[1], 0);

    so = (clams_sweep_opts_t)CLAMS_SWEEP_OPTS_INIT;
    so.which = (clams_sweep_which_t)9;
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, on_sweep, &g, &err), CLAMS_EINVAL);
    err = (clams_error_t){0};
    so.which = CLAMS_SWEEP_ALL;
    so.segments = -1;
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, on_sweep, &g, &err), CLAMS_EINVAL);
    err = (clams_error_t){0};
    clams_frame_opts_t bad = CLAMS_FRAME_OPTS_INIT;
    bad.width = -3;
    so.segments = 2;
    ck_assert_int_eq(clams_video_sweep(v, &bad, &so, on_sweep, &g, &err), CLAMS_EINVAL);
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, NULL, &g, &err), CLAMS_EINVAL);
    ck_assert_int_eq(clams_video_sweep(NULL, &fo, &so, on_sweep, &g, &err), CLAMS_EINVAL);

    /* A picture over the pixel limit: refused before decoding (ETOOBIG, as
     * clams/media.h promises for frames too), by the sweep and by
     * clams_video_frames alike; the limit restored. */
    long long was = clams_limit_get(CLAMS_LIMIT_PIXELS);
    ck_assert_int_eq(clams_limit_set(CLAMS_LIMIT_PIXELS, 1000), 0);
    err = (clams_error_t){0};
    ck_assert_int_eq(clams_video_sweep(v, NULL, &so, on_sweep, &g, &err), CLAMS_ETOOBIG);
    ck_assert_msg(strstr(err.text, "over the limit") && strstr(err.text, path), "%s", err.text);
    err = (clams_error_t){0};
    long long zero = 0;
    ck_assert_int_eq(clams_video_frames(v, &zero, 1, NULL, on_frame, NULL, &err), CLAMS_ETOOBIG);
    ck_assert_int_eq(clams_limit_set(CLAMS_LIMIT_PIXELS, was), 0);
    err = (clams_error_t){0};

    /* fn's value stops every segment and comes back: 42, and 1, the value a
     * stopped segment once shared. */
    err = (clams_error_t){0};
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, stop_at_7, NULL, &err), 42);
    ck_assert_int_eq(err.code, 0);
    int stop_value = 1;
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, stop_at_7, &stop_value, &err), 1);
    ck_assert_int_eq(err.code, 0);

    /* Absurd segment counts are capped (4 per CPU, one per keyframe), and a
     * list option without its list plans one segment instead of reading it. */
    so.segments = 100000;
    long long starts[MAX_SEGMENTS];
    int nseg = clams_video_sweep_segments(v, &so, starts, MAX_SEGMENTS);
    ck_assert_int_ge(nseg, 1);
    ck_assert_int_le(nseg, n);
    ck_assert_int_eq(clams_video_sweep(v, &fo, &so, on_frame_count, &g, &err), 0);
    clams_sweep_opts_t nolist = CLAMS_SWEEP_OPTS_INIT;
    nolist.which = CLAMS_SWEEP_LIST;
    nolist.count = 5;
    nolist.segments = 3;
    ck_assert_int_eq(clams_video_sweep_segments(v, &nolist, starts, MAX_SEGMENTS), 1);
    so.segments = 2;
    /* NULL options: every frame, automatic segments. */
    got_free(&g);
    got_init(&g, (size_t)n);
    g.nseg = clams_video_sweep_segments(v, NULL, g.starts, MAX_SEGMENTS);
    g.starts[g.nseg] = n;
    ck_assert_int_eq(clams_video_sweep(v, NULL, NULL, on_sweep, &g, &err), 0);
    for (long long i = 0; i < n; i++)
        ck_assert_int_eq(g.times[i], 1);
    got_free(&g);
    clams_video_close(v);

    /* A damaged file: the frame that cannot be decoded, named. */
    const char *dmg =
        json_string_value(json_object_get(json_object_get(manifest, "bad"), "damaged"));
    v = clams_video_open_file(dmg, NULL, &err);
    ck_assert_msg(v != NULL, "%s", err.text);
    for (int which = 0; which < 2; which++) {
        err = (clams_error_t){0};
        so = (clams_sweep_opts_t)CLAMS_SWEEP_OPTS_INIT;
        so.which = which ? CLAMS_SWEEP_REFERENCE : CLAMS_SWEEP_ALL;
        so.segments = 2;
        got_init(&g, (size_t)clams_video_info(v)->frame_count);
        g.nseg = clams_video_sweep_segments(v, &so, g.starts, MAX_SEGMENTS);
        g.starts[g.nseg] = clams_video_info(v)->frame_count;
        int rc = clams_video_sweep(v, &fo, &so, on_sweep, &g, &err);
        ck_assert_msg(rc == CLAMS_EIO && strstr(err.text, dmg) &&
                          strstr(err.text, "cannot decode frame"),
                      "damaged, %s: rc %d: %s", which ? "reference" : "all", rc, err.text);
        got_free(&g);
    }
    clams_video_close(v);
}
END_TEST

int main(int argc, char **argv)
{
    if (!(manifest = clams_ts_manifest(argc, argv)))
        return 2;
    Suite *s = suite_create("media_sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, sweep_matches_frames, 0,
                        (int)json_array_size(json_object_get(manifest, "videos")));
    tcase_add_test(tc, sweep_errors);
    suite_add_tcase(s, tc);
    int rc = clams_ts_run_suite(s, false);
    json_decref(manifest);
    return rc;
}
