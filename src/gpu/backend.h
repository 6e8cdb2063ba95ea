/* This file is private to libclams.
 * GPU backends (NVML through dlopen, the nvidia-smi command) behind one small
 * vtable, chosen explicitly by the probe in probe.c (no constructors), plus the
 * helpers the backends share. */
#ifndef CLAMS_GPU_BACKEND_H
#define CLAMS_GPU_BACKEND_H

#include "gpu/gpu.h"

typedef struct clams__gpu_backend_s {
    const char *name; /* "nvml", "nvidia-smi" */
    clams__gpu_source_t source;
    /* Fills out with every device the backend sees, in its own index order,
     * unfiltered. Returns 0, or a negative code with out->why set. */
    int (*list)(clams__gpu_list_t *out);
    /* Device-wide memory by UUID; NULL when the backend cannot (nvidia-smi). */
    int (*memory_info)(const char *uuid, unsigned long long *total, unsigned long long *free_bytes);
    /* Every process listed on a device by UUID, one entry per pid (figures
     * merged as clams__gpu_process_memory_ex describes; `visible` not set).
     * Returns 0 with a malloc'd array in *out (NULL when *n is 0), or a
     * negative code with *why set (unavailable-no-nvml when the backend
     * cannot be used at all: the next one is tried). */
    int (*processes)(const char *uuid, clams__gpu_proc_t **out, size_t *n, clams__gpu_pm_t *why);
} clams__gpu_backend_t;

extern const clams__gpu_backend_t clams__gpu_backend_nvml;
extern const clams__gpu_backend_t clams__gpu_backend_smi;

/* Whether the NVML session can be used in this process (opening it on the
 * first call). */
bool clams__gpu_nvml_usable(void);

/* Device memory from nvidia-smi's GPU list (cached process-wide, refreshed
 * at most every 100 ms, bounded like the compute-apps query): 0,
 * CLAMS_ENOTFOUND (no such GPU), CLAMS_ENOGPU (no answer, free unknown). */
int clams__gpu_smi_memory_info(const char *uuid, unsigned long long *total,
                               unsigned long long *free_bytes);

/* Drops nvidia-smi's cached compute-apps answer, so that the next per-process
 * query runs the command again (NVML is never cached). */
void clams__gpu_smi_forget_processes(void);

/* Applies CUDA_VISIBLE_DEVICES (else NVIDIA_VISIBLE_DEVICES) to a full list, in
 * place. Appends a note to out->why when the filter removed everything. */
void clams__gpu_filter_visible(clams__gpu_list_t *list);

/* Appends printf text to a fixed buffer, truncating safely. */
void clams__gpu_appendf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf into a fixed buffer where truncation is acceptable (messages). */
void clams__gpu_setf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
