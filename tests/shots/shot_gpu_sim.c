/* shot_gpu_sim.c: the contract of examples/shot-detector/shot_gpu.h on the
 * host, so that the app's GPU-side bookkeeping (two pinned batches in
 * flight, the frame carried from one batch to the next, the partial last
 * batch, collecting in time) runs on a machine without a GPU. It is linked
 * into a test build of the app (shot-detector-gpusim), never into the app.
 *
 * It behaves like the stream in shot_cuda.cu at its most awkward: a batch is
 * computed (and its host buffer read) only when the app waits for it or a
 * later one, as a busy GPU would, in the order the batches were queued; a
 * batch queued into a slot whose previous batch the app has not collected is
 * an error (the app would be overwriting a buffer the GPU may still read).
 * The arithmetic is the kernels': shot_rgb_to_hsv (the division form) per
 * pixel and 64-bit sums, each frame against the one before, the first frame
 * of a video against itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "shot_gpu.h"

static size_t g_npix, g_batch;
static uint8_t *h_rgb[2], *g_prev, *g_cur;
static unsigned long long *g_sums[2];
static size_t g_queued[2];   /* frames queued, not computed yet */
static size_t g_done[2];     /* frames computed, not collected yet */
static int g_order[2], g_nq; /* queued slots, oldest first */
static int g_first;

int shot_cuda_init(char *why, size_t why_size)
{
    return 0;
}

void shot_cuda_release(void)
{
    for (int s = 0; s < 2; s++) {
        free(h_rgb[s]);
        free(g_sums[s]);
        h_rgb[s] = NULL;
        g_sums[s] = NULL;
        g_queued[s] = g_done[s] = 0;
    }
    free(g_prev);
    free(g_cur);
    g_prev = g_cur = NULL;
    g_nq = 0;
}

int shot_cuda_begin(size_t npix, size_t batch, char *why, size_t why_size)
{
    shot_cuda_release();
    g_npix = npix;
    g_batch = batch;
    g_first = 1;
    g_prev = malloc(3 * npix);
    g_cur = malloc(3 * npix);
    for (int s = 0; s < 2; s++) {
        h_rgb[s] = malloc(batch * 3 * npix);
        g_sums[s] = calloc(batch * 3, sizeof(unsigned long long));
    }
    if (!g_prev || !g_cur || !h_rgb[0] || !h_rgb[1] || !g_sums[0] || !g_sums[1]) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    return 0;
}

uint8_t *shot_cuda_slot(int slot)
{
    return h_rgb[slot];
}

/* Computes the oldest queued batch. */
static void run_oldest(void)
{
    int slot = g_order[0];
    size_t npix = g_npix;
    for (size_t f = 0; f < g_queued[slot]; f++) {
        const uint8_t *rgb = h_rgb[slot] + f * 3 * npix;
        for (size_t i = 0; i < npix; i++)
            shot_rgb_to_hsv(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], &g_cur[i], &g_cur[npix + i],
                            &g_cur[2 * npix + i]);
        if (g_first) {
            memcpy(g_prev, g_cur, 3 * npix);
            g_first = 0;
        }
        uint64_t sums[3];
        shot_diff_sums_cpu(g_prev, g_cur, npix, sums);
        for (int c = 0; c < 3; c++)
            g_sums[slot][3 * f + c] = sums[c];
        uint8_t *t = g_prev;
        g_prev = g_cur;
        g_cur = t;
    }
    g_done[slot] = g_queued[slot];
    g_queued[slot] = 0;
    g_order[0] = g_order[1];
    g_nq--;
}

int shot_cuda_submit(int slot, size_t nframes, char *why, size_t why_size)
{
    if (nframes == 0 || nframes > g_batch) {
        snprintf(why, why_size, "bad batch of %zu frames", nframes);
        return -1;
    }
    if (g_queued[slot] || g_done[slot]) {
        snprintf(why, why_size, "slot %d queued again before its batch was collected", slot);
        return -1;
    }
    g_queued[slot] = nframes;
    g_order[g_nq++] = slot;
    return 0;
}

int shot_cuda_collect(int slot, uint64_t *sums, char *why, size_t why_size)
{
    while (g_queued[slot])
        run_oldest();
    size_t n = g_done[slot];
    for (size_t i = 0; i < 3 * n; i++)
        sums[i] = (uint64_t)g_sums[slot][i];
    g_done[slot] = 0;
    return 0;
}

unsigned long long shot_cuda_buffer_peak(void)
{
    return (unsigned long long)(g_batch * 3 * g_npix * 2);
}
