/* Video: frame-exact extraction by frame number over FFmpeg.
 *
 * At open, one demuxing pass (no decoding) collects the presentation
 * timestamps of the video packets (packets FFmpeg marks discard, such as
 * those before an MP4 edit list's start, are left out) and of the keyframes.
 * Sorted, they are the frames in the order decoding yields them, so frame N
 * is the frame whose timestamp is the Nth smallest: exact with B-frames, a
 * first PTS above 0, a start time, and no nb_frames in the header.
 * Extraction decodes forward while that is cheap, and otherwise seeks to the
 * keyframe at or before the target, then decodes until the target's
 * timestamp comes out (re-seeking earlier when a seek lands past it). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "media_internal.h"

/* Decode forward instead of seeking when the target is at most this many
 * frames ahead (a seek flushes the decoder's frame threads). */
#define FORWARD_MAX 12

struct clams_video_s {
    clams_video_info_t info;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int idx;
    AVRational tb;
    int threads;         /* decoder threads asked for (clams_video_opts_t) */
    bool reference_only; /* decode only frames others are predicted from */
    bool shared_index;   /* pts, key, key_seek belong to another handle */
    int64_t *pts;        /* frame timestamps, ascending: frame N is pts[N] */
    size_t n;
    int64_t *key;      /* keyframe timestamps, ascending */
    int64_t *key_seek; /* the timestamp to seek to for each (its DTS when known:
                          MP4 and MPEG-TS seek by DTS) */
    bool *key_open;    /* frames decoded after it are shown before it (an
                          open GOP): decoding is started a keyframe earlier */
    size_t nkey;
    AVPacket *pkt;
    AVFrame *frame;
    bool have_frame; /* frame holds the last decoded frame */
    long long pos;   /* frame number of the last decoded frame; -1 at the start */
    bool fresh;      /* positioned at the start of the file (no seek yet) */
    bool drained;    /* the NULL packet was sent */
    int64_t want;    /* timestamp of the frame being looked for */
    bool pending;    /* v->pkt holds a packet read after a seek, not yet sent */
    clams_video_stats_t stats;
    char last_err[160];
    struct SwsContext *sws;
    int sws_key[8];
    clams__area_t area; /* CLAMS_SCALE_ANALYSIS's weights and rows */
    uint8_t *conv;      /* packed output of one frame */
    size_t conv_cap;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int push(int64_t **arr, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        int64_t *na = realloc(*arr, nc * sizeof *na);
        if (!na)
            return -1;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

#define VID(v) (v)->info.document, (v)->info.path

/* The demuxing pass over a separate context. */
static int build_index(clams_video_t *v, clams_error_t *err)
{
    AVFormatContext *fmt = NULL;
    int idx;
    int rc = clams__media_open_input(v->info.document, v->info.path, AVMEDIA_TYPE_VIDEO, &fmt, &idx,
                                     err);
    if (rc)
        return rc;
    AVPacket *pkt = av_packet_alloc();
    size_t cap = 0, discarded = 0;
    int64_t *kpairs = NULL; /* (pts, seek ts, open) triples */
    size_t nk2 = 0, k2cap = 0;
    int64_t declared = fmt->streams[idx]->nb_frames;
    int r = 0;
    bool no_ts = false;
    int64_t key_pts = AV_NOPTS_VALUE; /* the last keyframe in decoding order */
    while (pkt && (r = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == idx && (pkt->flags & AV_PKT_FLAG_DISCARD))
            discarded++; /* in the header's count, never a frame */
        else if (pkt->stream_index == idx) {
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (ts == AV_NOPTS_VALUE)
                no_ts = true;
            else if (push(&v->pts, &v->n, &cap, ts) ||
                     ((pkt->flags & AV_PKT_FLAG_KEY) &&
                      (push(&kpairs, &nk2, &k2cap, ts) ||
                       push(&kpairs, &nk2, &k2cap,
                            pkt->dts != AV_NOPTS_VALUE && pkt->dts < ts ? pkt->dts : ts) ||
                       push(&kpairs, &nk2, &k2cap, 0))))
                r = AVERROR(ENOMEM);
            else if (pkt->flags & AV_PKT_FLAG_KEY)
                key_pts = ts;
            else if (key_pts != AV_NOPTS_VALUE && ts < key_pts)
                kpairs[nk2 - 1] = 1; /* a leading frame: the keyframe's GOP is open */
        }
        av_packet_unref(pkt);
        if (r < 0)
            break;
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    char eb[128];
    if (!pkt && r >= 0)
        r = AVERROR(ENOMEM);
    if (r >= 0 || r == AVERROR_EOF) {
        size_t nkp = nk2 / 3;
        if (nkp)
            qsort(kpairs, nkp, 3 * sizeof *kpairs, cmp_i64);
        v->key = malloc((nkp + 1) * sizeof *v->key);
        v->key_seek = malloc((nkp + 1) * sizeof *v->key_seek);
        v->key_open = calloc(nkp + 1, sizeof *v->key_open);
        bool ok = v->key && v->key_seek && v->key_open;
        if (!ok)
            r = AVERROR(ENOMEM);
        for (size_t i = 0; ok && i < nkp; i++) {
            v->key[i] = kpairs[3 * i];
            v->key_seek[i] = kpairs[3 * i + 1];
            v->key_open[i] = kpairs[3 * i + 2] != 0;
        }
        v->nkey = ok ? nkp : 0;
    }
    free(kpairs);
    if (r == AVERROR(ENOMEM))
        return clams__media_fail(err, CLAMS_ENOMEM, "out of memory indexing %s", v->info.path);
    if (r < 0 && r != AVERROR_EOF)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): reading the file failed: %s",
                                 VID(v), clams__media_averr(r, eb, sizeof eb));
    if (no_ts)
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): video packets without timestamps (a raw "
                                 "elementary stream?); remux it into a container first",
                                 VID(v));
    if (v->n == 0)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): the video stream has no frames",
                                 VID(v));
    if (declared > 0 && (int64_t)(v->n + discarded) < declared)
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): truncated or damaged: the header declares %lld "
                                 "frames, the file holds %zu",
                                 VID(v), (long long)declared, v->n);
    qsort(v->pts, v->n, sizeof *v->pts, cmp_i64);
    /* Duplicate timestamps cannot be told apart: frame numbers would be ambiguous. */
    for (size_t i = 1; i < v->n; i++)
        if (v->pts[i] == v->pts[i - 1])
            return clams__media_fail(err, CLAMS_EIO,
                                     "document %s (%s): two video frames share timestamp %lld",
                                     VID(v), (long long)v->pts[i]);
    if (v->nkey == 0 || v->key[0] > v->pts[0]) {
        /* No keyframe flag on the first frame (some codecs): key 0 is the
         * start of the file, which is reached by reopening it. */
        memmove(v->key + 1, v->key, v->nkey * sizeof *v->key);
        memmove(v->key_seek + 1, v->key_seek, v->nkey * sizeof *v->key_seek);
        memmove(v->key_open + 1, v->key_open, v->nkey * sizeof *v->key_open);
        v->key[0] = v->key_seek[0] = v->pts[0];
        v->key_open[0] = false;
        v->nkey++;
    }
    return 0;
}

/* The demuxer and decoder of v (v->info names the file, v->threads says
 * how many decoder threads), positioned at the start. */
static int open_decoding(clams_video_t *v, clams_error_t *err)
{
    const char *id = v->info.document, *path = v->info.path;
    v->pos = -1;
    v->fresh = true;
    int rc = clams__media_open_input(id, path, AVMEDIA_TYPE_VIDEO, &v->fmt, &v->idx, err);
    if (rc)
        return rc;
    v->tb = v->fmt->streams[v->idx]->time_base;
    rc = clams__media_open_decoder(id, path, v->fmt, v->idx, v->threads, &v->dec, err);
    if (rc)
        return rc;
    for (unsigned i = 0; i < v->fmt->nb_streams; i++)
        if ((int)i != v->idx)
            v->fmt->streams[i]->discard = AVDISCARD_ALL;
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->pkt || !v->frame)
        return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
    return 0;
}

static clams_video_t *open_path(const char *id, const char *path, const clams_video_opts_t *opts,
                                clams_error_t *err)
{
    clams_video_t *v = calloc(1, sizeof *v);
    if (!v) {
        clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(v->info.document, sizeof v->info.document, "%s", id);
    snprintf(v->info.path, sizeof v->info.path, "%s", path);
    v->threads = CLAMS__MEDIA_HAS(opts, threads) && opts->threads > 0 ? opts->threads : 0;
    if (build_index(v, err) != 0 || open_decoding(v, err) != 0)
        goto fail;
    AVStream *st = v->fmt->streams[v->idx];
    AVRational r = st->avg_frame_rate;
    if (r.num <= 0 || r.den <= 0)
        r = st->r_frame_rate;
    if (r.num <= 0 || r.den <= 0) {
        clams__media_fail(err, CLAMS_EIO, "document %s (%s): the video has no frame rate", id,
                          path);
        goto fail;
    }
    v->info.fps_num = r.num;
    v->info.fps_den = r.den;
    v->info.fps = (double)r.num / r.den;
    v->info.frame_count = (long long)v->n;
    v->info.duration_ms = v->n / v->info.fps * 1000.0;
    v->info.start_time_ms = v->pts[0] * av_q2d(v->tb) * 1000.0;
    v->info.width = v->dec->width;
    v->info.height = v->dec->height;
    snprintf(v->info.codec, sizeof v->info.codec, "%s", v->dec->codec->name);
    if (v->info.width <= 0 || v->info.height <= 0) {
        clams__media_fail(err, CLAMS_EIO, "document %s (%s): the video has no picture size", id,
                          path);
        goto fail;
    }
    return v;
fail:
    clams_video_close(v);
    return NULL;
}

clams_video_t *clams_video_open(const json_t *doc, const clams_video_opts_t *opts,
                                clams_error_t *err)
{
    char id[256];
    char *path;
    if (clams__media_document_file(doc, "VideoDocument", id, sizeof id, &path, err) != 0)
        return NULL;
    clams_video_t *v = open_path(id, path, opts, err);
    free(path);
    return v;
}

clams_video_t *clams_video_open_file(const char *path, const clams_video_opts_t *opts,
                                     clams_error_t *err)
{
    if (!path || clams__media_check_file("-", path, err) != 0) {
        if (!path)
            clams__media_fail(err, CLAMS_EINVAL, "no path");
        return NULL;
    }
    return open_path("-", path, opts, err);
}

void clams_video_close(clams_video_t *v)
{
    if (!v)
        return;
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    av_packet_free(&v->pkt);
    av_frame_free(&v->frame);
    sws_freeContext(v->sws);
    clams__area_free(&v->area);
    free(v->conv);
    if (!v->shared_index) {
        free(v->pts);
        free(v->key);
        free(v->key_seek);
        free(v->key_open);
    }
    free(v);
}

const clams_video_info_t *clams_video_info(const clams_video_t *v)
{
    return v ? &v->info : NULL;
}

double clams_video_frame_time_ms(const clams_video_t *v, long long frame)
{
    if (!v || frame < 0 || frame >= (long long)v->n)
        return -1.0;
    return (double)(v->pts[frame] - v->pts[0]) * av_q2d(v->tb) * 1000.0;
}

int clams_video_frame_at(const clams_video_t *v, double t, const char *unit, long long *frame,
                         clams_error_t *err)
{
    if (!v || !frame)
        return CLAMS_EINVAL;
    double f;
    int rc = clams_time_convert(t, unit, "frames", v->info.fps, &f, err);
    if (rc)
        return rc;
    if (!(f > -4e18 && f < 4e18)) /* a cast of what no long long holds is undefined */
        return clams__media_fail(err, CLAMS_EINVAL, "time %g %s is out of range", t, unit);
    *frame = (long long)f;
    return 0;
}

void clams_video_stats(const clams_video_t *v, clams_video_stats_t *stats)
{
    if (stats)
        *stats = v ? v->stats : (clams_video_stats_t){0};
}

/* Frame number of timestamp ts (binary search), or -1. */
static long long frame_of(const clams_video_t *v, int64_t ts)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->pts[mid] < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n && v->pts[lo] == ts ? (long long)lo : -1;
}

/* Index of the last keyframe at or before ts (0 when none). */
static size_t key_before(const clams_video_t *v, int64_t ts)
{
    size_t lo = 0, hi = v->nkey;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->key[mid] <= ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

/* Where to start decoding for a frame shown from keyframe k on: k itself,
 * or for an open GOP the keyframe before. Its frames shown after it may be
 * predicted from frames of the GOP before, and FFmpeg's H.264 decoder drops
 * some of them when that GOP was never decoded (seen: the last P-frame of
 * x264's open-gop encodes, after "mmco: unref short failure"). */
static size_t key_to_start(const clams_video_t *v, size_t k)
{
    return k > 0 && v->key_open[k] ? k - 1 : k;
}

/* Next decoded frame into v->frame: 1, 0 at the end, or a negative code. */
static int next_frame(clams_video_t *v, clams_error_t *err)
{
    char eb[128];
    for (;;) {
        av_frame_unref(v->frame);
        v->have_frame = false;
        int r = avcodec_receive_frame(v->dec, v->frame);
        if (r == 0) {
            v->have_frame = true;
            v->stats.decoded++;
            return 1;
        }
        if (r == AVERROR_EOF)
            return 0;
        if (r != AVERROR(EAGAIN)) {
            /* A damaged frame: keep going as ffmpeg does, remember why. */
            snprintf(v->last_err, sizeof v->last_err, "%s", clams__media_averr(r, eb, sizeof eb));
            continue;
        }
        if (v->drained)
            return 0;
        r = v->pending ? 0 : av_read_frame(v->fmt, v->pkt);
        v->pending = false;
        if (r < 0) {
            if (r != AVERROR_EOF)
                snprintf(v->last_err, sizeof v->last_err, "reading: %s",
                         clams__media_averr(r, eb, sizeof eb));
            v->drained = true;
            r = avcodec_send_packet(v->dec, NULL);
            if (r < 0 && r != AVERROR_EOF)
                snprintf(v->last_err, sizeof v->last_err, "%s",
                         clams__media_averr(r, eb, sizeof eb));
            continue;
        }
        if (v->pkt->stream_index == v->idx) {
            /* Frames before the target that no other frame refers to need
             * not be decoded (their skipping changes no other frame). */
            int64_t pts = v->pkt->pts != AV_NOPTS_VALUE ? v->pkt->pts : v->pkt->dts;
            bool before = pts != AV_NOPTS_VALUE && pts < v->want;
            v->dec->skip_frame = before || v->reference_only ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
            r = avcodec_send_packet(v->dec, v->pkt);
            if (r < 0 && r != AVERROR(EAGAIN))
                snprintf(v->last_err, sizeof v->last_err, "%s",
                         clams__media_averr(r, eb, sizeof eb));
        }
        av_packet_unref(v->pkt);
    }
}

/* Back to the start of the file: a fresh demuxer (seeking to the first
 * keyframe is not exact in every format; MPEG-TS lands late). */
static int rewind_input(clams_video_t *v, clams_error_t *err)
{
    AVFormatContext *fmt = NULL;
    int idx;
    int rc = clams__media_open_input(v->info.document, v->info.path, AVMEDIA_TYPE_VIDEO, &fmt, &idx,
                                     err);
    if (rc)
        return rc;
    if (idx != v->idx) {
        avformat_close_input(&fmt);
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): the video stream moved on reopening", VID(v));
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != v->idx)
            fmt->streams[i]->discard = AVDISCARD_ALL;
    if (v->pending) {
        av_packet_unref(v->pkt);
        v->pending = false;
    }
    avformat_close_input(&v->fmt);
    v->fmt = fmt;
    v->stats.seeks++;
    avcodec_flush_buffers(v->dec);
    av_frame_unref(v->frame);
    v->have_frame = false;
    v->drained = false;
    v->fresh = true;
    v->pos = -1;
    return 0;
}

/* The first packet of the video stream after a seek, into v->pkt: 1, or 0
 * at the end of the file or on an error. */
static int first_packet(clams_video_t *v)
{
    while (av_read_frame(v->fmt, v->pkt) >= 0) {
        if (v->pkt->stream_index == v->idx)
            return 1;
        av_packet_unref(v->pkt);
    }
    return 0;
}

static void reset_decoder(clams_video_t *v)
{
    v->stats.seeks++;
    avcodec_flush_buffers(v->dec);
    av_frame_unref(v->frame);
    v->have_frame = false;
    v->drained = false;
    v->fresh = false;
    v->pos = -1;
}

/* Seeks so that decoding starts at keyframe k. Demuxers disagree on what a
 * seek timestamp means (MP4 and Matroska take the PTS, MPEG-TS the DTS), so
 * both are tried and the first packet read back says which one landed on
 * the keyframe; a landing on an earlier keyframe is kept as the fallback
 * (correct, only slower), and the start of the file is the last resort. */
static int seek_to_key(clams_video_t *v, size_t k, clams_error_t *err)
{
    if (k == 0)
        return rewind_input(v, err);
    int64_t ts[2] = {v->key[k], v->key_seek[k]};
    int64_t safe = AV_NOPTS_VALUE;
    for (int i = 0; i < (ts[1] != ts[0] ? 2 : 1); i++) {
        if (v->pending) {
            av_packet_unref(v->pkt);
            v->pending = false;
        }
        if (av_seek_frame(v->fmt, v->idx, ts[i], AVSEEK_FLAG_BACKWARD) < 0)
            continue;
        reset_decoder(v);
        if (!first_packet(v))
            continue;
        int64_t p = v->pkt->pts != AV_NOPTS_VALUE ? v->pkt->pts : v->pkt->dts;
        bool key = v->pkt->flags & AV_PKT_FLAG_KEY;
        if (key && p == v->key[k]) {
            v->pending = true; /* decoded first by next_frame */
            return 0;
        }
        if (key && p != AV_NOPTS_VALUE && p < v->key[k] && safe == AV_NOPTS_VALUE)
            safe = ts[i];
        av_packet_unref(v->pkt);
    }
    if (safe != AV_NOPTS_VALUE && av_seek_frame(v->fmt, v->idx, safe, AVSEEK_FLAG_BACKWARD) >= 0) {
        reset_decoder(v);
        return 0;
    }
    return rewind_input(v, err);
}

/* Leaves frame `n` in v->frame. */
static int goto_frame(clams_video_t *v, long long n, clams_error_t *err)
{
    int64_t target = v->pts[n];
    v->want = target;
    if (v->have_frame && v->pos == n)
        return 0;
    size_t k = key_to_start(v, key_before(v, target));
    long long key_frame = frame_of(v, v->key[k]);
    bool forward_ok;
    if (v->pos >= 0)
        forward_ok = n > v->pos && (n - v->pos <= FORWARD_MAX || key_frame <= v->pos);
    else
        forward_ok = v->fresh && (n <= FORWARD_MAX || k == 0);
    int tries = 0;
    bool seeked = !forward_ok;
    if (!forward_ok) {
        int rc = seek_to_key(v, k, err);
        if (rc)
            return rc;
    }
    v->last_err[0] = '\0';
    for (;;) {
        int r = next_frame(v, err);
        if (r < 0)
            return r;
        if (r == 0 && seeked && k > 0 && tries < 64) {
            /* A seek that lands after the keyframe ends with nothing: go earlier. */
            k--;
            tries++;
            int rc = seek_to_key(v, k, err);
            if (rc)
                return rc;
            continue;
        }
        if (r == 0)
            return clams__media_fail(err, CLAMS_EIO,
                                     "document %s (%s): cannot decode frame %lld: %s", VID(v), n,
                                     v->last_err[0] ? v->last_err : "the video ended before it");
        int64_t ts =
            v->frame->pts != AV_NOPTS_VALUE ? v->frame->pts : v->frame->best_effort_timestamp;
        if (ts == AV_NOPTS_VALUE)
            continue;
        long long fn = frame_of(v, ts);
        if (fn >= 0)
            v->pos = fn;
        if (ts < target)
            continue;
        bool corrupt = (v->frame->flags & AV_FRAME_FLAG_CORRUPT) || v->frame->decode_error_flags;
        if (ts == target && !corrupt)
            return 0;
        /* Landed past the target (or on a broken copy of it after a seek):
         * seek to its keyframe, then one keyframe earlier each time, down to
         * the first; from there the frame is really missing. */
        if ((seeked && k == 0) || tries > 64)
            return clams__media_fail(
                err, CLAMS_EIO, "document %s (%s): cannot decode frame %lld%s%s", VID(v), n,
                v->last_err[0] ? ": " : "",
                v->last_err[0] ? v->last_err : (corrupt ? ": the frame is damaged" : ""));
        if (seeked)
            k--;
        tries++;
        seeked = true;
        int rc = seek_to_key(v, k, err);
        if (rc)
            return rc;
    }
}

/* Output size for the options: 0, CLAMS_EINVAL or CLAMS_ETOOBIG (err may
 * be NULL). */
static int out_size(const clams_video_t *v, const clams_frame_opts_t *o, int *w, int *h,
                    clams_error_t *err)
{
    return clams__media_out_size(v->info.document, v->info.path, v->info.width, v->info.height, o,
                                 w, h, err);
}

/* A known format and scaler (NULL: the defaults). */
static bool opts_ok(const clams_frame_opts_t *o)
{
    if (o && o->format != CLAMS_PIX_RGB24 && o->format != CLAMS_PIX_GRAY8)
        return false;
    return !CLAMS__MEDIA_HAS(o, scale) || o->scale == CLAMS_SCALE_EXACT ||
           o->scale == CLAMS_SCALE_ANALYSIS;
}

size_t clams_video_frame_size(const clams_video_t *v, const clams_frame_opts_t *o)
{
    int w, h;
    if (!v || out_size(v, o, &w, &h, NULL) != 0 || !opts_ok(o))
        return 0;
    return (size_t)w * h * (o && o->format == CLAMS_PIX_GRAY8 ? 1 : 3);
}

/* Converts v->frame into dst (packed, stride w * bpp). */
static int convert(clams_video_t *v, const clams_frame_opts_t *o, uint8_t *dst, int w, int h,
                   clams_error_t *err)
{
    AVFrame *f = v->frame;
    bool gray = o && o->format == CLAMS_PIX_GRAY8;
    enum AVPixelFormat df = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    bool area = CLAMS__MEDIA_HAS(o, scale) && o->scale == CLAMS_SCALE_ANALYSIS;
    if (area) {
        int r = clams__area_convert(&v->area, f, dst, w, h, gray);
        if (r < 0)
            return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        if (r > 0)
            return 0;
    }
    int flags = area ? SWS_AREA : SWS_BICUBIC;
    int key[8] = {f->width, f->height, f->format, w,
                  h,        (int)df,   flags,     (int)f->colorspace * 8 + (int)f->color_range};
    if (!v->sws || memcmp(key, v->sws_key, sizeof key) != 0) {
        sws_freeContext(v->sws);
        /* Bicubic, as the scaler the ffmpeg tool inserts: pixel-identical
         * output. SWS_AREA for analysis frames in formats area.c leaves. */
        v->sws = sws_getContext(f->width, f->height, f->format, w, h, df, flags, NULL, NULL, NULL);
        if (!v->sws)
            return clams__media_fail(
                err, CLAMS_EIO, "document %s (%s): cannot convert %dx%d %s frames", VID(v),
                f->width, f->height,
                av_get_pix_fmt_name(f->format) ? av_get_pix_fmt_name(f->format) : "?");
        /* The frame's colour matrix and range, as ffmpeg's scale filter reads them. */
        int *inv, *tbl, src_range, dst_range, bri, con, sat;
        if (sws_getColorspaceDetails(v->sws, &inv, &src_range, &tbl, &dst_range, &bri, &con,
                                     &sat) >= 0) {
            if (f->colorspace != AVCOL_SPC_UNSPECIFIED && f->colorspace != AVCOL_SPC_RGB)
                inv = (int *)sws_getCoefficients(f->colorspace);
            if (f->color_range == AVCOL_RANGE_JPEG)
                src_range = 1;
            else if (f->color_range == AVCOL_RANGE_MPEG)
                src_range = 0;
            sws_setColorspaceDetails(v->sws, inv, src_range, tbl, dst_range, bri, con, sat);
        }
        memcpy(v->sws_key, key, sizeof key);
    }
    uint8_t *planes[4] = {dst, NULL, NULL, NULL};
    int strides[4] = {w * (df == AV_PIX_FMT_GRAY8 ? 1 : 3), 0, 0, 0};
    int r = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes,
                      strides);
    if (r != h)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): converting a frame failed",
                                 VID(v));
    return 0;
}

static int check_list(const clams_video_t *v, const long long *frames, size_t n, clams_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        if (frames[i] < 0 || frames[i] >= (long long)v->n)
            return clams__media_fail(
                err, CLAMS_ENOTFOUND,
                "document %s (%s): frame %lld is out of range (the video has %zu "
                "frames, 0 to %zu)",
                VID(v), frames[i], v->n, v->n - 1);
        if (i > 0 && frames[i] < frames[i - 1])
            return clams__media_fail(err, CLAMS_EINVAL,
                                     "frame numbers must be ascending (%lld after %lld)", frames[i],
                                     frames[i - 1]);
    }
    return 0;
}

int clams_video_frames(clams_video_t *v, const long long *frames, size_t n,
                       const clams_frame_opts_t *o, clams_frame_fn fn, void *data,
                       clams_error_t *err)
{
    if (!v || (!frames && n) || !fn)
        return CLAMS_EINVAL;
    int w, h;
    int rc = out_size(v, o, &w, &h, err);
    if (rc)
        return rc;
    if (!opts_ok(o))
        return clams__media_fail(err, CLAMS_EINVAL, "bad frame options: format or scale");
    rc = check_list(v, frames, n, err);
    if (rc)
        return rc;
    size_t size = clams_video_frame_size(v, o);
    if (size > v->conv_cap) {
        uint8_t *nb = realloc(v->conv, size);
        if (!nb)
            return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        v->conv = nb;
        v->conv_cap = size;
    }
    clams_image_t img = {.width = w,
                         .height = h,
                         .format = o ? o->format : CLAMS_PIX_RGB24,
                         .data = v->conv,
                         .size = size};
    img.stride = (int)(size / (size_t)h);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || frames[i] != frames[i - 1]) {
            if ((rc = goto_frame(v, frames[i], err)) || (rc = convert(v, o, v->conv, w, h, err)))
                return rc;
        }
        if ((rc = fn(frames[i], &img, data)) != 0)
            return rc;
    }
    return 0;
}

int clams_video_frame(clams_video_t *v, long long frame, const clams_frame_opts_t *o, uint8_t *buf,
                      size_t size, clams_image_t *img, clams_error_t *err)
{
    if (!v || !buf || !img)
        return CLAMS_EINVAL;
    int w, h;
    int rc = out_size(v, o, &w, &h, err);
    if (rc)
        return rc;
    size_t need = clams_video_frame_size(v, o);
    if (need == 0)
        return clams__media_fail(err, CLAMS_EINVAL, "bad frame options: format or scale");
    if (size < need)
        return clams__media_fail(err, CLAMS_ETOOBIG, "buffer of %zu bytes; a frame needs %zu", size,
                                 need);
    rc = check_list(v, &frame, 1, err);
    if (rc || (rc = goto_frame(v, frame, err)) || (rc = convert(v, o, buf, w, h, err)))
        return rc;
    *img = (clams_image_t){.width = w,
                           .height = h,
                           .stride = (int)(need / (size_t)h),
                           .format = o ? o->format : CLAMS_PIX_RGB24,
                           .data = buf,
                           .size = need};
    return 0;
}

int clams_video_add_properties(clams_view_t *view, const clams_video_t *v)
{
    static const char *const type = "http://mmif.clams.ai/vocabulary/Annotation/v6";
    if (!view || !v || !clams_view_is_new(view))
        return CLAMS_EINVAL;
    json_t *contains = json_object_get(clams_view_metadata(view), "contains");
    if (!json_object_get(contains, type)) {
        int rc = clams_view_add_contains_new(view, type, NULL);
        if (rc)
            return rc;
    }
    clams_annotation_t *a = clams_view_add_annotation(view, type);
    if (!a)
        return CLAMS_ENOMEM;
    /* round(fps, 2) as Python: correctly rounded to 2 decimals. */
    char buf[64];
    snprintf(buf, sizeof buf, "%.2f", v->info.fps);
    int rc = clams_annotation_set_str(a, "document", v->info.document);
    if (!rc)
        rc = clams_annotation_set_real(a, "fps", strtod(buf, NULL));
    if (!rc)
        rc = clams_annotation_set_int(a, "frameCount", v->info.frame_count);
    if (!rc)
        rc = clams_annotation_set_int(a, "duration", (long long)nearbyint(v->info.duration_ms));
    return rc;
}

/* ---- For the sweep (sweep.c) ------------------------------------------------------ */

clams_video_t *clams__video_reader(const clams_video_t *v, int threads, clams_error_t *err)
{
    clams_video_t *r = calloc(1, sizeof *r);
    if (!r) {
        clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        return NULL;
    }
    r->info = v->info;
    r->threads = threads;
    r->pts = v->pts;
    r->n = v->n;
    r->key = v->key;
    r->key_seek = v->key_seek;
    r->key_open = v->key_open;
    r->nkey = v->nkey;
    r->shared_index = true;
    if (open_decoding(r, err) != 0 ||
        (r->idx != v->idx && clams__media_fail(err, CLAMS_EIO,
                                               "document %s (%s): the video stream moved on "
                                               "reopening",
                                               VID(v)) != 0)) {
        clams_video_close(r);
        return NULL;
    }
    return r;
}

int clams__video_seek_frame(clams_video_t *v, long long n, clams_error_t *err)
{
    if (n < 0 || n >= (long long)v->n)
        return check_list(v, &n, 1, err);
    int rc = goto_frame(v, n, err);
    if (rc == 0) /* what went wrong on the way (an open GOP's lead-in) is past */
        v->last_err[0] = '\0';
    return rc;
}

void clams__video_reference_only(clams_video_t *v, bool on)
{
    v->reference_only = on;
}

int clams__video_next(clams_video_t *v, long long *frame, bool *damaged, clams_error_t *err)
{
    for (;;) {
        int r = next_frame(v, err);
        if (r <= 0)
            return r;
        int64_t ts =
            v->frame->pts != AV_NOPTS_VALUE ? v->frame->pts : v->frame->best_effort_timestamp;
        long long fn = ts == AV_NOPTS_VALUE ? -1 : frame_of(v, ts);
        if (fn < 0)
            continue; /* not a frame of the index (dropped by the demuxer) */
        v->pos = fn;
        *frame = fn;
        *damaged = (v->frame->flags & AV_FRAME_FLAG_CORRUPT) || v->frame->decode_error_flags;
        return 1;
    }
}

const char *clams__video_last_error(const clams_video_t *v)
{
    return v->last_err;
}

int clams__video_geometry(const clams_video_t *v, const clams_frame_opts_t *o, int *w, int *h,
                          size_t *size, clams_error_t *err)
{
    int rc = out_size(v, o, w, h, err);
    if (rc)
        return rc;
    if (!opts_ok(o))
        return clams__media_fail(err, CLAMS_EINVAL, "bad frame options: format or scale");
    *size = clams_video_frame_size(v, o);
    return 0;
}

int clams__video_convert(clams_video_t *v, const clams_frame_opts_t *o, uint8_t *dst, int w, int h,
                         clams_error_t *err)
{
    return convert(v, o, dst, w, h, err);
}

size_t clams__video_keyframes(const clams_video_t *v, long long *frames, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nkey && n < max; i++) {
        long long f = frame_of(v, v->key[i]);
        if (f >= 0 && (n == 0 || f > frames[n - 1]))
            frames[n++] = f;
    }
    return n;
}

int clams__video_threads(const clams_video_t *v)
{
    return v->threads;
}

void clams__video_add_stats(clams_video_t *v, const clams_video_stats_t *s)
{
    v->stats.decoded += s->decoded;
    v->stats.seeks += s->seeks;
}
