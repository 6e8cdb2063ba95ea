/* alloc_cuda.cu: device memory for gpu-alloc. Plain cudaMalloc, never managed
 * memory: on Linux it fails with cudaErrorMemoryAllocation instead of
 * oversubscribing, which is what the GPU check relies on. */
#include <cuda_runtime.h>

#include <stdio.h>

#include "alloc_gpu.h"

static int cuda_fail(char *why, size_t size, const char *what, cudaError_t e)
{
    snprintf(why, size, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    return -1;
}

extern "C" int alloc_cuda_init(char *name, size_t name_size, char *why, size_t why_size)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess)
        return cuda_fail(why, why_size, "no usable CUDA driver or device", e);
    if (count < 1) {
        snprintf(why, why_size, "no CUDA device visible");
        return -1;
    }
    if ((e = cudaSetDevice(0)) != cudaSuccess)
        return cuda_fail(why, why_size, "cudaSetDevice(0)", e);
    if ((e = cudaFree(0)) != cudaSuccess) /* creates the context */
        return cuda_fail(why, why_size, "creating the CUDA context", e);
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        snprintf(name, name_size, "%s", prop.name);
    return 0;
}

extern "C" int alloc_cuda_take(size_t bytes, void **out, char *why, size_t why_size)
{
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess)
        return cuda_fail(why, why_size, "cudaMalloc", e);
    e = cudaMemset(p, 0xA5, bytes);
    if (e == cudaSuccess)
        e = cudaDeviceSynchronize();
    if (e != cudaSuccess) {
        cudaFree(p);
        return cuda_fail(why, why_size, "cudaMemset", e);
    }
    *out = p;
    return 0;
}

extern "C" void alloc_cuda_give(void *ptr)
{
    if (ptr)
        cudaFree(ptr);
}
