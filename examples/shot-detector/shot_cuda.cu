/* shot_cuda.cu: the GPU half of the shot detector. One thread converts one
 * pixel with shot_rgb_to_hsv (the same inline integer function the CPU path
 * calls); the absolute differences are reduced per block in shared memory
 * and added to 64-bit integer totals with atomicAdd. Integer sums do not
 * depend on the order of the additions, so the totals are exactly the CPU
 * path's. */
#include <stdio.h>
#include <string.h>

#include "clams_cuda.h"
#include "detect.h"
#include "shot_gpu.h"

#define BLOCK 256

static bool g_ready;
static cudaStream_t g_stream;
static size_t g_npix, g_batch, g_cap_frames, g_cap_pix;
static uint8_t *h_rgb[2];          /* pinned host batches */
static unsigned long long *h_sums[2];
static size_t g_pending[2];        /* frames queued in each slot, 0 = none */
static cudaEvent_t g_done[2];
static uint8_t *d_rgb;             /* one batch of RGB24 frames */
static uint8_t *d_hsv;             /* batch + 1 HSV frames: [0] = the frame before */
static unsigned long long *d_sums[2];
static bool g_first;               /* no frame before the next batch */
static unsigned long long g_peak;

__global__ void hsv_kernel(const uint8_t *rgb, size_t npix, size_t nframes, uint8_t *hsv)
{
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= npix * nframes)
        return;
    size_t f = t / npix, i = t % npix;
    uint8_t *out = hsv + (f + 1) * 3 * npix; /* slot 0 is the frame before */
    const uint8_t *p = rgb + 3 * t;
    shot_rgb_to_hsv(p[0], p[1], p[2], &out[i], &out[npix + i], &out[2 * npix + i]);
}

/* grid: (blocks over the pixels, frames, 3 channels). */
__global__ void diff_kernel(const uint8_t *hsv, size_t npix, unsigned long long *sums)
{
    __shared__ unsigned long long part[BLOCK];
    size_t f = blockIdx.y, c = blockIdx.z;
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    unsigned long long d = 0;
    if (i < npix) {
        int a = hsv[f * 3 * npix + c * npix + i];
        int b = hsv[(f + 1) * 3 * npix + c * npix + i];
        d = (unsigned long long)(a > b ? a - b : b - a);
    }
    part[threadIdx.x] = d;
    __syncthreads();
    for (unsigned s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s)
            part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        atomicAdd(&sums[f * 3 + c], part[0]);
}

extern "C" int shot_cuda_init(char *why, size_t why_size)
{
    if (clams_cuda_start(NULL, 0, why, why_size) != 0)
        return -1;
    cudaError_t e;
    if ((e = cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking)) != cudaSuccess)
        return clams_cuda_fail(why, why_size, "cudaStreamCreate", e);
    for (int s = 0; s < 2; s++)
        if ((e = cudaEventCreateWithFlags(&g_done[s], cudaEventDisableTiming)) != cudaSuccess)
            return clams_cuda_fail(why, why_size, "cudaEventCreate", e);
    g_ready = true;
    return 0;
}

extern "C" void shot_cuda_release(void)
{
    for (int s = 0; s < 2; s++) {
        if (h_rgb[s])
            cudaFreeHost(h_rgb[s]);
        if (h_sums[s])
            cudaFreeHost(h_sums[s]);
        if (d_sums[s])
            cudaFree(d_sums[s]);
        h_rgb[s] = NULL;
        h_sums[s] = NULL;
        d_sums[s] = NULL;
        g_pending[s] = 0;
    }
    if (d_rgb)
        cudaFree(d_rgb);
    if (d_hsv)
        cudaFree(d_hsv);
    d_rgb = d_hsv = NULL;
    g_cap_frames = g_cap_pix = 0;
    g_peak = 0;
}

extern "C" int shot_cuda_begin(size_t npix, size_t batch, char *why, size_t why_size)
{
    if (!g_ready) {
        snprintf(why, why_size, "CUDA was not initialised in this worker");
        return -1;
    }
    if (g_pending[0] || g_pending[1]) /* a request that stopped half-way */
        cudaStreamSynchronize(g_stream);
    g_pending[0] = g_pending[1] = 0;
    g_npix = npix;
    g_batch = batch;
    g_first = true;
    if (npix <= g_cap_pix && batch <= g_cap_frames)
        return 0;
    shot_cuda_release();
    size_t rgb = batch * npix * 3, hsv = (batch + 1) * npix * 3,
           sums = batch * 3 * sizeof(unsigned long long);
    cudaError_t e = cudaMalloc((void **)&d_rgb, rgb);
    if (e == cudaSuccess)
        e = cudaMalloc((void **)&d_hsv, hsv);
    for (int s = 0; s < 2 && e == cudaSuccess; s++) {
        e = cudaMalloc((void **)&d_sums[s], sums);
        if (e == cudaSuccess)
            e = cudaMallocHost((void **)&h_rgb[s], rgb);
        if (e == cudaSuccess)
            e = cudaMallocHost((void **)&h_sums[s], sums);
    }
    if (e != cudaSuccess) {
        shot_cuda_release();
        return clams_cuda_fail(why, why_size, "allocating the frame buffers", e);
    }
    g_cap_pix = npix;
    g_cap_frames = batch;
    g_peak = (unsigned long long)(rgb + hsv + 2 * sums);
    return 0;
}

extern "C" uint8_t *shot_cuda_slot(int slot)
{
    return h_rgb[slot];
}

extern "C" int shot_cuda_submit(int slot, size_t nframes, char *why, size_t why_size)
{
    if (nframes == 0 || nframes > g_batch) {
        snprintf(why, why_size, "bad batch of %zu frames", nframes);
        return -1;
    }
    size_t npix = g_npix, fbytes = 3 * npix;
    cudaError_t e = cudaMemcpyAsync(d_rgb, h_rgb[slot], nframes * fbytes,
                                    cudaMemcpyHostToDevice, g_stream);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "uploading frames", e);
    size_t total = npix * nframes;
    hsv_kernel<<<(unsigned)((total + BLOCK - 1) / BLOCK), BLOCK, 0, g_stream>>>(
        d_rgb, npix, nframes, d_hsv);
    if (g_first) { /* frame 0 is compared with itself: score 0 */
        e = cudaMemcpyAsync(d_hsv, d_hsv + fbytes, fbytes, cudaMemcpyDeviceToDevice,
                            g_stream);
        g_first = false;
    }
    if (e == cudaSuccess)
        e = cudaMemsetAsync(d_sums[slot], 0, nframes * 3 * sizeof(unsigned long long),
                            g_stream);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "preparing the batch", e);
    dim3 grid((unsigned)((npix + BLOCK - 1) / BLOCK), (unsigned)nframes, 3);
    diff_kernel<<<grid, BLOCK, 0, g_stream>>>(d_hsv, npix, d_sums[slot]);
    if ((e = cudaGetLastError()) != cudaSuccess)
        return clams_cuda_fail(why, why_size, "launching the kernels", e);
    /* The batch's last frame becomes the frame before the next batch. */
    e = cudaMemcpyAsync(d_hsv, d_hsv + nframes * fbytes, fbytes, cudaMemcpyDeviceToDevice,
                        g_stream);
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(h_sums[slot], d_sums[slot],
                            nframes * 3 * sizeof(unsigned long long),
                            cudaMemcpyDeviceToHost, g_stream);
    if (e == cudaSuccess)
        e = cudaEventRecord(g_done[slot], g_stream);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "queueing the batch", e);
    g_pending[slot] = nframes;
    return 0;
}

extern "C" int shot_cuda_collect(int slot, uint64_t *sums, char *why, size_t why_size)
{
    size_t n = g_pending[slot];
    if (n == 0)
        return 0;
    cudaError_t e = cudaEventSynchronize(g_done[slot]);
    g_pending[slot] = 0;
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "running the shot kernels", e);
    for (size_t i = 0; i < 3 * n; i++)
        sums[i] = (uint64_t)h_sums[slot][i];
    return 0;
}

extern "C" unsigned long long shot_cuda_buffer_peak(void)
{
    return g_peak;
}
