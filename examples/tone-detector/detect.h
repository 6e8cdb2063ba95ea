/* detect.h: the tone detector's signal processing, shared by the CPU path,
 * the CUDA path and the tests.
 * A "plan" fixes the frame length and the candidate DFT bins for one sample
 * rate. The spectra (the only part the GPU computes) are plain DFT powers with
 * a host-built twiddle table and one fixed summation order, so the CPU and
 * CUDA paths produce the same bits; every decision is taken on the host. */
#ifndef TONE_DETECT_H
#define TONE_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TONE_FRAME_MS 50.0
#define TONE_MIN_HZ   50.0
#define TONE_MAX_HZ   8000.0
/* A frame is a tone when the peak bin and its two neighbours hold at least
 * this share of the frame's energy; a pure sine gives about 0.9 or more,
 * speech and music well under 0.5, so float noise cannot flip it. */
#define TONE_MIN_PURITY 0.6
/* Frames quieter than this (dB relative to 16-bit full scale) are silence. */
#define TONE_MIN_LEVEL_DB (-50.0)

typedef struct tone_plan_s {
    unsigned rate;      /* Hz */
    unsigned frame_len; /* samples per frame (N) */
    unsigned kmin;      /* first candidate bin */
    unsigned nbins;     /* candidate bins: kmin .. kmin + nbins - 1 */
    double *cosv;       /* cos(2 pi m / N), m = 0 .. N-1 */
    double *sinv;       /* sin(2 pi m / N) */
} tone_plan_t;

/* Builds a plan for `rate`. Returns 0, or -1 when the rate is too low to hold
 * any candidate bin, or on allocation failure. */
int tone_plan_init(tone_plan_t *plan, unsigned rate);
void tone_plan_free(tone_plan_t *plan);
double tone_plan_bin_hz(const tone_plan_t *plan);

/* DFT power of each candidate bin of `nframes` consecutive frames of x:
 * power[f * nbins + j] = |sum_n x[f N + n] e^{-2 pi i (kmin + j) n / N}|^2. */
void tone_spectrum_cpu(const tone_plan_t *plan, const double *x, size_t nframes, double *power);

/* What one frame looks like. */
typedef struct tone_frame_s {
    bool is_tone;
    double freq;     /* Hz, interpolated; 0 when not a tone */
    double purity;   /* share of energy in the peak bin and its neighbours */
    double level_db; /* dBFS */
} tone_frame_t;

/* Classifies one frame from its samples (N of them) and its spectrum. */
void tone_decide(const tone_plan_t *plan, const double *x, const double *power, tone_frame_t *out);

/* A detected tone, in milliseconds from the start of the audio. */
typedef struct tone_segment_s {
    long long start_ms;
    long long end_ms;
    double freq; /* mean frequency over its frames, Hz */
} tone_segment_t;

/* Merges consecutive tone frames whose frequency stays within `tolerance_hz`
 * of the run's mean into segments of at least `min_duration_ms`. */
typedef struct tone_tracker_s {
    const tone_plan_t *plan;
    double tolerance_hz;
    long long min_duration_ms;
    size_t frame_index; /* frames pushed so far */
    size_t run_first;   /* first frame of the current run */
    size_t run_len;     /* 0: no run */
    double run_freq_sum;
    tone_segment_t *segments;
    size_t count, cap;
} tone_tracker_t;

void tone_tracker_init(tone_tracker_t *t, const tone_plan_t *plan, double tolerance_hz,
                       long long min_duration_ms);
/* Returns 0 or -1 on allocation failure. */
int tone_tracker_push(tone_tracker_t *t, const tone_frame_t *frame);
int tone_tracker_finish(tone_tracker_t *t);
void tone_tracker_free(tone_tracker_t *t);

#ifdef __cplusplus
}
#endif
#endif
