/* tone_cuda.cu: the GPU spectrum of the tone detector. One thread computes one
 * (frame, candidate bin) DFT power with exactly the loop of tone_spectrum_cpu;
 * built with -fmad=false so that every multiply and add is rounded as on the
 * host and both paths return identical doubles. */
#include <stdio.h>
#include <string.h>

#include "clams_cuda.h"
#include "tone_gpu.h"

static char g_device_name[256];
static bool g_ready;

/* Device buffers, grown on demand and kept between chunks of one request. */
static double *d_x, *d_power, *d_cos, *d_sin;
static size_t cap_x, cap_power, cap_table;
static unsigned table_len;
static unsigned long long buffer_peak;

__global__ void spectra_kernel(const double *x, size_t nframes, unsigned n_len,
                               unsigned kmin, unsigned nbins, const double *cosv,
                               const double *sinv, double *power)
{
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nframes * nbins)
        return;
    size_t f = t / nbins;
    unsigned k = kmin + (unsigned)(t % nbins), idx = 0;
    const double *xf = x + f * n_len;
    double re = 0.0, im = 0.0;
    for (unsigned n = 0; n < n_len; n++) {
        re += xf[n] * cosv[idx];
        im += xf[n] * sinv[idx];
        idx += k;
        if (idx >= n_len)
            idx -= n_len;
    }
    power[t] = re * re + im * im;
}

extern "C" int tone_cuda_init(char *why, size_t why_size)
{
    if (clams_cuda_start(g_device_name, sizeof g_device_name, why, why_size) != 0)
        return -1;
    g_ready = true;
    return 0;
}

extern "C" const char *tone_cuda_device_name(void)
{
    return g_device_name;
}

static int grow(double **p, size_t *cap, size_t want, char *why, size_t why_size)
{
    if (want <= *cap)
        return 0;
    if (*p)
        cudaFree(*p);
    *p = NULL;
    *cap = 0;
    cudaError_t e = cudaMalloc((void **)p, want * sizeof(double));
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "cudaMalloc", e);
    *cap = want;
    unsigned long long held = (unsigned long long)(cap_x + cap_power + 2 * cap_table) *
                              sizeof(double);
    if (held > buffer_peak)
        buffer_peak = held;
    return 0;
}

/* The twiddle table depends only on the frame length. */
static int upload_table(const tone_plan_t *plan, char *why, size_t why_size)
{
    if (table_len == plan->frame_len)
        return 0;
    if (grow(&d_cos, &cap_table, plan->frame_len, why, why_size) != 0)
        return -1;
    if (d_sin)
        cudaFree(d_sin);
    cudaError_t e = cudaMalloc((void **)&d_sin, cap_table * sizeof(double));
    if (e != cudaSuccess) {
        d_sin = NULL;
        return clams_cuda_fail(why, why_size, "cudaMalloc", e);
    }
    size_t bytes = plan->frame_len * sizeof(double);
    e = cudaMemcpy(d_cos, plan->cosv, bytes, cudaMemcpyHostToDevice);
    if (e == cudaSuccess)
        e = cudaMemcpy(d_sin, plan->sinv, bytes, cudaMemcpyHostToDevice);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "uploading the twiddle table", e);
    table_len = plan->frame_len;
    return 0;
}

extern "C" int tone_cuda_spectrum(const tone_plan_t *plan, const double *x, size_t nframes,
                                  double *power, char *why, size_t why_size)
{
    if (!g_ready) {
        snprintf(why, why_size, "CUDA was not initialised in this worker");
        return -1;
    }
    if (nframes == 0)
        return 0;
    size_t nx = nframes * plan->frame_len, np = nframes * plan->nbins;
    if (upload_table(plan, why, why_size) != 0 || grow(&d_x, &cap_x, nx, why, why_size) != 0 ||
        grow(&d_power, &cap_power, np, why, why_size) != 0)
        return -1;
    cudaError_t e = cudaMemcpy(d_x, x, nx * sizeof(double), cudaMemcpyHostToDevice);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "uploading samples", e);
    const unsigned block = 256;
    unsigned grid = (unsigned)((np + block - 1) / block);
    spectra_kernel<<<grid, block>>>(d_x, nframes, plan->frame_len, plan->kmin, plan->nbins,
                                    d_cos, d_sin, d_power);
    if ((e = cudaGetLastError()) != cudaSuccess)
        return clams_cuda_fail(why, why_size, "launching the spectrum kernel", e);
    e = cudaMemcpy(power, d_power, np * sizeof(double), cudaMemcpyDeviceToHost);
    if (e != cudaSuccess)
        return clams_cuda_fail(why, why_size, "running the spectrum kernel", e);
    return 0;
}

extern "C" unsigned long long tone_cuda_buffer_peak(void)
{
    return buffer_peak;
}

extern "C" void tone_cuda_release(void)
{
    double **bufs[] = {&d_x, &d_power, &d_cos, &d_sin};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        if (*bufs[i])
            cudaFree(*bufs[i]);
        *bufs[i] = NULL;
    }
    cap_x = cap_power = cap_table = 0;
    table_len = 0;
    buffer_peak = 0;
}
