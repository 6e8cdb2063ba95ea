/* Unit tests of the shot detector's arithmetic (examples/shot-detector:
 * detect.c, detect.h): the integer HSV conversion against a floating-point
 * model of the same definition, the difference sums against a direct count,
 * the analysis size, and the minimum-length filter on score sequences whose
 * cuts are known. The CUDA path calls the same inline conversion and sums
 * the same integers; it cannot run on this host (no GPU): the kernels are
 * only compiled, and the host side of the GPU path runs on a host model of
 * the stream (shot_gpu_sim.c, in pipeline_cases.py's shots_file_mode). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "../support/check_run.h"

/* The textbook HSV definition in doubles, scaled to OpenCV's 8-bit ranges
 * (H in degrees / 2), truncated as the integer version truncates. */
static void hsv_model(int r, int g, int b, double *h, double *s, double *v)
{
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
    double d = mx - mn, hh = 0;
    if (d > 0) {
        if (mx == r)
            hh = 30.0 * (g - b) / d;
        else if (mx == g)
            hh = 60.0 + 30.0 * (b - r) / d;
        else
            hh = 120.0 + 30.0 * (r - g) / d;
    }
    if (hh < 0)
        hh += 180.0;
    *h = hh;
    *s = mx ? d * 255.0 / mx : 0;
    *v = mx;
}

START_TEST(hsv_known_colours)
{
    uint8_t h, s, v;
    shot_rgb_to_hsv(255, 0, 0, &h, &s, &v);
    ck_assert_int_eq(h, 0);
    ck_assert_int_eq(s, 255);
    ck_assert_int_eq(v, 255);
    shot_rgb_to_hsv(0, 255, 0, &h, &s, &v);
    ck_assert_int_eq(h, 60);
    shot_rgb_to_hsv(0, 0, 255, &h, &s, &v);
    ck_assert_int_eq(h, 120);
    shot_rgb_to_hsv(255, 255, 0, &h, &s, &v); /* yellow: 60 degrees */
    ck_assert_int_eq(h, 30);
    shot_rgb_to_hsv(255, 0, 255, &h, &s, &v); /* magenta: 300 degrees */
    ck_assert_int_eq(h, 150);
    shot_rgb_to_hsv(128, 128, 128, &h, &s, &v);
    ck_assert_int_eq(h, 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(v, 128);
    shot_rgb_to_hsv(0, 0, 0, &h, &s, &v);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(v, 0);
}
END_TEST

/* Every 5th value of each channel (148877 colours): H within one step of
 * the model (integer division truncates toward zero, the model's value may
 * sit just across), S within rounding, V exact, and always in range. */
START_TEST(hsv_matches_model)
{
    for (int r = 0; r < 256; r += 5)
        for (int g = 0; g < 256; g += 5)
            for (int b = 0; b < 256; b += 5) {
                uint8_t h, s, v;
                double mh, ms, mv;
                shot_rgb_to_hsv(r, g, b, &h, &s, &v);
                hsv_model(r, g, b, &mh, &ms, &mv);
                double dh = fabs(h - mh);
                if (dh > 90)
                    dh = 180 - dh; /* hue wraps */
                /* One check per colour, Check's macros only on failure (fast under ASan). */
                if (h >= 180 || dh > 1.0 || fabs(s - ms) > 0.5 + 1e-9 || v != (int)mv)
                    ck_abort_msg("rgb %d %d %d: hsv %d %d %d, model %.3f %.3f %.0f", r, g, b, h, s,
                                 v, mh, ms, mv);
            }
}
END_TEST

/* The CPU path's conversion (reciprocals) against the one the CUDA kernel
 * runs (divisions), for every colour. */
START_TEST(hsv_fast_equals_reference_everywhere)
{
    for (int r = 0; r < 256; r++)
        for (int g = 0; g < 256; g++)
            for (int b = 0; b < 256; b++) {
                uint8_t h1, s1, v1, h2, s2, v2;
                shot_rgb_to_hsv(r, g, b, &h1, &s1, &v1);
                shot_rgb_to_hsv_fast(r, g, b, &h2, &s2, &v2);
                if (h1 != h2 || s1 != s2 || v1 != v2)
                    ck_abort_msg("rgb %d %d %d: %d %d %d against %d %d %d", r, g, b, h2, s2, v2, h1,
                                 s1, v1);
            }
}
END_TEST

START_TEST(diff_sums_and_score)
{
    enum { N = 1000 };
    uint8_t *rgb_a = malloc(3 * N), *rgb_b = malloc(3 * N);
    uint8_t *a = malloc(3 * N), *b = malloc(3 * N);
    srand(7);
    for (int i = 0; i < 3 * N; i++) {
        rgb_a[i] = (uint8_t)(rand() & 255);
        rgb_b[i] = (uint8_t)(rand() & 255);
    }
    shot_hsv_planes_cpu(rgb_a, N, a);
    shot_hsv_planes_cpu(rgb_b, N, b);
    uint64_t sums[3], direct[3] = {0, 0, 0};
    shot_diff_sums_cpu(a, b, N, sums);
    for (int i = 0; i < N; i++) {
        uint8_t h1, s1, v1, h2, s2, v2;
        shot_rgb_to_hsv(rgb_a[3 * i], rgb_a[3 * i + 1], rgb_a[3 * i + 2], &h1, &s1, &v1);
        shot_rgb_to_hsv(rgb_b[3 * i], rgb_b[3 * i + 1], rgb_b[3 * i + 2], &h2, &s2, &v2);
        direct[0] += (uint64_t)abs(h1 - h2);
        direct[1] += (uint64_t)abs(s1 - s2);
        direct[2] += (uint64_t)abs(v1 - v2);
    }
    for (int c = 0; c < 3; c++)
        ck_assert_uint_eq(sums[c], direct[c]);
    ck_assert_double_eq(shot_score(sums, N),
                        (double)(direct[0] + direct[1] + direct[2]) / (3.0 * N));
    /* The one-pass frame function gives the same planes and sums. */
    uint8_t *c = malloc(3 * N), *d = malloc(3 * N);
    uint64_t fsums[3];
    shot_frame_cpu(rgb_a, N, NULL, c, fsums);
    ck_assert(memcmp(c, a, 3 * N) == 0);
    ck_assert(fsums[0] == 0 && fsums[1] == 0 && fsums[2] == 0);
    shot_frame_cpu(rgb_b, N, c, d, fsums);
    ck_assert(memcmp(d, b, 3 * N) == 0);
    for (int k = 0; k < 3; k++)
        ck_assert_uint_eq(fsums[k], direct[k]);
    free(c);
    free(d);
    shot_diff_sums_cpu(a, a, N, sums);
    ck_assert_double_eq(shot_score(sums, N), 0.0);
    free(rgb_a);
    free(rgb_b);
    free(a);
    free(b);
}
END_TEST

START_TEST(analysis_size)
{
    int w, h;
    shot_analysis_size(640, 360, &w, &h);
    ck_assert_int_eq(w, 256);
    ck_assert_int_eq(h, 144);
    shot_analysis_size(1920, 1080, &w, &h);
    ck_assert_int_eq(w, 256);
    ck_assert_int_eq(h, 144);
    shot_analysis_size(320, 240, &w, &h);
    ck_assert_int_eq(w, 256);
    ck_assert_int_eq(h, 192);
    shot_analysis_size(360, 640, &w, &h); /* portrait: the height is the larger side */
    ck_assert_int_eq(w, 144);
    ck_assert_int_eq(h, 256);
    shot_analysis_size(200, 100, &w, &h);
    ck_assert_int_eq(w, 200);
    ck_assert_int_eq(h, 100);
}
END_TEST

/* Runs the cut finder over a score sequence of n frames: 0 everywhere except
 * `high` at the listed frames. */
static shot_result_t run_scores(size_t n, const long long *spikes, size_t ns, double high,
                                double threshold, long long min_len)
{
    shot_result_t r = {0};
    r.scores = calloc(n, sizeof *r.scores);
    r.nscores = n;
    for (size_t i = 0; i < ns; i++)
        r.scores[spikes[i]] = high;
    ck_assert_int_eq(shot_find_cuts(&r, threshold, min_len), 0);
    return r;
}

START_TEST(filter_hard_cuts)
{
    const long long spikes[] = {30, 55, 90, 115, 145};
    shot_result_t r = run_scores(170, spikes, 5, 100.0, 27.0, 15);
    ck_assert_uint_eq(r.ncuts, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(r.cuts[i], spikes[i]);
    shot_result_free(&r);
    /* Below the threshold: nothing; exactly at it: a cut (>=). */
    r = run_scores(170, spikes, 5, 26.9, 27.0, 15);
    ck_assert_uint_eq(r.ncuts, 0);
    shot_result_free(&r);
    r = run_scores(170, spikes, 5, 27.0, 27.0, 15);
    ck_assert_uint_eq(r.ncuts, 5);
    shot_result_free(&r);
}
END_TEST

START_TEST(filter_min_length)
{
    /* A cut before min_len frames into the video is dropped (the first frame
     * counts as the last one above); one at min_len is kept. */
    const long long early[] = {10, 40};
    shot_result_t r = run_scores(100, early, 2, 100.0, 27.0, 15);
    ck_assert_uint_eq(r.ncuts, 1);
    ck_assert_int_eq(r.cuts[0], 40);
    shot_result_free(&r);
    const long long at[] = {15};
    r = run_scores(100, at, 1, 100.0, 27.0, 15);
    ck_assert_uint_eq(r.ncuts, 1);
    ck_assert_int_eq(r.cuts[0], 15);
    shot_result_free(&r);
    /* Two cuts 5 frames apart: the second starts a merge that never lasts
     * min_len frames, so only the first is reported. */
    const long long close[] = {30, 35, 80};
    r = run_scores(120, close, 3, 100.0, 27.0, 15);
    ck_assert_uint_eq(r.ncuts, 2);
    ck_assert_int_eq(r.cuts[0], 30);
    ck_assert_int_eq(r.cuts[1], 80);
    shot_result_free(&r);
    /* min_len 0: every frame above the threshold is a cut. */
    r = run_scores(120, close, 3, 100.0, 27.0, 0);
    ck_assert_uint_eq(r.ncuts, 3);
    shot_result_free(&r);
}
END_TEST

START_TEST(filter_long_merge_reports_its_last_frame)
{
    /* A cut at 20 enables merging; frames 25..45 are all above (a fast
     * pan), then calm. The merge lasted 20 >= 15 frames and reports its last
     * frame above (45) once a calm frame comes 15 frames after it (60). */
    shot_result_t r = {0};
    r.nscores = 100;
    r.scores = calloc(r.nscores, sizeof *r.scores);
    r.scores[20] = 100;
    for (int t = 25; t <= 45; t++)
        r.scores[t] = 100;
    ck_assert_int_eq(shot_find_cuts(&r, 27.0, 15), 0);
    ck_assert_uint_eq(r.ncuts, 2);
    ck_assert_int_eq(r.cuts[0], 20);
    ck_assert_int_eq(r.cuts[1], 45);
    shot_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shots");
    TCase *tc = tcase_create("detect");
    tcase_add_test(tc, hsv_known_colours);
    tcase_add_test(tc, hsv_matches_model);
    tcase_add_test(tc, hsv_fast_equals_reference_everywhere);
    tcase_add_test(tc, diff_sums_and_score);
    tcase_add_test(tc, analysis_size);
    tcase_add_test(tc, filter_hard_cuts);
    tcase_add_test(tc, filter_min_length);
    tcase_add_test(tc, filter_long_merge_reports_its_last_frame);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
