/* Audio: decode, downmix and resample with libswresample, in chunks.
 *
 * The resampler is libswresample with its default options and the source's
 * layout, format and rate as the decoder reports them in the first frame,
 * which is what the ffmpeg tool's automatic aresample uses for
 * `-ar R -ac C`; so the output matches `ffmpeg -ar R -ac C -f f32le` to float
 * rounding. Unlike video frames, a packet that fails to decode is an error:
 * dropping it would shift every later sample. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "media_internal.h"

#define DEFAULT_RATE  16000
#define DEFAULT_CHUNK 16384

struct clams_audio_s {
    clams_audio_info_t info;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int idx;
    SwrContext *swr;
    AVChannelLayout in_layout;
    int in_rate;
    int in_fmt;
    AVChannelLayout out_layout;
    enum AVSampleFormat out_fmt;
    size_t frame_bytes; /* bytes of one sample frame (all channels) */
    size_t chunk;       /* sample frames a chunk */
    uint8_t *buf;       /* one chunk */
    size_t fill;        /* sample frames in buf */
    long long delivered;
    long long decoded_in; /* source sample frames decoded */
    uint8_t *tmp;         /* swr output scratch */
    size_t tmp_cap;       /* in sample frames */
    AVPacket *pkt;
    AVFrame *frame;
    bool used;
};

#define AUD(a) (a)->info.document, (a)->info.path

/* FFmpeg's WAV reader clamps the data chunk to the file, so a truncated WAV
 * would decode without a word: compare the RIFF header's data size with the
 * file. Returns 0 or an error. */
static int check_wav(clams_audio_t *a, clams_error_t *err)
{
    FILE *fp = fopen(a->info.path, "rb");
    if (!fp)
        return 0;
    unsigned char h[12];
    int rc = 0;
    if (fread(h, 1, 12, fp) == 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WAVE", 4) == 0) {
        fseek(fp, 0, SEEK_END);
        long long size = ftell(fp);
        long long at = 12;
        unsigned char c[8];
        while (at + 8 <= size && fseek(fp, (long)at, SEEK_SET) == 0 && fread(c, 1, 8, fp) == 8) {
            unsigned long long len = c[4] | c[5] << 8 | c[6] << 16 | (unsigned long long)c[7] << 24;
            if (memcmp(c, "data", 4) == 0) {
                long long have = size - at - 8;
                if (len != 0xFFFFFFFFull && len != 0 && (long long)len > have)
                    rc = clams__media_fail(
                        err, CLAMS_EIO,
                        "document %s (%s): truncated: the WAV header declares %llu "
                        "bytes of samples, the file holds %lld",
                        AUD(a), len, have);
                break;
            }
            at += 8 + (long long)len + (long long)(len & 1);
        }
    }
    fclose(fp);
    return rc;
}

static clams_audio_t *open_path(const char *id, const char *path, const clams_audio_opts_t *o,
                                clams_error_t *err)
{
    clams_audio_t *a = calloc(1, sizeof *a);
    if (!a) {
        clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(a->info.document, sizeof a->info.document, "%s", id);
    snprintf(a->info.path, sizeof a->info.path, "%s", path);
    if (o && (o->sample_rate < CLAMS_AUDIO_KEEP || o->channels < CLAMS_AUDIO_KEEP ||
              (o->format != CLAMS_SAMPLE_FLOAT && o->format != CLAMS_SAMPLE_S16) ||
              o->chunk_frames > (1u << 24))) {
        clams__media_fail(err, CLAMS_EINVAL, "bad audio options");
        goto fail;
    }
    if (o && (clams__media_check_limit(CLAMS_LIMIT_SAMPLE_RATE, id, path, "requested rate",
                                       o->sample_rate, err) ||
              clams__media_check_limit(CLAMS_LIMIT_CHANNELS, id, path, "requested channels",
                                       o->channels, err)))
        goto fail;
    if (clams__media_open_input(id, path, AVMEDIA_TYPE_AUDIO, &a->fmt, &a->idx, err) ||
        clams__media_open_decoder(id, path, a->fmt, a->idx, 1, &a->dec, err))
        goto fail;
    for (unsigned i = 0; i < a->fmt->nb_streams; i++)
        if ((int)i != a->idx)
            a->fmt->streams[i]->discard = AVDISCARD_ALL;
    if (strcmp(a->fmt->iformat->name, "wav") == 0 && check_wav(a, err) != 0)
        goto fail;
    AVStream *st = a->fmt->streams[a->idx];
    a->info.source_rate = a->dec->sample_rate;
    a->info.source_channels = a->dec->ch_layout.nb_channels;
    snprintf(a->info.codec, sizeof a->info.codec, "%s", a->dec->codec->name);
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        a->info.duration_ms = st->duration * av_q2d(st->time_base) * 1000.0;
    else if (a->fmt->duration > 0)
        a->info.duration_ms = a->fmt->duration / 1000.0;
    if (clams__media_check_limit(CLAMS_LIMIT_SAMPLE_RATE, id, path, "sample rate",
                                 a->info.source_rate, err) ||
        clams__media_check_limit(CLAMS_LIMIT_CHANNELS, id, path, "channels",
                                 a->info.source_channels, err))
        goto fail;
    if (a->info.source_rate <= 0 || a->info.source_channels <= 0) {
        clams__media_fail(err, CLAMS_EIO,
                          "document %s (%s): the audio stream has no rate or channels", id, path);
        goto fail;
    }
    int rate = o ? o->sample_rate : 0, ch = o ? o->channels : 0;
    a->info.rate = rate == CLAMS_AUDIO_KEEP ? a->info.source_rate : rate ? rate : DEFAULT_RATE;
    a->info.channels = ch == CLAMS_AUDIO_KEEP ? a->info.source_channels : ch ? ch : 1;
    a->info.format = o ? o->format : CLAMS_SAMPLE_FLOAT;
    a->out_fmt = a->info.format == CLAMS_SAMPLE_S16 ? AV_SAMPLE_FMT_S16 : AV_SAMPLE_FMT_FLT;
    if (ch == CLAMS_AUDIO_KEEP && a->dec->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_copy(&a->out_layout, &a->dec->ch_layout);
    else
        av_channel_layout_default(&a->out_layout, a->info.channels);
    a->frame_bytes = (size_t)a->info.channels * av_get_bytes_per_sample(a->out_fmt);
    a->chunk = o && o->chunk_frames ? o->chunk_frames : DEFAULT_CHUNK;
    a->buf = malloc(a->chunk * a->frame_bytes);
    a->pkt = av_packet_alloc();
    a->frame = av_frame_alloc();
    if (!a->buf || !a->pkt || !a->frame) {
        clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        goto fail;
    }
    return a;
fail:
    clams_audio_close(a);
    return NULL;
}

clams_audio_t *clams_audio_open(const json_t *doc, const clams_audio_opts_t *opts,
                                clams_error_t *err)
{
    char id[256];
    char *path;
    if (clams__media_document_file(doc, "AudioDocument|VideoDocument", id, sizeof id, &path, err) !=
        0)
        return NULL;
    clams_audio_t *a = open_path(id, path, opts, err);
    free(path);
    return a;
}

clams_audio_t *clams_audio_open_file(const char *path, const clams_audio_opts_t *opts,
                                     clams_error_t *err)
{
    if (!path) {
        clams__media_fail(err, CLAMS_EINVAL, "no path");
        return NULL;
    }
    if (clams__media_check_file("-", path, err) != 0)
        return NULL;
    return open_path("-", path, opts, err);
}

void clams_audio_close(clams_audio_t *a)
{
    if (!a)
        return;
    swr_free(&a->swr);
    avcodec_free_context(&a->dec);
    avformat_close_input(&a->fmt);
    av_packet_free(&a->pkt);
    av_frame_free(&a->frame);
    av_channel_layout_uninit(&a->in_layout);
    av_channel_layout_uninit(&a->out_layout);
    free(a->buf);
    free(a->tmp);
    free(a);
}

const clams_audio_info_t *clams_audio_info(const clams_audio_t *a)
{
    return a ? &a->info : NULL;
}

static int setup_swr(clams_audio_t *a, AVFrame *f, clams_error_t *err)
{
    char eb[128];
    int r = swr_alloc_set_opts2(&a->swr, &a->out_layout, a->out_fmt, a->info.rate, &f->ch_layout,
                                f->format, f->sample_rate, 0, NULL);
    if (r >= 0)
        r = swr_init(a->swr);
    if (r < 0)
        return clams__media_fail(
            err, CLAMS_EIO, "document %s (%s): cannot convert %s audio at %d Hz: %s", AUD(a),
            av_get_sample_fmt_name(f->format) ? av_get_sample_fmt_name(f->format) : "?",
            f->sample_rate, clams__media_averr(r, eb, sizeof eb));
    av_channel_layout_uninit(&a->in_layout);
    av_channel_layout_copy(&a->in_layout, &f->ch_layout);
    a->in_rate = f->sample_rate;
    a->in_fmt = f->format;
    return 0;
}

/* Appends n sample frames to the chunk, delivering full chunks. */
static int emit(clams_audio_t *a, const uint8_t *src, size_t n, clams_audio_fn fn, void *data)
{
    while (n > 0) {
        size_t take = a->chunk - a->fill < n ? a->chunk - a->fill : n;
        memcpy(a->buf + a->fill * a->frame_bytes, src, take * a->frame_bytes);
        a->fill += take;
        src += take * a->frame_bytes;
        n -= take;
        if (a->fill == a->chunk) {
            int rc = fn(a->buf, a->fill, a->delivered, data);
            a->delivered += (long long)a->fill;
            a->fill = 0;
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Runs frame f (NULL: flush) through the resampler. */
static int convert(clams_audio_t *a, AVFrame *f, clams_audio_fn fn, void *data, clams_error_t *err)
{
    char eb[128];
    if (f && (!a->swr || f->sample_rate != a->in_rate || f->format != a->in_fmt ||
              av_channel_layout_compare(&f->ch_layout, &a->in_layout) != 0)) {
        if (a->swr)
            return clams__media_fail(
                err, CLAMS_EIO,
                "document %s (%s): the audio format changes in the middle of the "
                "stream (at %.3f s)",
                AUD(a), a->in_rate ? (double)a->decoded_in / a->in_rate : 0.0);
        int rc = setup_swr(a, f, err);
        if (rc)
            return rc;
    }
    if (!a->swr)
        return 0;
    int in_n = f ? f->nb_samples : 0;
    int out_max = swr_get_out_samples(a->swr, in_n);
    if (out_max < 0)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): resampling failed", AUD(a));
    if ((size_t)out_max > a->tmp_cap) {
        uint8_t *nb = realloc(a->tmp, (size_t)out_max * a->frame_bytes);
        if (!nb)
            return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        a->tmp = nb;
        a->tmp_cap = (size_t)out_max;
    }
    uint8_t *out[1] = {a->tmp};
    int got =
        swr_convert(a->swr, out, out_max, f ? (const uint8_t **)f->extended_data : NULL, in_n);
    if (got < 0)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): resampling failed: %s", AUD(a),
                                 clams__media_averr(got, eb, sizeof eb));
    a->decoded_in += in_n;
    return emit(a, a->tmp, (size_t)got, fn, data);
}

static int receive_all(clams_audio_t *a, clams_audio_fn fn, void *data, clams_error_t *err)
{
    char eb[128];
    for (;;) {
        int r = avcodec_receive_frame(a->dec, a->frame);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return clams__media_fail(err, CLAMS_EIO,
                                     "document %s (%s): cannot decode the audio at %.3f s: %s",
                                     AUD(a), a->in_rate ? (double)a->decoded_in / a->in_rate : 0.0,
                                     clams__media_averr(r, eb, sizeof eb));
        int rc = convert(a, a->frame, fn, data, err);
        av_frame_unref(a->frame);
        if (rc)
            return rc;
    }
}

int clams_audio_read(clams_audio_t *a, clams_audio_fn fn, void *data, clams_error_t *err)
{
    char eb[128];
    if (!a || !fn)
        return CLAMS_EINVAL;
    if (a->used)
        return clams__media_fail(err, CLAMS_EINVAL, "document %s (%s): the audio was already read",
                                 AUD(a));
    a->used = true;
    int rc = 0, r;
    while ((r = av_read_frame(a->fmt, a->pkt)) >= 0) {
        if (a->pkt->stream_index == a->idx) {
            r = avcodec_send_packet(a->dec, a->pkt);
            if (r < 0 && r != AVERROR(EAGAIN)) {
                av_packet_unref(a->pkt);
                return clams__media_fail(
                    err, CLAMS_EIO, "document %s (%s): cannot decode the audio at %.3f s: %s",
                    AUD(a), a->in_rate ? (double)a->decoded_in / a->in_rate : 0.0,
                    clams__media_averr(r, eb, sizeof eb));
            }
        }
        av_packet_unref(a->pkt);
        if ((rc = receive_all(a, fn, data, err)))
            return rc;
    }
    if (r != AVERROR_EOF)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): reading the file failed: %s",
                                 AUD(a), clams__media_averr(r, eb, sizeof eb));
    avcodec_send_packet(a->dec, NULL);
    if ((rc = receive_all(a, fn, data, err)) || (rc = convert(a, NULL, fn, data, err)))
        return rc;
    if (a->fill > 0) {
        rc = fn(a->buf, a->fill, a->delivered, data);
        a->delivered += (long long)a->fill;
        a->fill = 0;
        if (rc)
            return rc;
    }
    if (a->decoded_in == 0)
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): the audio stream holds no samples", AUD(a));
    /* Truncation: the header's duration (when it comes from the header, not
     * from a bitrate guess) against what decoding gave. */
    AVStream *st = a->fmt->streams[a->idx];
    if (a->fmt->duration_estimation_method == AVFMT_DURATION_FROM_STREAM &&
        st->duration != AV_NOPTS_VALUE && st->duration > 0 && a->in_rate > 0) {
        double declared = st->duration * av_q2d(st->time_base);
        double got = (double)a->decoded_in / a->in_rate;
        if (declared - got > 0.1 && got < declared * 0.99)
            return clams__media_fail(
                err, CLAMS_EIO,
                "document %s (%s): truncated: the header declares %.3f s of audio, "
                "the file holds %.3f s",
                AUD(a), declared, got);
    }
    return 0;
}

typedef struct {
    uint8_t *buf;
    size_t n, cap, max, fbytes;
} collect_t;

static int collect(const void *samples, size_t frames, long long start, void *data)
{
    collect_t *c = data;
    if (c->max && c->n + frames > c->max)
        return CLAMS_ETOOBIG;
    if (c->n + frames > c->cap) {
        size_t nc = c->cap ? c->cap : 65536;
        while (nc < c->n + frames)
            nc *= 2;
        uint8_t *nb = realloc(c->buf, nc * c->fbytes);
        if (!nb)
            return CLAMS_ENOMEM;
        c->buf = nb;
        c->cap = nc;
    }
    memcpy(c->buf + c->n * c->fbytes, samples, frames * c->fbytes);
    c->n += frames;
    return 0;
}

int clams_audio_decode_all(const json_t *doc, const clams_audio_opts_t *opts, size_t max_frames,
                           void **samples, size_t *frames, clams_audio_info_t *info,
                           clams_error_t *err)
{
    if (!samples || !frames)
        return CLAMS_EINVAL;
    *samples = NULL;
    *frames = 0;
    clams_audio_t *a = clams_audio_open(doc, opts, err);
    if (!a)
        return err && err->code ? err->code : CLAMS_EIO;
    collect_t c = {.max = max_frames, .fbytes = a->frame_bytes};
    int rc = clams_audio_read(a, collect, &c, err);
    if (rc == CLAMS_ETOOBIG)
        clams__media_fail(err, rc, "document %s (%s): longer than %zu samples", AUD(a), max_frames);
    else if (rc == CLAMS_ENOMEM)
        clams__media_fail(err, rc, "out of memory");
    if (rc == 0) {
        *samples = c.buf ? c.buf : malloc(1);
        *frames = c.n;
        if (info)
            *info = a->info;
        if (!*samples)
            rc = clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
    } else {
        free(c.buf);
    }
    clams_audio_close(a);
    return rc;
}
