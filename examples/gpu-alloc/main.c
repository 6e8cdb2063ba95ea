/* gpu-alloc: a tiny CLAMS app that allocates `mib` MiB of GPU memory per
 * request (cudaMalloc + cudaMemset), optionally holds it for `holdMs` and
 * optionally leaks it across requests. It exists to check the production
 * server's GPU features on real hardware (scripts/gpu-check.sh): pool size,
 * hwFetch peaks, recycling, and the soft and hard VRAM budgets. */
#include <clams/clams.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simulate.h"
#ifdef GPU_ALLOC_HAVE_CUDA
#include "alloc_gpu.h"
#endif

#define ANNOTATION CLAMS_MMIF11_ANNOTATION
#define MAX_LEAKS  4096

static struct {
    bool tried, ok, simulated;
    char name[256];
    char why[256];
    void *leaked[MAX_LEAKS];
    size_t nleaked;
    unsigned long long leaked_bytes;
} st;

static int alloc_worker_init(void *user, clams_error_t *err)
{
    if (st.tried)
        return 0;
    st.tried = true;
    if (sim_enabled()) {
        st.simulated = true;
        st.ok = sim_init(st.name, sizeof st.name, st.why, sizeof st.why) == 0;
        return 0;
    }
#ifdef GPU_ALLOC_HAVE_CUDA
    st.ok = alloc_cuda_init(st.name, sizeof st.name, st.why, sizeof st.why) == 0;
#else
    snprintf(st.why, sizeof st.why,
             "gpu-alloc was built without CUDA (no nvcc at build time); rebuild on a host "
             "with the CUDA toolkit");
#endif
    /* Failing here would only make the server retry the worker; the request
     * gets the reason instead. */
    return 0;
}

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Takes `bytes` of device memory (or simulates it); *ptr for a later free. */
static int take(unsigned long long bytes, void **ptr, char *why, size_t ws)
{
    *ptr = NULL;
    if (st.simulated)
        return sim_set_bytes((SIM_CONTEXT_MIB << 20) + st.leaked_bytes + bytes, why, ws);
#ifdef GPU_ALLOC_HAVE_CUDA
    return alloc_cuda_take((size_t)bytes, ptr, why, ws);
#else
    snprintf(why, ws, "%s", st.why);
    return -1;
#endif
}

static void give(void *ptr)
{
    char why[256];
    if (st.simulated)
        sim_set_bytes((SIM_CONTEXT_MIB << 20) + st.leaked_bytes, why, sizeof why);
#ifdef GPU_ALLOC_HAVE_CUDA
    else
        alloc_cuda_give(ptr);
#endif
}

static int add_view(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, long long mib, bool leak)
{
    clams_view_t *view = clams_annotate_add_view(ctx, mmif);
    clams_annotation_t *a = view ? clams_view_add_annotation(view, ANNOTATION) : NULL;
    if (!a || clams_view_add_contains_new(view, ANNOTATION, NULL) != 0 ||
        clams_annotation_set_int(a, "pid", (long long)getpid()) != 0 ||
        clams_annotation_set_int(a, "allocatedMiB", mib) != 0 ||
        clams_annotation_set_bool(a, "leaked", leak) != 0 ||
        clams_annotation_set_int(a, "leakedTotalMiB", (long long)(st.leaked_bytes >> 20)) != 0 ||
        clams_annotation_set_str(a, "device", st.name) != 0 ||
        clams_annotation_set_bool(a, "simulated", st.simulated) != 0)
        return clams_annotate_fail(ctx, "out of memory building the view");
    return 0;
}

static int alloc_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif,
                          const clams_params_t *params)
{
    long long mib = clams_param_int(params, "mib", 1024);
    long long hold = clams_param_int(params, "holdMs", 0);
    bool leak = clams_param_bool(params, "leak", false);
    if (mib < 1 || mib > (1LL << 22) || hold < 0 || hold > 600000)
        return clams_annotate_fail(ctx, "mib must be 1..4194304 and holdMs 0..600000");
    alloc_worker_init(NULL, NULL); /* file mode and dev server without the hook */
    if (!st.ok)
        return clams_annotate_fail(ctx, "no GPU: %s", st.why);
    if (leak && st.nleaked == MAX_LEAKS)
        return clams_annotate_fail(ctx, "too many leaked blocks");
    unsigned long long bytes = (unsigned long long)mib << 20;
    void *ptr;
    char why[256];
    if (take(bytes, &ptr, why, sizeof why) != 0)
        return clams_annotate_fail(ctx, "allocating %lld MiB: %s", mib, why);
    clams_annotate_report_gpu_peak(ctx, NULL, st.leaked_bytes + bytes);
    if (hold > 0)
        sleep_ms(hold);
    if (leak) {
        st.leaked[st.nleaked++] = ptr;
        st.leaked_bytes += bytes;
    } else {
        give(ptr);
    }
    return add_view(ctx, mmif, mib, leak);
}

static const clams_param_spec_t alloc_params[] = {
    {.name = "mib",
     .description = "MiB of device memory to allocate and fill.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "1024"},
    {.name = "holdMs",
     .description = "Milliseconds to hold the memory before answering.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {.name = "leak",
     .description = "Keep the memory allocated after the request (until the worker exits).",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {0},
};

static const clams_io_spec_t alloc_input[] = {
    {0},
}; /* any MMIF will do */
static const clams_io_spec_t alloc_output[] = {
    {.type = ANNOTATION},
    {0},
};

/* GPU_ALLOC_EST_MIN / GPU_ALLOC_EST_TYP (MB) override the declared figures so
 * the GPU check can make the VRAM side of the pool formula the binding one. */
static int env_mb(const char *name, int fallback)
{
    const char *v = getenv(name);
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && *end == '\0' && n > 0 && n < 100000000 ? (int)n : fallback;
}

int main(int argc, char **argv)
{
    clams_app_t app = {
        .name = "GPU Allocation Test",
        .description = "Allocates and fills a given amount of GPU memory per request; used to "
                       "check the production server's GPU memory features.",
        .app_version = "0.1.0",
        .app_license = "Apache-2.0",
        .identifier = "gpu-alloc",
        .url = "https://github.com/clamsproject/clams-c/tree/main/examples/gpu-alloc",
        .input = alloc_input,
        .output = alloc_output,
        .parameters = alloc_params,
        /* MB: the default 1024 MiB request plus the CUDA context (hwFetch saw
         * 1542 MiB in all on an H200), with room to spare. */
        .est_gpu_mem_min = env_mb("GPU_ALLOC_EST_MIN", 1200),
        .est_gpu_mem_typ = env_mb("GPU_ALLOC_EST_TYP", 2000),
        .annotate = alloc_annotate,
        .worker_init = alloc_worker_init,
    };
    return clams_main(&app, argc, argv);
}
