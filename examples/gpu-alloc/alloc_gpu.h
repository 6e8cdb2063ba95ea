/* alloc_gpu.h: the CUDA side of gpu-alloc (alloc_cuda.cu), compiled only when
 * nvcc is available (GPU_ALLOC_HAVE_CUDA). Failures return -1 with a reason. */
#ifndef GPU_ALLOC_GPU_H
#define GPU_ALLOC_GPU_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Selects device 0 and creates the CUDA context (after fork only). */
int alloc_cuda_init(char *name, size_t name_size, char *why, size_t why_size);
/* cudaMalloc + cudaMemset (so the pages are really committed) + synchronise.
 * *out receives the device pointer. */
int alloc_cuda_take(size_t bytes, void **out, char *why, size_t why_size);
void alloc_cuda_give(void *ptr);

#ifdef __cplusplus
}
#endif
#endif
