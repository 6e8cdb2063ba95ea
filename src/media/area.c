/* Analysis-size frames (CLAMS_SCALE_ANALYSIS): each output pixel is a mean
 * of the source around it (axis_init says over what), computed on the
 * decoder's own planes (Y, Cb and Cr each from its own resolution to the
 * output's) and converted to RGB or gray only after the reduction.
 * A 640x360 frame reduced to 256x144 costs a few multiply-adds per source
 * sample, most of them eight to an SSE2 register, and a colour conversion
 * of the 36,864 output pixels, where the exact path (libswscale, bicubic)
 * filters every sample with ten taps a side and converts on the way.
 * Conversion is linear, so the mean of the converted pixels and the
 * conversion of the mean differ only where a pixel was clipped, by the
 * fixed-point rounding, and by the chroma's coarser grid and siting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixdesc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "media_internal.h"

/* Weights in fixed point: vertical ones in 1/256, so that a column's
 * weighted sum of 8-bit samples fits 16 bits (255 * 256) and the pass runs
 * eight samples to an SSE2 register; horizontal ones in 1/4096 (sums below
 * 2^28). A vertical weight is off by at most 1/512 of its value's range. */
#define VONE 256
#define HONE 4096
/* The most vertical taps done here: with weights in 1/256, the rounding
 * fix-up (at most taps / 2) must stay below the largest weight (at least
 * 256 / taps). 16 covers 1920x1080 to 256x144; larger reductions go to
 * libswscale's area scaler. */
#define VTAPS_MAX 16

static void axis_free(clams__area_axis_t *a)
{
    free(a->first);
    free(a->w);
    free(a->w8);
    *a = (clams__area_axis_t){0};
}

/* Output i, centred at (i + 1/2) * src / dst in source pixels, is the mean
 * of the source over a window k output pitches wide (when reducing; 1
 * otherwise: the pixel itself), clipped to the picture. Luma takes k = 2:
 * a box whose frequency response has its first zero at the output's
 * Nyquist frequency, so that detail finer than the output can show
 * (noise, one-pixel patterns) is averaged away rather than aliased into
 * it. (The plain area mean, k = 1, lets twice as high frequencies
 * through: on busy footage the shot detector then saw frames differ where
 * only the encoding noise did.) Chroma takes k = 2 << subsampling, the
 * source's colour bandwidth relative to luma: hue is unstable in dim and
 * grey pixels, and chroma as sharp as luma made the same false cuts.
 * Source pixel j weighs its overlap with the window (exact, in units of
 * 1 / (2 dst)), rounded to 1/one with the largest weight taking the
 * rounding error so that every output's weights sum to exactly 1. Each
 * output reads `taps` consecutive source pixels from first[i] (zero
 * weights pad). */
static int axis_init(clams__area_axis_t *a, int src, int dst, int one, int k)
{
    k = dst < src ? k : 1;
    int taps = (k * src + dst - 1) / dst + 1;
    if (taps > src)
        taps = src;
    a->first = malloc((size_t)dst * sizeof *a->first);
    a->w = calloc((size_t)dst * (size_t)taps, sizeof *a->w);
    if (!a->first || !a->w) {
        axis_free(a);
        return -1;
    }
    a->taps = taps;
    long long unit = 2LL * dst, end = unit * src; /* positions in 1 / (2 dst) */
    for (int i = 0; i < dst; i++) {
        long long lo = (2LL * i + 1 - k) * src, hi = (2LL * i + 1 + k) * src;
        lo = lo < 0 ? 0 : lo;
        hi = hi > end ? end : hi;
        int first = (int)(lo / unit);
        if (first > src - taps)
            first = src - taps;
        a->first[i] = first;
        int sum = 0, big = 0;
        uint16_t *w = a->w + (size_t)i * taps;
        for (int t = 0; t < taps; t++) {
            long long j0 = (long long)(first + t) * unit, j1 = j0 + unit;
            long long ov = (hi < j1 ? hi : j1) - (lo > j0 ? lo : j0);
            if (ov <= 0)
                continue;
            w[t] = (uint16_t)((ov * one + (hi - lo) / 2) / (hi - lo));
            sum += w[t];
            if (w[t] > w[big])
                big = t;
        }
        w[big] = (uint16_t)(w[big] + (one - sum));
    }
    /* Up to 8 taps: a copy padded to 8 for h_pass8. */
    if (taps <= 8 && !(a->w8 = calloc((size_t)dst * 8, sizeof *a->w8))) {
        axis_free(a);
        return -1;
    }
    for (int i = 0; a->w8 && i < dst; i++)
        memcpy(a->w8 + (size_t)i * 8, a->w + (size_t)i * taps, (size_t)taps * sizeof *a->w);
    return 0;
}

void clams__area_free(clams__area_t *a)
{
    if (!a)
        return;
    for (int p = 0; p < 2; p++) {
        axis_free(&a->ax[p]);
        axis_free(&a->ay[p]);
    }
    free(a->acc);
    free(a->row);
    free(a->rgb);
    *a = (clams__area_t){0};
}

/* The decoder formats done here: 8-bit planar YCbCr (any subsampling, an
 * alpha plane ignored). Others (RGB, paletted, high bit depth) are left to
 * libswscale by the caller. */
static bool supported(const AVFrame *f, int *cw_shift, int *ch_shift)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d || d->nb_components < 3 || !(d->flags & AV_PIX_FMT_FLAG_PLANAR) ||
        (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                     AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_HWACCEL)))
        return false;
    for (int c = 0; c < 3; c++)
        if (d->comp[c].depth != 8 || d->comp[c].step != 1 || d->comp[c].plane != c)
            return false;
    *cw_shift = d->log2_chroma_w;
    *ch_shift = d->log2_chroma_h;
    return true;
}

static int setup(clams__area_t *a, const AVFrame *f, int w, int h, int cws, int chs)
{
    int key[5] = {f->width, f->height, f->format, w, h};
    if (a->acc && memcmp(key, a->key, sizeof key) == 0)
        return 0;
    clams__area_free(a);
    int cw = AV_CEIL_RSHIFT(f->width, cws), ch = AV_CEIL_RSHIFT(f->height, chs);
    /* 8 zeros past the row: h_pass8 reads 8 samples from each output's first. */
    a->acc = calloc((size_t)f->width + 8, sizeof *a->acc);
    a->row = malloc((size_t)w * 3 * sizeof *a->row);
    a->rgb = malloc((size_t)w * 3);
    if (!a->acc || !a->row || !a->rgb || axis_init(&a->ax[0], f->width, w, HONE, 2) ||
        axis_init(&a->ay[0], f->height, h, VONE, 2) ||
        axis_init(&a->ax[1], cw, w, HONE, 2 << cws) ||
        axis_init(&a->ay[1], ch, h, VONE, 2 << chs)) {
        clams__area_free(a);
        return -1;
    }
    memcpy(a->key, key, sizeof key);
    a->cw = cw;
    return 0;
}

/* acc[x] += wt * src[x]: 16-bit lanes, vectorised (area.c is built with
 * -O3; the products and sums stay below 2^16 by the choice of VONE). */
static void add_row(uint16_t *restrict acc, const uint8_t *restrict src, int n, unsigned wt)
{
    uint16_t w16 = (uint16_t)wt;
    for (int x = 0; x < n; x++)
        acc[x] = (uint16_t)(acc[x] + w16 * src[x]);
}

/* out[x] = the horizontal taps of acc for output x, in 8.8 fixed point. The
 * tap count is a constant in each call of this inline function, so each
 * common case compiles to straight-line code. */
static inline __attribute__((always_inline)) void h_pass(const clams__area_axis_t *ax,
                                                         const uint16_t *acc, int w, int taps,
                                                         uint16_t *out)
{
    for (int x = 0; x < w; x++) {
        const uint16_t *wx = ax->w + (size_t)x * taps, *s = acc + ax->first[x];
        uint32_t sum = 0;
        for (int t = 0; t < taps; t++)
            sum += (uint32_t)wx[t] * s[t];
        out[x] = (uint16_t)((sum + HONE / 2) / HONE);
    }
}

/* h_pass for up to 8 taps, 8 at a time: SSE2's multiply-add of signed
 * 16-bit pairs, on the samples less 32768 (so that 8.8 values up to 65280
 * fit) with that offset times the weights' sum (HONE) added back; the same
 * integer as the scalar sum, which runs where SSE2 is missing. */
static void h_pass8(const clams__area_axis_t *ax, const uint16_t *acc, int w, uint16_t *out)
{
#ifdef __SSE2__
    const __m128i flip = _mm_set1_epi16((short)0x8000);
    for (int x = 0; x < w; x++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(acc + ax->first[x]));
        __m128i wt = _mm_loadu_si128((const __m128i *)(const void *)(ax->w8 + (size_t)x * 8));
        __m128i p = _mm_madd_epi16(_mm_xor_si128(v, flip), wt);
        p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0x4e)); /* lanes 0+2, 1+3 */
        p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0xb1)); /* and those two */
        uint32_t sum = (uint32_t)_mm_cvtsi128_si32(p) + 32768u * HONE;
        out[x] = (uint16_t)((sum + HONE / 2) / HONE);
    }
#else
    clams__area_axis_t padded = *ax;
    padded.w = ax->w8;
    h_pass(&padded, acc, w, 8, out);
#endif
}

/* Row y of plane p reduced to w samples in 8.8 fixed point, into out. */
static void reduce_row(clams__area_t *a, const AVFrame *f, int p, int y, int w, uint16_t *out)
{
    const clams__area_axis_t *ax = &a->ax[p ? 1 : 0], *ay = &a->ay[p ? 1 : 0];
    int sw = p ? a->cw : f->width;
    const uint16_t *wy = ay->w + (size_t)y * ay->taps;
    memset(a->acc, 0, (size_t)sw * sizeof *a->acc);
    for (int t = 0; t < ay->taps; t++)
        if (wy[t])
            add_row(a->acc, f->data[p] + (ptrdiff_t)(ay->first[y] + t) * f->linesize[p], sw, wy[t]);
    /* Up to 8 taps (the 8 a 1920-pixel-wide source reduced to 640 needs)
     * axis_init made the weights padded to 8: one fixed-width pass. */
    if (ax->w8)
        h_pass8(ax, a->acc, w, out);
    else
        h_pass(ax, a->acc, w, ax->taps, out);
}

/* The luma coefficients (Kr, Kb) of the frame's matrix; libswscale's
 * default, BT.601, when the stream does not say. */
static void matrix(enum AVColorSpace cs, float *kr, float *kb)
{
    switch (cs) {
    case AVCOL_SPC_BT709: *kr = 0.2126f, *kb = 0.0722f; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: *kr = 0.2627f, *kb = 0.0593f; break;
    case AVCOL_SPC_SMPTE240M: *kr = 0.212f, *kb = 0.087f; break;
    case AVCOL_SPC_FCC: *kr = 0.30f, *kb = 0.11f; break;
    default: *kr = 0.299f, *kb = 0.114f; break;
    }
}

static bool full_range(const AVFrame *f)
{
    enum AVPixelFormat p = f->format;
    return f->color_range == AVCOL_RANGE_JPEG || p == AV_PIX_FMT_YUVJ420P ||
           p == AV_PIX_FMT_YUVJ422P || p == AV_PIX_FMT_YUVJ444P || p == AV_PIX_FMT_YUVJ440P ||
           p == AV_PIX_FMT_YUVJ411P;
}

static inline uint8_t clip8(int v)
{
    v = v < 0 ? 0 : v;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* The conversion in integers (the same bytes on every machine, and the
 * compiler vectorises it): a coefficient c applied to a sample in 8.8
 * fixed point is c * 2^12, so that each term is c * sample * 2^20 and the
 * sums stay below 2^31. */
#define CBITS 20
static inline int fix(float c)
{
    return (int)lrintf(c * (1 << (CBITS - 8)));
}

static void to_gray(const uint16_t *ry, int w, int yo, int yc, uint8_t *out)
{
    for (int x = 0; x < w; x++)
        out[x] = clip8((yc * (ry[x] - yo) + (1 << (CBITS - 1))) >> CBITS);
}

/* One row of 8.8 Y, Cb, Cr to planar R, G, B rows; k = {luma offset, luma,
 * Cr to R, Cb to G, Cr to G, Cb to B} (restrict: vectorised). */
static void rgb_row(const uint16_t *restrict ry, const uint16_t *restrict ru,
                    const uint16_t *restrict rv, int w, const int k[6], uint8_t *restrict rgb)
{
    const int yo = k[0], yc = k[1], crv = k[2], gu = k[3], gv = k[4], bu = k[5];
    uint8_t *restrict pr = rgb, *restrict pg = rgb + w, *restrict pb = rgb + 2 * w;
    for (int x = 0; x < w; x++) {
        int Y = yc * (ry[x] - yo) + (1 << (CBITS - 1));
        int U = ru[x] - 128 * 256, V = rv[x] - 128 * 256;
        pr[x] = clip8((Y + crv * V) >> CBITS);
        pg[x] = clip8((Y - gu * U - gv * V) >> CBITS);
        pb[x] = clip8((Y + bu * U) >> CBITS);
    }
}

int clams__area_convert(clams__area_t *a, const AVFrame *f, uint8_t *dst, int w, int h, bool gray)
{
    int cws, chs;
    if (!supported(f, &cws, &chs))
        return 0;
    if (setup(a, f, w, h, cws, chs) != 0)
        return -1;
    if (a->ay[0].taps > VTAPS_MAX || a->ay[1].taps > VTAPS_MAX)
        return 0;
    float kr, kb;
    matrix(f->colorspace, &kr, &kb);
    bool full = full_range(f);
    /* Limited range: luma 16-235 and chroma 16-240 stretched to 0-255. */
    float ys = full ? 1.0f : 255.0f / 219, cs = full ? 1.0f : 255.0f / 224;
    float kg = 1.0f - kr - kb, crv = 2 * (1 - kr), cbu = 2 * (1 - kb);
    int yo = full ? 0 : 16 * 256, yc = fix(ys), rv = fix(crv * cs), bu = fix(cbu * cs);
    int gu = fix(cbu * kb / kg * cs), gv = fix(crv * kr / kg * cs);
    const int k[6] = {yo, yc, rv, gu, gv, bu};
    uint16_t *ry = a->row, *ru = ry + w, *rv16 = ru + w;
    for (int y = 0; y < h; y++) {
        uint8_t *out = dst + (size_t)y * (size_t)w * (gray ? 1 : 3);
        reduce_row(a, f, 0, y, w, ry);
        if (gray) {
            to_gray(ry, w, yo, yc, out);
            continue;
        }
        reduce_row(a, f, 1, y, w, ru);
        reduce_row(a, f, 2, y, w, rv16);
        rgb_row(ry, ru, rv16, w, k, a->rgb);
        for (int x = 0; x < w; x++) { /* interleaved */
            out[3 * x] = a->rgb[x];
            out[3 * x + 1] = a->rgb[w + x];
            out[3 * x + 2] = a->rgb[2 * w + x];
        }
    }
    return 1;
}
