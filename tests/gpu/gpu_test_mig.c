/* MIG through the fake NVML: a fake H200 split into slices of two sizes, and
 * a node mixing a whole GPU with a GPU in MIG mode. The listing (slices in
 * place of their GPU), CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES with MIG
 * UUIDs, the pool plan per slice, memory and per-process figures on a slice,
 * and the hwFetch line naming the slice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/error.h"
#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "app/hwfetch.h"
#include "../support/check_run.h"

#define MIB  (1024ULL * 1024ULL)
#define H200 "GPU-20020000-aaaa-0000-0000-000000000000"
#define H100 "GPU-10010000-bbbb-0000-0000-000000000000"
#define S0   "MIG-5a000000-0000-0000-0000-000000000000"
#define S1   "MIG-5a000001-0000-0000-0000-000000000000"
#define S2   "MIG-5a000002-0000-0000-0000-000000000000"
#define BIG  "MIG-b1000000-0000-0000-0000-000000000000"
/* An H200 (143771 MiB) as three 1g.18gb slices and one 3g.71gb slice. */
#define H200_MIG                                   \
    "0 " H200 " 143771 NVIDIA H200\n"              \
    "mig 0 " S0 " 16384 NVIDIA H200 MIG 1g.18gb\n" \
    "mig 0 " S1 " 16384 NVIDIA H200 MIG 1g.18gb\n" \
    "mig 0 " S2 " 16384 NVIDIA H200 MIG 1g.18gb\n" \
    "mig 0 " BIG " 71680 NVIDIA H200 MIG 3g.71gb\n"
/* A whole H100 first, then the H200 in MIG mode with two slices. */
#define MIXED                                      \
    "0 " H100 " 81559 NVIDIA H100 80GB HBM3\n"     \
    "1 " H200 " 143771 NVIDIA H200\n"              \
    "mig 1 " S0 " 16384 NVIDIA H200 MIG 1g.18gb\n" \
    "mig 1 " BIG " 71680 NVIDIA H200 MIG 3g.71gb\n"

static char *dir;
static clams__pool_plan_t plan;

static void teardown(void)
{
    fake_gpu_cleanup(dir);
    dir = NULL;
}

static void setup(const char *gpus, int cpus)
{
    dir = fake_gpu_setup(gpus);
    ck_assert_ptr_nonnull(dir);
    char q[64];
    snprintf(q, sizeof(q), "%d 100000\n", cpus * 100000);
    ck_assert_int_eq(fake_gpu_write(dir, "cpu.max", q), 0);
    setenv("CLAMS_TEST_CGROUP_ROOT", dir, 1);
}

START_TEST(slices_listed_in_place_of_their_gpu)
{
    setup(H200_MIG, 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_int_eq(l.source, CLAMS_GPU_SRC_NVML);
    ck_assert_uint_eq(l.count, 4);
    static const char *const uuids[] = {S0, S1, S2, BIG};
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(l.gpus[i].uuid, uuids[i]);
        ck_assert(l.gpus[i].mig);
        ck_assert_int_eq(l.gpus[i].index, 0);
        ck_assert_int_eq(l.gpus[i].mig_index, i);
        ck_assert_str_eq(l.gpus[i].parent_uuid, H200);
        ck_assert(l.gpus[i].free_valid);
    }
    ck_assert_str_eq(l.gpus[0].name, "NVIDIA H200 MIG 1g.18gb");
    ck_assert_uint_eq(l.gpus[0].total_bytes, 16384 * MIB);
    ck_assert_str_eq(l.gpus[3].name, "NVIDIA H200 MIG 3g.71gb");
    ck_assert_uint_eq(l.gpus[3].total_bytes, 71680 * MIB);
}
END_TEST

START_TEST(mixed_whole_gpu_and_slices)
{
    setup(MIXED, 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_str_eq(l.gpus[0].uuid, H100);
    ck_assert(!l.gpus[0].mig);
    ck_assert_str_eq(l.gpus[0].parent_uuid, "");
    ck_assert_uint_eq(l.gpus[0].total_bytes, 81559 * MIB);
    ck_assert_str_eq(l.gpus[1].uuid, S0);
    ck_assert_int_eq(l.gpus[1].index, 1);
    ck_assert_str_eq(l.gpus[2].uuid, BIG);
    ck_assert_int_eq(l.gpus[2].mig_index, 1);
}
END_TEST

START_TEST(mig_mode_without_slices_is_no_gpu)
{
    setup("0 " H200 " 143771 NVIDIA H200\nmigmode 0\n", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_msg(strstr(l.why, "MIG mode"), "why: %s", l.why);
}
END_TEST

START_TEST(cuda_visible_mig_uuid)
{
    /* What the Kubernetes device plugin sets; before issue 14 a MIG-... entry
     * ended the list, leaving no GPU. */
    setup(H200_MIG, 1);
    setenv("CUDA_VISIBLE_DEVICES", S1, 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, S1);
    /* List order, a unique prefix. */
    setenv("CUDA_VISIBLE_DEVICES", "MIG-b1," S0, 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.gpus[0].uuid, BIG);
    ck_assert_str_eq(l.gpus[1].uuid, S0);
    /* An ambiguous prefix (three slices start so) ends the list. */
    setenv("CUDA_VISIBLE_DEVICES", S2 ",MIG-5a,", 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, S2);
    /* An unknown MIG device names nothing. */
    setenv("CUDA_VISIBLE_DEVICES", "MIG-ffffffff", 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_nonnull(strstr(l.why, "MIG-ffffffff"));
}
END_TEST

START_TEST(cuda_visible_gpu_of_slices)
{
    /* An index or a GPU UUID of a GPU in MIG mode names all its slices. */
    setup(MIXED, 1);
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.gpus[0].uuid, S0);
    ck_assert_str_eq(l.gpus[1].uuid, BIG);
    setenv("CUDA_VISIBLE_DEVICES", H200 "," H100, 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_str_eq(l.gpus[2].uuid, H100);
    /* A slice, then its GPU: the slice is named twice, which ends the list. */
    setenv("CUDA_VISIBLE_DEVICES", S0 ",1", 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
}
END_TEST

START_TEST(nvidia_visible_mig_in_a_container)
{
    /* The runtime exposed one slice: the variable names it, NVML sees it. */
    setup("0 " H200 " 143771 NVIDIA H200\nmig 0 " S1 " 16384 NVIDIA H200 MIG 1g.18gb\n", 1);
    setenv("NVIDIA_VISIBLE_DEVICES", S1, 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, S1);
    /* On a host that sees every slice, the list filters. */
    teardown();
    setup(H200_MIG, 1);
    setenv("NVIDIA_VISIBLE_DEVICES", BIG "," S0, 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.gpus[0].uuid, BIG);
}
END_TEST

START_TEST(pool_counts_each_slice_with_its_memory)
{
    setup(H200_MIG, 64);
    ck_assert_int_eq(clams__pool_plan(0, 8000, 0, &plan, NULL), 0);
    ck_assert(plan.use_gpu);
    ck_assert_uint_eq(plan.gpus.count, 4);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(plan.capacity_of_gpu[i], 2); /* floor(16384 / 8000) */
    ck_assert_int_eq(plan.capacity_of_gpu[3], 8);     /* floor(71680 / 8000) */
    ck_assert_int_eq(plan.vram_workers, 14);          /* not floor(143771 / 8000) = 17 */
    int per[4] = {0};
    for (int s = 0; s < plan.workers; s++) {
        int g = plan.gpu_of_slot[s];
        ck_assert_int_ge(g, 0);
        ck_assert_int_lt(g, 4);
        per[g]++;
        /* the worker is pinned to the slice's MIG UUID */
        ck_assert_int_eq(strncmp(plan.gpus.gpus[g].uuid, "MIG-", 4), 0);
    }
    for (int g = 0; g < 4; g++)
        ck_assert_int_le(per[g], plan.capacity_of_gpu[g]);
    const char *L = plan.log_line;
    static const char *const parts[] = {
        "gpus(nvml)=4", "[#0/mig0 \"NVIDIA H200 MIG 1g.18gb\" " S0 " 16384 MiB capacity 2]",
        "[#0/mig3 \"NVIDIA H200 MIG 3g.71gb\" " BIG " 71680 MiB capacity 8]", "vram_workers=14",
        "placement=0/mig"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        ck_assert_msg(strstr(L, parts[i]), "\"%s\" missing from: %s", parts[i], L);
}
END_TEST

START_TEST(pool_min_above_small_slices)
{
    /* est_gpu_mem_min 20000: only the 3g.71gb slice can hold the app. */
    setup(MIXED, 64);
    setenv("CLAMS_GUNICORN_WORKERS", "6", 1);
    ck_assert_int_eq(clams__pool_plan(20000, 30000, 0, &plan, NULL), 0);
    ck_assert_int_eq(plan.capacity_of_gpu[0], 2); /* the H100 */
    ck_assert_int_eq(plan.capacity_of_gpu[1], 0); /* 1g.18gb, below the minimum */
    ck_assert_int_eq(plan.capacity_of_gpu[2], 2); /* 3g.71gb */
    ck_assert_int_eq(plan.workers, 4);
    ck_assert(plan.capped);
    int per[3] = {0};
    for (int s = 0; s < plan.workers; s++)
        per[plan.gpu_of_slot[s]]++;
    ck_assert_int_eq(per[0], 2);
    ck_assert_int_eq(per[1], 0);
    ck_assert_int_eq(per[2], 2);
    ck_assert_ptr_nonnull(strstr(plan.log_line, "placement=0,1/mig1,0,1/mig1"));
}
END_TEST

START_TEST(memory_and_process_figures_per_slice)
{
    setup(H200_MIG, 1);
    char line[256];
    snprintf(line, sizeof(line), S1 " 3221225472\n");
    ck_assert_int_eq(fake_gpu_set_proc(dir, getpid(), line), 0);
    unsigned long long total = 0, freeb = 0;
    ck_assert_int_eq(clams__gpu_memory_info(S1, &total, &freeb), 0);
    ck_assert_uint_eq(total, 16384 * MIB);
    ck_assert_uint_eq(freeb, 16384 * MIB - 3221225472ULL);
    ck_assert_int_eq(clams__gpu_memory_info(S0, &total, &freeb), 0);
    ck_assert_uint_eq(freeb, total); /* another slice is untouched */
    unsigned long long b = 0;
    clams__gpu_pm_t m = CLAMS_GPU_PM_QUERY_FAILED;
    ck_assert_int_eq(clams__gpu_process_memory_ex(S1, getpid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, 3221225472ULL);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVML);
    ck_assert_int_eq(clams__gpu_process_memory_ex(S0, getpid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, 0);
    clams__gpu_proc_t procs[4];
    size_t n = 9;
    ck_assert_int_eq(clams__gpu_process_list(S1, procs, 4, &n, &m), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(procs[0].pid, (unsigned int)getpid());
    ck_assert_int_eq(clams__gpu_process_memory_ex("MIG-nope", getpid(), 0, &b, &m),
                     CLAMS_ENOTFOUND);
    ck_assert_str_eq(clams__gpu_pm_name(m), "unavailable-unknown-gpu");
}
END_TEST

START_TEST(hwfetch_names_the_slice)
{
    setup(H200_MIG, 1);
    setenv("CUDA_VISIBLE_DEVICES", BIG, 1); /* as the supervisor pins a worker */
    ck_assert_int_eq(fake_gpu_set_proc(dir, getpid(), BIG " 2147483648\n"), 0);
    unsigned long long peak = 0;
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), &peak);
    ck_assert_ptr_nonnull(hw);
    json_t *cuda = json_object_get(hw, "cuda");
    ck_assert_uint_eq(json_array_size(cuda), 1);
    ck_assert_str_eq(json_string_value(json_array_get(cuda, 0)),
                     "NVIDIA H200 MIG 3g.71gb, 70.00 GiB total, 68.00 GiB available, "
                     "2.00 GiB peak used");
    json_t *g = json_array_get(json_object_get(hw, "gpus"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(g, "uuid")), BIG);
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")), "nvml-process-sampled");
    ck_assert_uint_eq(peak, 2147483648ULL);
    json_decref(hw);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gpu_mig");
    TCase *tc = tcase_create("mig");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, slices_listed_in_place_of_their_gpu);
    tcase_add_test(tc, mixed_whole_gpu_and_slices);
    tcase_add_test(tc, mig_mode_without_slices_is_no_gpu);
    tcase_add_test(tc, cuda_visible_mig_uuid);
    tcase_add_test(tc, cuda_visible_gpu_of_slices);
    tcase_add_test(tc, nvidia_visible_mig_in_a_container);
    tcase_add_test(tc, pool_counts_each_slice_with_its_memory);
    tcase_add_test(tc, pool_min_above_small_slices);
    tcase_add_test(tc, memory_and_process_figures_per_slice);
    tcase_add_test(tc, hwfetch_names_the_slice);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
