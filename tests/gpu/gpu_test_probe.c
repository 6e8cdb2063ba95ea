/* GPU listing through the fake NVML and the fake nvidia-smi: one and several
 * GPUs, CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES filtering, the
 * fallbacks when NVML or nvidia-smi is missing or broken, and per-process
 * memory (compute + graphics lists, PID namespaces, the _v3 ABI trap). Each
 * test runs in its own forked process with its own environment. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clams/error.h"
#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "../support/check_run.h"

#define MIB (1024ULL * 1024ULL)
#define U0  "GPU-00000000-aaaa-0000-0000-000000000000"
#define U1  "GPU-11111111-bbbb-0000-0000-000000000000"
#define U2  "GPU-11112222-cccc-0000-0000-000000000000"
#define THREE_GPUS                             \
    "0 " U0 " 81559 NVIDIA H100 80GB HBM3\n"   \
    "1 " U1 " 24564 NVIDIA GeForce RTX 4090\n" \
    "2 " U2 " 24564 NVIDIA GeForce RTX 4090\n"

static char *dir;

static void teardown(void)
{
    fake_gpu_cleanup(dir);
    dir = NULL;
}

/* Three GPUs, then one variable set (setup clears the visibility ones). */
static void probe3(clams__gpu_list_t *l, const char *var, const char *value)
{
    dir = fake_gpu_setup(THREE_GPUS);
    ck_assert_ptr_nonnull(dir);
    if (var)
        setenv(var, value, 1);
    clams__gpu_probe(l);
}

START_TEST(one_gpu_nvml)
{
    dir = fake_gpu_setup("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n");
    ck_assert_int_eq(fake_gpu_set_proc(dir, getpid(), U0 " 1073741824\n"), 0);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_int_eq(l.source, CLAMS_GPU_SRC_NVML);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].name, "NVIDIA H100 80GB HBM3");
    ck_assert_str_eq(l.gpus[0].uuid, U0);
    ck_assert_uint_eq(l.gpus[0].total_bytes, 81559 * MIB);
    ck_assert(l.gpus[0].free_valid);
    ck_assert_uint_eq(l.gpus[0].free_bytes, 81559 * MIB - 1073741824ULL);
}
END_TEST

START_TEST(several_gpus_in_nvml_order)
{
    clams__gpu_list_t l;
    probe3(&l, NULL, NULL);
    ck_assert_uint_eq(l.count, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(l.gpus[i].index, i);
    ck_assert_str_eq(l.gpus[2].uuid, U2);
    ck_assert_uint_eq(l.gpus[1].total_bytes, 24564 * MIB);
}
END_TEST

START_TEST(cuda_visible_by_index_in_list_order)
{
    clams__gpu_list_t l;
    probe3(&l, "CUDA_VISIBLE_DEVICES", "2,0");
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.gpus[0].uuid, U2);
    ck_assert_str_eq(l.gpus[1].uuid, U0);
}
END_TEST

START_TEST(cuda_visible_by_uuid_and_prefix)
{
    clams__gpu_list_t l;
    probe3(&l, "CUDA_VISIBLE_DEVICES", U1 ",GPU-0000");
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.gpus[0].uuid, U1);
    ck_assert_str_eq(l.gpus[1].uuid, U0);
}
END_TEST

START_TEST(cuda_visible_ambiguous_prefix_stops)
{
    /* "GPU-1111" matches two devices: it names none, and the list ends. */
    clams__gpu_list_t l;
    probe3(&l, "CUDA_VISIBLE_DEVICES", "0,GPU-1111,2");
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, U0);
}
END_TEST

START_TEST(cuda_visible_empty_means_none)
{
    clams__gpu_list_t l;
    probe3(&l, "CUDA_VISIBLE_DEVICES", "");
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_nonnull(strstr(l.why, "CUDA_VISIBLE_DEVICES"));
}
END_TEST

START_TEST(cuda_visible_invalid_stops_the_list)
{
    clams__gpu_list_t l;
    probe3(&l, "CUDA_VISIBLE_DEVICES", "1,7,0");
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, U1);
}
END_TEST

START_TEST(cuda_visible_invalid_first_means_none)
{
    clams__gpu_list_t l;
    probe3(&l, "CUDA_VISIBLE_DEVICES", "-1");
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_nonnull(strstr(l.why, "-1"));
}
END_TEST

START_TEST(cuda_visible_beats_nvidia_visible)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    setenv("NVIDIA_VISIBLE_DEVICES", "none", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, U1);
}
END_TEST

START_TEST(nvidia_visible_words)
{
    static const char *const none[] = {"none", "void", ""};
    for (int i = 0; i < 3; i++) {
        setenv("NVIDIA_VISIBLE_DEVICES", none[i], 1);
        clams__gpu_list_t l;
        if (!dir)
            dir = fake_gpu_setup(THREE_GPUS);
        setenv("NVIDIA_VISIBLE_DEVICES", none[i], 1);
        clams__gpu_probe(&l);
        ck_assert_uint_eq(l.count, 0);
    }
    setenv("NVIDIA_VISIBLE_DEVICES", "all", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 3);
}
END_TEST

START_TEST(nvidia_visible_list_filters_when_unapplied)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("NVIDIA_VISIBLE_DEVICES", U2 ",1", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.gpus[0].uuid, U2);
    ck_assert_str_eq(l.gpus[1].uuid, U1);
}
END_TEST

START_TEST(nvidia_visible_list_already_applied_by_runtime)
{
    /* In a container started with NVIDIA_VISIBLE_DEVICES=3 the one device
     * seen is numbered 0: the host index must not filter it away. */
    dir = fake_gpu_setup("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n");
    setenv("NVIDIA_VISIBLE_DEVICES", "3", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
}
END_TEST

START_TEST(nvml_missing_falls_back_to_smi)
{
    dir = fake_gpu_setup(THREE_GPUS);
    ck_assert_int_eq(fake_gpu_set_proc(dir, getpid(), U1 " 2147483648\n"), 0);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_int_eq(l.source, CLAMS_GPU_SRC_NVIDIA_SMI);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_str_eq(l.gpus[1].name, "NVIDIA GeForce RTX 4090");
    ck_assert_str_eq(l.gpus[1].uuid, U1);
    ck_assert_uint_eq(l.gpus[1].total_bytes, 24564 * MIB);
    ck_assert(l.gpus[1].free_valid);
    ck_assert_uint_eq(l.gpus[1].free_bytes, (24564 - 2048) * MIB);
    /* Per-process figures come from nvidia-smi's compute apps (issue 14;
     * before, this query answered CLAMS_ENOGPU without NVML). */
    unsigned long long b = 1;
    clams__gpu_pm_t m = CLAMS_GPU_PM_NVML;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U1, getpid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, 2048 * MIB);
    ck_assert_str_eq(clams__gpu_pm_name(m), "nvidia-smi");
}
END_TEST

START_TEST(nvml_init_failure_falls_back_to_smi)
{
    dir = fake_gpu_setup(THREE_GPUS);
    fake_gpu_write(dir, "mode", "nvml_init_fail\n");
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_int_eq(l.source, CLAMS_GPU_SRC_NVIDIA_SMI);
    ck_assert_uint_eq(l.count, 3);
}
END_TEST

START_TEST(smi_filtered_by_cuda_visible)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("CUDA_VISIBLE_DEVICES", "GPU-1111", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 0); /* ambiguous prefix */
    setenv("CUDA_VISIBLE_DEVICES", "GPU-11112", 1);
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.gpus[0].uuid, U2);
}
END_TEST

START_TEST(both_missing)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("CLAMS_NVIDIA_SMI", "/nonexistent/nvidia-smi", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(l.source, CLAMS_GPU_SRC_NONE);
    ck_assert_ptr_nonnull(strstr(l.why, "nvml:"));
    ck_assert_ptr_nonnull(strstr(l.why, "nvidia-smi:"));
}
END_TEST

START_TEST(smi_not_on_path)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    unsetenv("CLAMS_NVIDIA_SMI");
    setenv("PATH", dir, 1); /* a folder without nvidia-smi */
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_nonnull(strstr(l.why, "not found"));
}
END_TEST

START_TEST(smi_on_path)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    unsetenv("CLAMS_NVIDIA_SMI");
    setenv("PATH", "/nonexistent:" FAKE_GPU_BIN_DIR ":/usr/bin:/bin", 1);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 3);
}
END_TEST

static void smi_mode_gives_none(const char *mode, const char *why_part)
{
    dir = fake_gpu_setup(THREE_GPUS);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("CLAMS_TEST_SMI_TIMEOUT_MS", "300", 1);
    fake_gpu_write(dir, "mode", mode);
    clams__gpu_list_t l;
    clams__gpu_probe(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(l.source, CLAMS_GPU_SRC_NONE);
    ck_assert_msg(strstr(l.why, why_part), "why=\"%s\" lacks \"%s\"", l.why, why_part);
}

START_TEST(smi_broken)
{
    smi_mode_gives_none("smi_broken\n", "exit status 1");
}
END_TEST
START_TEST(smi_garbage)
{
    smi_mode_gives_none("smi_garbage\n", "unparseable");
}
END_TEST
START_TEST(smi_empty)
{
    smi_mode_gives_none("smi_empty\n", "empty");
}
END_TEST
START_TEST(smi_hang)
{
    smi_mode_gives_none("smi_hang\n", "no answer within 300 ms");
}
END_TEST

START_TEST(memory_info_is_live)
{
    dir = fake_gpu_setup(THREE_GPUS);
    unsigned long long total = 0, freeb = 0;
    ck_assert_int_eq(clams__gpu_memory_info(U1, &total, &freeb), 0);
    ck_assert_uint_eq(total, 24564 * MIB);
    ck_assert_uint_eq(freeb, total);
    fake_gpu_set_proc(dir, getpid(), U1 " 1048576000\n");
    ck_assert_int_eq(clams__gpu_memory_info(U1, &total, &freeb), 0);
    ck_assert_uint_eq(freeb, total - 1048576000ULL);
    ck_assert_int_eq(clams__gpu_memory_info("GPU-nope", &total, &freeb), CLAMS_ENOTFOUND);
}
END_TEST

START_TEST(dead_process_frees_memory)
{
    dir = fake_gpu_setup(THREE_GPUS);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    fake_gpu_set_proc(dir, child, U0 " 4294967296\n");
    unsigned long long total = 0, freeb = 0;
    ck_assert_int_eq(clams__gpu_memory_info(U0, &total, &freeb), 0);
    ck_assert_uint_eq(freeb, total - 4294967296ULL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ck_assert_int_eq(clams__gpu_memory_info(U0, &total, &freeb), 0);
    ck_assert_uint_eq(freeb, total);
}
END_TEST

START_TEST(process_memory_compute_and_graphics)
{
    dir = fake_gpu_setup(THREE_GPUS);
    unsigned long long b = 1;
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 0); /* listed nowhere, nobody else either */
    /* Two compute entries (MIG instances) add up. */
    fake_gpu_set_proc(dir, getpid(), U0 " 1000\n" U0 " 500\n" U1 " 7\n");
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 1500);
    /* Graphics only. */
    fake_gpu_set_proc(dir, getpid(), U0 " 3000 graphics\n");
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 3000);
    /* In both lists with one footprint: not counted twice. */
    fake_gpu_set_proc(dir, getpid(), U0 " 3000 both\n");
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 3000);
    ck_assert_int_eq(clams__gpu_process_memory("GPU-nope", getpid(), &b), CLAMS_ENOTFOUND);
}
END_TEST

START_TEST(process_memory_others_visible_means_zero)
{
    dir = fake_gpu_setup(THREE_GPUS);
    /* Our parent (the test runner) holds memory; we do not. */
    fake_gpu_set_proc(dir, getppid(), U0 " 123456\n");
    unsigned long long b = 1;
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 0);
    ck_assert_int_eq(clams__gpu_process_memory(U0, getppid(), &b), 0);
    ck_assert_uint_eq(b, 123456);
}
END_TEST

START_TEST(process_memory_pid_namespace)
{
    dir = fake_gpu_setup(THREE_GPUS);
    fake_gpu_write(dir, "mode", "pid_namespace\n");
    fake_gpu_set_proc(dir, getpid(), U0 " 123456\n");
    unsigned long long b = 1;
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), CLAMS_ENOTFOUND);
}
END_TEST

START_TEST(process_memory_v3_stride_trap)
{
    dir = fake_gpu_setup(THREE_GPUS);
    fake_gpu_write(dir, "mode", "v3_stride32\n");
    fake_gpu_set_proc(dir, getppid(), U0 " 111111\n");
    fake_gpu_set_proc(dir, getpid(), U0 " 222222\n");
    unsigned long long b = 0;
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 222222);
    ck_assert_int_eq(clams__gpu_process_memory(U0, getppid(), &b), 0);
    ck_assert_uint_eq(b, 111111);
}
END_TEST

START_TEST(process_memory_after_fork)
{
    /* The session opened in the parent is re-initialised in a child. */
    dir = fake_gpu_setup(THREE_GPUS);
    unsigned long long b = 0;
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        fake_gpu_set_proc(dir, getpid(), U0 " 4242\n");
        unsigned long long c = 0;
        int rc = clams__gpu_process_memory(U0, getpid(), &c);
        _exit(rc == 0 && c == 4242 ? 0 : 1);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(child, &st, 0), child);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

static int run_capture(const char *args, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s", FAKE_GPU_BIN_DIR "/nvidia-smi", args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    return pclose(p);
}

START_TEST(fake_smi_answers_queries)
{
    dir = fake_gpu_setup(THREE_GPUS);
    fake_gpu_set_proc(dir, getpid(), U1 " 1073741824\n");
    char out[2048];
    ck_assert_int_eq(run_capture("--query-gpu=memory.used,name,index,memory.free "
                                 "--format=csv,noheader,nounits -i 1",
                                 out, sizeof(out)),
                     0);
    ck_assert_str_eq(out, "1024, NVIDIA GeForce RTX 4090, 1, 23540\n");
    ck_assert_int_eq(run_capture("--query-gpu=uuid,memory.total --format=csv", out, sizeof(out)),
                     0);
    ck_assert_str_eq(out, "uuid, memory.total [MiB]\n" U0 ", 81559 MiB\n" U1 ", 24564 MiB\n" U2
                          ", 24564 MiB\n");
    ck_assert_int_ne(run_capture("--query-gpu=bogus --format=csv", out, sizeof(out)), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gpu_probe");
    TCase *tc = tcase_create("probe");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, one_gpu_nvml);
    tcase_add_test(tc, several_gpus_in_nvml_order);
    tcase_add_test(tc, cuda_visible_by_index_in_list_order);
    tcase_add_test(tc, cuda_visible_by_uuid_and_prefix);
    tcase_add_test(tc, cuda_visible_ambiguous_prefix_stops);
    tcase_add_test(tc, cuda_visible_empty_means_none);
    tcase_add_test(tc, cuda_visible_invalid_stops_the_list);
    tcase_add_test(tc, cuda_visible_invalid_first_means_none);
    tcase_add_test(tc, cuda_visible_beats_nvidia_visible);
    tcase_add_test(tc, nvidia_visible_words);
    tcase_add_test(tc, nvidia_visible_list_filters_when_unapplied);
    tcase_add_test(tc, nvidia_visible_list_already_applied_by_runtime);
    tcase_add_test(tc, nvml_missing_falls_back_to_smi);
    tcase_add_test(tc, nvml_init_failure_falls_back_to_smi);
    tcase_add_test(tc, smi_filtered_by_cuda_visible);
    tcase_add_test(tc, both_missing);
    tcase_add_test(tc, smi_not_on_path);
    tcase_add_test(tc, smi_on_path);
    tcase_add_test(tc, smi_broken);
    tcase_add_test(tc, smi_garbage);
    tcase_add_test(tc, smi_empty);
    tcase_add_test(tc, smi_hang);
    tcase_add_test(tc, memory_info_is_live);
    tcase_add_test(tc, dead_process_frees_memory);
    tcase_add_test(tc, process_memory_compute_and_graphics);
    tcase_add_test(tc, process_memory_others_visible_means_zero);
    tcase_add_test(tc, process_memory_pid_namespace);
    tcase_add_test(tc, process_memory_v3_stride_trap);
    tcase_add_test(tc, process_memory_after_fork);
    tcase_add_test(tc, fake_smi_answers_queries);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
