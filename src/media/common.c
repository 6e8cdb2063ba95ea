/* Shared by video, audio and image: errors, documents to files, opening. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "media_internal.h"

int clams__media_fail(clams_error_t *err, int code, const char *fmt, ...)
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

const char *clams__media_averr(int e, char *buf, size_t size)
{
    if (av_strerror(e, buf, size) < 0)
        snprintf(buf, size, "FFmpeg error %d", e);
    return buf;
}

void clams__media_quiet_ffmpeg(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    if (!getenv("CLAMS_MEDIA_FFMPEG_LOG"))
        av_log_set_level(AV_LOG_QUIET);
}

int clams__media_check_file(const char *id, const char *path, clams_error_t *err)
{
    /* Opened without blocking and checked on the open file: a FIFO or a
     * device named by a request is refused, never waited on. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return clams__media_fail(err, errno == ENOENT ? CLAMS_ENOTFOUND : CLAMS_EIO,
                                 "document %s (%s): cannot open the file: %s", id, path,
                                 strerror(errno));
    struct stat st;
    int ok = fstat(fd, &st) == 0;
    close(fd);
    if (!ok || !S_ISREG(st.st_mode))
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): not a regular file", id, path);
    if (st.st_size == 0)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): the file is empty", id, path);
    return 0;
}

int clams__media_document_file(const json_t *doc, const char *want, char *id, size_t idsize,
                               char **path, clams_error_t *err)
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
        return clams__media_fail(err, CLAMS_EINVAL, "document %s is a %s, not a %s", id,
                                 shortname[0] ? shortname : "(no @type)", want);
    int rc = clams_document_path(doc, path, err);
    if (rc != 0)
        return rc;
    rc = clams__media_check_file(id, *path, err);
    if (rc != 0) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

int clams__media_out_size(const char *id, const char *path, int sw, int sh,
                          const clams_frame_opts_t *o, int *w, int *h, clams_error_t *err)
{
    int W = CLAMS__MEDIA_HAS(o, width) ? o->width : 0;
    int H = CLAMS__MEDIA_HAS(o, height) ? o->height : 0;
    if (W < 0 || H < 0 || W > 16384 || H > 16384)
        return clams__media_fail(err, CLAMS_EINVAL,
                                 "bad frame options: width %d, height %d (0 to 16384)", W, H);
    if (W == 0 && H == 0)
        W = sw, H = sh;
    else if (W == 0)
        W = (int)(floor((double)sw * H / sh / 2.0 + 0.5) * 2);
    else if (H == 0)
        H = (int)(floor((double)sh * W / sw / 2.0 + 0.5) * 2);
    if (W <= 0 || H <= 0)
        return clams__media_fail(
            err, CLAMS_EINVAL, "bad frame options: %dx%d scales to nothing (%dx%d)", sw, sh, W, H);
    int rc = clams__media_check_limit(CLAMS_LIMIT_PIXELS, id, path, "scaled picture size",
                                      (long long)W * H, err);
    if (rc)
        return rc;
    *w = W;
    *h = H;
    return 0;
}

int clams__media_check_limit(clams_limit_t which, const char *id, const char *path,
                             const char *what, long long value, clams_error_t *err)
{
    if (value <= clams_limit_get(which))
        return 0;
    char buf[4600];
    snprintf(buf, sizeof buf, "document %s (%s): %s", id, path, what);
    return clams_limit_refuse(which, buf, value, err);
}

/* What the container declares for each stream, within the limits. */
static int check_streams(const char *id, const char *path, const AVFormatContext *fmt,
                         clams_error_t *err)
{
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVCodecParameters *p = fmt->streams[i]->codecpar;
        int rc = clams__media_check_limit(CLAMS_LIMIT_PIXELS, id, path, "picture size",
                                          (long long)p->width * p->height, err);
        if (!rc && p->codec_type == AVMEDIA_TYPE_AUDIO)
            rc = clams__media_check_limit(CLAMS_LIMIT_SAMPLE_RATE, id, path, "sample rate",
                                          p->sample_rate, err) ||
                 clams__media_check_limit(CLAMS_LIMIT_CHANNELS, id, path, "channels",
                                          p->ch_layout.nb_channels, err);
        if (rc)
            return CLAMS_ETOOBIG;
    }
    return 0;
}

int clams__media_open_input(const char *id, const char *path, enum AVMediaType type,
                            AVFormatContext **fmt, int *stream, clams_error_t *err)
{
    char eb[128];
    clams__media_quiet_ffmpeg();
    *fmt = NULL;
    int r = avformat_open_input(fmt, path, NULL, NULL);
    if (r < 0)
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): not a media file FFmpeg can open: %s", id, path,
                                 clams__media_averr(r, eb, sizeof eb));
    if (check_streams(id, path, *fmt, err) != 0) {
        avformat_close_input(fmt);
        return CLAMS_ETOOBIG;
    }
    /* The probe decodes a few frames: FFmpeg's own limit stops a picture
     * bigger than its header said before it is allocated. */
    unsigned n = (*fmt)->nb_streams;
    AVDictionary **o = n ? calloc(n, sizeof *o) : NULL;
    char px[32];
    snprintf(px, sizeof px, "%lld", clams_limit_get(CLAMS_LIMIT_PIXELS));
    for (unsigned i = 0; o && i < n; i++)
        av_dict_set(&o[i], "max_pixels", px, 0);
    r = avformat_find_stream_info(*fmt, o);
    for (unsigned i = 0; o && i < n; i++)
        av_dict_free(&o[i]);
    free(o);
    if (r >= 0 && check_streams(id, path, *fmt, err) != 0) {
        avformat_close_input(fmt);
        return CLAMS_ETOOBIG;
    }
    if (r < 0) {
        avformat_close_input(fmt);
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): cannot read stream information: %s", id, path,
                                 clams__media_averr(r, eb, sizeof eb));
    }
    r = av_find_best_stream(*fmt, type, -1, -1, NULL, 0);
    if (r < 0) {
        avformat_close_input(fmt);
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): no %s stream in the file", id,
                                 path, av_get_media_type_string(type));
    }
    *stream = r;
    return 0;
}

int clams__media_open_decoder(const char *id, const char *path, AVFormatContext *fmt, int idx,
                              int threads, AVCodecContext **dec, clams_error_t *err)
{
    char eb[128];
    AVCodecParameters *par = fmt->streams[idx]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): no decoder for codec %s", id,
                                 path, avcodec_get_name(par->codec_id));
    *dec = avcodec_alloc_context3(codec);
    if (!*dec)
        return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
    int r = avcodec_parameters_to_context(*dec, par);
    if (r >= 0) {
        (*dec)->thread_count = threads;
        /* FFmpeg's own bound on a decoded picture (a frame larger than the
         * header said, as a PNG in a Matroska file can be). */
        (*dec)->max_pixels = clams_limit_get(CLAMS_LIMIT_PIXELS);
        (*dec)->pkt_timebase = fmt->streams[idx]->time_base;
        r = avcodec_open2(*dec, codec, NULL);
    }
    if (r < 0) {
        avcodec_free_context(dec);
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): cannot open the %s decoder: %s",
                                 id, path, codec->name, clams__media_averr(r, eb, sizeof eb));
    }
    return 0;
}
