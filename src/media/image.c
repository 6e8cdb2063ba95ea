/* Images: the first picture of an ImageDocument's file, as RGB24 or GRAY8. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "media_internal.h"

void clams_image_release(clams_image_t *img)
{
    if (!img)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

static int decode_first(const char *id, const char *path, AVFormatContext *fmt, int idx,
                        AVCodecContext *dec, AVFrame *frame, clams_error_t *err)
{
    char eb[128];
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
    int r, last = 0;
    bool flushed = false;
    for (;;) {
        r = avcodec_receive_frame(dec, frame);
        if (r == 0)
            break;
        if (r == AVERROR_EOF) {
            r = last ? last : AVERROR_INVALIDDATA;
            break;
        }
        if (r != AVERROR(EAGAIN))
            break;
        if (flushed) {
            r = last ? last : AVERROR_INVALIDDATA;
            break;
        }
        r = av_read_frame(fmt, pkt);
        if (r < 0) {
            avcodec_send_packet(dec, NULL);
            flushed = true;
            continue;
        }
        if (pkt->stream_index == idx) {
            int s = avcodec_send_packet(dec, pkt);
            if (s < 0 && s != AVERROR(EAGAIN))
                last = s;
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    /* An image file's container has no size of its own: a picture over the
     * limit is refused by the decoder (max_pixels) with "Invalid argument",
     * which alone would not tell the client why. */
    if (r == AVERROR(EINVAL))
        return clams__media_fail(err, CLAMS_EIO,
                                 "document %s (%s): cannot decode the image: the decoder refused "
                                 "it (a picture over --max-pixels = %lld pixels, or invalid data)",
                                 id, path, clams_limit_get(CLAMS_LIMIT_PIXELS));
    if (r < 0)
        return clams__media_fail(err, CLAMS_EIO, "document %s (%s): cannot decode the image: %s",
                                 id, path, clams__media_averr(r, eb, sizeof eb));
    return 0;
}

int clams_image_decode(const json_t *doc, const clams_frame_opts_t *o, clams_image_t *img,
                       clams_error_t *err)
{
    if (!img)
        return CLAMS_EINVAL;
    memset(img, 0, sizeof *img);
    if (o && o->format != CLAMS_PIX_RGB24 && o->format != CLAMS_PIX_GRAY8)
        return clams__media_fail(err, CLAMS_EINVAL, "bad frame options");
    char id[256];
    char *path;
    int rc = clams__media_document_file(doc, "ImageDocument", id, sizeof id, &path, err);
    if (rc)
        return rc;
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVFrame *frame = av_frame_alloc();
    struct SwsContext *sws = NULL;
    int idx;
    if (!frame) {
        rc = clams__media_fail(err, CLAMS_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = clams__media_open_input(id, path, AVMEDIA_TYPE_VIDEO, &fmt, &idx, err)) ||
        (rc = clams__media_open_decoder(id, path, fmt, idx, 1, &dec, err)) ||
        (rc = decode_first(id, path, fmt, idx, dec, frame, err)))
        goto out;
    int sw = frame->width, sh = frame->height, W, H;
    if ((rc = clams__media_out_size(id, path, sw, sh, o, &W, &H, err)) != 0)
        goto out;
    bool gray = o && o->format == CLAMS_PIX_GRAY8;
    enum AVPixelFormat df = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    sws = sws_getContext(sw, sh, frame->format, W, H, df, SWS_BICUBIC, NULL, NULL, NULL);
    size_t stride = (size_t)W * (gray ? 1 : 3);
    uint8_t *data = sws ? malloc(stride * H) : NULL;
    if (!data) {
        rc = sws ? clams__media_fail(err, CLAMS_ENOMEM, "out of memory")
                 : clams__media_fail(err, CLAMS_EIO, "document %s (%s): cannot convert the image",
                                     id, path);
        goto out;
    }
    uint8_t *planes[4] = {data, NULL, NULL, NULL};
    int strides[4] = {(int)stride, 0, 0, 0};
    if (sws_scale(sws, (const uint8_t *const *)frame->data, frame->linesize, 0, sh, planes,
                  strides) != H) {
        free(data);
        rc = clams__media_fail(err, CLAMS_EIO, "document %s (%s): converting the image failed", id,
                               path);
        goto out;
    }
    *img = (clams_image_t){.width = W,
                           .height = H,
                           .stride = (int)stride,
                           .format = gray ? CLAMS_PIX_GRAY8 : CLAMS_PIX_RGB24,
                           .data = data,
                           .size = stride * H};
out:
    sws_freeContext(sws);
    av_frame_free(&frame);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    free(path);
    return rc;
}
