/* rel_app: the app the reliability tests serve (tests/hostile, tests/soak).
 * Its parameters cover every parameter type (so bad values can be sent) and
 * let a request misbehave on purpose: fault=segv|abort|exit|hang|spin|fail|
 * leak, sleep=<ms>, leakmb=<MiB kept forever>, alloc=<fake GPU bytes, for the
 * fake NVML>. Its worker_init reads REL_INIT_FAIL=always|once:<path>|while:<path>
 * (fails while that file exists). The
 * view it adds holds one annotation per TextDocument with the worker's pid. */
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
#define TEXTDOC    "http://mmif.clams.ai/vocabulary/TextDocument/v1"

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int rel_init(void *user, clams_error_t *err)
{
    (void)user;
    const char *f = getenv("REL_INIT_FAIL");
    if (!f || !*f)
        return 0;
    if (strcmp(f, "always") == 0) {
        snprintf(err->text, sizeof(err->text), "rel_app: model missing (on purpose)");
        return -1;
    }
    if (strncmp(f, "while:", 6) == 0 && access(f + 6, F_OK) == 0) {
        snprintf(err->text, sizeof(err->text), "rel_app: init fails while %s exists", f + 6);
        return -1;
    }
    if (strncmp(f, "once:", 5) == 0) {
        int fd = open(f + 5, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0) {
            close(fd);
            snprintf(err->text, sizeof(err->text), "rel_app: first init fails (on purpose)");
            return -1;
        }
    }
    return 0;
}

/* The fake NVML reads what each pid holds from CLAMS_FAKE_GPU_DIR/procs. */
static void fake_gpu_hold(long long bytes)
{
    const char *dir = getenv("CLAMS_FAKE_GPU_DIR");
    const char *uuid = getenv("CUDA_VISIBLE_DEVICES");
    if (!dir || !uuid || bytes <= 0)
        return;
    char path[1024], tmp[1100];
    snprintf(path, sizeof(path), "%s/procs/%d", dir, (int)getpid());
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%s %lld\n", uuid, bytes);
    fclose(f);
    rename(tmp, path);
}

/* Memory that is never given back, touched so it counts in VmRSS. Returns
 * how many MiB could not be had (0: all of it), as a bomb that meets a
 * memory limit fails its request. */
static long long leak(long long mib)
{
    for (long long i = 0; i < mib; i++) {
        char *p = malloc(1 << 20);
        if (!p)
            return mib - i;
        memset(p, 0x5a, 1 << 20);
    }
    return 0;
}

static int misbehave(clams_annotate_ctx_t *ctx, const char *fault)
{
    if (strcmp(fault, "segv") == 0)
        raise(SIGSEGV);
    else if (strcmp(fault, "abort") == 0)
        abort();
    else if (strcmp(fault, "exit") == 0)
        _exit(3);
    else if (strcmp(fault, "hang") == 0)
        for (;;)
            pause();
    else if (strcmp(fault, "spin") == 0)
        for (volatile unsigned long n = 0;; n++)
            ;
    else if (strcmp(fault, "fail") == 0)
        return clams_annotate_fail(ctx, "rel_app failed on purpose");
    return 0;
}

static int rel_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *params)
{
    fake_gpu_hold(clams_param_int(params, "alloc", 0));
    long long short_mib = leak(clams_param_int(params, "leakmb", 0));
    if (short_mib > 0)
        return clams_annotate_fail(ctx, "out of memory: %lld MiB short of leakmb", short_mib);
    long long ms = clams_param_int(params, "sleep", 0);
    if (ms > 0)
        sleep_ms(ms);
    if (misbehave(ctx, clams_param_string(params, "fault", "")) != 0)
        return CLAMS_EAPP;
    clams_view_t *view = clams_annotate_add_view(ctx, mmif);
    if (!view || clams_view_add_contains_new(view, ANNOTATION, NULL) != 0)
        return clams_annotate_fail(ctx, "out of memory building the view");
    for (size_t i = 0; i < clams_mmif_document_count(mmif); i++) {
        json_t *d = clams_mmif_document_at(mmif, i);
        const char *type = json_string_value(json_object_get(d, "@type"));
        if (!type || !clams_type_matches(type, "TextDocument", 0))
            continue;
        clams_annotation_t *a = clams_view_add_annotation(view, ANNOTATION);
        const char *id = json_string_value(json_object_get(json_object_get(d, "properties"), "id"));
        if (!a || clams_annotation_set_int(a, "pid", (long long)getpid()) != 0 ||
            clams_annotation_set_str(a, "document", id ? id : "") != 0 ||
            clams_annotation_set_int(a, "count", clams_param_int(params, "count", 0)) != 0)
            return clams_annotate_fail(ctx, "out of memory building the view");
    }
    return 0;
}

static const char *const modes[] = {"fast", "slow", NULL};
static const char *const letters[] = {"A", "B", "C", NULL};
static const char *const def_labels[] = {"A", NULL};
static const char *const no_values[] = {NULL};

static const clams_param_spec_t rel_params[] = {
    {.name = "count",
     .description = "An integer.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "1"},
    {.name = "ratio",
     .description = "A number.",
     .type = CLAMS_PARAM_NUMBER,
     .default_value = "0.5"},
    {.name = "mode",
     .description = "A string with choices.",
     .type = CLAMS_PARAM_STRING,
     .default_value = "fast",
     .choices = modes},
    {.name = "labels",
     .description = "Multivalued with choices.",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = def_labels,
     .choices = letters},
    {.name = "labelMap",
     .description = "A map (KEY:VALUE).",
     .type = CLAMS_PARAM_MAP,
     .multivalued = true,
     .default_values = no_values},
    {.name = "flag",
     .description = "A boolean.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = "fault",
     .description = "segv, abort, exit, hang, spin or fail: misbehave mid-request.",
     .type = CLAMS_PARAM_STRING,
     .default_value = ""},
    {.name = "sleep",
     .description = "Milliseconds to sleep first.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {.name = "leakmb",
     .description = "MiB to allocate and never free.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {.name = "alloc",
     .description = "Fake GPU bytes to hold (fake NVML).",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "0"},
    {0},
};

static const clams_io_spec_t rel_input[] = {
    {.type = TEXTDOC, .optional = true},
    {0},
};
static const clams_io_spec_t rel_output[] = {
    {.type = ANNOTATION},
    {0},
};

int main(int argc, char **argv)
{
    const char *gpu_min = getenv("REL_GPU_MIN"), *gpu_typ = getenv("REL_GPU_TYP");
    clams_app_t app = {
        .name = "Reliability Test App",
        .description = "Serves the hostile-input, fault and soak tests.",
        .app_version = "0.0.1",
        .app_license = "Apache-2.0",
        .identifier = "rel-test",
        .url = "https://example.org/rel-test",
        .input = rel_input,
        .output = rel_output,
        .parameters = rel_params,
        .est_gpu_mem_min = gpu_min ? atoi(gpu_min) : 0,
        .est_gpu_mem_typ = gpu_typ ? atoi(gpu_typ) : 0,
        .annotate = rel_annotate,
        .worker_init = rel_init,
    };
    return clams_main(&app, argc, argv);
}
