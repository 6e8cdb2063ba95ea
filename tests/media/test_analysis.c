/* CLAMS_SCALE_ANALYSIS (analysis-size frames) against a reference computed
 * from full-size frames: for each video gen_media.py made (H.264 with
 * B-frames, MPEG-4, VP9, ...), frames spread over the video are taken at
 * full size with the exact scaler (byte-identical to ffmpeg, media_unit
 * checks that), reduced in double precision with the windows the analysis
 * mode documents (boxes of 2 output pitches for luma, 4 for the chroma of
 * these 4:2:0 videos, when reducing; the pixel itself otherwise), and
 * compared with what the analysis mode delivers:
 * the mean absolute difference and the largest one, per channel, within
 * the bounds clams/media.h states. Also: the options' ABI (an older
 * struct_size means EXACT), a bad scaler value, repeatability.
 * usage: test_analysis MANIFEST.json */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <clams/media.h>

#include "check_run.h"
#include "manifest.h"

/* The bounds clams/media.h documents for CLAMS_SCALE_ANALYSIS. */
#define MAD_MAX 4.0  /* mean absolute difference, levels of 255, per channel */
#define ABS_MAX 56.0 /* largest single difference */

static json_t *manifest;

/* One axis of a reference window: weights of source pixels for output i,
 * in double, normalised, over a box k output pitches wide centred on the
 * output pixel (clipped to the picture). Returns the first source pixel;
 * *n the count. */
static int ref_axis(int src, int dst, int i, double k, double *w, int *n)
{
    double pitch = (double)src / dst;
    double c = (i + 0.5) * pitch, lo = c - k * pitch / 2, hi = c + k * pitch / 2;
    lo = lo < 0 ? 0 : lo;
    hi = hi > src ? src : hi;
    int first = (int)floor(lo), last = (int)ceil(hi) - 1;
    double sum = 0;
    for (int j = first; j <= last; j++) {
        double a = j > lo ? j : lo, b = j + 1 < hi ? j + 1 : hi;
        w[j - first] = b > a ? b - a : 0;
        sum += w[j - first];
    }
    for (int j = first; j <= last; j++)
        w[j - first] /= sum;
    *n = last - first + 1;
    return first;
}

/* Channel ch of the full-size image's pixels averaged over a k-pitch box
 * around output (x, y) of a w x h reduction. */
static double box_mean(const clams_image_t *full, int bpp, int w, int h, int x, int y, int ch,
                       double k)
{
    double wx[128], wy[128];
    int nx, ny;
    int fx = ref_axis(full->width, w, x, k, wx, &nx);
    int fy = ref_axis(full->height, h, y, k, wy, &ny);
    ck_assert(nx <= 128 && ny <= 128);
    double v = 0;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
            v += wy[j] * wx[i] *
                 full->data[(size_t)(fy + j) * full->stride + (size_t)(fx + i) * bpp + ch];
    return v;
}

/* The documented window: luma (gray) over 2 output pitches; chroma over
 * twice that, as the test videos are 4:2:0 (2 << 1 pitches). Windows
 * commute with the linear colour conversion, so the reference is taken on
 * the exact full-size frame's Y, Cb, Cr (BT.601, what libswscale assumes
 * for these streams) and converted back. At the native size: the frame. */
static double ref_pixel(const clams_image_t *full, int bpp, int w, int h, int x, int y, int ch)
{
    if (w == full->width && h == full->height)
        return full->data[(size_t)y * full->stride + (size_t)x * bpp + ch];
    if (bpp == 1)
        return box_mean(full, 1, w, h, x, y, 0, 2.0);
    double rgb2[3], rgb4[3]; /* means over 2 and 4 pitches */
    for (int c = 0; c < 3; c++) {
        rgb2[c] = box_mean(full, 3, w, h, x, y, c, 2.0);
        rgb4[c] = box_mean(full, 3, w, h, x, y, c, 4.0);
    }
    const double kr = 0.299, kb = 0.114, kg = 1 - kr - kb;
    double Y = kr * rgb2[0] + kg * rgb2[1] + kb * rgb2[2];
    double Y4 = kr * rgb4[0] + kg * rgb4[1] + kb * rgb4[2];
    double cb = rgb4[2] - Y4, cr = rgb4[0] - Y4; /* B - Y, R - Y over the wider box */
    double out[3] = {Y + cr, Y - (kb * cb + kr * cr) / kg, Y + cb};
    return out[ch];
}

typedef struct {
    double mad[3], max[3];
} diff_t;

static diff_t compare(const clams_image_t *full, const clams_image_t *got, int bpp)
{
    diff_t d = {{0}, {0}};
    for (int y = 0; y < got->height; y++)
        for (int x = 0; x < got->width; x++)
            for (int c = 0; c < bpp; c++) {
                double r = ref_pixel(full, bpp, got->width, got->height, x, y, c);
                double e = fabs(got->data[(size_t)y * got->stride + (size_t)x * bpp + c] - r);
                d.mad[c] += e;
                d.max[c] = e > d.max[c] ? e : d.max[c];
            }
    for (int c = 0; c < bpp; c++)
        d.mad[c] /= (double)got->width * got->height;
    return d;
}

static uint8_t *grab(clams_video_t *v, long long frame, const clams_frame_opts_t *o,
                     clams_image_t *img)
{
    clams_error_t err = {0};
    size_t size = clams_video_frame_size(v, o);
    ck_assert(size > 0);
    uint8_t *buf = malloc(size);
    ck_assert(buf != NULL);
    int rc = clams_video_frame(v, frame, o, buf, size, img, &err);
    ck_assert_msg(rc == 0, "frame %lld: %s", frame, err.text);
    return buf;
}

/* Each video: frames at 0, 1/3, 2/3 and the end; RGB24 reduced to 64 wide,
 * to an odd size, and at the native size; GRAY8 reduced. */
START_TEST(analysis_matches_reference)
{
    json_t *e = json_array_get(json_object_get(manifest, "videos"), (size_t)_i);
    const char *path = json_string_value(json_object_get(e, "path"));
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open_file(path, NULL, &err);
    ck_assert_msg(v != NULL, "%s", err.text);
    const clams_video_info_t *info = clams_video_info(v);
    const int sizes[3][2] = {{64, 0}, {info->width / 3 | 1, info->height / 5 | 1}, {0, 0}};
    long long n = info->frame_count;
    for (int f = 0; f < 4; f++) {
        long long frame = f < 3 ? n * f / 3 : n - 1;
        for (int fmt = 0; fmt < 2; fmt++) {
            int bpp = fmt ? 1 : 3;
            clams_frame_opts_t exact = CLAMS_FRAME_OPTS_INIT;
            exact.format = fmt ? CLAMS_PIX_GRAY8 : CLAMS_PIX_RGB24;
            clams_image_t full;
            uint8_t *fb = grab(v, frame, &exact, &full);
            for (int s = 0; s < (fmt ? 1 : 3); s++) {
                clams_frame_opts_t o = exact;
                o.scale = CLAMS_SCALE_ANALYSIS;
                o.width = sizes[s][0];
                o.height = sizes[s][1];
                clams_image_t got;
                uint8_t *gb = grab(v, frame, &o, &got);
                diff_t d = compare(&full, &got, bpp);
                for (int c = 0; c < bpp; c++) {
                    printf("%s frame %lld %s %dx%d channel %d: mean |diff| %.3f, max %.1f\n", path,
                           frame, fmt ? "gray8" : "rgb24", got.width, got.height, c, d.mad[c],
                           d.max[c]);
                    fflush(stdout);
                    ck_assert_msg(d.mad[c] <= MAD_MAX && d.max[c] <= ABS_MAX,
                                  "%s frame %lld %dx%d channel %d: mean %.3f, max %.1f", path,
                                  frame, got.width, got.height, c, d.mad[c], d.max[c]);
                }
                free(gb);
            }
            free(fb);
        }
    }
    clams_video_close(v);
}
END_TEST

START_TEST(analysis_options)
{
    json_t *e = json_array_get(json_object_get(manifest, "videos"), 0);
    const char *path = json_string_value(json_object_get(e, "path"));
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open_file(path, NULL, &err);
    ck_assert_msg(v != NULL, "%s", err.text);
    clams_frame_opts_t exact = CLAMS_FRAME_OPTS_INIT;
    exact.width = 64;
    clams_image_t a, b;
    uint8_t *ea = grab(v, 5, &exact, &a);
    /* An app built before `scale` existed passes a shorter struct: what lies
     * beyond it is not read, so the frame is EXACT whatever is there. */
    clams_frame_opts_t old = exact;
    old.struct_size = (unsigned)offsetof(clams_frame_opts_t, scale);
    old.scale = CLAMS_SCALE_ANALYSIS;
    uint8_t *eb = grab(v, 5, &old, &b);
    ck_assert(a.size == b.size && memcmp(ea, eb, a.size) == 0);
    /* The analysis frame differs from the exact one, and is repeatable
     * (after a seek back, too). */
    clams_frame_opts_t an = exact;
    an.scale = CLAMS_SCALE_ANALYSIS;
    clams_image_t c, d;
    uint8_t *ac = grab(v, 5, &an, &c);
    grab(v, 40, &an, &d);
    free(d.data);
    uint8_t *ad = grab(v, 5, &an, &d);
    ck_assert(c.size == a.size && memcmp(ac, ea, a.size) != 0);
    ck_assert(memcmp(ac, ad, c.size) == 0);
    /* A reduction beyond what the planes' path takes (144 lines to 12)
     * goes through libswscale's area scaler: still delivered, the size
     * asked for, close to the mean colour of the frame. */
    clams_frame_opts_t tiny = an;
    tiny.width = 16;
    tiny.height = 12;
    clams_image_t t;
    uint8_t *tb = grab(v, 5, &tiny, &t);
    ck_assert(t.width == 16 && t.height == 12 && t.size == 16 * 12 * 3);
    double mt = 0, mf = 0;
    for (size_t i = 0; i < t.size; i++)
        mt += tb[i];
    clams_frame_opts_t fullo = CLAMS_FRAME_OPTS_INIT;
    clams_image_t full;
    uint8_t *fb = grab(v, 5, &fullo, &full);
    for (size_t i = 0; i < full.size; i++)
        mf += fb[i];
    ck_assert_msg(fabs(mt / t.size - mf / full.size) < 4.0, "mean %.2f against %.2f", mt / t.size,
                  mf / full.size);
    free(tb);
    free(fb);
    /* A scaler that does not exist. */
    clams_frame_opts_t bad = exact;
    bad.scale = (clams_scale_t)7;
    ck_assert_uint_eq(clams_video_frame_size(v, &bad), 0);
    uint8_t buf[16];
    clams_image_t img;
    ck_assert_int_eq(clams_video_frame(v, 0, &bad, buf, sizeof buf, &img, &err), CLAMS_EINVAL);
    free(ea);
    free(eb);
    free(ac);
    free(ad);
    clams_video_close(v);
}
END_TEST

int main(int argc, char **argv)
{
    if (!(manifest = clams_ts_manifest(argc, argv)))
        return 2;
    Suite *s = suite_create("media_analysis");
    TCase *t = tcase_create("analysis");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, analysis_matches_reference, 0,
                        (int)json_array_size(json_object_get(manifest, "videos")));
    tcase_add_test(t, analysis_options);
    suite_add_tcase(s, t);
    int rc = clams_ts_run_suite(s, true);
    json_decref(manifest);
    return rc;
}
