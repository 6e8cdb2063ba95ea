/* sup_app: the test app of the production-server tests. Each request's
 * parameters drive it (sleep ms, crash=segv|abort|exit, allocate fake GPU
 * bytes), the environment drives its worker_init (fail once / always, exit 2),
 * and its view reports the worker's pid and CUDA_VISIBLE_DEVICES so the tests
 * can observe recycling and placement. */
#include <clams/clams.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ANNOTATION "http://mmif.clams.ai/vocabulary/Annotation/v6"

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* SUP_INIT_FAIL=always: every init fails; SUP_INIT_FAIL_ONCE=<path>: the
 * first init (the one that creates <path>) fails; SUP_INIT_EXIT=<n>: exit(n);
 * SUP_INIT_SLEEP_MS=<ms>: a slow model load. */
static void fake_alloc(long long bytes);

static int sup_init(void *user, clams_error_t *err)
{
    (void)user;
    /* SUP_INIT_GPU_BYTES=<n>: worker_init takes GPU memory, as a CUDA context
     * does (the fake NVML then lists this process from worker_init on). */
    const char *ctx = getenv("SUP_INIT_GPU_BYTES");
    if (ctx && *ctx)
        fake_alloc(atoll(ctx));
    const char *always = getenv("SUP_INIT_FAIL");
    const char *once = getenv("SUP_INIT_FAIL_ONCE");
    const char *ex = getenv("SUP_INIT_EXIT");
    const char *slow = getenv("SUP_INIT_SLEEP_MS");
    if (slow && *slow)
        sleep_ms(atoll(slow));
    if (ex && *ex)
        exit(atoi(ex));
    if (always && strcmp(always, "always") == 0) {
        snprintf(err->text, sizeof(err->text), "sup_app: model file missing (on purpose)");
        return -1;
    }
    if (once && *once) {
        int fd = open(once, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0) {
            close(fd);
            snprintf(err->text, sizeof(err->text), "sup_app: first init fails (on purpose)");
            return -1;
        }
    }
    return 0;
}

/* Simulates cudaMalloc for the fake NVML: this pid holds `bytes` on its GPU. */
static void fake_alloc(long long bytes)
{
    const char *dir = getenv("CLAMS_FAKE_GPU_DIR");
    const char *uuid = getenv("CUDA_VISIBLE_DEVICES");
    if (!dir || !uuid || bytes <= 0)
        return;
    char path[1024], tmp[1100], line[256];
    snprintf(path, sizeof(path), "%s/procs/%d", dir, (int)getpid());
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    snprintf(line, sizeof(line), "%s %lld\n", uuid, bytes);
    fputs(line, f);
    fclose(f);
    rename(tmp, path);
}

static int sup_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *params)
{
    const char *crash = clams_param_string(params, "crash", "");
    long long ms = clams_param_int(params, "sleep", 0);
    long long alloc = clams_param_int(params, "alloc", 0);
    /* SUP_RUN_LOG=<path>: one line per request a worker runs ("sleep=<ms>"),
     * so a test can tell which requests ran at all. */
    const char *run_log = getenv("SUP_RUN_LOG");
    FILE *rl = run_log && *run_log ? fopen(run_log, "a") : NULL;
    if (rl) {
        fprintf(rl, "sleep=%lld\n", ms);
        fclose(rl);
    }
    fake_alloc(alloc);
    if (ms > 0)
        sleep_ms(ms);
    if (strcmp(crash, "segv") == 0)
        raise(SIGSEGV);
    else if (strcmp(crash, "abort") == 0)
        abort();
    else if (strcmp(crash, "exit") == 0)
        _exit(3);
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    clams_view_t *view = clams_annotate_add_view(ctx, mmif);
    clams_annotation_t *a = view ? clams_view_add_annotation(view, ANNOTATION) : NULL;
    if (!a || clams_view_add_contains_new(view, ANNOTATION, NULL) != 0 ||
        clams_annotation_set_int(a, "pid", (long long)getpid()) != 0 ||
        clams_annotation_set_str(a, "cudaVisibleDevices", cvd ? cvd : "unset") != 0)
        return clams_annotate_fail(ctx, "out of memory building the view");
    return 0;
}

static const clams_param_spec_t sup_params[] = {
    {.name = "sleep",
     .description = "Milliseconds to sleep.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {.name = "crash",
     .description = "segv, abort or exit: die that way mid-request.",
     .type = CLAMS_PARAM_STRING,
     .default_value = ""},
    {.name = "alloc",
     .description = "Fake GPU bytes to hold (fake NVML).",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {0},
};

static const clams_io_spec_t sup_input[] = {
    {0},
};
static const clams_io_spec_t sup_output[] = {
    {.type = ANNOTATION},
    {0},
};

/* SUP_FINI_SLEEP_MS=<ms>: a worker that takes its time to leave (freeing a
 * model), so a test sees the window in which a GPU replacement may overlap. */
static void sup_fini(void *user)
{
    (void)user;
    const char *ms = getenv("SUP_FINI_SLEEP_MS");
    if (ms && *ms)
        usleep((useconds_t)atoi(ms) * 1000);
}

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

int main(int argc, char **argv)
{
    clams_app_t app = {
        .name = "Supervisor Test App",
        .description = "Drives the production server tests.",
        .app_version = "0.0.1",
        .app_license = "Apache-2.0",
        .identifier = "sup-test",
        .url = "https://example.org/sup-test",
        .input = sup_input,
        .output = sup_output,
        .parameters = sup_params,
        .est_gpu_mem_min = env_int("SUP_GPU_MIN", 0),
        .est_gpu_mem_typ = env_int("SUP_GPU_TYP", 0),
        .annotate = sup_annotate,
        .worker_init = sup_init,
        .worker_fini = sup_fini,
        /* SUP_MAX_REQUESTS / SUP_JITTER: the app's own production defaults,
         * which the --max-requests flags must be able to override (0 too). */
        .production = {.max_requests = env_int("SUP_MAX_REQUESTS", 0),
                       .max_requests_jitter = env_int("SUP_JITTER", 0)},
    };
    return clams_main(&app, argc, argv);
}
