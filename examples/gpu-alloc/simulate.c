/* simulate.c: the fake-NVML side of gpu-alloc (see simulate.h). The file is
 * replaced atomically (write then rename) because the server's sampler may
 * read it at any moment. */
#include "simulate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char sim_uuid[96];

bool sim_enabled(void)
{
    const char *on = getenv("GPU_ALLOC_SIMULATE");
    const char *dir = getenv("CLAMS_FAKE_GPU_DIR");
    return on && strcmp(on, "1") == 0 && dir && *dir;
}

/* First line of `gpus`: "<index> <uuid> <total MiB> <name...>". */
static int first_gpu(char *name, size_t name_size, char *why, size_t ws)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/gpus", getenv("CLAMS_FAKE_GPU_DIR"));
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(why, ws, "simulation: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    while (rc != 0 && fgets(line, sizeof line, f)) {
        int idx, off = 0;
        unsigned long long mib;
        char uuid[96];
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || sscanf(line, "%d %95s %llu %n", &idx, uuid, &mib, &off) < 3)
            continue;
        if (!sim_uuid[0])
            snprintf(sim_uuid, sizeof sim_uuid, "%s", uuid);
        if (strcmp(uuid, sim_uuid) == 0) {
            snprintf(name, name_size, "%s", off ? line + off : "Fake GPU");
            rc = 0;
        }
    }
    fclose(f);
    if (rc != 0)
        snprintf(why, ws, "simulation: GPU %s not in %s", sim_uuid[0] ? sim_uuid : "(any)", path);
    return rc;
}

int sim_init(char *name, size_t name_size, char *why, size_t ws)
{
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    sim_uuid[0] = '\0';
    if (cvd && strncmp(cvd, "GPU-", 4) == 0)
        snprintf(sim_uuid, sizeof sim_uuid, "%.*s", (int)strcspn(cvd, ","), cvd);
    if (first_gpu(name, name_size, why, ws) != 0)
        return -1;
    return sim_set_bytes(SIM_CONTEXT_MIB << 20, why, ws);
}

int sim_set_bytes(unsigned long long bytes, char *why, size_t ws)
{
    const char *dir = getenv("CLAMS_FAKE_GPU_DIR");
    char procs[4096], tmp[4200], path[4200];
    snprintf(procs, sizeof procs, "%s/procs", dir);
    if (mkdir(procs, 0755) != 0 && errno != EEXIST) {
        snprintf(why, ws, "simulation: cannot create %s: %s", procs, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/%ld", procs, (long)getpid());
    snprintf(tmp, sizeof tmp, "%s/.%ld.tmp", procs, (long)getpid());
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(why, ws, "simulation: cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "%s %llu compute\n", sim_uuid, bytes);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(why, ws, "simulation: cannot update %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
