/* This file is private to libclams.
 * Per-request hardware profile for hwFetch: the CPU line, and for every GPU
 * the worker can see its total memory, free memory when the request started,
 * and the peak memory this process held during the request (sampled through
 * NVML's or nvidia-smi's per-process figures on a background thread, or
 * reported by the app). It hands back plain figures: how they are shown in
 * a view (appProfiling.hardware) is the app floor's business (app/hwfetch.c). */
#ifndef CLAMS_GPU_HWPROFILE_H
#define CLAMS_GPU_HWPROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "gpu/gpu.h"

typedef struct clams__hwprof_s clams__hwprof_t;

/* Starts profiling one request. When `enabled` is false nothing is measured
 * and the call costs nothing noticeable (returns NULL, which every other
 * function accepts). */
clams__hwprof_t *clams__hwprof_begin(bool enabled);

/* An app-reported peak (bytes) for a GPU (uuid NULL = the first visible GPU). */
void clams__hwprof_report_peak(clams__hwprof_t *prof, const char *uuid, unsigned long long bytes);

/* What one request measured on one GPU, as plain figures. The *_method
 * strings say how each figure was read ("nvml", "nvidia-smi",
 * "nvml-process-sampled", "app-reported", "unavailable-...") and are
 * static. */
typedef struct clams__hw_gpu_s {
    char name[CLAMS_GPU_NAME_LEN];
    char uuid[CLAMS_GPU_UUID_LEN];
    unsigned long long total_bytes;
    bool available_valid;
    unsigned long long available_bytes; /* free when the request started */
    bool peak_valid;
    unsigned long long peak_bytes; /* the most this process held during it */
    const char *total_method, *available_method, *peak_method;
} clams__hw_gpu_t;

/* One request's hardware report: the CPU line ("x86_64, 2 cores") and every
 * GPU the worker could see, in probe order (identical GPUs not merged). */
typedef struct clams__hw_report_s {
    char cpu[160];
    size_t count;
    clams__hw_gpu_t *gpus;   /* count entries (malloc'd) */
    unsigned long long peak; /* the highest valid peak of any GPU; 0 when none */
} clams__hw_report_t;

/* Stops sampling, fills *out and frees prof. Returns 0, CLAMS_EINVAL when
 * prof is NULL (nothing was measured; *out zeroed), CLAMS_ENOMEM (*out
 * zeroed). Ownership: out->gpus new (clams__hw_report_free). */
int clams__hwprof_end_report(clams__hwprof_t *prof, clams__hw_report_t *out);
void clams__hw_report_free(clams__hw_report_t *r);

#endif
