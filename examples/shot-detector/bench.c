/* shot-bench: what the shot detector's CPU path costs next to decoding
 * alone, on one video file (bench/50-pipeline.sh).
 *   shot-bench frames FILE     every frame through clams_video_frames at the
 *                              analysis size (one decoder, frame threads)
 *   shot-bench sweep FILE      every frame through clams_video_sweep
 *                              (parallel segments), nothing else
 *   shot-bench reference FILE  the reference frames only, the same way
 *   shot-bench detect FILE     the detector as the app runs it (two passes)
 *   shot-bench detect-all FILE the detector with everyFrame=true
 * Frames are analysis frames (CLAMS_SCALE_ANALYSIS, 256 pixels a side at
 * most). Prints "MODE FRAMES frames in SECONDS s, FPS frames/s, ..." where
 * FPS is the video's frames over the wall time, start-up included. */
#include <clams/media.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"
#include "scan.h"

static int on_frame(long long frame, const clams_image_t *img, void *data)
{
    (void)frame, (void)img, (void)data;
    return 0;
}

static int on_sweep(int segment, long long frame, const clams_image_t *img, void *data)
{
    (void)segment, (void)frame, (void)img, (void)data;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const modes[] = {"frames", "sweep", "reference", "detect", "detect-all", NULL};

int main(int argc, char **argv)
{
    int mode = -1;
    for (int i = 0; argc == 3 && modes[i]; i++)
        if (strcmp(argv[1], modes[i]) == 0)
            mode = i;
    if (mode < 0) {
        fprintf(stderr, "usage: shot-bench frames|sweep|reference|detect|detect-all FILE\n");
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
    fo.scale = CLAMS_SCALE_ANALYSIS;
    shot_analysis_size(info->width, info->height, &fo.width, &fo.height);
    size_t n = (size_t)info->frame_count;
    shot_result_t res = {0};
    shot_scan_stats_t st = {0};
    char why[600] = "";
    int rc = 0;
    if (mode == 0) {
        long long *frames = malloc((n ? n : 1) * sizeof *frames);
        if (!frames)
            return 1;
        for (size_t i = 0; i < n; i++)
            frames[i] = (long long)i;
        rc = clams_video_frames(v, frames, n, &fo, on_frame, NULL, &err);
        free(frames);
    } else if (mode <= 2) {
        clams_sweep_opts_t so = CLAMS_SWEEP_OPTS_INIT;
        so.which = mode == 2 ? CLAMS_SWEEP_REFERENCE : CLAMS_SWEEP_ALL;
        st.segments = clams_video_sweep_segments(v, &so, NULL, 0);
        rc = clams_video_sweep(v, &fo, &so, on_sweep, NULL, &err);
    } else {
        shot_scan_opts_t so = {.threshold = SHOT_DEFAULT_THRESHOLD, .every_frame = mode == 4};
        rc = shot_scan(v, &so, &res, &st, why, sizeof why);
        if (rc == 0)
            rc = shot_find_cuts(&res, SHOT_DEFAULT_THRESHOLD, SHOT_DEFAULT_MIN_LEN);
    }
    double dt = now() - t0;
    if (rc != 0) {
        fprintf(stderr, "shot-bench: %s\n", why[0] ? why : err.text[0] ? err.text : "failed");
        return 1;
    }
    clams_video_stats_t vs;
    clams_video_stats(v, &vs);
    printf("%s %zu frames in %.3f s, %.1f frames/s, %lld decoded, %d segments", argv[1], n, dt,
           n / dt, vs.decoded, st.segments);
    if (mode >= 3)
        printf(", pass 1 %lld frames, %lld gaps, pass 2 %lld frames, %zu cuts", st.first_pass,
               st.candidates, st.second_pass, res.ncuts);
    printf(" (%dx%d analysis size)\n", fo.width, fo.height);
    shot_result_free(&res);
    clams_video_close(v);
    return 0;
}
