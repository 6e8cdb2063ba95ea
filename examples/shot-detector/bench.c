/* shot-bench: how fast the shot detector's CPU path runs next to decoding
 * alone, on one video file (bench/50-pipeline.sh).
 *   shot-bench decode FILE   decode every frame at the analysis size (RGB24,
 *                            libclams-media's scaler), nothing else
 *   shot-bench detect FILE   the same plus the CPU detector (HSV, differences,
 *                            cuts) on its own thread, as the app runs it
 *   shot-bench detect1 FILE  the same with the detector on the decoding
 *                            thread
 * Frames come as the app takes them (CLAMS_SCALE_ANALYSIS); with SHOT_BENCH_EXACT
 * set in the environment, through the exact scaler (bicubic) instead.
 * Prints "MODE FRAMES frames in SECONDS s, FPS frames/s, CUTS cuts". */
#include <clams/media.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"

typedef struct {
    shot_pipe_t *pipe; /* NULL: decode only */
} state_t;

static int on_frame(long long frame, const clams_image_t *img, void *data)
{
    state_t *s = data;
    return s->pipe ? shot_pipe_push(s->pipe, frame, img->data) : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int detect = argc == 3 && strcmp(argv[1], "detect") == 0;
    int detect1 = argc == 3 && strcmp(argv[1], "detect1") == 0;
    if (argc != 3 || (strcmp(argv[1], "decode") != 0 && !detect && !detect1)) {
        fprintf(stderr, "usage: shot-bench decode|detect|detect1 FILE\n");
        return 2;
    }
    double t0 = now();
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open_file(argv[2], NULL, &err);
    if (!v) {
        fprintf(stderr, "shot-bench: %s\n", err.text);
        return 1;
    }
    const clams_video_info_t *info = clams_video_info(v);
    clams_frame_opts_t fo = CLAMS_FRAME_OPTS_INIT;
    fo.scale = getenv("SHOT_BENCH_EXACT") ? CLAMS_SCALE_EXACT : CLAMS_SCALE_ANALYSIS;
    shot_analysis_size(info->width, info->height, &fo.width, &fo.height);
    size_t n = (size_t)info->frame_count, npix = (size_t)fo.width * (size_t)fo.height;
    long long *frames = malloc(n * sizeof *frames);
    shot_result_t res = {.scores = calloc(n, sizeof(double)), .nscores = n};
    state_t s = {0};
    if (detect || detect1)
        s.pipe = shot_pipe_new(npix, res.scores, detect);
    if (!frames || !res.scores || ((detect || detect1) && !s.pipe)) {
        fprintf(stderr, "shot-bench: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        frames[i] = (long long)i;
    int rc = clams_video_frames(v, frames, n, &fo, on_frame, &s, &err);
    shot_pipe_finish(s.pipe);
    if (rc == 0 && s.pipe)
        rc = shot_find_cuts(&res, SHOT_DEFAULT_THRESHOLD, SHOT_DEFAULT_MIN_LEN);
    double dt = now() - t0;
    if (rc != 0) {
        fprintf(stderr, "shot-bench: %s\n", err.text[0] ? err.text : "failed");
        return 1;
    }
    printf("%s %zu frames in %.3f s, %.1f frames/s, %zu cuts (%dx%d analysis size)\n", argv[1], n,
           dt, n / dt, res.ncuts, fo.width, fo.height);
    free(frames);
    shot_result_free(&res);
    clams_video_close(v);
    return 0;
}
