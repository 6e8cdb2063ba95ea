/* detect.c: the CPU side of the shot detector's arithmetic (see detect.h). */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void shot_analysis_size(int width, int height, int *out_w, int *out_h)
{
    int larger = width > height ? width : height;
    if (larger <= SHOT_SCALE_MAX) {
        *out_w = width;
        *out_h = height;
        return;
    }
    double f = (double)larger / SHOT_SCALE_MAX;
    int w = (int)lround(width / f), h = (int)lround(height / f);
    *out_w = w < 1 ? 1 : w;
    *out_h = h < 1 ? 1 : h;
}

void shot_hsv_planes_cpu(const uint8_t *rgb, size_t npix, uint8_t *hsv)
{
    uint8_t *h = hsv, *s = hsv + npix, *v = hsv + 2 * npix;
    for (size_t i = 0; i < npix; i++)
        shot_rgb_to_hsv(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], &h[i], &s[i], &v[i]);
}

/* The CPU path's divisions: a quotient of integers |n| <= 30 * 255 by
 * 1 <= d <= 255, computed in single precision and truncated, is the
 * integer quotient exactly: when d divides n the float quotient is exact,
 * and otherwise the true quotient is at least 1/255 from an integer while
 * the float one is within 7650 * 2^-24 of it. Unlike a table of
 * reciprocals, the compiler vectorises it (shots_unit checks every colour
 * against the division form the CUDA kernel runs). */
static inline int div_trunc(int n, int d)
{
    return (int)((float)n / (float)d);
}

/* One pixel: its H, S, V into the planes and, with prev, the absolute
 * differences. Branch-free selects and float divisions so that gcc -O3
 * (detect.c is built with it) vectorises the loop; the sums run in 32 bits
 * over blocks of at most BLOCK pixels (255 * BLOCK < 2^32) and add up in
 * 64 bits. */
#define BLOCK 65536
static inline __attribute__((always_inline)) void frame_block(const uint8_t *restrict rgb, size_t n,
                                                              size_t np,
                                                              const uint8_t *restrict prev,
                                                              uint8_t *restrict cur, uint64_t *sums,
                                                              const int with_prev)
{
    uint32_t dh = 0, ds = 0, dv = 0;
    for (size_t i = 0; i < n; i++) {
        int r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
        int mx = r > g ? r : g;
        mx = mx > b ? mx : b;
        int mn = r < g ? r : g;
        mn = mn < b ? mn : b;
        int d = mx - mn;
        int is_r = mx == r, is_g = (mx != r) & (mx == g);
        int num = is_r ? g - b : (is_g ? b - r : r - g);
        int base = is_r ? 0 : (is_g ? 60 : 120);
        /* Divisions done unconditionally (by 1 where the quotient is not
         * used) and results masked: gcc leaves a loop with conditional
         * divisions or selects of them scalar. */
        int dd = d + (d == 0), mm = mx + (mx == 0);
        int hh = (base + div_trunc(30 * num, dd)) & -(d != 0); /* masks, not selects */
        hh += hh < 0 ? 180 : 0;
        int ss = div_trunc(d * 255 + mx / 2, mm) & -(mx != 0);
        if (with_prev) {
            int ph = prev[i], ps = prev[np + i], pv = prev[2 * np + i];
            dh += (uint32_t)abs(hh - ph);
            ds += (uint32_t)abs(ss - ps);
            dv += (uint32_t)abs(mx - pv);
        }
        cur[i] = (uint8_t)hh;
        cur[np + i] = (uint8_t)ss;
        cur[2 * np + i] = (uint8_t)mx;
    }
    sums[0] += dh;
    sums[1] += ds;
    sums[2] += dv;
}

/* gcc vectorises the loop for AVX2 but not for x86-64's SSE2 baseline (the
 * packed RGB loads and the selects), so x86-64 builds carry both and pick
 * at load time; the results are the same bytes (integer arithmetic and
 * correctly rounded divisions). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define SHOT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SHOT_CLONES
#endif

SHOT_CLONES static void frame_pass(const uint8_t *rgb, size_t np, const uint8_t *prev, uint8_t *cur,
                                   uint64_t *sums, const int with_prev)
{
    sums[0] = sums[1] = sums[2] = 0;
    for (size_t i = 0; i < np; i += BLOCK) {
        size_t n = np - i < BLOCK ? np - i : BLOCK;
        if (with_prev) /* two specialised loops: no test per pixel */
            frame_block(rgb + 3 * i, n, np, prev + i, cur + i, sums, 1);
        else
            frame_block(rgb + 3 * i, n, np, NULL, cur + i, sums, 0);
    }
}

void shot_rgb_to_hsv_fast(int r, int g, int b, uint8_t *h, uint8_t *s, uint8_t *v)
{
    /* The frame loop's own code on one pixel. */
    const uint8_t rgb[3] = {(uint8_t)r, (uint8_t)g, (uint8_t)b};
    uint8_t hsv[3];
    uint64_t sums[3] = {0, 0, 0};
    frame_block(rgb, 1, 1, NULL, hsv, sums, 0);
    *h = hsv[0];
    *s = hsv[1];
    *v = hsv[2];
}

void shot_frame_cpu(const uint8_t *rgb, size_t npix, const uint8_t *hsv_prev, uint8_t *hsv_cur,
                    uint64_t sums[3])
{
    frame_pass(rgb, npix, hsv_prev, hsv_cur, sums, hsv_prev != NULL);
}

void shot_diff_sums_cpu(const uint8_t *hsv_a, const uint8_t *hsv_b, size_t npix, uint64_t sums[3])
{
    for (int c = 0; c < 3; c++) {
        const uint8_t *a = hsv_a + (size_t)c * npix, *b = hsv_b + (size_t)c * npix;
        uint64_t sum = 0;
        for (size_t i = 0; i < npix; i++)
            sum += (uint64_t)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
        sums[c] = sum;
    }
}

double shot_score(const uint64_t sums[3], size_t npix)
{
    if (npix == 0)
        return 0.0;
    return (double)(sums[0] + sums[1] + sums[2]) / (3.0 * (double)npix);
}

void shot_filter_init(shot_filter_t *f, long long min_len)
{
    *f = (shot_filter_t){.min_len = min_len};
}

long long shot_filter_push(shot_filter_t *f, long long frame, int above)
{
    if (f->min_len <= 0)
        return above ? frame : -1;
    if (!f->have_last) {
        f->last_above = frame;
        f->have_last = 1;
    }
    int min_met = frame - f->last_above >= f->min_len;
    if (above)
        f->last_above = frame;
    if (f->merge_triggered) {
        if (min_met && !above && f->last_above - f->merge_start >= f->min_len) {
            f->merge_triggered = 0;
            return f->last_above;
        }
        return -1;
    }
    if (!above)
        return -1;
    if (min_met) {
        f->merge_enabled = 1;
        return frame;
    }
    if (f->merge_enabled) {
        f->merge_triggered = 1;
        f->merge_start = frame;
    }
    return -1;
}

int shot_find_cuts(shot_result_t *r, double threshold, long long min_len)
{
    shot_filter_t f;
    shot_filter_init(&f, min_len);
    r->ncuts = 0;
    for (size_t t = 0; t < r->nscores; t++) {
        long long cut = shot_filter_push(&f, (long long)t, r->scores[t] >= threshold);
        if (cut <= 0) /* frame 0 always starts the first shot */
            continue;
        if (r->ncuts && r->cuts[r->ncuts - 1] >= cut)
            continue; /* sorted and unique, as PySceneDetect's cut list */
        if (r->ncuts == r->cap_cuts) {
            size_t cap = r->cap_cuts ? 2 * r->cap_cuts : 64;
            long long *p = realloc(r->cuts, cap * sizeof *p);
            if (!p)
                return -1;
            r->cuts = p;
            r->cap_cuts = cap;
        }
        r->cuts[r->ncuts++] = cut;
    }
    return 0;
}

void shot_result_free(shot_result_t *r)
{
    free(r->scores);
    free(r->cuts);
    *r = (shot_result_t){0};
}
