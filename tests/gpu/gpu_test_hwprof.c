/* hwFetch profiles against the fake NVML: a peak scripted over time by a
 * thread that rewrites this process's procs file (it waits for the fake's
 * read counter, never for a clock), app-reported peaks, the PID-namespace
 * case, the nvidia-smi fallback, no GPU at all, and the byte formatting. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "app/hwfetch.h"
#include "../support/check_run.h"

#define GIB  (1024ULL * 1024ULL * 1024ULL)
#define MIB  (1024ULL * 1024ULL)
#define U0   "GPU-00000000-aaaa-0000-0000-000000000000"
#define U1   "GPU-11111111-bbbb-0000-0000-000000000000"
#define H100 "0 " U0 " 81559 NVIDIA H100 80GB HBM3\n"

static char *dir;

static void teardown(void)
{
    fake_gpu_cleanup(dir);
    dir = NULL;
}

static void set_own(unsigned long long bytes)
{
    char line[128];
    snprintf(line, sizeof(line), U0 " %llu\n", bytes);
    ck_assert_int_eq(fake_gpu_set_proc(dir, getpid(), line), 0);
}

/* Waits until the fake has answered `n` more process-list calls: at least
 * one full sample has then seen the current file. Bounded by a hang guard. */
static void wait_reads(unsigned long long n)
{
    unsigned long long start = fake_gpu_reads(dir);
    for (int i = 0; i < 60000 && fake_gpu_reads(dir) < start + n; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_uint_ge(fake_gpu_reads(dir), start + n);
}

static void *script(void *arg)
{
    (void)arg;
    /* Rising then falling; each value stays until the sampler has seen it.
     * Each sample makes two list calls (compute, graphics): 4 = two samples. */
    static const unsigned long long steps[] = {2 * GIB, 3 * GIB + GIB / 2, 3 * GIB, GIB / 2};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        set_own(steps[i]);
        wait_reads(4);
    }
    return NULL;
}

static json_t *gpu0(json_t *hw)
{
    json_t *g = json_array_get(json_object_get(hw, "gpus"), 0);
    ck_assert_ptr_nonnull(g);
    return g;
}

static const char *cuda0(json_t *hw)
{
    const char *s = json_string_value(json_array_get(json_object_get(hw, "cuda"), 0));
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(disabled_costs_nothing)
{
    ck_assert_ptr_null(clams__hwprof_begin(false));
    unsigned long long none = 1;
    ck_assert_ptr_null(clams__hwprof_end(NULL, &none));
    ck_assert_uint_eq(none, 0); /* no profile, no peak: nothing of an earlier request */
    clams__hwprof_report_peak(NULL, NULL, 5);
}
END_TEST

START_TEST(scripted_peak_is_found)
{
    dir = fake_gpu_setup(H100);
    fake_gpu_write(dir, "mode", "count_reads\n");
    set_own(GIB);
    clams__hwprof_t *p = clams__hwprof_begin(true);
    ck_assert_ptr_nonnull(p);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, script, NULL), 0);
    pthread_join(t, NULL);
    unsigned long long peak = 0;
    json_t *hw = clams__hwprof_end(p, &peak);
    ck_assert_ptr_nonnull(hw);
    json_t *g = gpu0(hw);
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "totalBytes")), 81559 * MIB);
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "availableBytes")), 81559 * MIB - GIB);
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "peakUsedBytes")), 3 * GIB + GIB / 2);
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")), "nvml-process-sampled");
    ck_assert_str_eq(json_string_value(json_object_get(g, "totalMethod")), "nvml");
    ck_assert_str_eq(json_string_value(json_object_get(g, "availableMethod")), "nvml");
    ck_assert_str_eq(json_string_value(json_object_get(g, "uuid")), U0);
    ck_assert_str_eq(cuda0(hw), "NVIDIA H100 80GB HBM3, 79.65 GiB total, 78.65 GiB available, "
                                "3.50 GiB peak used");
    ck_assert_uint_eq(peak, 3 * GIB + GIB / 2);
    json_decref(hw);
}
END_TEST

START_TEST(cpu_line)
{
    dir = fake_gpu_setup(H100);
    setenv("CLAMS_TEST_CGROUP_ROOT", dir, 1);
    fake_gpu_write(dir, "cpu.max", "100000 100000\n");
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), NULL);
    struct utsname u;
    uname(&u);
    char want[128];
    snprintf(want, sizeof(want), "%s, 1 cores", u.machine);
    ck_assert_str_eq(json_string_value(json_object_get(hw, "cpu")), want);
    json_decref(hw);
}
END_TEST

START_TEST(app_reported_larger_wins)
{
    dir = fake_gpu_setup(H100);
    set_own(GIB);
    clams__hwprof_t *p = clams__hwprof_begin(true);
    clams__hwprof_report_peak(p, NULL, 5 * GIB);
    json_t *hw = clams__hwprof_end(p, NULL);
    json_t *g = gpu0(hw);
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "peakUsedBytes")), 5 * GIB);
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")), "app-reported");
    ck_assert_ptr_nonnull(strstr(cuda0(hw), ", 5.00 GiB peak used"));
    json_decref(hw);
}
END_TEST

START_TEST(app_reported_smaller_loses)
{
    dir = fake_gpu_setup(H100);
    set_own(2 * GIB);
    clams__hwprof_t *p = clams__hwprof_begin(true);
    clams__hwprof_report_peak(p, U0, GIB);
    clams__hwprof_report_peak(p, "GPU-not-visible", 9 * GIB);
    json_t *hw = clams__hwprof_end(p, NULL);
    json_t *g = gpu0(hw);
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "peakUsedBytes")), 2 * GIB);
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")), "nvml-process-sampled");
    json_decref(hw);
}
END_TEST

START_TEST(pid_namespace_is_unavailable)
{
    dir = fake_gpu_setup(H100);
    fake_gpu_write(dir, "mode", "pid_namespace\n");
    set_own(2 * GIB);
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), NULL);
    json_t *g = gpu0(hw);
    ck_assert(json_is_null(json_object_get(g, "peakUsedBytes")));
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")),
                     "unavailable-pid-namespace");
    ck_assert_str_eq(cuda0(hw), "NVIDIA H100 80GB HBM3, 79.65 GiB total, 77.65 GiB available, "
                                "peak used unknown");
    json_decref(hw);
}
END_TEST

/* Without NVML the peak comes from nvidia-smi's compute apps (issue 14;
 * before, peakMethod was "unavailable" here). */
START_TEST(smi_fallback_peak_from_compute_apps)
{
    dir = fake_gpu_setup(H100);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    set_own(GIB);
    unsigned long long peak = 0;
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), &peak);
    json_t *g = gpu0(hw);
    ck_assert_str_eq(json_string_value(json_object_get(g, "totalMethod")), "nvidia-smi");
    ck_assert_str_eq(json_string_value(json_object_get(g, "availableMethod")), "nvidia-smi");
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")),
                     "nvidia-smi-process-sampled");
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "peakUsedBytes")), GIB);
    ck_assert_uint_eq(peak, GIB);
    ck_assert_ptr_nonnull(strstr(cuda0(hw), ", 1.00 GiB peak used"));
    ck_assert_uint_eq(json_integer_value(json_object_get(g, "availableBytes")), 81559 * MIB - GIB);
    json_decref(hw);
}
END_TEST

static void assert_no_gpu(void)
{
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), NULL);
    ck_assert_ptr_nonnull(hw);
    ck_assert(json_is_array(json_object_get(hw, "cuda")));
    ck_assert_uint_eq(json_array_size(json_object_get(hw, "cuda")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(hw, "gpus")), 0);
    ck_assert(json_is_string(json_object_get(hw, "cpu")));
    json_decref(hw);
}

START_TEST(no_gpu_at_all)
{
    dir = fake_gpu_setup(H100);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("CLAMS_NVIDIA_SMI", "/nonexistent/nvidia-smi", 1);
    assert_no_gpu();
}
END_TEST

START_TEST(broken_smi_never_fails)
{
    dir = fake_gpu_setup(H100);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    fake_gpu_write(dir, "mode", "smi_broken\n");
    assert_no_gpu();
}
END_TEST

START_TEST(identical_gpus_not_merged)
{
    dir = fake_gpu_setup("0 " U0 " 24564 NVIDIA GeForce RTX 4090\n"
                         "1 " U1 " 24564 NVIDIA GeForce RTX 4090\n");
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(hw, "cuda")), 2);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(hw, "gpus"), 1), "uuid")),
        U1);
    /* Nothing held: a real zero, not unknown. */
    ck_assert_ptr_nonnull(strstr(cuda0(hw), ", 0.0 MiB peak used"));
    json_decref(hw);
}
END_TEST

START_TEST(only_the_workers_gpu)
{
    dir = fake_gpu_setup("0 " U0 " 24564 A\n1 " U1 " 24564 B\n");
    setenv("CUDA_VISIBLE_DEVICES", U1, 1);
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(hw, "gpus")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(gpu0(hw), "uuid")), U1);
    json_decref(hw);
}
END_TEST

static void assert_fmt(unsigned long long bytes, const char *want)
{
    char buf[32];
    clams__hwprof_format_bytes(bytes, buf, sizeof(buf));
    ck_assert_str_eq(buf, want);
}

START_TEST(byte_formats)
{
    assert_fmt(GIB, "1.00 GiB");
    assert_fmt(GIB - 1, "1024.0 MiB");
    assert_fmt((unsigned long long)(0.99 * (double)GIB), "1013.8 MiB");
    assert_fmt(512 * MIB, "512.0 MiB");
    assert_fmt(0, "0.0 MiB");
    assert_fmt(81559 * MIB, "79.65 GiB");
    assert_fmt(3 * GIB + GIB / 2, "3.50 GiB");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gpu_hwprofile");
    TCase *tc = tcase_create("hwprofile");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, disabled_costs_nothing);
    tcase_add_test(tc, scripted_peak_is_found);
    tcase_add_test(tc, cpu_line);
    tcase_add_test(tc, app_reported_larger_wins);
    tcase_add_test(tc, app_reported_smaller_loses);
    tcase_add_test(tc, pid_namespace_is_unavailable);
    tcase_add_test(tc, smi_fallback_peak_from_compute_apps);
    tcase_add_test(tc, no_gpu_at_all);
    tcase_add_test(tc, broken_smi_never_fails);
    tcase_add_test(tc, identical_gpus_not_merged);
    tcase_add_test(tc, only_the_workers_gpu);
    tcase_add_test(tc, byte_formats);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
