/* tone_gpu.h: the CUDA side of the tone detector (tone_cuda.cu), compiled only
 * when nvcc is available (TONE_HAVE_CUDA). All functions report failures as a
 * negative return with a reason in `why`; none of them aborts. */
#ifndef TONE_GPU_H
#define TONE_GPU_H

#include <stddef.h>

#include "detect.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Selects device 0 of the worker (its CUDA_VISIBLE_DEVICES) and creates the
 * CUDA context. Call after fork only. Returns 0, or -1 when there is no usable
 * device or driver. */
int tone_cuda_init(char *why, size_t why_size);

/* Name of the device selected by tone_cuda_init ("" before). */
const char *tone_cuda_device_name(void);

/* Same contract as tone_spectrum_cpu, on the GPU. Device buffers grow as
 * needed and are kept until tone_cuda_release. Returns 0 or -1. */
int tone_cuda_spectrum(const tone_plan_t *plan, const double *x, size_t nframes, double *power,
                       char *why, size_t why_size);

/* Bytes of device memory held by the buffers at their largest since the last
 * release (what the app reports as its allocator peak). */
unsigned long long tone_cuda_buffer_peak(void);

/* Frees the device buffers (the context stays). */
void tone_cuda_release(void);

#ifdef __cplusplus
}
#endif
#endif
