/* clams__cpu_count: the affinity mask and cgroup v2 / v1 quotas, read from
 * fake cgroup trees through CLAMS_TEST_CGROUP_ROOT. With --expect-one the
 * program is run under `taskset -c 0` and checks the affinity figure. */
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "../support/check_run.h"

static int expect_one;

static int affinity(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
    return CPU_COUNT(&set);
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/* A cgroup root holding the given files (name, content pairs, NULL ended). */
static char *cg_root(const char *n1, const char *c1, const char *n2, const char *c2)
{
    char *d = fake_gpu_setup(NULL);
    ck_assert_ptr_nonnull(d);
    if (n1)
        ck_assert_int_eq(fake_gpu_write(d, n1, c1), 0);
    if (n2)
        ck_assert_int_eq(fake_gpu_write(d, n2, c2), 0);
    setenv("CLAMS_TEST_CGROUP_ROOT", d, 1);
    return d;
}

START_TEST(v2_fractional_quota_rounds_up)
{
    char *d = cg_root("cpu.max", "150000 100000\n", NULL, NULL);
    char origin[256];
    int n = clams__cpu_count(origin, sizeof(origin));
    ck_assert_int_eq(n, min_int(affinity(), 2));
    ck_assert_ptr_nonnull(strstr(origin, "cgroup v2"));
    ck_assert_ptr_nonnull(strstr(origin, "150000/100000 -> 2"));
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(v2_half_cpu_is_one)
{
    char *d = cg_root("cpu.max", "50000 100000\n", NULL, NULL);
    ck_assert_int_eq(clams__cpu_count(NULL, 0), 1);
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(v2_max_is_no_limit)
{
    char *d = cg_root("cpu.max", "max 100000\n", NULL, NULL);
    char origin[256];
    ck_assert_int_eq(clams__cpu_count(origin, sizeof(origin)), affinity());
    ck_assert_ptr_nonnull(strstr(origin, "no limit"));
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(v2_quota_above_affinity_keeps_affinity)
{
    char *d = cg_root("cpu.max", "6400000 100000\n", NULL, NULL);
    ck_assert_int_eq(clams__cpu_count(NULL, 0), affinity());
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(v1_quota)
{
    char *d = cg_root("cpu.cfs_quota_us", "50000\n", "cpu.cfs_period_us", "100000\n");
    char origin[256];
    ck_assert_int_eq(clams__cpu_count(origin, sizeof(origin)), 1);
    ck_assert_ptr_nonnull(strstr(origin, "cgroup v1"));
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(v1_minus_one_is_no_limit)
{
    char *d = cg_root("cpu.cfs_quota_us", "-1\n", "cpu.cfs_period_us", "100000\n");
    ck_assert_int_eq(clams__cpu_count(NULL, 0), affinity());
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(empty_root_is_no_limit)
{
    char *d = cg_root(NULL, NULL, NULL, NULL);
    char origin[256];
    ck_assert_int_eq(clams__cpu_count(origin, sizeof(origin)), affinity());
    ck_assert_ptr_nonnull(strstr(origin, "affinity="));
    fake_gpu_cleanup(d);
}
END_TEST

START_TEST(real_system_within_affinity)
{
    unsetenv("CLAMS_TEST_CGROUP_ROOT");
    char origin[256];
    int n = clams__cpu_count(origin, sizeof(origin));
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, affinity());
    ck_assert_ptr_nonnull(strstr(origin, "affinity="));
}
END_TEST

START_TEST(pinned_to_one_cpu)
{
    unsetenv("CLAMS_TEST_CGROUP_ROOT");
    char origin[256];
    ck_assert_int_eq(affinity(), 1);
    ck_assert_int_eq(clams__cpu_count(origin, sizeof(origin)), 1);
    ck_assert_ptr_nonnull(strstr(origin, "affinity=1"));
}
END_TEST

int main(int argc, char **argv)
{
    expect_one = argc > 1 && strcmp(argv[1], "--expect-one") == 0;
    Suite *s = suite_create("gpu_cpus");
    TCase *tc = tcase_create("cpus");
    if (expect_one) {
        tcase_add_test(tc, pinned_to_one_cpu);
    } else {
        tcase_add_test(tc, v2_fractional_quota_rounds_up);
        tcase_add_test(tc, v2_half_cpu_is_one);
        tcase_add_test(tc, v2_max_is_no_limit);
        tcase_add_test(tc, v2_quota_above_affinity_keeps_affinity);
        tcase_add_test(tc, v1_quota);
        tcase_add_test(tc, v1_minus_one_is_no_limit);
        tcase_add_test(tc, empty_root_is_no_limit);
        tcase_add_test(tc, real_system_within_affinity);
    }
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
