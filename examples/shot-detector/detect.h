/* detect.h: the shot detector's per-frame arithmetic and cut logic, shared by
 * the CPU path, the CUDA path (shot_cuda.cu includes the inline functions
 * below) and the tests.
 *
 * The method is the content detector PySceneDetect made popular: frames are
 * downscaled (the larger side to at most SHOT_SCALE_MAX pixels, by area
 * means: libclams-media's CLAMS_SCALE_ANALYSIS), converted to HSV, and the score of frame t is the mean absolute difference of H, S and V
 * between frames t-1 and t, averaged over the three channels. A frame whose
 * score reaches the threshold starts a new shot, subject to a minimum shot
 * length (PySceneDetect's "merge" flash filter).
 *
 * Identical results on both paths by construction: the colour conversion is
 * integer arithmetic (one inline function compiled for host and device), the
 * per-frame differences are summed as 64-bit integers (integer addition is
 * exact in any order, so the GPU's parallel reduction gives the same sums),
 * and the one floating-point step (sum / pixels) and every decision run on
 * the host from those integers. */
#ifndef SHOT_DETECT_H
#define SHOT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __CUDACC__
#define SHOT_HD __host__ __device__
#else
#define SHOT_HD
#endif

#define SHOT_SCALE_MAX         256 /* PySceneDetect's auto downscale target */
#define SHOT_DEFAULT_THRESHOLD 27.0
#define SHOT_DEFAULT_MIN_LEN   15 /* frames */

/* The analysis size of a width x height video: the larger side scaled to
 * SHOT_SCALE_MAX when it is larger (factor max(w, h) / 256, each side
 * rounded, at least 1), else the native size. */
void shot_analysis_size(int width, int height, int *out_w, int *out_h);

/* RGB (0-255) to HSV with OpenCV's 8-bit ranges: H 0-179 (degrees / 2),
 * S and V 0-255. Integer only; C and CUDA truncate division the same way. */
static inline SHOT_HD void shot_rgb_to_hsv(int r, int g, int b, uint8_t *h, uint8_t *s, uint8_t *v)
{
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
    int d = mx - mn, hh;
    if (d == 0)
        hh = 0;
    else if (mx == r)
        hh = (30 * (g - b)) / d;
    else if (mx == g)
        hh = 60 + (30 * (b - r)) / d;
    else
        hh = 120 + (30 * (r - g)) / d;
    if (hh < 0)
        hh += 180;
    *h = (uint8_t)hh;
    *s = (uint8_t)(mx == 0 ? 0 : (d * 255 + mx / 2) / mx);
    *v = (uint8_t)mx;
}

/* Converts npix packed RGB24 pixels to three planes (H, S, V; npix each). */
void shot_hsv_planes_cpu(const uint8_t *rgb, size_t npix, uint8_t *hsv);

/* As shot_rgb_to_hsv with the integer divisions done in single precision
 * and truncated (exact for every numerator and divisor that occur, and
 * vectorisable): the CPU path's per-pixel code, run on one pixel;
 * shots_unit checks that it equals shot_rgb_to_hsv for all 2^24 colours. */
void shot_rgb_to_hsv_fast(int r, int g, int b, uint8_t *h, uint8_t *s, uint8_t *v);

/* One frame of the CPU path in a single pass: converts rgb (npix packed
 * RGB24 pixels) into hsv_cur (three planes) and, when hsv_prev is not NULL,
 * adds up the absolute H, S, V differences against it into sums (else sums
 * are 0). Same results as shot_hsv_planes_cpu + shot_diff_sums_cpu. */
void shot_frame_cpu(const uint8_t *rgb, size_t npix, const uint8_t *hsv_prev, uint8_t *hsv_cur,
                    uint64_t sums[3]);

/* sums[c] = sum over the pixels of |a_c - b_c| for the planes c = H, S, V. */
void shot_diff_sums_cpu(const uint8_t *hsv_a, const uint8_t *hsv_b, size_t npix, uint64_t sums[3]);

/* The frame's score from its integer sums: (dH + dS + dV) / (3 * npix). */
double shot_score(const uint64_t sums[3], size_t npix);

/* The minimum-length ("merge") filter over the per-frame decisions. Feed
 * every frame in order; a cut is the first frame of a new shot.
 *  - the first frame fed counts as the last frame above the threshold;
 *  - a frame above the threshold at least min_len frames after the last one
 *    above is a cut (and enables merging);
 *  - once merging is enabled, a frame above the threshold sooner than that
 *    starts a merge: the following frames above the threshold are absorbed,
 *    and when a frame below it comes at least min_len frames after the last
 *    one above, and the merged run lasted min_len frames, the last frame above
 *    is reported as the cut.
 * min_len <= 0 reports every frame above the threshold. */
typedef struct shot_filter_s {
    long long min_len;
    long long last_above;
    int have_last;
    int merge_enabled;
    int merge_triggered;
    long long merge_start;
} shot_filter_t;

void shot_filter_init(shot_filter_t *f, long long min_len);
/* Returns the cut frame (>= 0) this frame produced, or -1. */
long long shot_filter_push(shot_filter_t *f, long long frame, int above);

/* Everything the detector keeps for one video: scores and cuts. */
typedef struct shot_result_s {
    double *scores; /* one per frame (frame 0: 0) */
    size_t nscores;
    long long *cuts; /* ascending first frames of shots 2..n */
    size_t ncuts, cap_cuts;
} shot_result_t;

/* Runs the threshold and the filter over scores[0..n): fills cuts. Returns 0
 * or -1 on allocation failure. */
int shot_find_cuts(shot_result_t *r, double threshold, long long min_len);
void shot_result_free(shot_result_t *r);

#ifdef __cplusplus
}
#endif
#endif
