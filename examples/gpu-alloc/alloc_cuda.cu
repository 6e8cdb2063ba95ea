/* alloc_cuda.cu: device memory for gpu-alloc. Plain cudaMalloc, never managed
 * memory: on Linux it fails with cudaErrorMemoryAllocation instead of
 * oversubscribing, which is what the GPU check relies on. */
#include <stdio.h>

#include "alloc_gpu.h"
#include "clams_cuda.h"

extern "C" int alloc_cuda_init(char *name, size_t name_size, char *why, size_t why_size)
{
    return clams_cuda_start(name, name_size, why, why_size);
}

extern "C" int alloc_cuda_take(size_t bytes, void **out, char *why, size_t why_size)
{
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "cudaMalloc", e);
    e = cudaMemset(p, 0xA5, bytes);
    if (e == cudaSuccess)
        e = cudaDeviceSynchronize();
    if (e != cudaSuccess) {
        cudaFree(p);
        return clams_cuda_fail(why, why_size, "cudaMemset", e);
    }
    *out = p;
    return 0;
}

extern "C" void alloc_cuda_give(void *ptr)
{
    if (ptr)
        cudaFree(ptr);
}
