/* The pool plan: cpu and VRAM worker counts, est_gpu_mem_min/typ, the
 * CLAMS_GUNICORN_WORKERS / --workers overrides, placement within each GPU's
 * capacity, and the one log line. CPUs are fixed with a fake cgroup quota so
 * the expected figures do not depend on the machine. */
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/error.h"
#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "../support/check_run.h"

#define U0 "GPU-00000000-aaaa-0000-0000-000000000000"
#define U1 "GPU-11111111-bbbb-0000-0000-000000000000"
#define U2 "GPU-22222222-cccc-0000-0000-000000000000"

static char *dir;
static clams__pool_plan_t plan;

static void teardown(void)
{
    fake_gpu_cleanup(dir);
    dir = NULL;
}

static int affinity(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof(set), &set);
    return CPU_COUNT(&set);
}

/* GPUs as in the fake's `gpus` file; cpus limited to `cpus` by a quota
 * (the affinity may lower it further: callers use the affinity-aware
 * expectation when cpus > 1). */
static void setup_gpus(const char *gpus, int cpus)
{
    dir = fake_gpu_setup(gpus);
    ck_assert_ptr_nonnull(dir);
    char q[64];
    snprintf(q, sizeof(q), "%d 100000\n", cpus * 100000);
    ck_assert_int_eq(fake_gpu_write(dir, "cpu.max", q), 0);
    setenv("CLAMS_TEST_CGROUP_ROOT", dir, 1);
}

static int cpus_expected(int quota)
{
    return quota < affinity() ? quota : affinity();
}

static void assert_within_capacity(const clams__pool_plan_t *p)
{
    int per[CLAMS_GPU_MAX] = {0};
    for (int s = 0; s < p->workers; s++) {
        ck_assert_int_ge(p->gpu_of_slot[s], 0);
        ck_assert_int_lt(p->gpu_of_slot[s], (int)p->gpus.count);
        per[p->gpu_of_slot[s]]++;
    }
    for (size_t g = 0; g < p->gpus.count; g++)
        ck_assert_int_le(per[g], p->capacity_of_gpu[g]);
}

START_TEST(one_gpu_cpu_bound)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    clams_error_t err = {0};
    ck_assert_int_eq(clams__pool_plan(4000, 6000, 0, &plan, &err), 0);
    ck_assert_int_eq(plan.cpus, 1);
    ck_assert_int_eq(plan.cpu_workers, 3);
    ck_assert_int_eq(plan.capacity_of_gpu[0], 13); /* floor(81559 / 6000) */
    ck_assert_int_eq(plan.vram_workers, 13);
    ck_assert_int_eq(plan.workers, 3);
    ck_assert(plan.use_gpu);
    ck_assert(!plan.overridden);
    for (int s = 0; s < 3; s++)
        ck_assert_int_eq(plan.gpu_of_slot[s], 0);
}
END_TEST

START_TEST(one_gpu_vram_bound)
{
    setup_gpus("0 " U0 " 24564 NVIDIA GeForce RTX 4090\n", 1);
    ck_assert_int_eq(clams__pool_plan(0, 20000, 0, &plan, NULL), 0);
    ck_assert_int_eq(plan.vram_workers, 1);
    ck_assert_int_eq(plan.workers, 1);
}
END_TEST

START_TEST(mixed_sizes_with_min)
{
    setup_gpus("0 " U0 " 24576 Mid GPU\n"
               "1 " U1 " 81920 Big GPU\n"
               "2 " U2 " 8192 Small GPU\n",
               64);
    ck_assert_int_eq(clams__pool_plan(10000, 20000, 0, &plan, NULL), 0);
    ck_assert_int_eq(plan.capacity_of_gpu[0], 1);
    ck_assert_int_eq(plan.capacity_of_gpu[1], 4);
    ck_assert_int_eq(plan.capacity_of_gpu[2], 0); /* below est_gpu_mem_min */
    ck_assert_int_eq(plan.vram_workers, 5);
    int cpus = cpus_expected(64);
    int want = cpus * 2 + 1 < 5 ? cpus * 2 + 1 : 5;
    ck_assert_int_eq(plan.workers, want);
    assert_within_capacity(&plan);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "below est_gpu_mem_min"));
}
END_TEST

START_TEST(min_fits_but_typ_does_not)
{
    setup_gpus("0 " U0 " 12288 Small GPU\n", 1);
    ck_assert_int_eq(clams__pool_plan(8000, 16000, 0, &plan, NULL), 0);
    ck_assert_int_eq(plan.capacity_of_gpu[0], 1);
    ck_assert_int_eq(plan.workers, 1);
}
END_TEST

START_TEST(no_gpu_can_hold_the_app)
{
    setup_gpus("0 " U0 " 8192 Small GPU\n1 " U1 " 4096 Tiny GPU\n", 1);
    clams_error_t err = {0};
    ck_assert_int_eq(clams__pool_plan(10000, 12000, 0, &plan, &err), CLAMS_ECONFIG);
    ck_assert_int_eq(err.code, CLAMS_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.text, "10000"));
    ck_assert_ptr_nonnull(strstr(err.text, "8192"));
}
END_TEST

START_TEST(typ_zero_is_cpu_only)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    ck_assert_int_eq(clams__pool_plan(0, 0, 0, &plan, NULL), 0);
    ck_assert(!plan.use_gpu);
    ck_assert_int_eq(plan.workers, 3);
    ck_assert_int_eq(plan.vram_workers, 0);
    for (int s = 0; s < plan.workers; s++)
        ck_assert_int_eq(plan.gpu_of_slot[s], -1);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "not pinned"));
}
END_TEST

START_TEST(no_gpu_readable_is_cpu_only)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("CLAMS_NVIDIA_SMI", "/nonexistent/nvidia-smi", 1);
    ck_assert_int_eq(clams__pool_plan(4000, 6000, 0, &plan, NULL), 0);
    ck_assert(!plan.use_gpu);
    ck_assert_int_eq(plan.workers, 3);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "no GPU readable"));
    ck_assert_ptr_nonnull(strstr(plan.log_line, "nvidia-smi"));
}
END_TEST

START_TEST(smi_fallback_plans_too)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    ck_assert_int_eq(clams__pool_plan(4000, 40000, 0, &plan, NULL), 0);
    ck_assert(plan.use_gpu);
    ck_assert_int_eq(plan.gpus.source, CLAMS_GPU_SRC_NVIDIA_SMI);
    ck_assert_int_eq(plan.workers, 2);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "gpus(nvidia-smi)"));
}
END_TEST

START_TEST(override_env_good)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    setenv("CLAMS_GUNICORN_WORKERS", "7", 1);
    ck_assert_int_eq(clams__pool_plan(0, 6000, 0, &plan, NULL), 0);
    ck_assert(plan.overridden);
    ck_assert_int_eq(plan.workers, 7); /* above the cpu figure, within VRAM */
    assert_within_capacity(&plan);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "CLAMS_GUNICORN_WORKERS"));
}
END_TEST

START_TEST(override_flag_beats_env)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    setenv("CLAMS_GUNICORN_WORKERS", "abc", 1);
    ck_assert_int_eq(clams__pool_plan(0, 0, 4, &plan, NULL), 0);
    ck_assert_int_eq(plan.workers, 4);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "--workers"));
    ck_assert_int_eq(clams__pool_plan(0, 0, -1, &plan, NULL), CLAMS_ECONFIG);
}
END_TEST

START_TEST(override_env_bad)
{
    static const char *const bad[] = {"0", "-1", "abc", "3x", "", " 3", "+3", "99999999999"};
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n", 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("CLAMS_GUNICORN_WORKERS", bad[i], 1);
        clams_error_t err = {0};
        ck_assert_int_eq(clams__pool_plan(0, 0, 0, &plan, &err), CLAMS_ECONFIG);
        ck_assert_ptr_nonnull(strstr(err.text, "CLAMS_GUNICORN_WORKERS"));
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
        ck_assert_msg(strstr(err.text, quoted), "\"%s\" missing from: %s", bad[i], err.text);
    }
}
END_TEST

START_TEST(override_above_capacity_is_capped)
{
    setup_gpus("0 " U0 " 24576 Mid GPU\n1 " U1 " 81920 Big GPU\n", 1);
    setenv("CLAMS_GUNICORN_WORKERS", "9", 1);
    ck_assert_int_eq(clams__pool_plan(0, 20000, 0, &plan, NULL), 0);
    ck_assert_int_eq(plan.workers, 5);
    ck_assert(plan.capped);
    assert_within_capacity(&plan);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "WARNING"));
}
END_TEST

START_TEST(placement_is_weighted_and_within_capacity)
{
    setup_gpus("0 " U0 " 16384 A\n1 " U1 " 65536 B\n2 " U2 " 32768 C\n", 1);
    for (int w = 1; w <= 14; w++) {
        char v[8];
        snprintf(v, sizeof(v), "%d", w);
        setenv("CLAMS_GUNICORN_WORKERS", v, 1);
        ck_assert_int_eq(clams__pool_plan(0, 8192, 0, &plan, NULL), 0);
        ck_assert_int_eq(plan.workers, w);
        assert_within_capacity(&plan);
    }
    /* Seven slots over capacities 2, 8, 4: the big GPU gets most. */
    setenv("CLAMS_GUNICORN_WORKERS", "7", 1);
    ck_assert_int_eq(clams__pool_plan(0, 8192, 0, &plan, NULL), 0);
    int per[3] = {0};
    for (int s = 0; s < 7; s++)
        per[plan.gpu_of_slot[s]]++;
    ck_assert_int_eq(per[0], 1);
    ck_assert_int_eq(per[1], 4);
    ck_assert_int_eq(per[2], 2);
}
END_TEST

START_TEST(placement_follows_cuda_visible)
{
    setup_gpus("0 " U0 " 81920 A\n1 " U1 " 81920 B\n", 4);
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    ck_assert_int_eq(clams__pool_plan(0, 40000, 0, &plan, NULL), 0);
    ck_assert_uint_eq(plan.gpus.count, 1);
    ck_assert_str_eq(plan.gpus.gpus[0].uuid, U1);
    ck_assert_int_eq(plan.workers, 2);
}
END_TEST

START_TEST(log_line_has_every_input)
{
    setup_gpus("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n1 " U1 " 8192 Small GPU\n", 1);
    ck_assert_int_eq(clams__pool_plan(10000, 20000, 0, &plan, NULL), 0);
    const char *L = plan.log_line;
    static const char *const parts[] = {"cpus=1",
                                        "cgroup v2",
                                        "cpu_workers=3",
                                        "gpus(nvml)=2",
                                        "NVIDIA H100 80GB HBM3",
                                        U0,
                                        "81559 MiB",
                                        "capacity 4",
                                        "Small GPU",
                                        U1,
                                        "8192 MiB",
                                        "capacity 0",
                                        "est_gpu_mem_min=10000",
                                        "est_gpu_mem_typ=20000",
                                        "vram_workers=4",
                                        "workers=3",
                                        "placement=0,0,0"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        ck_assert_msg(strstr(L, parts[i]), "\"%s\" missing from: %s", parts[i], L);
    ck_assert_ptr_null(strchr(L, '\n'));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gpu_pool");
    TCase *tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, one_gpu_cpu_bound);
    tcase_add_test(tc, one_gpu_vram_bound);
    tcase_add_test(tc, mixed_sizes_with_min);
    tcase_add_test(tc, min_fits_but_typ_does_not);
    tcase_add_test(tc, no_gpu_can_hold_the_app);
    tcase_add_test(tc, typ_zero_is_cpu_only);
    tcase_add_test(tc, no_gpu_readable_is_cpu_only);
    tcase_add_test(tc, smi_fallback_plans_too);
    tcase_add_test(tc, override_env_good);
    tcase_add_test(tc, override_flag_beats_env);
    tcase_add_test(tc, override_env_bad);
    tcase_add_test(tc, override_above_capacity_is_capped);
    tcase_add_test(tc, placement_is_weighted_and_within_capacity);
    tcase_add_test(tc, placement_follows_cuda_visible);
    tcase_add_test(tc, log_line_has_every_input);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
