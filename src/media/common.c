/* Shared by video, audio and image: errors, documents to files, opening. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "media_internal.h"

int cm_fail(clams_error_t *err, int code, const char *fmt, ...)
{
    if (err && err->code == 0) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *cm_averr(int e, char *buf, size_t size)
{
    if (av_strerror(e, buf, size) < 0)
        snprintf(buf, size, "FFmpeg error %d", e);
    return buf;
}

void cm_quiet_ffmpeg(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    if (!getenv("CLAMS_MEDIA_FFMPEG_LOG"))
        av_log_set_level(AV_LOG_QUIET);
}

int cm_check_file(const char *id, const char *path, clams_error_t *err)
{
    /* Opened without blocking and checked on the open file: a FIFO or a
     * device named by a request is refused, never waited on. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return cm_fail(err, errno == ENOENT ? CLAMS_ENOTFOUND : CLAMS_EIO,
                       "document %s (%s): cannot open the file: %s", id, path, strerror(errno));
    struct stat st;
    int ok = fstat(fd, &st) == 0;
    close(fd);
    if (!ok || !S_ISREG(st.st_mode))
        return cm_fail(err, CLAMS_EIO, "document %s (%s): not a regular file", id, path);
    if (st.st_size == 0)
        return cm_fail(err, CLAMS_EIO, "document %s (%s): the file is empty", id, path);
    return 0;
}

int cm_document_file(const json_t *doc, const char *want, char *id, size_t idsize, char **path,
                     clams_error_t *err)
{
    *path = NULL;
    const char *did = clams_document_id(doc);
    snprintf(id, idsize, "%s", did ? did : "(no id)");
    const char *type = json_string_value(json_object_get(doc, "@type"));
    char shortname[64] = "";
    if (type)
        clams_type_short_name(type, shortname, sizeof shortname);
    bool ok = false;
    for (const char *w = want; type && *w;) {
        size_t n = strcspn(w, "|");
        char one[64];
        snprintf(one, sizeof one, "%.*s", (int)n, w);
        ok = ok || clams_type_matches(type, one, 0);
        w += n + (w[n] == '|');
    }
    if (!ok)
        return cm_fail(err, CLAMS_EINVAL, "document %s is a %s, not a %s", id,
                       shortname[0] ? shortname : "(no @type)", want);
    int rc = clams_document_path(doc, path, err);
    if (rc != 0)
        return rc;
    rc = cm_check_file(id, *path, err);
    if (rc != 0) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

int cm_open_input(const char *id, const char *path, enum AVMediaType type, AVFormatContext **fmt,
                  int *stream, clams_error_t *err)
{
    char eb[128];
    cm_quiet_ffmpeg();
    *fmt = NULL;
    int r = avformat_open_input(fmt, path, NULL, NULL);
    if (r < 0)
        return cm_fail(err, CLAMS_EIO, "document %s (%s): not a media file FFmpeg can open: %s", id,
                       path, cm_averr(r, eb, sizeof eb));
    r = avformat_find_stream_info(*fmt, NULL);
    if (r < 0) {
        avformat_close_input(fmt);
        return cm_fail(err, CLAMS_EIO, "document %s (%s): cannot read stream information: %s", id,
                       path, cm_averr(r, eb, sizeof eb));
    }
    r = av_find_best_stream(*fmt, type, -1, -1, NULL, 0);
    if (r < 0) {
        avformat_close_input(fmt);
        return cm_fail(err, CLAMS_EIO, "document %s (%s): no %s stream in the file", id, path,
                       av_get_media_type_string(type));
    }
    *stream = r;
    return 0;
}

int cm_open_decoder(const char *id, const char *path, AVFormatContext *fmt, int idx, int threads,
                    AVCodecContext **dec, clams_error_t *err)
{
    char eb[128];
    AVCodecParameters *par = fmt->streams[idx]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return cm_fail(err, CLAMS_EIO, "document %s (%s): no decoder for codec %s", id, path,
                       avcodec_get_name(par->codec_id));
    *dec = avcodec_alloc_context3(codec);
    if (!*dec)
        return cm_fail(err, CLAMS_ENOMEM, "out of memory");
    int r = avcodec_parameters_to_context(*dec, par);
    if (r >= 0) {
        (*dec)->thread_count = threads;
        (*dec)->pkt_timebase = fmt->streams[idx]->time_base;
        r = avcodec_open2(*dec, codec, NULL);
    }
    if (r < 0) {
        avcodec_free_context(dec);
        return cm_fail(err, CLAMS_EIO, "document %s (%s): cannot open the %s decoder: %s", id, path,
                       codec->name, cm_averr(r, eb, sizeof eb));
    }
    return 0;
}
