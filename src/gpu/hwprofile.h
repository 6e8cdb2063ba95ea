/* This file is private to libclams.
 * Per-request hardware profile for hwFetch: the CPU line, and for every GPU
 * the worker can see its total memory, free memory when the request started,
 * and the peak memory this process held during the request (sampled through
 * NVML's or nvidia-smi's per-process figures on a background thread, or
 * reported by the app). */
#ifndef CLAMS_GPU_HWPROFILE_H
#define CLAMS_GPU_HWPROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct clams__hwprof_s clams__hwprof_t;

/* Starts profiling one request. When `enabled` is false nothing is measured
 * and the call costs nothing noticeable (returns NULL, which every other
 * function accepts). */
clams__hwprof_t *clams__hwprof_begin(bool enabled);

/* An app-reported peak (bytes) for a GPU (uuid NULL = the first visible GPU). */
void clams__hwprof_report_peak(clams__hwprof_t *prof, const char *uuid, unsigned long long bytes);

/* Stops sampling and returns appProfiling.hardware:
 *   {"cpu": "x86_64, 2 cores", "cuda": ["<name>, 79.65 GiB total, ...", ...],
 *    "gpus": [{"name", "uuid", "totalBytes", "availableBytes", "peakUsedBytes",
 *              "totalMethod", "availableMethod", "peakMethod"}, ...]}
 * *peak (may be NULL) gets the highest peak of this profile (bytes, any GPU;
 * 0 when unknown or prof is NULL): it travels with the request's response.
 * Returns NULL when prof is NULL. Frees prof. Ownership: new (json_decref). */
json_t *clams__hwprof_end(clams__hwprof_t *prof, unsigned long long *peak);

/* Formats a byte figure the way the GPU lines show it: "%.2f GiB" of
 * bytes / 2^30 from 1 GiB up, else "%.1f MiB" of bytes / 2^20 ("512.0 MiB"). */
void clams__hwprof_format_bytes(unsigned long long bytes, char *buf, size_t size);

#endif
