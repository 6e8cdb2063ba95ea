/* A real PID namespace: this program runs itself under
 * `unshare --pid --fork --mount-proc`, where it is pid 1, while the fake NVML
 * lists it by its real host PID (the outer half reads it from
 * /proc/<unshare>/task/<unshare>/children and writes the fake's pidmap). The
 * inner half shows what a worker in a container sees: its own pid is not
 * listed and the host PID is not visible (unavailable-pid-namespace); the
 * listed PID, asked as a host PID, gives the figure; hwFetch told its host
 * PID reports the peak. The same through nvidia-smi's compute apps when NVML
 * cannot be loaded. Exits 77 (skipped) where unshare is not permitted. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clams/error.h"
#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "app/hwfetch.h"
#include "../support/check_run.h"

#define U0   "GPU-00000000-aaaa-0000-0000-000000000000"
#define HELD 2147483648ULL

static char self_exe[4096];
static char *dir;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- Inside the namespace ------------------------------------------------ */

#define EXPECT(cond)                                                                 \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "inner: %s:%d: %s failed\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static int inner(void)
{
    const char *d = getenv("CLAMS_FAKE_GPU_DIR");
    EXPECT(d != NULL);
    EXPECT(getpid() == 1);
    EXPECT(fake_gpu_set_proc(d, getpid(), U0 " 2147483648\n") == 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/pidmap", d);
    unsigned int from = 0, host = 0;
    for (int i = 0; i < 1000 && host == 0; i++) {
        FILE *f = fopen(path, "re");
        if (f) {
            if (fscanf(f, "%u %u", &from, &host) != 2)
                host = 0;
            fclose(f);
        }
        if (host == 0)
            sleep_ms(10);
    }
    EXPECT(from == 1 && host > 1);
    /* Which source the outer half arranged: NVML, or nvidia-smi alone. */
    bool smi = getenv("GPU_PIDNS_SMI") != NULL;
    clams__gpu_pm_t source = smi ? CLAMS_GPU_PM_NVIDIA_SMI : CLAMS_GPU_PM_NVML;
    /* What every worker in a container saw before issue 14. */
    unsigned long long b = 7;
    clams__gpu_pm_t m = CLAMS_GPU_PM_NVML;
    EXPECT(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m) == CLAMS_ENOTFOUND);
    EXPECT(m == CLAMS_GPU_PM_PID_NAMESPACE);
    clams__gpu_proc_t p[4];
    size_t n = 0;
    EXPECT(clams__gpu_process_list(U0, p, 4, &n, &m) == 0);
    EXPECT(n == 1 && p[0].pid == host && !p[0].visible && p[0].bytes == HELD && m == source);
    EXPECT(clams__gpu_process_memory_ex(U0, (pid_t)host, CLAMS_GPU_PID_HOST, &b, &m) == 0);
    EXPECT(b == HELD && m == source);
    clams__gpu_set_self_host_pid((pid_t)host);
    unsigned long long peak = 0;
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), &peak);
    json_t *g = json_array_get(json_object_get(hw, "gpus"), 0);
    EXPECT(g != NULL);
    EXPECT(strcmp(json_string_value(json_object_get(g, "peakMethod")),
                  smi ? "nvidia-smi-process-sampled" : "nvml-process-sampled") == 0);
    EXPECT(peak == HELD);
    json_decref(hw);
    return 0;
}

/* ---- Outside ------------------------------------------------------------- */

/* The host PID of the one child of `parent` (unshare's forked child). */
static pid_t child_of(pid_t parent)
{
    char path[128];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "re");
        int c = 0;
        if (f) {
            if (fscanf(f, "%d", &c) != 1)
                c = 0;
            fclose(f);
        }
        if (c > 0)
            return (pid_t)c;
        sleep_ms(10);
    }
    return -1;
}

static void run_in_namespace(void)
{
    pid_t u = fork();
    ck_assert_int_ge(u, 0);
    if (u == 0) {
        execlp("unshare", "unshare", "--pid", "--fork", "--mount-proc", self_exe, "--inner",
               (char *)NULL);
        _exit(127);
    }
    pid_t host = child_of(u);
    ck_assert_int_gt(host, 1);
    char map[64];
    snprintf(map, sizeof(map), "1 %d\n", (int)host);
    ck_assert_int_eq(fake_gpu_write(dir, "pidmap", map), 0);
    int st = 0;
    ck_assert_int_eq(waitpid(u, &st, 0), u);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "inner half failed (status %d)", st);
    fake_gpu_cleanup(dir);
    dir = NULL;
}

START_TEST(worker_in_a_pid_namespace)
{
    dir = fake_gpu_setup("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n");
    ck_assert_ptr_nonnull(dir);
    run_in_namespace();
}
END_TEST

START_TEST(worker_in_a_pid_namespace_nvidia_smi)
{
    dir = fake_gpu_setup("0 " U0 " 81559 NVIDIA H100 80GB HBM3\n");
    ck_assert_ptr_nonnull(dir);
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("GPU_PIDNS_SMI", "1", 1);
    run_in_namespace();
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--inner") == 0)
        return inner();
    ssize_t l = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (l <= 0)
        snprintf(self_exe, sizeof(self_exe), "%s", argv[0]);
    else
        self_exe[l] = '\0';
    if (system("unshare --pid --fork --mount-proc true >/dev/null 2>&1") != 0) {
        fprintf(stderr, "unshare --pid is not permitted here: skipped\n");
        return 77;
    }
    Suite *s = suite_create("gpu_pidns");
    TCase *tc = tcase_create("pidns");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, worker_in_a_pid_namespace);
    tcase_add_test(tc, worker_in_a_pid_namespace_nvidia_smi);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
