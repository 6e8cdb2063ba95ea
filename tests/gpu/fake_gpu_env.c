/* Test helper: throw-away fake GPU configurations (see fake_gpu_env.h). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_gpu_env.h"

#ifndef FAKE_GPU_BIN_DIR
#error "define FAKE_GPU_BIN_DIR (the folder holding libnvidia-ml.so.1 and nvidia-smi)"
#endif

int fake_gpu_write(const char *dir, const char *name, const char *text)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "we");
    if (!f)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int fake_gpu_set_proc(const char *dir, pid_t pid, const char *text)
{
    char name[64];
    snprintf(name, sizeof(name), "procs/%d", (int)pid);
    if (!text) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return unlink(path) == 0 ? 0 : -1;
    }
    return fake_gpu_write(dir, name, text);
}

unsigned long long fake_gpu_reads(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/reads", dir);
    FILE *f = fopen(path, "re");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

char *fake_gpu_setup(const char *gpus_text)
{
    const char *tmpdir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/clams-fake-gpu-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmpl))
        return NULL;
    char procs[4200];
    snprintf(procs, sizeof(procs), "%s/procs", tmpl);
    if (mkdir(procs, 0700) != 0)
        return NULL;
    if (gpus_text && fake_gpu_write(tmpl, "gpus", gpus_text) != 0)
        return NULL;
    setenv("CLAMS_FAKE_GPU_DIR", tmpl, 1);
    setenv("CLAMS_NVML_LIBRARY", FAKE_GPU_BIN_DIR "/libnvidia-ml.so.1", 1);
    setenv("CLAMS_NVIDIA_SMI", FAKE_GPU_BIN_DIR "/nvidia-smi", 1);
    unsetenv("CUDA_VISIBLE_DEVICES");
    unsetenv("NVIDIA_VISIBLE_DEVICES");
    unsetenv("CLAMS_GUNICORN_WORKERS");
    return strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fake_gpu_cleanup(char *dir)
{
    if (!dir)
        return;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}
