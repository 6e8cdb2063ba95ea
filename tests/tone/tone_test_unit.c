/* Unit tests of the tone detector's signal code (examples/tone-detector:
 * detect.c): frame decisions on synthetic signals, segment merging and the
 * spectrum against a directly computed DFT. Reading audio files is
 * libclams-media's (tests/media) and the file-mode cases' (tone_cases.py). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"
#include "../support/check_run.h"

#define RATE 16000u
#define AMP  (32768.0 * 0.1) /* -20 dBFS */

static tone_plan_t plan;

static void setup(void)
{
    ck_assert_int_eq(tone_plan_init(&plan, RATE), 0);
}

static void teardown(void)
{
    tone_plan_free(&plan);
}

/* Classifies one frame of `x` (frame_len samples). */
static tone_frame_t classify(const double *x)
{
    double *power = malloc(plan.nbins * sizeof *power);
    tone_frame_t fr;
    tone_spectrum_cpu(&plan, x, 1, power);
    tone_decide(&plan, x, power, &fr);
    free(power);
    return fr;
}

static double *sine(double hz, double amp)
{
    double *x = malloc(plan.frame_len * sizeof *x);
    for (unsigned i = 0; i < plan.frame_len; i++)
        x[i] = amp * sin(2 * M_PI * hz * i / RATE + 0.3);
    return x;
}

START_TEST(plan_geometry)
{
    ck_assert_uint_eq(plan.frame_len, 800);
    ck_assert_double_eq_tol(tone_plan_bin_hz(&plan), 20.0, 1e-12);
    ck_assert_uint_eq(plan.kmin, 3);                    /* 60 Hz: first bin at or above 50 Hz */
    ck_assert_uint_eq(plan.kmin + plan.nbins - 1, 360); /* 7200 Hz = 0.45 * rate */
    tone_plan_t tiny;
    ck_assert_int_eq(tone_plan_init(&tiny, 100), -1);
}
END_TEST

START_TEST(pure_tones)
{
    const double freqs[] = {1000.0, 440.0, 1234.0, 60.5, 7000.0};
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
        double *x = sine(freqs[i], AMP);
        tone_frame_t fr = classify(x);
        ck_assert_msg(fr.is_tone, "%.1f Hz not a tone (purity %.3f)", freqs[i], fr.purity);
        ck_assert_double_eq_tol(fr.freq, freqs[i], 1.5);
        ck_assert_double_eq_tol(fr.level_db, -23.0, 0.2); /* sine rms = peak - 3 dB */
        free(x);
    }
}
END_TEST

START_TEST(on_bin_tone_has_all_energy)
{
    double *x = sine(1000.0, AMP);
    tone_frame_t fr = classify(x);
    ck_assert_double_eq_tol(fr.purity, 1.0, 1e-9);
    ck_assert_double_eq_tol(fr.freq, 1000.0, 1e-6);
    free(x);
}
END_TEST

START_TEST(silence_quiet_and_noise_are_not_tones)
{
    double *x = calloc(plan.frame_len, sizeof *x);
    ck_assert(!classify(x).is_tone);
    free(x);
    x = sine(1000.0, 32768.0 * 0.001); /* -63 dBFS: below the level floor */
    ck_assert(!classify(x).is_tone);
    /* White noise: energy spread over every bin. */
    unsigned long long s = 12345;
    for (unsigned i = 0; i < plan.frame_len; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = ((double)(s >> 33) / (double)(1ULL << 31) - 0.5) * 2 * AMP;
    }
    tone_frame_t fr = classify(x);
    ck_assert(!fr.is_tone);
    ck_assert_double_lt(fr.purity, 0.2);
    free(x);
}
END_TEST

START_TEST(two_equal_tones_are_not_one)
{
    double *x = sine(500.0, AMP), *y = sine(3000.0, AMP);
    for (unsigned i = 0; i < plan.frame_len; i++)
        x[i] += y[i];
    tone_frame_t fr = classify(x);
    ck_assert(!fr.is_tone); /* each holds half the energy, below 0.6 */
    free(x);
    free(y);
}
END_TEST

START_TEST(spectrum_matches_direct_dft)
{
    double *x = sine(777.0, AMP);
    double *power = malloc(plan.nbins * sizeof *power);
    tone_spectrum_cpu(&plan, x, 1, power);
    for (unsigned j = 0; j < plan.nbins; j += 17) {
        double re = 0, im = 0, k = plan.kmin + j;
        for (unsigned n = 0; n < plan.frame_len; n++) {
            re += x[n] * cos(2 * M_PI * k * n / plan.frame_len);
            im += x[n] * sin(2 * M_PI * k * n / plan.frame_len);
        }
        double want = re * re + im * im;
        ck_assert_double_eq_tol(power[j], want, 1e-6 * (want + 1.0));
    }
    free(x);
    free(power);
}
END_TEST

static void push(tone_tracker_t *t, int count, bool tone, double hz)
{
    tone_frame_t fr = {.is_tone = tone, .freq = tone ? hz : 0.0};
    for (int i = 0; i < count; i++)
        ck_assert_int_eq(tone_tracker_push(t, &fr), 0);
}

START_TEST(tracker_merges_and_filters)
{
    tone_tracker_t t;
    tone_tracker_init(&t, &plan, 20.0, 2000);
    push(&t, 10, false, 0);   /* 0-500 ms */
    push(&t, 30, true, 1000); /* 500-2000: 1.5 s, too short */
    push(&t, 2, false, 0);    /* 2000-2100 */
    push(&t, 40, true, 1000); /* 2100-4100 */
    push(&t, 40, true, 1015); /* drift within tolerance: same tone to 6100 */
    push(&t, 50, true, 1500); /* another frequency: 6100-8600 */
    ck_assert_int_eq(tone_tracker_finish(&t), 0);
    ck_assert_uint_eq(t.count, 2);
    ck_assert_int_eq(t.segments[0].start_ms, 2100);
    ck_assert_int_eq(t.segments[0].end_ms, 6100);
    ck_assert_double_eq_tol(t.segments[0].freq, 1007.5, 1e-9);
    ck_assert_int_eq(t.segments[1].start_ms, 6100);
    ck_assert_int_eq(t.segments[1].end_ms, 8600);
    ck_assert_double_eq_tol(t.segments[1].freq, 1500.0, 1e-9);
    tone_tracker_free(&t);
}
END_TEST

START_TEST(tracker_min_duration_zero_keeps_single_frames)
{
    tone_tracker_t t;
    tone_tracker_init(&t, &plan, 5.0, 0);
    push(&t, 1, true, 1000);
    push(&t, 1, false, 0);
    push(&t, 1, true, 2000);
    ck_assert_int_eq(tone_tracker_finish(&t), 0);
    ck_assert_uint_eq(t.count, 2);
    ck_assert_int_eq(t.segments[1].start_ms, 100);
    ck_assert_int_eq(t.segments[1].end_ms, 150);
    tone_tracker_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tone");
    TCase *tc = tcase_create("detect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plan_geometry);
    tcase_add_test(tc, pure_tones);
    tcase_add_test(tc, on_bin_tone_has_all_energy);
    tcase_add_test(tc, silence_quiet_and_noise_are_not_tones);
    tcase_add_test(tc, two_equal_tones_are_not_one);
    tcase_add_test(tc, spectrum_matches_direct_dft);
    tcase_add_test(tc, tracker_merges_and_filters);
    tcase_add_test(tc, tracker_min_duration_zero_keeps_single_frames);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
