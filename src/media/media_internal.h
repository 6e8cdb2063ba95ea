/* Internals shared by the media modules (hidden: the library is built with
 * -fvisibility=hidden and nothing here is CLAMS_API). */
#ifndef CLAMS_MEDIA_INTERNAL_H
#define CLAMS_MEDIA_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "clams/media.h"

/* Fills err once (the first error wins) and returns code. */
int cm_fail(clams_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* FFmpeg's message for an AVERROR code, in a static-per-call buffer. */
const char *cm_averr(int e, char *buf, size_t size);

/* Checks the document's type against `want` (short names separated by '|'),
 * resolves its location and checks the file (exists, regular, readable, not
 * empty). Fills id (at most idsize) and *path (new). Errors name the
 * document and the file. */
int cm_document_file(const json_t *doc, const char *want, char *id, size_t idsize, char **path,
                     clams_error_t *err);

/* The same checks for a bare path. */
int cm_check_file(const char *id, const char *path, clams_error_t *err);

/* Quiets FFmpeg's logging once per process (unless CLAMS_MEDIA_FFMPEG_LOG). */
void cm_quiet_ffmpeg(void);

/* Opens path and finds the best stream of `type`; fills *fmt and *stream. */
int cm_open_input(const char *id, const char *path, enum AVMediaType type, AVFormatContext **fmt,
                  int *stream, clams_error_t *err);

/* Opens a decoder for stream `idx` of fmt. */
int cm_open_decoder(const char *id, const char *path, AVFormatContext *fmt, int idx, int threads,
                    AVCodecContext **dec, clams_error_t *err);

#endif
