/* Reading the fake GPU configuration (see fake_config.h). Compiled into both
 * fakes; nothing here may print, since nvidia-smi's stdout is its answer. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_config.h"

static const char *dir(void)
{
    const char *d = getenv("CLAMS_FAKE_GPU_DIR");
    return d && *d ? d : NULL;
}

/* Lines "<index> <uuid> <mib> <name>" (a GPU), "mig <gpu index> <uuid> <mib>
 * <name>" (a MIG slice of that GPU), "migmode <gpu index>" (MIG mode, maybe
 * without slices). */
int fake_load_devices(fake_gpu_t *out, int max)
{
    char path[4096];
    if (!dir())
        return -1;
    snprintf(path, sizeof(path), "%s/gpus", dir());
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[512];
    int n = 0, migmode[FAKE_MAX_GPUS], nmode = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        int idx, parent = -1, off = 0;
        unsigned long long mib;
        char uuid[96];
        if (line[0] == '#')
            continue;
        if (sscanf(line, "migmode %d", &idx) == 1) {
            if (nmode < FAKE_MAX_GPUS)
                migmode[nmode++] = idx;
            continue;
        }
        if (sscanf(line, "mig %d %95s %llu %n", &parent, uuid, &mib, &off) >= 3) {
            idx = 0;
            for (int i = 0; i < n; i++)
                idx += out[i].parent == parent;
        } else if (sscanf(line, "%d %95s %llu %n", &idx, uuid, &mib, &off) < 3) {
            continue;
        } else {
            parent = -1;
        }
        fake_gpu_t *g = &out[n++];
        memset(g, 0, sizeof(*g));
        g->index = idx;
        g->parent = parent;
        snprintf(g->uuid, sizeof(g->uuid), "%s", uuid);
        g->total_mib = mib;
        snprintf(g->name, sizeof(g->name), "%s", off ? line + off : "Fake GPU");
    }
    fclose(f);
    for (int i = 0; i < n; i++) {
        if (out[i].parent >= 0)
            continue;
        for (int j = 0; j < n; j++)
            out[i].mig_mode = out[i].mig_mode || out[j].parent == out[i].index;
        for (int k = 0; k < nmode; k++)
            out[i].mig_mode = out[i].mig_mode || migmode[k] == out[i].index;
    }
    return n;
}

int fake_load_gpus(fake_gpu_t *out, int max)
{
    fake_gpu_t all[FAKE_MAX_GPUS];
    int n = fake_load_devices(all, FAKE_MAX_GPUS);
    int k = 0;
    for (int i = 0; i < n && k < max; i++)
        if (all[i].parent < 0)
            out[k++] = all[i];
    return n < 0 ? -1 : k;
}

static bool read_number(const char *name, unsigned long long *v)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir(), name);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fscanf(f, "%llu", v) == 1;
    fclose(f);
    return ok;
}

unsigned int fake_listed_pid(unsigned int pid)
{
    if (!dir())
        return pid;
    char path[4096];
    snprintf(path, sizeof(path), "%s/pidmap", dir());
    FILE *f = fopen(path, "re");
    if (f) {
        unsigned int from, to;
        bool found = false;
        while (!found && fscanf(f, "%u %u", &from, &to) == 2)
            found = from == pid;
        fclose(f);
        if (found)
            return to;
    }
    unsigned long long off = 0;
    if (read_number("pid_offset", &off))
        return pid + (unsigned int)off;
    return fake_mode("pid_namespace") ? pid + 100000 : pid;
}

bool fake_mode(const char *word)
{
    char path[4096], w[128];
    if (!dir())
        return false;
    snprintf(path, sizeof(path), "%s/mode", dir());
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool hit = false;
    while (!hit && fscanf(f, "%127s", w) == 1)
        hit = strcmp(w, word) == 0;
    fclose(f);
    return hit;
}

/* A pid counts while it exists and is not a zombie: a dead worker's memory
 * is free again even before its parent reaps it, as on a real GPU. */
static bool alive(unsigned int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int kinds_of(const char *w)
{
    if (!*w || strcmp(w, "compute") == 0)
        return FAKE_KIND_COMPUTE;
    if (strcmp(w, "graphics") == 0)
        return FAKE_KIND_GRAPHICS;
    if (strcmp(w, "both") == 0)
        return FAKE_KIND_COMPUTE | FAKE_KIND_GRAPHICS;
    return FAKE_KIND_COMPUTE;
}

static int read_proc_file(const char *path, unsigned int pid, const char *uuid, fake_proc_t *out,
                          int n, int max)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return n;
    char line[256];
    while (n < max && fgets(line, sizeof(line), f)) {
        char u[96], kind[32] = "";
        unsigned long long bytes;
        if (sscanf(line, "%95s %llu %31s", u, &bytes, kind) < 2 || strcmp(u, uuid) != 0)
            continue;
        out[n].pid = pid;
        out[n].bytes = bytes;
        out[n].kinds = kinds_of(kind);
        n++;
    }
    fclose(f);
    return n;
}

int fake_load_procs(const char *uuid, fake_proc_t *out, int max)
{
    char path[4096];
    if (!dir())
        return 0;
    snprintf(path, sizeof(path), "%s/procs", dir());
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        /* Only names that are a pid: "<pid>.<writer>.tmp" is a file being
         * replaced (written, then renamed over "<pid>"), not a second process. */
        char *end;
        unsigned int pid = (unsigned int)strtoul(e->d_name, &end, 10);
        if (*end != '\0')
            continue;
        if (pid == 0 || !alive(pid))
            continue;
        char fp[4400];
        snprintf(fp, sizeof(fp), "%s/%s", path, e->d_name);
        n = read_proc_file(fp, pid, uuid, out, n, max);
    }
    closedir(d);
    return n;
}

unsigned long long fake_used_bytes(const char *uuid)
{
    fake_proc_t p[FAKE_MAX_PROCS];
    int n = fake_load_procs(uuid, p, FAKE_MAX_PROCS);
    unsigned long long sum = 0;
    for (int i = 0; i < n; i++)
        sum += p[i].bytes;
    return sum;
}

void fake_bump_counter(const char *name)
{
    char path[4096], tmp[4200];
    if (!dir())
        return;
    snprintf(path, sizeof(path), "%s/%s", dir(), name);
    unsigned long long v = 0;
    FILE *f = fopen(path, "re");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    /* temp + rename: a reader never sees a half-written number */
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    f = fopen(tmp, "we");
    if (!f)
        return;
    fprintf(f, "%llu\n", v + 1);
    fclose(f);
    rename(tmp, path);
}
