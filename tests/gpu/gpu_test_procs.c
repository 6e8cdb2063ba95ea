/* Per-process figures and process lists: host PIDs (the fake's pid_offset
 * and pidmap stand for a driver that lists host PIDs), the flags of
 * clams__gpu_process_memory_ex, this process's host PID for hwFetch, the
 * nvidia-smi compute-apps fallback (figures, cache, bounds) and bad answers,
 * each with the reason it gives. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clams/error.h"
#include "fake_gpu_env.h"
#include "gpu/gpu.h"
#include "app/hwfetch.h"
#include "../support/check_run.h"

#define MIB (1024ULL * 1024ULL)
#define GIB (1024ULL * MIB)
#define U0  "GPU-00000000-aaaa-0000-0000-000000000000"
#define U1  "GPU-11111111-bbbb-0000-0000-000000000000"
#define TWO_GPUS                             \
    "0 " U0 " 81559 NVIDIA H100 80GB HBM3\n" \
    "1 " U1 " 24564 NVIDIA GeForce RTX 4090\n"
#define OFFSET 3000000U /* above any pid_max: never a pid of this machine */

static char *dir;

static void teardown(void)
{
    fake_gpu_cleanup(dir);
    dir = NULL;
}

static void setup(void)
{
    dir = fake_gpu_setup(TWO_GPUS);
    ck_assert_ptr_nonnull(dir);
}

static void no_nvml(void)
{
    setenv("CLAMS_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static unsigned long long counter(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "re");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

START_TEST(names_are_distinct)
{
    static const char *const want[] = {"nvml",
                                       "nvidia-smi",
                                       "unavailable-no-nvml",
                                       "unavailable-pid-namespace",
                                       "unavailable-not-listed",
                                       "unavailable-not-reported",
                                       "unavailable-unknown-gpu",
                                       "unavailable-query-failed"};
    ck_assert_int_eq(CLAMS_GPU_PM_COUNT_, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < CLAMS_GPU_PM_COUNT_; i++) {
        ck_assert_str_eq(clams__gpu_pm_name((clams__gpu_pm_t)i), want[i]);
    }
    ck_assert_str_eq(clams__gpu_pm_name(CLAMS_GPU_PM_COUNT_), "unavailable");
    ck_assert_str_eq(clams__gpu_pm_name((clams__gpu_pm_t)-1), "unavailable");
}
END_TEST

START_TEST(list_nvml)
{
    setup();
    fake_gpu_set_proc(dir, getpid(), U0 " 1000\n" U0 " 500\n" U1 " 7\n");
    fake_gpu_set_proc(dir, getppid(), U0 " 4000 both\n");
    clams__gpu_proc_t p[4];
    size_t n = 0;
    clams__gpu_pm_t m = CLAMS_GPU_PM_QUERY_FAILED;
    ck_assert_int_eq(clams__gpu_process_list(U0, p, 4, &n, &m), 0);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVML);
    ck_assert_uint_eq(n, 2);
    bool self = false, parent = false;
    for (size_t i = 0; i < n; i++) {
        ck_assert(p[i].visible);
        ck_assert(p[i].bytes_valid);
        if (p[i].pid == (unsigned int)getpid()) {
            self = true;
            ck_assert_uint_eq(p[i].bytes, 1500); /* one list's entries add up */
        } else {
            parent = p[i].pid == (unsigned int)getppid();
            ck_assert_uint_eq(p[i].bytes, 4000); /* both lists: counted once */
        }
    }
    ck_assert(self && parent);
    /* Too small a buffer: the first entries, the real count, ETOOBIG. */
    ck_assert_int_eq(clams__gpu_process_list(U0, p, 1, &n, &m), CLAMS_ETOOBIG);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(clams__gpu_process_list(U0, NULL, 0, &n, &m), CLAMS_ETOOBIG);
    ck_assert_int_eq(clams__gpu_process_list(U1, p, 4, &n, &m), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(clams__gpu_process_list("GPU-nope", p, 4, &n, &m), CLAMS_ENOTFOUND);
    ck_assert_int_eq(m, CLAMS_GPU_PM_UNKNOWN_GPU);
    ck_assert_int_eq(clams__gpu_process_list(NULL, p, 4, &n, &m), CLAMS_EINVAL);
}
END_TEST

START_TEST(host_pids)
{
    /* The driver lists host PIDs: ours + OFFSET, which does not exist here. */
    setup();
    char off[32];
    snprintf(off, sizeof(off), "%u\n", OFFSET);
    fake_gpu_write(dir, "pid_offset", off);
    fake_gpu_set_proc(dir, getpid(), U0 " 2147483648\n");
    unsigned int host = (unsigned int)getpid() + OFFSET;
    clams__gpu_proc_t p[4];
    size_t n = 0;
    clams__gpu_pm_t m;
    ck_assert_int_eq(clams__gpu_process_list(U0, p, 4, &n, &m), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(p[0].pid, host);
    ck_assert(!p[0].visible);
    ck_assert_uint_eq(p[0].bytes, 2147483648ULL);
    unsigned long long b = 1;
    /* Our own pid: the PID-namespace signal stays available. */
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m), CLAMS_ENOTFOUND);
    ck_assert_str_eq(clams__gpu_pm_name(m), "unavailable-pid-namespace");
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), CLAMS_ENOTFOUND);
    /* The host PID, said to be one: the figure. */
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, (pid_t)host, CLAMS_GPU_PID_HOST, &b, &m), 0);
    ck_assert_uint_eq(b, 2147483648ULL);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVML);
    /* A host PID not listed holds nothing, unless the caller insists it must be listed. */
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, (pid_t)host + 1, CLAMS_GPU_PID_HOST, &b, &m),
                     0);
    ck_assert_uint_eq(b, 0);
    ck_assert_int_eq(clams__gpu_process_memory_ex(
                         U0, (pid_t)host + 1, CLAMS_GPU_PID_HOST | CLAMS_GPU_PID_LISTED, &b, &m),
                     CLAMS_ENOTFOUND);
    ck_assert_str_eq(clams__gpu_pm_name(m), "unavailable-not-listed");
    /* On the other GPU nothing is listed: 0, whatever the pid. */
    ck_assert_int_eq(clams__gpu_process_memory_ex(U1, getpid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, 0);
}
END_TEST

START_TEST(pidmap_two_appear_at_once)
{
    /* A pid map reports chosen pids: a test can make two processes appear. */
    setup();
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    char map[128];
    snprintf(map, sizeof(map), "%d 4100001\n%d 4100002\n", (int)getpid(), (int)child);
    fake_gpu_write(dir, "pidmap", map);
    fake_gpu_set_proc(dir, getpid(), U1 " 1048576\n");
    fake_gpu_set_proc(dir, child, U1 " 2097152\n");
    clams__gpu_proc_t p[4];
    size_t n = 0;
    ck_assert_int_eq(clams__gpu_process_list(U1, p, 4, &n, NULL), 0);
    ck_assert_uint_eq(n, 2);
    unsigned int seen = 0;
    for (size_t i = 0; i < n; i++)
        seen |= p[i].pid == 4100001 ? 1 : p[i].pid == 4100002 ? 2 : 4;
    ck_assert_uint_eq(seen, 3);
    unsigned long long b = 0;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U1, 4100002, CLAMS_GPU_PID_HOST, &b, NULL), 0);
    ck_assert_uint_eq(b, 2097152);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* A dead process leaves the list. */
    ck_assert_int_eq(clams__gpu_process_list(U1, p, 4, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(p[0].pid, 4100001);
}
END_TEST

/* A child that sits until killed. */
static pid_t idle_child(void)
{
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        pause();
        _exit(0);
    }
    return c;
}

START_TEST(appeared_between_two_lists)
{
    /* What the supervisor's binding does: a list before a worker creates its
     * context, one after; exactly one new pid is the worker's host PID. */
    setup();
    char off[32];
    snprintf(off, sizeof(off), "%u\n", OFFSET);
    fake_gpu_write(dir, "pid_offset", off);
    fake_gpu_set_proc(dir, getpid(), U0 " 1048576\n");
    clams__gpu_proc_t before[8], after[8];
    size_t nb = 0, na = 0;
    ck_assert_int_eq(clams__gpu_process_list(U0, before, 8, &nb, NULL), 0);
    ck_assert_uint_eq(nb, 1);
    pid_t a = idle_child();
    fake_gpu_set_proc(dir, a, U0 " 2097152\n");
    fake_gpu_set_proc(dir, getpid(), U0 " 9999999\n"); /* a figure that changed: not new */
    ck_assert_int_eq(clams__gpu_process_list(U0, after, 8, &na, NULL), 0);
    unsigned int pid = 1;
    ck_assert_uint_eq(clams__gpu_proc_appeared(before, nb, after, na, &pid), 1);
    ck_assert_uint_eq(pid, (unsigned int)a + OFFSET);
    /* Two at once: ambiguous, no pid. */
    pid_t b = idle_child(), c = idle_child();
    fake_gpu_set_proc(dir, b, U0 " 1\n");
    fake_gpu_set_proc(dir, c, U0 " 1\n");
    memcpy(before, after, sizeof(after));
    nb = na;
    ck_assert_int_eq(clams__gpu_process_list(U0, after, 8, &na, NULL), 0);
    ck_assert_uint_eq(clams__gpu_proc_appeared(before, nb, after, na, &pid), 2);
    ck_assert_uint_eq(pid, 0);
    /* None (the worker made no context, or exited): 0, no pid. */
    pid = 1;
    ck_assert_uint_eq(clams__gpu_proc_appeared(after, na, after, na, &pid), 0);
    ck_assert_uint_eq(pid, 0);
    ck_assert_uint_eq(clams__gpu_proc_appeared(NULL, 0, after, 1, NULL), 1);
    const pid_t kids[] = {a, b, c};
    for (size_t i = 0; i < 3; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
}
END_TEST

START_TEST(self_host_pid)
{
    setup();
    char off[32];
    snprintf(off, sizeof(off), "%u\n", OFFSET);
    fake_gpu_write(dir, "pid_offset", off);
    fake_gpu_set_proc(dir, getpid(), U0 " 3221225472\n");
    ck_assert_int_eq(clams__gpu_self_host_pid(), 0);
    clams__gpu_set_self_host_pid(getpid() + (pid_t)OFFSET);
    ck_assert_int_eq(clams__gpu_self_host_pid(), getpid() + (pid_t)OFFSET);
    unsigned long long b = 0;
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), 0);
    ck_assert_uint_eq(b, 3221225472ULL);
    /* hwFetch asks for the host PID: a peak with the NVML method. */
    unsigned long long peak = 0;
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), &peak);
    json_t *g = json_array_get(json_object_get(hw, "gpus"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")), "nvml-process-sampled");
    ck_assert_uint_eq(peak, 3221225472ULL);
    json_decref(hw);
    /* A forked child is another process: it does not inherit the binding. */
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0)
        _exit(clams__gpu_self_host_pid() == 0 ? 0 : 1);
    int st = 0;
    waitpid(child, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    clams__gpu_set_self_host_pid(0);
    ck_assert_int_eq(clams__gpu_process_memory(U0, getpid(), &b), CLAMS_ENOTFOUND);
}
END_TEST

START_TEST(not_reported_figure)
{
    /* NVML_VALUE_NOT_AVAILABLE for our entry (WDDM, some vGPUs). */
    setup();
    fake_gpu_set_proc(dir, getpid(), U0 " 18446744073709551615\n");
    unsigned long long b = 5;
    clams__gpu_pm_t m;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m), CLAMS_ENOGPU);
    ck_assert_str_eq(clams__gpu_pm_name(m), "unavailable-not-reported");
    clams__gpu_proc_t p[2];
    size_t n = 0;
    ck_assert_int_eq(clams__gpu_process_list(U0, p, 2, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert(!p[0].bytes_valid);
}
END_TEST

START_TEST(smi_figures)
{
    setup();
    no_nvml();
    fake_gpu_set_proc(dir, getpid(), U1 " 1073741824\n");
    fake_gpu_set_proc(dir, getppid(), U1 " 536870912\n" U0 " 3000 graphics\n");
    unsigned long long b = 0;
    clams__gpu_pm_t m = CLAMS_GPU_PM_NVML;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U1, getpid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, GIB);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVIDIA_SMI);
    ck_assert_int_eq(clams__gpu_process_memory_ex(U1, getppid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, 512 * MIB);
    clams__gpu_proc_t p[4];
    size_t n = 0;
    ck_assert_int_eq(clams__gpu_process_list(U1, p, 4, &n, &m), 0);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVIDIA_SMI);
    ck_assert_uint_eq(n, 2);
    /* compute apps only: a graphics context is not in nvidia-smi's list */
    ck_assert_int_eq(clams__gpu_process_list(U0, p, 4, &n, &m), 0);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(smi_host_pids)
{
    setup();
    no_nvml();
    char map[64];
    snprintf(map, sizeof(map), "%d 4200042\n", (int)getpid());
    fake_gpu_write(dir, "pidmap", map);
    fake_gpu_set_proc(dir, getpid(), U0 " 2147483648\n");
    unsigned long long b = 0;
    clams__gpu_pm_t m;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m), CLAMS_ENOTFOUND);
    ck_assert_int_eq(m, CLAMS_GPU_PM_PID_NAMESPACE);
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, 4200042, CLAMS_GPU_PID_HOST, &b, &m), 0);
    ck_assert_uint_eq(b, 2 * GIB);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVIDIA_SMI);
}
END_TEST

START_TEST(smi_cached_100ms)
{
    setup();
    no_nvml();
    fake_gpu_write(dir, "mode", "count_reads\n");
    fake_gpu_set_proc(dir, getpid(), U0 " 1048576\n");
    unsigned long long b = 0;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, NULL), 0);
    ck_assert_uint_eq(counter("smi_reads"), 1);
    /* The 100 ms count from the end of that run: queries within them share it. */
    double t0 = now();
    int calls = 0;
    for (; calls < 50 && now() - t0 < 0.05; calls++)
        ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, NULL), 0);
    ck_assert_int_ge(calls, 1);
    if (now() - t0 < 0.09) /* a machine this slow (valgrind) proves nothing here */
        ck_assert_uint_eq(counter("smi_reads"), 1);
    ck_assert_uint_eq(b, 1048576);
    /* The cached answer is the one from the run: a change shows after 100 ms. */
    fake_gpu_set_proc(dir, getpid(), U0 " 2097152\n");
    sleep_ms(150);
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, NULL), 0);
    ck_assert_uint_eq(b, 2097152);
    ck_assert_uint_ge(counter("smi_reads"), 2);
}
END_TEST

static void smi_apps_mode(const char *mode, int want_rc, clams__gpu_pm_t want)
{
    setup();
    no_nvml();
    setenv("CLAMS_TEST_SMI_TIMEOUT_MS", "300", 1);
    fake_gpu_write(dir, "mode", mode);
    fake_gpu_set_proc(dir, getpid(), U0 " 1048576\n");
    unsigned long long b = 77;
    clams__gpu_pm_t m = CLAMS_GPU_PM_NVML;
    double t0 = now();
    int rc = clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m);
    ck_assert_msg(now() - t0 < 3.0, "took %.2f s", now() - t0);
    ck_assert_int_eq(rc, want_rc);
    ck_assert_msg(m == want, "%s, not %s", clams__gpu_pm_name(m), clams__gpu_pm_name(want));
    if (want_rc != 0)
        ck_assert_uint_eq(b, 77); /* untouched: no made-up figure */
}

START_TEST(smi_apps_garbage)
{
    smi_apps_mode("apps_garbage\n", CLAMS_ENOGPU, CLAMS_GPU_PM_QUERY_FAILED);
}
END_TEST
START_TEST(smi_apps_fail)
{
    smi_apps_mode("apps_fail\n", CLAMS_ENOGPU, CLAMS_GPU_PM_QUERY_FAILED);
}
END_TEST
START_TEST(smi_apps_na)
{
    smi_apps_mode("apps_na\n", CLAMS_ENOGPU, CLAMS_GPU_PM_NOT_REPORTED);
}
END_TEST
START_TEST(smi_apps_words_mean_none)
{
    setup();
    no_nvml();
    fake_gpu_write(dir, "mode", "apps_words\n");
    unsigned long long b = 77;
    clams__gpu_pm_t m;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m), 0);
    ck_assert_uint_eq(b, 0);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NVIDIA_SMI);
}
END_TEST

/* Answers written byte for byte: what parses and what is refused as a whole. */
START_TEST(smi_apps_answers)
{
    static const struct {
        const char *text;
        size_t len; /* 0: a format given our pid; else raw bytes */
        int rc;
        unsigned long long bytes;
        clams__gpu_pm_t m;
    } cases[] = {
        {"%d, 1024, " U0 "\n", 0, 0, GIB, CLAMS_GPU_PM_NVIDIA_SMI},
        {"  %d ,  1024 ,  " U0 "  \r\n\n\n", 0, 0, GIB, CLAMS_GPU_PM_NVIDIA_SMI},
        {"%d, 512, " U0 "\n%d, 512, " U0 "\n", 0, 0, GIB, CLAMS_GPU_PM_NVIDIA_SMI},
        {"%d, 10, " U1 "\n", 0, 0, 0, CLAMS_GPU_PM_NVIDIA_SMI}, /* another GPU */
        {"", 0, 0, 0, CLAMS_GPU_PM_NVIDIA_SMI},
        {"%d, [Not Supported], " U0 "\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_NOT_REPORTED},
        {"0, 10, " U0 "\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"-%d, 10, " U0 "\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"99999999999, 10, " U0 "\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"%d, 10\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"%d, 10, " U0 ", extra\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"%d, ten, " U0 "\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"%d, 1e30, " U0 "\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"%d, 10, GPU a b\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        {"%d, 10, \n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        /* one good line, one bad: the whole answer is refused */
        {"%d, 1024, " U0 "\nnonsense\n", 0, CLAMS_ENOGPU, 0, CLAMS_GPU_PM_QUERY_FAILED},
        /* a NUL would hide the rest of the answer */
        {"4242, 1024, " U0 "\n\0junk\n", sizeof("4242, 1024, " U0 "\n\0junk\n") - 1, CLAMS_ENOGPU,
         0, CLAMS_GPU_PM_QUERY_FAILED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup();
        no_nvml();
        fake_gpu_write(dir, "mode", "apps_file\n");
        char text[512];
        int pid = (int)getpid();
        int len = (int)cases[i].len;
        if (len > 0) /* raw bytes, a NUL among them */
            memcpy(text, cases[i].text, cases[i].len);
        else
            len = snprintf(text, sizeof(text), cases[i].text, pid, pid);
        char path[4096];
        snprintf(path, sizeof(path), "%s/apps_out", dir);
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        fwrite(text, 1, (size_t)len, f);
        fclose(f);
        unsigned long long b = 77;
        clams__gpu_pm_t m = CLAMS_GPU_PM_NVML;
        int rc = clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m);
        ck_assert_msg(rc == cases[i].rc && m == cases[i].m, "case %zu: rc %d, %s", i, rc,
                      clams__gpu_pm_name(m));
        if (rc == 0)
            ck_assert_msg(b == cases[i].bytes, "case %zu: %llu bytes", i, b);
        teardown();
        sleep_ms(120); /* past the 100 ms the answer is cached for */
    }
}
END_TEST

START_TEST(smi_apps_hang_is_bounded_and_backs_off)
{
    smi_apps_mode("apps_hang count_reads\n", CLAMS_ENOGPU, CLAMS_GPU_PM_QUERY_FAILED);
    /* A hung nvidia-smi is not run again at once: the next queries answer
     * from the cached failure without waiting. */
    unsigned long long runs = counter("smi_reads");
    double t0 = now();
    unsigned long long b = 0;
    clams__gpu_pm_t m;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m), CLAMS_ENOGPU);
    ck_assert_msg(now() - t0 < 0.2, "took %.2f s", now() - t0);
    ck_assert_uint_eq(counter("smi_reads"), runs);
}
END_TEST

START_TEST(memory_info_without_nvml)
{
    /* Device memory from nvidia-smi's GPU list when NVML is missing (before
     * issue 14 this was CLAMS_ENOGPU), cached like the compute apps. */
    setup();
    no_nvml();
    fake_gpu_write(dir, "mode", "count_reads\n");
    fake_gpu_set_proc(dir, getpid(), U1 " 1073741824\n");
    unsigned long long total = 0, freeb = 0;
    ck_assert_int_eq(clams__gpu_memory_info(U1, &total, &freeb), 0);
    ck_assert_uint_eq(total, 24564 * MIB);
    ck_assert_uint_eq(freeb, (24564 - 1024) * MIB);
    ck_assert_int_eq(clams__gpu_memory_info(U0, &total, &freeb), 0);
    ck_assert_uint_eq(freeb, 81559 * MIB);
    ck_assert_uint_eq(counter("smi_reads"), 1); /* one run answered both */
    ck_assert_int_eq(clams__gpu_memory_info("GPU-nope", &total, &freeb), CLAMS_ENOTFOUND);
    ck_assert_int_eq(clams__gpu_memory_info(NULL, &total, &freeb), CLAMS_EINVAL);
    sleep_ms(150);
    fake_gpu_write(dir, "mode", "smi_garbage\n");
    ck_assert_int_eq(clams__gpu_memory_info(U1, &total, &freeb), CLAMS_ENOGPU);
}
END_TEST

START_TEST(no_source_at_all)
{
    setup();
    no_nvml();
    setenv("CLAMS_NVIDIA_SMI", "/nonexistent/nvidia-smi", 1);
    unsigned long long b = 0;
    clams__gpu_pm_t m;
    ck_assert_int_eq(clams__gpu_process_memory_ex(U0, getpid(), 0, &b, &m), CLAMS_ENOGPU);
    ck_assert_str_eq(clams__gpu_pm_name(m), "unavailable-no-nvml");
    size_t n = 3;
    ck_assert_int_eq(clams__gpu_process_list(U0, NULL, 0, &n, &m), CLAMS_ENOGPU);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(m, CLAMS_GPU_PM_NO_NVML);
    unsigned long long total = 0, freeb = 0;
    ck_assert_int_eq(clams__gpu_memory_info(U0, &total, &freeb), CLAMS_ENOGPU);
}
END_TEST

START_TEST(hwfetch_says_why)
{
    /* The GPUs are listed by nvidia-smi, its compute-apps answer is garbage:
     * the request still gets its hardware entry, with the reason. */
    setup();
    no_nvml();
    fake_gpu_write(dir, "mode", "apps_garbage\n");
    json_t *hw = clams__hwprof_end(clams__hwprof_begin(true), NULL);
    ck_assert_ptr_nonnull(hw);
    json_t *g = json_array_get(json_object_get(hw, "gpus"), 0);
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(json_string_value(json_object_get(g, "peakMethod")),
                     "unavailable-query-failed");
    ck_assert(json_is_null(json_object_get(g, "peakUsedBytes")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(json_object_get(hw, "cuda"), 0)),
                                 "peak used unknown"));
    json_decref(hw);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gpu_procs");
    TCase *tc = tcase_create("procs");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, names_are_distinct);
    tcase_add_test(tc, list_nvml);
    tcase_add_test(tc, host_pids);
    tcase_add_test(tc, pidmap_two_appear_at_once);
    tcase_add_test(tc, appeared_between_two_lists);
    tcase_add_test(tc, self_host_pid);
    tcase_add_test(tc, not_reported_figure);
    tcase_add_test(tc, smi_figures);
    tcase_add_test(tc, smi_host_pids);
    tcase_add_test(tc, smi_cached_100ms);
    tcase_add_test(tc, smi_apps_garbage);
    tcase_add_test(tc, smi_apps_fail);
    tcase_add_test(tc, smi_apps_na);
    tcase_add_test(tc, smi_apps_words_mean_none);
    tcase_add_test(tc, smi_apps_answers);
    tcase_add_test(tc, smi_apps_hang_is_bounded_and_backs_off);
    tcase_add_test(tc, memory_info_without_nvml);
    tcase_add_test(tc, no_source_at_all);
    tcase_add_test(tc, hwfetch_says_why);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
