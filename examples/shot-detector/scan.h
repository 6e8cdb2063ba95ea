/* scan.h: which frames the shot detector compares, and on which path.
 *
 * Scoring every pair of consecutive frames means decoding every frame. Most
 * of that is not needed: a cut between two frames shows just as well
 * between the reference frames around it (the frames the codec predicts
 * the others from, about every second frame in x264's default encodes,
 * decoded without the others at two thirds of the cost). So the scan runs in
 * two passes:
 *
 *  1. Reference frames (clams_video_sweep, CLAMS_SWEEP_REFERENCE), in
 *     parallel segments on the CPU. Neighbours one frame apart get their
 *     exact score. Neighbours further apart get a coarse score, the same
 *     measure across the gap; a gap whose coarse score reaches
 *     SHOT_COARSE_FACTOR times the threshold is a candidate, as are the
 *     frames before the first and after the last reference frame.
 *  2. Every frame of each candidate gap (clams_video_frames, which decodes
 *     them exactly), scored pair by pair.
 *
 * Frames in a gap that was not a candidate keep score 0 (no cut). The cuts
 * equal those of scoring every frame unless the content inside a gap
 * swings beyond the threshold and back (a flash of a frame or two, which
 * the minimum shot length would mostly discard anyway); everyFrame=true
 * scores every pair in one pass for whoever wants that exactly. Both passes
 * feed the same integer sums to the host's decisions on the CPU and the
 * GPU path (where each segment stages its frames and queues them in batches,
 * each batch led by the frame before it, so that every frame is compared
 * with the frame the CPU path compares it with), so the two paths still
 * give identical results. */
#ifndef SHOT_SCAN_H
#define SHOT_SCAN_H

#include <clams/media.h>

#include <stdbool.h>
#include <stddef.h>

#include "detect.h"

/* A gap between reference frames is decoded in full when its coarse score
 * reaches this fraction of the threshold. Why 3/4: the score is a mean of
 * absolute differences, a distance, so across a cut at frame x inside the
 * gap (p, f) the coarse score is at least the cut's own score minus the
 * motion within the gap on either side of it (d(p, f) >= d(x-1, x) -
 * d(p, x-1) - d(x, f)); a cut scoring the threshold T is caught while that
 * motion stays under T/4 (6.75 at the default 27). On the busy benchmark
 * videos (docs/benchmarks.md) every cut inside a gap had a coarse score
 * within 1 % of its exact one, and no gap hid a score above the threshold
 * at fractions from 1/2 to 3/4, while 1/2 made 75 times as many gaps to
 * decode as 3/4 (303 against 4 in 3 minutes), which cost more than it
 * saved. */
#define SHOT_COARSE_FACTOR 0.75

typedef struct shot_scan_opts_s {
    double threshold;
    bool every_frame; /* one pass over every frame */
    bool use_gpu;     /* the CUDA path (a build with SHOT_HAVE_CUDA only) */
    int gpu_batch;    /* frames per GPU batch (at least 2) */
} shot_scan_opts_t;

/* What the scan did, for diagnostics and the benchmark. */
typedef struct shot_scan_stats_s {
    int segments;          /* of the first pass */
    long long first_pass;  /* frames scored in pass 1 */
    long long candidates;  /* gaps decoded in full */
    long long second_pass; /* frames scored in pass 2 */
} shot_scan_stats_t;

/* Scores the video into res->scores (new, one per frame, frame 0 and
 * frames not compared 0). On failure returns -1 with the reason in why.
 * stats may be NULL. */
int shot_scan(clams_video_t *v, const shot_scan_opts_t *o, shot_result_t *res,
              shot_scan_stats_t *stats, char *why, size_t why_size);

#endif
