/* A fake nvidia-smi for tests, installed as ${CMAKE_BINARY_DIR}/fake-gpu/nvidia-smi.
 * Answers `--query-gpu=<fields> --format=csv[,noheader][,nounits] [-i N|--id=N]`
 * from the same CLAMS_FAKE_GPU_DIR configuration as the fake NVML library
 * (fields: index, uuid, name, memory.total, memory.free, memory.used, any
 * order), and `--query-compute-apps=<fields>` (pid, used_memory,
 * used_gpu_memory, gpu_uuid, process_name) listing the compute processes of
 * procs/ with the pids the driver would report (pidmap, pid_offset). Modes:
 * smi_broken (garbage, exit 1), smi_garbage (garbage, exit 0), smi_empty
 * (nothing, exit 0), smi_hang (sleeps 60 s), for every query; for
 * compute-apps only: apps_fail (exit 1), apps_garbage (garbage lines, exit 0),
 * apps_file (the bytes of the file `apps_out`, exit 0),
 * apps_hang (sleeps 60 s), apps_na (used_memory "[N/A]"), apps_words ("No
 * running processes found" when none); count_reads counts every run in
 * `smi_reads`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_config.h"

#define MIB (1024ULL * 1024ULL)

typedef struct {
    char fields[16][32];
    int nfields;
    bool header, units;
    bool apps; /* --query-compute-apps */
    const char *id;
} query_t;

static int parse_args(int argc, char **argv, query_t *q)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool apps = strncmp(a, "--query-compute-apps=", 21) == 0;
        if (apps || strncmp(a, "--query-gpu=", 12) == 0) {
            char buf[512];
            q->apps = apps;
            snprintf(buf, sizeof(buf), "%s", a + (apps ? 21 : 12));
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t && q->nfields < 16;
                 t = strtok_r(NULL, ",", &save))
                snprintf(q->fields[q->nfields++], sizeof(q->fields[0]), "%s", t);
        } else if (strncmp(a, "--format=", 9) == 0) {
            if (strncmp(a + 9, "csv", 3) != 0)
                return -1;
            q->header = strstr(a, "noheader") == NULL;
            q->units = strstr(a, "nounits") == NULL;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--id") == 0) {
            if (++i >= argc)
                return -1;
            q->id = argv[i];
        } else if (strncmp(a, "--id=", 5) == 0) {
            q->id = a + 5;
        } else if (strncmp(a, "-i=", 3) == 0) {
            q->id = a + 3;
        } else {
            return -1;
        }
    }
    return q->nfields > 0 ? 0 : -1;
}

static bool known(const char *f, bool apps)
{
    static const char *const gpu_names[] = {
        "index", "uuid", "name", "gpu_name", "memory.total", "memory.free", "memory.used", NULL};
    static const char *const app_names[] = {"pid",      "used_memory",  "used_gpu_memory",
                                            "gpu_uuid", "process_name", NULL};
    const char *const *names = apps ? app_names : gpu_names;
    for (int i = 0; names[i]; i++)
        if (strcmp(f, names[i]) == 0)
            return true;
    return false;
}

static void field(const fake_gpu_t *g, const char *f, bool units)
{
    unsigned long long total = g->total_mib * MIB, used = fake_used_bytes(g->uuid);
    if (used > total)
        used = total;
    const char *u = units ? " MiB" : "";
    if (strcmp(f, "index") == 0)
        printf("%d", g->index);
    else if (strcmp(f, "uuid") == 0)
        printf("%s", g->uuid);
    else if (strcmp(f, "name") == 0 || strcmp(f, "gpu_name") == 0)
        printf("%s", g->name);
    else if (strcmp(f, "memory.total") == 0)
        printf("%llu%s", g->total_mib, u);
    else if (strcmp(f, "memory.used") == 0)
        printf("%llu%s", used / MIB, u);
    else
        printf("%llu%s", (total - used) / MIB, u);
}

static bool selected(const fake_gpu_t *g, const char *id)
{
    if (!id)
        return true;
    char idx[16];
    snprintf(idx, sizeof(idx), "%d", g->index);
    return strcmp(id, idx) == 0 || strcmp(id, g->uuid) == 0;
}

static void app_field(const fake_proc_t *p, const fake_gpu_t *g, const char *f, bool units)
{
    if (strcmp(f, "pid") == 0)
        printf("%u", fake_listed_pid(p->pid));
    else if (strcmp(f, "gpu_uuid") == 0)
        printf("%s", g->uuid);
    else if (strcmp(f, "process_name") == 0)
        printf("fake-app");
    else if (fake_mode("apps_na"))
        printf("[N/A]");
    else
        printf("%llu%s", p->bytes / MIB, units ? " MiB" : "");
}

/* The compute apps of every GPU (no MIG slices: nvidia-smi's query is not
 * used for them). */
static int compute_apps(const query_t *q, const fake_gpu_t *g, int n)
{
    if (fake_mode("apps_hang"))
        sleep(60);
    if (fake_mode("apps_fail")) {
        printf("Failed to query compute apps\n");
        return 1;
    }
    if (fake_mode("apps_file")) {
        /* The bytes of the file `apps_out`, as they are (NULs included). */
        char path[4096], buf[4096];
        snprintf(path, sizeof(path), "%s/apps_out", getenv("CLAMS_FAKE_GPU_DIR"));
        FILE *f = fopen(path, "rb");
        size_t r;
        while (f && (r = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, r, stdout);
        if (f)
            fclose(f);
        return 0;
    }
    if (fake_mode("apps_garbage")) {
        printf("12x, lots, GPU-\n\x01\x02 ,,,\n");
        return 0;
    }
    if (q->header)
        for (int f = 0; f < q->nfields; f++)
            printf("%s%s%s", f ? ", " : "", q->fields[f], f == q->nfields - 1 ? "\n" : "");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        fake_proc_t p[FAKE_MAX_PROCS];
        int c = fake_load_procs(g[i].uuid, p, FAKE_MAX_PROCS);
        for (int k = 0; k < c; k++) {
            if (!(p[k].kinds & FAKE_KIND_COMPUTE))
                continue;
            for (int f = 0; f < q->nfields; f++) {
                if (f)
                    printf(", ");
                app_field(&p[k], &g[i], q->fields[f], q->units);
            }
            printf("\n");
            shown++;
        }
    }
    if (shown == 0 && fake_mode("apps_words"))
        printf("No running processes found\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (fake_mode("count_reads"))
        fake_bump_counter("smi_reads");
    if (fake_mode("smi_hang"))
        sleep(60);
    if (fake_mode("smi_broken")) {
        printf("NVIDIA-SMI has failed \x01\x02 garbage\n");
        return 1;
    }
    if (fake_mode("smi_garbage")) {
        printf("?? not csv at all\n\x7f\x01\n");
        return 0;
    }
    if (fake_mode("smi_empty"))
        return 0;
    fake_gpu_t g[FAKE_MAX_GPUS];
    int n = fake_load_gpus(g, FAKE_MAX_GPUS);
    if (n < 0) {
        printf("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
               "driver.\n");
        return 9;
    }
    query_t q = {.header = true, .units = true};
    if (parse_args(argc, argv, &q) != 0) {
        fprintf(stderr, "fake nvidia-smi: unsupported arguments\n");
        return 2;
    }
    for (int f = 0; f < q.nfields; f++)
        if (!known(q.fields[f], q.apps)) {
            printf("Field \"%s\" is not a valid field to query.\n", q.fields[f]);
            return 2;
        }
    if (q.apps)
        return compute_apps(&q, g, n);
    if (q.header)
        for (int f = 0; f < q.nfields; f++)
            printf("%s%s%s", f ? ", " : "", q.fields[f],
                   strncmp(q.fields[f], "memory.", 7) == 0 ? " [MiB]" : "");
    if (q.header)
        printf("\n");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        if (!selected(&g[i], q.id))
            continue;
        for (int f = 0; f < q.nfields; f++) {
            if (f)
                printf(", ");
            field(&g[i], q.fields[f], q.units);
        }
        printf("\n");
        shown++;
    }
    if (q.id && shown == 0) {
        printf("No devices were found\n");
        return 6;
    }
    return 0;
}
