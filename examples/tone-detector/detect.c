/* detect.c: framing decisions and segment merging for the tone detector, and
 * the CPU spectrum. The spectrum loop is the reference the CUDA kernel
 * mirrors operation for operation (same table, same index walk, same order of
 * additions, no fused multiply-add), which is what makes both paths agree. */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int tone_plan_init(tone_plan_t *plan, unsigned rate)
{
    memset(plan, 0, sizeof *plan);
    unsigned n = (unsigned)lround(rate * TONE_FRAME_MS / 1000.0);
    if (n < 16)
        return -1;
    double bin_hz = (double)rate / n;
    double fmax = TONE_MAX_HZ < 0.45 * rate ? TONE_MAX_HZ : 0.45 * rate;
    unsigned kmin = (unsigned)ceil(TONE_MIN_HZ / bin_hz);
    unsigned kmax = (unsigned)floor(fmax / bin_hz);
    if (kmin < 2)
        kmin = 2;
    if (kmax + 2 > n / 2)
        kmax = n / 2 - 2;
    if (kmax < kmin)
        return -1;
    plan->cosv = malloc(n * sizeof(double));
    plan->sinv = malloc(n * sizeof(double));
    if (!plan->cosv || !plan->sinv) {
        tone_plan_free(plan);
        return -1;
    }
    for (unsigned m = 0; m < n; m++) {
        double a = 2.0 * M_PI * (double)m / (double)n;
        plan->cosv[m] = cos(a);
        plan->sinv[m] = sin(a);
    }
    plan->rate = rate;
    plan->frame_len = n;
    plan->kmin = kmin;
    plan->nbins = kmax - kmin + 1;
    return 0;
}

void tone_plan_free(tone_plan_t *plan)
{
    free(plan->cosv);
    free(plan->sinv);
    memset(plan, 0, sizeof *plan);
}

double tone_plan_bin_hz(const tone_plan_t *plan)
{
    return (double)plan->rate / plan->frame_len;
}

void tone_spectrum_cpu(const tone_plan_t *plan, const double *x, size_t nframes, double *power)
{
    const unsigned n_len = plan->frame_len;
    for (size_t f = 0; f < nframes; f++) {
        const double *xf = x + f * n_len;
        for (unsigned j = 0; j < plan->nbins; j++) {
            unsigned k = plan->kmin + j, idx = 0;
            double re = 0.0, im = 0.0;
            for (unsigned n = 0; n < n_len; n++) {
                re += xf[n] * plan->cosv[idx];
                im += xf[n] * plan->sinv[idx];
                idx += k;
                if (idx >= n_len)
                    idx -= n_len;
            }
            power[f * plan->nbins + j] = re * re + im * im;
        }
    }
}

void tone_decide(const tone_plan_t *plan, const double *x, const double *power, tone_frame_t *out)
{
    const unsigned n = plan->frame_len;
    memset(out, 0, sizeof *out);
    double energy = 0.0;
    for (unsigned i = 0; i < n; i++)
        energy += x[i] * x[i];
    double mean_sq = energy / n;
    out->level_db = mean_sq > 0 ? 10.0 * log10(mean_sq / (32768.0 * 32768.0)) : -400.0;
    if (out->level_db < TONE_MIN_LEVEL_DB)
        return;
    unsigned best = 0;
    for (unsigned j = 1; j < plan->nbins; j++)
        if (power[j] > power[best])
            best = j;
    double left = best > 0 ? power[best - 1] : 0.0;
    double right = best + 1 < plan->nbins ? power[best + 1] : 0.0;
    /* Parseval: a real sine's energy is split between bin k and bin N-k, so a
     * bin's share of the frame energy is 2|X_k|^2 / (N * energy). */
    out->purity = 2.0 * (left + power[best] + right) / ((double)n * energy);
    if (out->purity < TONE_MIN_PURITY)
        return;
    /* Frequency between bins from the magnitude ratio of the larger neighbour
     * (exact for a rectangular window and one sinusoid). */
    double m0 = sqrt(power[best]), delta = 0.0;
    if (right >= left && m0 > 0) {
        double a = sqrt(right) / m0;
        delta = a / (1.0 + a);
    } else if (m0 > 0) {
        double a = sqrt(left) / m0;
        delta = -a / (1.0 + a);
    }
    out->is_tone = true;
    out->freq = ((double)(plan->kmin + best) + delta) * tone_plan_bin_hz(plan);
}

void tone_tracker_init(tone_tracker_t *t, const tone_plan_t *plan, double tolerance_hz,
                       long long min_duration_ms)
{
    memset(t, 0, sizeof *t);
    t->plan = plan;
    t->tolerance_hz = tolerance_hz;
    t->min_duration_ms = min_duration_ms;
}

static long long frame_ms(const tone_plan_t *plan, size_t frame)
{
    return llround((double)frame * plan->frame_len * 1000.0 / plan->rate);
}

/* Ends the current run, keeping it when it is long enough. */
static int close_run(tone_tracker_t *t)
{
    if (t->run_len == 0)
        return 0;
    tone_segment_t seg = {
        .start_ms = frame_ms(t->plan, t->run_first),
        .end_ms = frame_ms(t->plan, t->run_first + t->run_len),
        .freq = t->run_freq_sum / (double)t->run_len,
    };
    t->run_len = 0;
    t->run_freq_sum = 0.0;
    if (seg.end_ms - seg.start_ms < t->min_duration_ms)
        return 0;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        tone_segment_t *p = realloc(t->segments, cap * sizeof *p);
        if (!p)
            return -1;
        t->segments = p;
        t->cap = cap;
    }
    t->segments[t->count++] = seg;
    return 0;
}

int tone_tracker_push(tone_tracker_t *t, const tone_frame_t *frame)
{
    size_t index = t->frame_index++;
    if (t->run_len > 0) {
        double mean = t->run_freq_sum / (double)t->run_len;
        if (frame->is_tone && fabs(frame->freq - mean) <= t->tolerance_hz) {
            t->run_len++;
            t->run_freq_sum += frame->freq;
            return 0;
        }
        if (close_run(t) != 0)
            return -1;
    }
    if (frame->is_tone) {
        t->run_first = index;
        t->run_len = 1;
        t->run_freq_sum = frame->freq;
    }
    return 0;
}

int tone_tracker_finish(tone_tracker_t *t)
{
    return close_run(t);
}

void tone_tracker_free(tone_tracker_t *t)
{
    free(t->segments);
    memset(t, 0, sizeof *t);
}
