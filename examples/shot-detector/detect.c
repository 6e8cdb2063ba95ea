/* detect.c: the CPU side of the shot detector's arithmetic (see detect.h). */
#include "detect.h"

#include <math.h>
#include <stdlib.h>

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

void shot_diff_sums_cpu(const uint8_t *hsv_a, const uint8_t *hsv_b, size_t npix,
                        uint64_t sums[3])
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
