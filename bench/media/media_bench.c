/* media_bench: libclams-media's frame extraction and audio decoding, timed.
 *   media_bench dense FILE             every frame as RGB24
 *   media_bench analysis FILE WIDTH    every frame as RGB24 WIDTH pixels wide
 *                                      (CLAMS_SCALE_ANALYSIS, aspect kept)
 *   media_bench sparse FILE STEP_S OFFSET_S   one frame every STEP_S seconds,
 *                                      the first at OFFSET_S
 *   media_bench sweep FILE             every frame as RGB24 through
 *                                      clams_video_sweep (parallel segments)
 *   media_bench sweep-analysis FILE WIDTH   the same, analysis frames
 *   media_bench audio FILE             the whole audio to 16 kHz mono float
 * Prints one line: mode, frames (or samples), seconds, frames/s (or x real
 * time), peak RSS (getrusage) and a checksum of what was delivered, so the
 * work cannot be optimised away. Threads: FFmpeg's automatic choice, as the
 * ffmpeg tool uses. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <clams/media.h>

#include "../bench_util.h"

static unsigned long long sum, samples;

static int on_frame(long long frame, const clams_image_t *img, void *data)
{
    (void)frame;
    (void)data;
    sum += img->data[img->size / 2] + img->data[0];
    return 0;
}

/* Segments deliver at the same time: the checksum adds atomically. */
static int on_sweep(int segment, long long frame, const clams_image_t *img, void *data)
{
    (void)segment;
    (void)frame;
    (void)data;
    __atomic_fetch_add(&sum, (unsigned long long)(img->data[img->size / 2] + img->data[0]),
                       __ATOMIC_RELAXED);
    return 0;
}

static int on_chunk(const void *s, size_t frames, long long start, void *data)
{
    (void)start;
    (void)data;
    const float *f = s;
    samples += frames;
    sum += (unsigned long long)(frames + (size_t)(f[frames / 2] * 1000.0f));
    return 0;
}

static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: media_bench dense|analysis|sparse|sweep|sweep-analysis|audio FILE [WIDTH | "
                "STEP_S OFFSET_S]\n");
        return 2;
    }
    const char *mode = argv[1], *path = argv[2];
    clams_error_t err = {0};
    double t0 = bench_now();
    if (strcmp(mode, "audio") == 0) {
        clams_audio_t *a = clams_audio_open_file(path, NULL, &err);
        if (!a || clams_audio_read(a, on_chunk, NULL, &err) != 0) {
            fprintf(stderr, "media_bench: %s\n", err.text);
            return 1;
        }
        double secs = bench_now() - t0;
        const clams_audio_info_t *info = clams_audio_info(a);
        printf("audio %s: %.1f s of %d Hz %d ch %s to %llu samples at %d Hz in %.2f s (%.0fx "
               "real time), peak RSS %.1f MiB, sum %llu\n",
               path, info->duration_ms / 1000.0, info->source_rate, info->source_channels,
               info->codec, samples, info->rate, secs, info->duration_ms / 1000.0 / secs,
               peak_mib(), sum);
        clams_audio_close(a);
        return 0;
    }
    clams_video_t *v = clams_video_open_file(path, NULL, &err);
    if (!v) {
        fprintf(stderr, "media_bench: %s\n", err.text);
        return 1;
    }
    double t_open = bench_now() - t0;
    const clams_video_info_t *info = clams_video_info(v);
    long long n = info->frame_count;
    long long *frames = malloc((size_t)n * sizeof *frames);
    size_t count = 0;
    clams_frame_opts_t fo = CLAMS_FRAME_OPTS_INIT;
    bool sweep = strncmp(mode, "sweep", 5) == 0;
    if (strcmp(mode, "analysis") == 0 || strcmp(mode, "sweep-analysis") == 0) {
        fo.width = argc > 3 ? atoi(argv[3]) : 256;
        fo.scale = CLAMS_SCALE_ANALYSIS;
    }
    if (sweep) {
        count = (size_t)n;
    } else if (strcmp(mode, "dense") == 0 || strcmp(mode, "analysis") == 0) {
        for (long long i = 0; i < n; i++)
            frames[count++] = i;
    } else {
        double step = argc > 3 ? atof(argv[3]) : 2.0, off = argc > 4 ? atof(argv[4]) : 0.0;
        for (double t = off;; t += step) {
            long long f;
            if (clams_video_frame_at(v, t, "seconds", &f, &err) != 0 || f >= n)
                break;
            frames[count++] = f;
        }
    }
    int rc = sweep ? clams_video_sweep(v, &fo, NULL, on_sweep, NULL, &err)
                   : clams_video_frames(v, frames, count, &fo, on_frame, NULL, &err);
    double secs = bench_now() - t0;
    if (rc != 0) {
        fprintf(stderr, "media_bench: %s\n", err.text);
        return 1;
    }
    printf("%s %s: %zu of %lld frames (%dx%d %s) in %.2f s (open+index %.2f s), %.0f frames/s, "
           "peak RSS %.1f MiB, sum %llu\n",
           mode, path, count, n, info->width, info->height, info->codec, secs, t_open, count / secs,
           peak_mib(), sum);
    free(frames);
    clams_video_close(v);
    return 0;
}
