/* shot_gpu.h: the CUDA side of the shot detector (shot_cuda.cu), built only
 * when nvcc is available (SHOT_HAVE_CUDA). The host decodes frames into one of
 * two pinned batches while the GPU works on the other (upload, HSV
 * conversion, difference sums, download: all queued on one stream), so
 * decoding and the GPU overlap. Failures are a negative return with a reason
 * in `why`; nothing aborts. */
#ifndef SHOT_GPU_H
#define SHOT_GPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Selects device 0 of the worker (its CUDA_VISIBLE_DEVICES) and creates the
 * context. After fork only. Returns 0, or -1 without a usable device. */
int shot_cuda_init(char *why, size_t why_size);

/* Prepares one video: frames of npix pixels, batches of `batch` frames
 * (device buffers and two pinned host batches, reused while they fit).
 * Returns 0 or -1. */
int shot_cuda_begin(size_t npix, size_t batch, char *why, size_t why_size);

/* The pinned host buffer of batch `slot` (0 or 1): batch * npix * 3 bytes of
 * packed RGB24 frames. Valid until shot_cuda_release. */
uint8_t *shot_cuda_slot(int slot);

/* Queues the first nframes frames of batch `slot`: each frame's H, S, V sums
 * of absolute differences against the frame before it (the last frame of the
 * previous batch; the very first frame of the video against itself, so 0).
 * Returns at once; 0 or -1. */
int shot_cuda_submit(int slot, size_t nframes, char *why, size_t why_size);

/* Waits for batch `slot` and copies its sums (3 per frame, nframes frames as
 * submitted) to `sums`. Returns 0 or -1. */
int shot_cuda_collect(int slot, uint64_t *sums, char *why, size_t why_size);

/* Device bytes held by the buffers at their largest since the last release. */
unsigned long long shot_cuda_buffer_peak(void);

/* Frees the buffers (the context stays). */
void shot_cuda_release(void);

#ifdef __cplusplus
}
#endif
#endif
