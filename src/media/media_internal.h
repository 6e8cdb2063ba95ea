/* Internals shared by the media modules (hidden: the library is built with
 * -fvisibility=hidden and nothing here is CLAMS_API). */
#ifndef CLAMS_MEDIA_INTERNAL_H
#define CLAMS_MEDIA_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clams/media.h"

/* True when the caller's options struct holds `member`: NULL holds nothing,
 * struct_size 0 (a zeroed struct) holds this version's members, else the
 * member must end within struct_size (an older app's smaller struct). */
#define CLAMS__MEDIA_HAS(o, member)   \
    ((o) && ((o)->struct_size == 0 || \
             offsetof(__typeof__(*(o)), member) + sizeof((o)->member) <= (o)->struct_size))

/* Fills err once (the first error wins) and returns code. libclams has
 * its own (clams__error_set, hidden): this library links only libclams'
 * public API, and a setter is not worth exporting as API. */
int clams__media_fail(clams_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* FFmpeg's message for an AVERROR code, in a static-per-call buffer. */
const char *clams__media_averr(int e, char *buf, size_t size);

/* Checks the document's type against `want` (short names separated by '|'),
 * resolves its location and checks the file (exists, regular, readable, not
 * empty). Fills id (at most idsize) and *path (new). Errors name the
 * document and the file. */
int clams__media_document_file(const json_t *doc, const char *want, char *id, size_t idsize,
                               char **path, clams_error_t *err);

/* The same checks for a bare path. */
int clams__media_check_file(const char *id, const char *path, clams_error_t *err);

/* Quiets FFmpeg's logging once per process (unless CLAMS_MEDIA_FFMPEG_LOG). */
void clams__media_quiet_ffmpeg(void);

/* Refuses (clams_limit_refuse) a value over a limit, naming the document
 * and the file; 0 when within it. */
int clams__media_check_limit(clams_limit_t which, const char *id, const char *path,
                             const char *what, long long value, clams_error_t *err);

/* The size frames are delivered at for options o from a sw x sh picture
 * (clams_frame_opts_t: both 0 native, one 0 keeps the aspect ratio): 0,
 * CLAMS_EINVAL for bad sizes, CLAMS_ETOOBIG over CLAMS_LIMIT_PIXELS. */
int clams__media_out_size(const char *id, const char *path, int sw, int sh,
                          const clams_frame_opts_t *o, int *w, int *h, clams_error_t *err);

/* Opens path and finds the best stream of `type`; fills *fmt and *stream.
 * Pictures over CLAMS_LIMIT_PIXELS and audio over the rate and channel
 * limits that the container declares are refused before any decoding, and
 * the probe decoders run with FFmpeg's max_pixels set to the limit. */
int clams__media_open_input(const char *id, const char *path, enum AVMediaType type,
                            AVFormatContext **fmt, int *stream, clams_error_t *err);

/* Opens a decoder for stream `idx` of fmt. */
int clams__media_open_decoder(const char *id, const char *path, AVFormatContext *fmt, int idx,
                              int threads, AVCodecContext **dec, clams_error_t *err);

/* CLAMS_SCALE_ANALYSIS's state, kept from frame to frame (area.c): per axis
 * (luma, chroma) the first source pixel and `taps` weights of each output. */
typedef struct clams__area_axis_s {
    int taps;
    int *first;
    uint16_t *w;
    uint16_t *w8; /* w padded to 8 taps an output (taps <= 8), else NULL */
} clams__area_axis_t;
typedef struct clams__area_s {
    int key[5]; /* source width, height, format; output width, height */
    int cw;     /* chroma plane width */
    clams__area_axis_t ax[2], ay[2];
    uint16_t *acc; /* one source row, vertically reduced */
    uint16_t *row; /* one output row of Y, Cb, Cr in 8.8 fixed point */
    uint8_t *rgb;  /* one output row of R, G, B, planar */
} clams__area_t;

/* Reduces frame f to w x h by area averaging on its planes and converts
 * the result to packed RGB24 (or GRAY8) into dst. Returns 1 when done, 0
 * when f's pixel format is not 8-bit planar YCbCr (the caller falls back
 * to libswscale), -1 when out of memory. */
int clams__area_convert(clams__area_t *a, const AVFrame *f, uint8_t *dst, int w, int h, bool gray);
void clams__area_free(clams__area_t *a);

/* The video reader, for the sweep (sweep.c; defined in video.c). */

/* A second handle on v's file with its own demuxer and a decoder of
 * `threads` threads (0: FFmpeg's choice), sharing v's frame index (v must
 * outlive it). Closed with clams_video_close. */
clams_video_t *clams__video_reader(const clams_video_t *v, int threads, clams_error_t *err);
/* Decodes up to frame n (seeking when that is shorter) and leaves it current. */
int clams__video_seek_frame(clams_video_t *v, long long n, clams_error_t *err);
/* From now on, skip frames that no other frame is predicted from. */
void clams__video_reference_only(clams_video_t *v, bool on);
/* The next frame decoding yields (presentation order) made current: 1 with
 * its number and whether the decoder flagged it damaged, 0 at the end. */
int clams__video_next(clams_video_t *v, long long *frame, bool *damaged, clams_error_t *err);
/* Why decoding last failed ("" when it did not). */
const char *clams__video_last_error(const clams_video_t *v);
/* The output size of frames with options o: 0, CLAMS_EINVAL (bad options)
 * or CLAMS_ETOOBIG (over CLAMS_LIMIT_PIXELS). */
int clams__video_geometry(const clams_video_t *v, const clams_frame_opts_t *o, int *w, int *h,
                          size_t *size, clams_error_t *err);
/* The current frame into dst as clams_video_frames delivers it. */
int clams__video_convert(clams_video_t *v, const clams_frame_opts_t *o, uint8_t *dst, int w, int h,
                         clams_error_t *err);
/* The frame numbers of the keyframes, ascending (at most max); the count. */
size_t clams__video_keyframes(const clams_video_t *v, long long *frames, size_t max);
/* Decoder threads the handle was opened with (0: automatic). */
int clams__video_threads(const clams_video_t *v);
/* Adds a reader's work to v's statistics. */
void clams__video_add_stats(clams_video_t *v, const clams_video_stats_t *s);

#endif
