/* hwFetch: the hardware profile of one request. At begin it records each
 * visible GPU's total and free memory and starts a thread that samples what
 * this process holds on each GPU (NVML per-process lists, else nvidia-smi's
 * compute apps) every few milliseconds; end stops it and reports the
 * figures (app/hwfetch.c shows them in the view). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clams/error.h"
#include "gpu/gpu.h"
#include "gpu/hwprofile.h"

#define SAMPLE_INTERVAL_NS (5 * 1000 * 1000L)

typedef struct {
    clams__gpu_t gpu;
    bool peak_valid;        /* a figure was read at least once */
    clams__gpu_pm_t method; /* how the peak was read; else the last reason none was */
    bool tried;             /* method holds something */
    unsigned long long peak;
    bool app_valid;
    unsigned long long app_peak;
} prof_gpu_t;

struct clams__hwprof_s {
    char cpu[160];
    clams__gpu_source_t source;
    size_t count;
    prof_gpu_t *gpus;
    pid_t pid;
    unsigned flags; /* CLAMS_GPU_PID_HOST when pid is our host PID */
    bool sampling;
    bool thread_started;
    bool stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* One sample of every GPU; the lock guards the figures, not NVML. */
static void sample(clams__hwprof_t *p)
{
    for (size_t i = 0; i < p->count; i++) {
        unsigned long long b = 0;
        clams__gpu_pm_t m = CLAMS_GPU_PM_QUERY_FAILED;
        int rc = clams__gpu_process_memory_ex(p->gpus[i].gpu.uuid, p->pid, p->flags, &b, &m);
        pthread_mutex_lock(&p->mu);
        prof_gpu_t *g = &p->gpus[i];
        if (rc == 0) {
            if (!g->peak_valid || b > g->peak)
                g->peak = b;
            g->peak_valid = true;
            g->method = m;
            g->tried = true;
        } else if (!g->peak_valid) {
            g->method = m; /* the reason, shown while nothing was measured */
            g->tried = true;
        }
        pthread_mutex_unlock(&p->mu);
    }
}

static void *sampler(void *arg)
{
    clams__hwprof_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += SAMPLE_INTERVAL_NS;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        if (p->stop)
            break;
        pthread_mutex_unlock(&p->mu);
        sample(p);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void cpu_line(char *buf, size_t size)
{
    struct utsname u;
    const char *machine = uname(&u) == 0 ? u.machine : "unknown";
    snprintf(buf, size, "%s, %d cores", machine, clams__cpu_count(NULL, 0));
}

static void start_sampler(clams__hwprof_t *p)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    sample(p);
    /* Without the thread the begin and end samples still bound the peak. */
    p->thread_started = pthread_create(&p->thread, NULL, sampler, p) == 0;
}

clams__hwprof_t *clams__hwprof_begin(bool enabled)
{
    if (!enabled)
        return NULL;
    clams__hwprof_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    cpu_line(p->cpu, sizeof(p->cpu));
    /* Told by the master which PID the driver lists us under (a PID
     * namespace): ask for that one. */
    p->pid = clams__gpu_self_host_pid();
    p->flags = p->pid > 0 ? CLAMS_GPU_PID_HOST : 0;
    if (p->pid <= 0)
        p->pid = getpid();
    pthread_mutex_init(&p->mu, NULL);
    clams__gpu_list_t *list = malloc(sizeof(*list));
    if (list) {
        clams__gpu_probe(list);
        p->source = list->source;
        p->gpus = list->count ? calloc(list->count, sizeof(*p->gpus)) : NULL;
        p->count = p->gpus ? list->count : 0;
        for (size_t i = 0; i < p->count; i++)
            p->gpus[i].gpu = list->gpus[i];
        free(list);
    }
    p->sampling = p->count > 0 && p->source != CLAMS_GPU_SRC_NONE;
    if (p->sampling)
        start_sampler(p);
    return p;
}

void clams__hwprof_report_peak(clams__hwprof_t *prof, const char *uuid, unsigned long long bytes)
{
    if (!prof || prof->count == 0)
        return;
    pthread_mutex_lock(&prof->mu);
    for (size_t i = 0; i < prof->count; i++) {
        prof_gpu_t *g = &prof->gpus[i];
        if (uuid && strcmp(uuid, g->gpu.uuid) != 0)
            continue;
        if (!g->app_valid || bytes > g->app_peak)
            g->app_peak = bytes;
        g->app_valid = true;
        break;
    }
    pthread_mutex_unlock(&prof->mu);
}

static const char *source_method(clams__gpu_source_t s)
{
    return s == CLAMS_GPU_SRC_NVML         ? "nvml"
           : s == CLAMS_GPU_SRC_NVIDIA_SMI ? "nvidia-smi"
                                           : "unavailable";
}

static void gpu_report(const clams__hwprof_t *p, const prof_gpu_t *g, clams__hw_gpu_t *out)
{
    const char *peak_method = "unavailable";
    bool have_peak = false;
    unsigned long long peak = 0;
    if (g->peak_valid) {
        peak_method = g->method == CLAMS_GPU_PM_NVIDIA_SMI ? "nvidia-smi-process-sampled"
                                                           : "nvml-process-sampled";
        have_peak = true;
        peak = g->peak;
    } else if (g->tried) {
        peak_method = clams__gpu_pm_name(g->method); /* "unavailable-..." */
    }
    if (g->app_valid && (!have_peak || g->app_peak > peak)) {
        peak_method = "app-reported";
        have_peak = true;
        peak = g->app_peak;
    }
    snprintf(out->name, sizeof(out->name), "%s", g->gpu.name);
    snprintf(out->uuid, sizeof(out->uuid), "%s", g->gpu.uuid);
    out->total_bytes = g->gpu.total_bytes;
    out->available_valid = g->gpu.free_valid;
    out->available_bytes = g->gpu.free_valid ? g->gpu.free_bytes : 0;
    out->peak_valid = have_peak;
    out->peak_bytes = peak;
    out->total_method = source_method(p->source);
    out->available_method = g->gpu.free_valid ? out->total_method : "unavailable";
    out->peak_method = peak_method;
}

int clams__hwprof_end_report(clams__hwprof_t *prof, clams__hw_report_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!prof)
        return CLAMS_EINVAL;
    if (prof->sampling) {
        if (prof->thread_started) {
            pthread_mutex_lock(&prof->mu);
            prof->stop = true;
            pthread_cond_signal(&prof->cv);
            pthread_mutex_unlock(&prof->mu);
            pthread_join(prof->thread, NULL);
        }
        sample(prof);
        pthread_cond_destroy(&prof->cv);
    }
    int rc = 0;
    snprintf(out->cpu, sizeof(out->cpu), "%s", prof->cpu);
    if (prof->count > 0) {
        out->gpus = calloc(prof->count, sizeof(*out->gpus));
        rc = out->gpus ? 0 : CLAMS_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < prof->count; i++) {
        gpu_report(prof, &prof->gpus[i], &out->gpus[i]);
        if (out->gpus[i].peak_valid && out->gpus[i].peak_bytes > out->peak)
            out->peak = out->gpus[i].peak_bytes;
    }
    out->count = rc == 0 ? prof->count : 0;
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    pthread_mutex_destroy(&prof->mu);
    free(prof->gpus);
    free(prof);
    return rc;
}

void clams__hw_report_free(clams__hw_report_t *r)
{
    if (!r)
        return;
    free(r->gpus);
    memset(r, 0, sizeof(*r));
}
