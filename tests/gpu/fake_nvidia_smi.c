/* A fake nvidia-smi for tests, installed as ${CMAKE_BINARY_DIR}/fake-gpu/nvidia-smi.
 * Answers `--query-gpu=<fields> --format=csv[,noheader][,nounits] [-i N|--id=N]`
 * from the same CLAMS_FAKE_GPU_DIR configuration as the fake NVML library
 * (fields: index, uuid, name, memory.total, memory.free, memory.used, any
 * order). Modes: smi_broken (garbage, exit 1), smi_garbage (garbage, exit 0),
 * smi_empty (nothing, exit 0), smi_hang (sleeps 60 s). */
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
    const char *id;
} query_t;

static int parse_args(int argc, char **argv, query_t *q)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--query-gpu=", 12) == 0) {
            char buf[512];
            snprintf(buf, sizeof(buf), "%s", a + 12);
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

static bool known(const char *f)
{
    static const char *const names[] = {"index", "uuid", "name", "gpu_name", "memory.total",
                                         "memory.free", "memory.used", NULL};
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

int main(int argc, char **argv)
{
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
        if (!known(q.fields[f])) {
            printf("Field \"%s\" is not a valid field to query.\n", q.fields[f]);
            return 2;
        }
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
