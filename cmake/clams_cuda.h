/* clams_cuda.h: starting CUDA in a CLAMS worker, for an app's .cu files
 * (header only; clams_add_cuda_objects puts it on nvcc's include path).
 * libclams itself never links CUDA: the app's init function (given to
 * clams_device_t, clams/device.h) calls clams_cuda_start and adds its own
 * streams and events. Failures are -1 with a reason; nothing aborts. */
#ifndef CLAMS_CUDA_H
#define CLAMS_CUDA_H

#include <cuda_runtime.h>

#include <stdio.h>

/* Writes "<what>: <CUDA's text> (<error name>)" to why; returns -1. */
static inline int clams_cuda_fail(char *why, size_t why_size, const char *what, cudaError_t e)
{
    if (why && why_size)
        snprintf(why, why_size, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    return -1;
}

/* Selects device 0 of this process (the worker's CUDA_VISIBLE_DEVICES) and
 * creates its context now, so the cost is paid at worker start rather than
 * by the first request. Call after fork only (a context does not survive
 * one). `name` (may be NULL) receives the device's name. Returns 0, or -1
 * without a usable driver or device. */
static inline int clams_cuda_start(char *name, size_t name_size, char *why, size_t why_size)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "no usable CUDA driver or device", e);
    if (count < 1) {
        snprintf(why, why_size, "no CUDA device visible");
        return -1;
    }
    if ((e = cudaSetDevice(0)) != cudaSuccess)
        return clams_cuda_fail(why, why_size, "cudaSetDevice(0)", e);
    if ((e = cudaFree(0)) != cudaSuccess)
        return clams_cuda_fail(why, why_size, "creating the CUDA context", e);
    cudaDeviceProp prop;
    if (name && name_size && cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        snprintf(name, name_size, "%s", prop.name);
    return 0;
}

#endif
