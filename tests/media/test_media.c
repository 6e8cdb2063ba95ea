/* libclams-media against the ffmpeg tool, on media gen_media.py made at test
 * time: frames pixel-identical to `ffmpeg -vf select=eq(n\,N)` (sparse,
 * dense, first, last, repeats, backwards, GRAY8, scaled) for H.264 with
 * B-frames, MPEG-4, VP9, 29.97 fps, a start offset and MPEG-TS; audio equal
 * to `ffmpeg -ar 16000 -ac 1 -f f32le` within 1e-4 a sample; images; and
 * every kind of bad media giving an error that names the document, the file
 * and what failed.
 * usage: test_media MANIFEST.json */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include <clams/media.h>

#include "check_run.h"
#include "manifest.h"

static json_t *manifest;

static json_t *doc_for(const char *type, const char *id, const char *path)
{
    /* A file:// URI, percent-encoding the path's '/'-separated parts. */
    char uri[8192] = "file://";
    size_t k = strlen(uri);
    for (const char *p = path; *p && k + 4 < sizeof uri; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("/._-", c))
            uri[k++] = (char)c;
        else
            k += (size_t)sprintf(uri + k, "%%%02X", c);
    }
    uri[k] = '\0';
    char t[256];
    snprintf(t, sizeof t, "http://mmif.clams.ai/vocabulary/%s/v1", type);
    return json_pack("{s:s, s:{s:s, s:s, s:s}}", "@type", t, "properties", "id", id, "mime",
                     "application/octet-stream", "location", uri);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert(b != NULL);
    ck_assert_int_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return b;
}

typedef struct {
    const unsigned char *ref; /* the union's frames, back to back */
    size_t ref_len;
    json_t *uni; /* frame numbers in ref order */
    size_t frame_size;
    const long long *want;
    size_t nwant, got;
    const char *what;
} cmp_t;

static int on_frame(long long frame, const clams_image_t *img, void *data)
{
    cmp_t *c = data;
    ck_assert_uint_lt(c->got, c->nwant);
    ck_assert_int_eq(frame, c->want[c->got]);
    ck_assert_uint_eq(img->size, c->frame_size);
    ck_assert_int_eq(img->stride * img->height, (int)img->size);
    size_t at = (size_t)-1;
    for (size_t i = 0; i < json_array_size(c->uni); i++)
        if (json_integer_value(json_array_get(c->uni, i)) == frame)
            at = i;
    ck_assert_msg(at != (size_t)-1, "frame %lld not in the reference", frame);
    ck_assert_uint_le((at + 1) * c->frame_size, c->ref_len);
    const unsigned char *r = c->ref + at * c->frame_size;
    size_t diff = 0, first = (size_t)-1;
    for (size_t i = 0; i < c->frame_size; i++)
        if (r[i] != img->data[i]) {
            diff++;
            if (first == (size_t)-1)
                first = i;
        }
    ck_assert_msg(diff == 0, "%s frame %lld: %zu bytes differ from ffmpeg's (first at %zu)",
                  c->what, frame, diff, first);
    c->got++;
    return 0;
}

static int count_only(long long frame, const clams_image_t *img, void *data)
{
    ((cmp_t *)data)->got++;
    return 0;
}

static void check_list(clams_video_t *v, json_t *entry, const char *name, const char *ref,
                       const clams_frame_opts_t *o, const char *what)
{
    json_t *list = json_object_get(json_object_get(entry, "lists"), name);
    size_t n = json_array_size(list);
    long long *want = calloc(n, sizeof *want);
    for (size_t i = 0; i < n; i++)
        want[i] = json_integer_value(json_array_get(list, i));
    size_t rlen;
    unsigned char *rb = slurp(ref, &rlen);
    cmp_t c = {.ref = rb,
               .ref_len = rlen,
               .uni = json_object_get(entry, "union"),
               .frame_size = clams_video_frame_size(v, o),
               .want = want,
               .nwant = n};
    char label[512];
    snprintf(label, sizeof label, "%s %s (%s)", what, name,
             json_string_value(json_object_get(entry, "path")));
    c.what = label;
    ck_assert_uint_eq(rlen, c.frame_size * json_array_size(c.uni));
    clams_error_t err = {0};
    int rc = clams_video_frames(v, want, n, o, on_frame, &c, &err);
    ck_assert_msg(rc == 0, "%s: %s", label, err.text);
    ck_assert_uint_eq(c.got, n);
    free(want);
    free(rb);
}

/* MEDIA_TEST_VIDEOS="0,5": only those videos (the valgrind run takes two). */
static bool video_selected(int i)
{
    const char *sel = getenv("MEDIA_TEST_VIDEOS");
    if (!sel)
        return true;
    for (const char *p = sel; *p;) {
        char *end;
        long k = strtol(p, &end, 10);
        if (end == p)
            break;
        if (k == i)
            return true;
        p = *end == ',' ? end + 1 : end;
    }
    return false;
}

START_TEST(video_frames_match_ffmpeg)
{
    if (!video_selected(_i))
        return;
    json_t *e = json_array_get(json_object_get(manifest, "videos"), (size_t)_i);
    const char *path = json_string_value(json_object_get(e, "path"));
    json_t *doc = doc_for("VideoDocument", "v1", path);
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open(doc, NULL, &err);
    ck_assert_msg(v != NULL, "%s: %s", path, err.text);
    const clams_video_info_t *info = clams_video_info(v);
    long long n = json_integer_value(json_object_get(e, "frames"));
    ck_assert_int_eq(info->frame_count, n);
    ck_assert_int_eq(info->width, json_integer_value(json_object_get(e, "width")));
    ck_assert_int_eq(info->height, json_integer_value(json_object_get(e, "height")));
    ck_assert_int_eq(info->fps_num, json_integer_value(json_object_get(e, "fps_num")));
    ck_assert_int_eq(info->fps_den, json_integer_value(json_object_get(e, "fps_den")));
    ck_assert_str_eq(info->codec, json_string_value(json_object_get(e, "codec")));
    ck_assert_str_eq(info->document, "v1");
    ck_assert_str_eq(info->path, path);
    /* Frame times start at 0 whatever the container's start time. */
    ck_assert_double_eq_tol(clams_video_frame_time_ms(v, 0), 0.0, 1e-9);
    if (!json_is_true(json_object_get(e, "vfr")))
        ck_assert_double_eq_tol(clams_video_frame_time_ms(v, n - 1),
                                (n - 1) * 1000.0 * info->fps_den / info->fps_num, 1.0);
    else /* 100 frames, every fifth dropped: 80 frames over the same 4 s */
        ck_assert_double_eq_tol(clams_video_frame_time_ms(v, n - 1), 3960.0, 1.0);
    ck_assert(clams_video_frame_time_ms(v, n) < 0);
    /* Decoding from the start, then going back and jumping around. */
    const char *order[] = {"first", "dense", "sparse", "last", "repeats", "sparse", "first"};
    const char *ref = json_string_value(json_object_get(e, "ref"));
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        check_list(v, e, order[i], ref, NULL, "rgb24");
    size_t nv = json_array_size(json_object_get(e, "variants"));
    for (size_t i = 0; i < nv; i++) {
        json_t *var = json_array_get(json_object_get(e, "variants"), i);
        clams_frame_opts_t o = {
            .format = strcmp(json_string_value(json_object_get(var, "format")), "gray8") == 0
                          ? CLAMS_PIX_GRAY8
                          : CLAMS_PIX_RGB24,
            .width = (int)json_integer_value(json_object_get(var, "width")),
            .height = (int)json_integer_value(json_object_get(var, "height"))};
        const char *vref = json_string_value(json_object_get(var, "ref"));
        check_list(v, e, "sparse", vref, &o, "variant");
        check_list(v, e, "dense", vref, &o, "variant");
    }
    /* One frame into a caller's buffer equals the callback's. */
    size_t fs = clams_video_frame_size(v, NULL);
    ck_assert_uint_eq(fs, (size_t)info->width * info->height * 3);
    unsigned char *buf = malloc(fs);
    clams_image_t img;
    ck_assert_int_eq(clams_video_frame(v, n - 1, NULL, buf, fs - 1, &img, &err), CLAMS_ETOOBIG);
    clams_error_clear(&err);
    ck_assert_int_eq(clams_video_frame(v, n - 1, NULL, buf, fs, &img, &err), 0);
    size_t rlen;
    unsigned char *rb = slurp(ref, &rlen);
    json_t *uni = json_object_get(e, "union");
    size_t last = json_array_size(uni) - 1;
    ck_assert_int_eq(json_integer_value(json_array_get(uni, last)), n - 1);
    ck_assert_mem_eq(buf, rb + last * fs, fs);
    free(rb);
    free(buf);
    /* Beyond the last frame, below 0, out of order. */
    long long beyond[] = {0, n};
    clams_error_clear(&err);
    cmp_t none = {0};
    ck_assert_int_eq(clams_video_frames(v, beyond, 2, NULL, on_frame, &none, &err),
                     CLAMS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.text, "v1"));
    ck_assert_ptr_nonnull(strstr(err.text, path));
    ck_assert_ptr_nonnull(strstr(err.text, "out of range"));
    ck_assert_uint_eq(none.got, 0); /* refused before anything is decoded */
    long long neg = -1, unsorted[] = {5, 4};
    clams_error_clear(&err);
    ck_assert_int_eq(clams_video_frames(v, &neg, 1, NULL, on_frame, &none, &err), CLAMS_ENOTFOUND);
    clams_error_clear(&err);
    ck_assert_int_eq(clams_video_frames(v, unsorted, 2, NULL, on_frame, &none, &err), CLAMS_EINVAL);
    /* The properties Python apps read (fps rounded to 2 decimals). */
    clams_mmif_t *m = clams_mmif_new(NULL);
    clams_view_t *pv = clams_mmif_add_view(m);
    ck_assert_int_eq(clams_video_add_properties(pv, v), 0);
    ck_assert_int_eq(clams_video_add_properties(pv, v), 0); /* contains kept, 2 annotations */
    json_t *mj = clams_mmif_to_json(m);
    json_t *view0 = json_array_get(json_object_get(mj, "views"), 0);
    json_t *pa =
        json_object_get(json_array_get(json_object_get(view0, "annotations"), 0), "properties");
    ck_assert_uint_eq(json_array_size(json_object_get(view0, "annotations")), 2);
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(json_object_get(view0, "metadata"), "contains"),
                        "http://mmif.clams.ai/vocabulary/Annotation/v6"));
    ck_assert_str_eq(json_string_value(json_object_get(pa, "document")), "v1");
    double want_fps = nearbyint((double)info->fps_num / info->fps_den * 100) / 100;
    ck_assert_double_eq_tol(json_number_value(json_object_get(pa, "fps")), want_fps, 1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(pa, "frameCount")), n);
    ck_assert_int_eq(json_integer_value(json_object_get(pa, "duration")),
                     (long long)nearbyint(n * 1000.0 * info->fps_den / info->fps_num));
    json_decref(mj);
    clams_mmif_free(m);
    /* Time to frame with the exact rate and mmif-python's rounding. */
    long long f;
    ck_assert_int_eq(clams_video_frame_at(v, 1000.0, "ms", &f, NULL), 0);
    /* (MMIF frame units assume a constant rate; for the VFR file this is the
     * average-rate answer, as mmif-python would give.) */
    ck_assert_int_eq(f, (long long)nearbyint(1.0 * info->fps_num / info->fps_den));
    ck_assert_int_eq(clams_video_frame_at(v, 1.0, "parsec", &f, NULL), CLAMS_EINVAL);
    clams_video_close(v);

    /* Seeking, not decoding everything: the last frame alone, on a fresh
     * handle, decodes at most half of the video (every test video has a
     * keyframe in its second half) and seeks; a dense run decodes every
     * frame once and never seeks. */
    clams_video_stats_t st;
    v = clams_video_open(doc, NULL, &err);
    ck_assert_ptr_nonnull(v);
    long long lastf = n - 1;
    cmp_t any = {0};
    clams_video_stats(v, &st);
    ck_assert_int_eq(st.decoded, 0);
    ck_assert_int_eq(clams_video_frame(v, lastf, NULL, (buf = malloc(fs)), fs, &img, &err), 0);
    free(buf);
    clams_video_stats(v, &st);
    ck_assert_msg(st.decoded <= n / 2 && st.seeks >= 1,
                  "%s: frame %lld alone decoded %lld frames, %lld seeks", path, lastf, st.decoded,
                  st.seeks);
    clams_video_close(v);
    v = clams_video_open(doc, NULL, &err);
    long long *all = malloc((size_t)n * sizeof *all);
    for (long long i = 0; i < n; i++)
        all[i] = i;
    any.nwant = 0;
    ck_assert_int_eq(clams_video_frames(v, all, (size_t)n, NULL, count_only, &any, &err), 0);
    ck_assert_uint_eq(any.got, (size_t)n);
    clams_video_stats(v, &st);
    ck_assert_int_eq(st.seeks, 0);
    ck_assert_int_eq(st.decoded, n);
    free(all);
    clams_video_close(v);
    json_decref(doc);
}
END_TEST

/* ---- Audio ---------------------------------------------------------------------------- */

typedef struct {
    long long next;
    size_t chunks;
    size_t chunk;
    float *all;
    size_t n, cap;
} chunks_t;

static int on_chunk(const void *s, size_t frames, long long start, void *data)
{
    chunks_t *c = data;
    ck_assert_int_eq(start, c->next);
    ck_assert_uint_le(frames, c->chunk);
    ck_assert_uint_gt(frames, 0);
    c->next += (long long)frames;
    c->chunks++;
    if (c->n + frames > c->cap) {
        c->cap = (c->n + frames) * 2;
        c->all = realloc(c->all, c->cap * sizeof(float));
    }
    memcpy(c->all + c->n, s, frames * sizeof(float));
    c->n += frames;
    return 0;
}

START_TEST(audio_matches_ffmpeg)
{
    json_t *e = json_array_get(json_object_get(manifest, "audio"), (size_t)_i);
    const char *path = json_string_value(json_object_get(e, "path"));
    bool video = json_is_true(json_object_get(e, "video"));
    json_t *doc = doc_for(video ? "VideoDocument" : "AudioDocument", "a1", path);
    clams_error_t err = {0};
    void *samples;
    size_t frames;
    clams_audio_info_t info;
    int rc = clams_audio_decode_all(doc, NULL, 0, &samples, &frames, &info, &err);
    ck_assert_msg(rc == 0, "%s: %s", path, err.text);
    ck_assert_int_eq(info.rate, 16000);
    ck_assert_int_eq(info.channels, 1);
    size_t rlen;
    unsigned char *ref = slurp(json_string_value(json_object_get(e, "ref_f32_16k_mono")), &rlen);
    ck_assert_msg(rlen == frames * sizeof(float), "%s: %zu samples, ffmpeg gave %zu", path, frames,
                  rlen / sizeof(float));
    const float *a = samples, *b = (const float *)ref;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < frames; i++)
        if (fabs((double)a[i] - b[i]) > worst)
            worst = fabs((double)a[i] - b[i]), at = i;
    ck_assert_msg(worst <= 1e-4, "%s: sample %zu differs by %g", path, at, worst);
    /* Not silence: the comparison means something. */
    double energy = 0;
    for (size_t i = 0; i < frames; i++)
        energy += (double)a[i] * a[i];
    ck_assert(energy / (double)frames > 1e-3);

    /* Chunks: consecutive starts, same samples. */
    clams_audio_opts_t o = {.chunk_frames = 1000};
    clams_audio_t *au = clams_audio_open(doc, &o, &err);
    ck_assert_msg(au != NULL, "%s", err.text);
    chunks_t c = {.chunk = 1000};
    ck_assert_int_eq(clams_audio_read(au, on_chunk, &c, &err), 0);
    ck_assert_uint_eq(c.n, frames);
    ck_assert_mem_eq(c.all, samples, frames * sizeof(float));
    ck_assert_uint_eq(c.chunks, (frames + 999) / 1000);
    ck_assert_int_eq(clams_audio_read(au, on_chunk, &c, &err), CLAMS_EINVAL); /* once only */
    clams_audio_close(au);
    free(c.all);
    free(samples);
    free(ref);

    /* Kept channels at the source rate as int16: ffmpeg's s16le exactly. */
    clams_audio_opts_t keep = {
        .sample_rate = CLAMS_AUDIO_KEEP, .channels = CLAMS_AUDIO_KEEP, .format = CLAMS_SAMPLE_S16};
    clams_error_clear(&err);
    rc = clams_audio_decode_all(doc, &keep, 0, &samples, &frames, &info, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    ref = slurp(json_string_value(json_object_get(e, "ref_s16_native")), &rlen);
    ck_assert_int_eq(info.rate, info.source_rate);
    ck_assert_int_eq(info.channels, info.source_channels);
    ck_assert_uint_eq(rlen, frames * 2 * (size_t)info.channels);
    ck_assert_mem_eq(samples, ref, rlen);
    free(samples);
    free(ref);
    /* max_frames refuses longer signals. */
    clams_error_clear(&err);
    ck_assert_int_eq(clams_audio_decode_all(doc, NULL, 100, &samples, &frames, NULL, &err),
                     CLAMS_ETOOBIG);
    ck_assert_ptr_null(samples);
    json_decref(doc);
}
END_TEST

START_TEST(image_matches_ffmpeg)
{
    json_t *e = json_array_get(json_object_get(manifest, "images"), 0);
    const char *path = json_string_value(json_object_get(e, "path"));
    json_t *doc = doc_for("ImageDocument", "i1", path);
    clams_image_t img;
    clams_error_t err = {0};
    ck_assert_msg(clams_image_decode(doc, NULL, &img, &err) == 0, "%s", err.text);
    size_t rlen;
    unsigned char *ref = slurp(json_string_value(json_object_get(e, "ref")), &rlen);
    ck_assert_int_eq(img.width, 120);
    ck_assert_int_eq(img.height, 90);
    ck_assert_uint_eq(img.size, rlen);
    ck_assert_mem_eq(img.data, ref, rlen);
    clams_image_release(&img);
    ck_assert_ptr_null(img.data);
    clams_frame_opts_t gray = {.format = CLAMS_PIX_GRAY8, .width = 60};
    ck_assert_int_eq(clams_image_decode(doc, &gray, &img, &err), 0);
    ck_assert_int_eq(img.width, 60);
    ck_assert_int_eq(img.height, 46); /* 45 rounded to even */
    ck_assert_int_eq(img.stride, 60);
    clams_image_release(&img);
    free(ref);
    json_decref(doc);
}
END_TEST

/* ---- Bad media -------------------------------------------------------------------------- */

static const char *bad(const char *key)
{
    return json_string_value(json_object_get(json_object_get(manifest, "bad"), key));
}

static void expect_video_error(const char *key, int code, const char *needle)
{
    const char *path = bad(key);
    json_t *doc = doc_for("VideoDocument", "vbad", path);
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open(doc, NULL, &err);
    ck_assert_msg(v == NULL, "%s: opened", key);
    ck_assert_msg(err.code == code, "%s: code %d (%s)", key, err.code, err.text);
    ck_assert_msg(strstr(err.text, "vbad") && strstr(err.text, path) && strstr(err.text, needle),
                  "%s: message \"%s\" lacks \"%s\"", key, err.text, needle);
    json_decref(doc);
}

START_TEST(bad_media_errors)
{
    expect_video_error("missing", CLAMS_ENOTFOUND, "No such file");
    expect_video_error("empty", CLAMS_EIO, "empty");
    expect_video_error("not_media", CLAMS_EIO, "not a media file");
    expect_video_error("directory", CLAMS_EIO, "not a regular file");
    expect_video_error("truncated_no_index", CLAMS_EIO, "not a media file");
    expect_video_error("truncated", CLAMS_EIO, "truncated");

    /* Damaged picture data: opening works (the container is intact), every
     * frame fails to decode, naming the frame. */
    const char *path = bad("damaged");
    json_t *doc = doc_for("VideoDocument", "vdmg", path);
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open(doc, NULL, &err);
    ck_assert_msg(v != NULL, "%s", err.text);
    long long frames[] = {3, 40};
    cmp_t none = {0};
    int rc = clams_video_frames(v, frames, 2, NULL, on_frame, &none, &err);
    ck_assert_int_eq(rc, CLAMS_EIO);
    ck_assert_msg(strstr(err.text, "vdmg") && strstr(err.text, path) &&
                      strstr(err.text, "cannot decode frame 3"),
                  "%s", err.text);
    clams_video_close(v);
    json_decref(doc);

    /* Audio: truncated WAV, a video without audio, a missing file. */
    doc = doc_for("AudioDocument", "abad", bad("truncated_audio"));
    void *s;
    size_t n;
    clams_error_clear(&err);
    ck_assert_int_eq(clams_audio_decode_all(doc, NULL, 0, &s, &n, NULL, &err), CLAMS_EIO);
    ck_assert_msg(strstr(err.text, "abad") && strstr(err.text, "truncated") &&
                      strstr(err.text, bad("truncated_audio")),
                  "%s", err.text);
    json_decref(doc);
    doc = doc_for("VideoDocument", "vsilent", bad("video_without_audio"));
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_audio_open(doc, NULL, &err));
    ck_assert_msg(strstr(err.text, "vsilent") && strstr(err.text, "no audio stream"), "%s",
                  err.text);
    json_decref(doc);

    /* Wrong document types. */
    json_t *text = json_pack("{s:s, s:{s:s, s:{s:s}}}", "@type",
                             "http://mmif.clams.ai/vocabulary/TextDocument/v1", "properties", "id",
                             "t1", "text", "@value", "hello");
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_video_open(text, NULL, &err));
    ck_assert_int_eq(err.code, CLAMS_EINVAL);
    ck_assert_msg(strstr(err.text, "t1") && strstr(err.text, "TextDocument") &&
                      strstr(err.text, "not a VideoDocument"),
                  "%s", err.text);
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_audio_open(text, NULL, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "not a AudioDocument|VideoDocument"));
    clams_image_t img;
    clams_error_clear(&err);
    ck_assert_int_eq(clams_image_decode(text, NULL, &img, &err), CLAMS_EINVAL);
    json_decref(text);
    json_t *audio = doc_for("AudioDocument", "a9", bad("unreadable"));
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_video_open(audio, NULL, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "a9 is a AudioDocument, not a VideoDocument"));
    json_decref(audio);

    /* Locations: another scheme, none, relative. */
    json_t *http = json_pack("{s:s, s:{s:s, s:s}}", "@type",
                             "http://mmif.clams.ai/vocabulary/VideoDocument/v1", "properties", "id",
                             "vh", "location", "http://example.org/a.mp4");
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_video_open(http, NULL, &err));
    ck_assert_msg(strstr(err.text, "vh") && strstr(err.text, "scheme \"http\""), "%s", err.text);
    json_decref(http);
}
END_TEST

/* Unreadable: permissions only bind a non-root user, so as root the check
 * runs in a child that has become nobody. */
START_TEST(bad_media_unreadable)
{
    const char *path = bad("unreadable");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (geteuid() == 0 && setuid(65534) != 0)
            _exit(2);
        json_t *doc = doc_for("AudioDocument", "aperm", path);
        clams_error_t err = {0};
        clams_audio_t *a = clams_audio_open(doc, NULL, &err);
        bool ok = !a && err.code == CLAMS_EIO && strstr(err.text, "aperm") &&
                  strstr(err.text, path) && strstr(err.text, "Permission denied");
        if (!ok)
            fprintf(stderr, "unreadable: %s\n", err.text);
        clams_audio_close(a);
        json_decref(doc);
        _exit(ok ? 0 : 1);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}
END_TEST

/* A resolver for a scheme of the app's own. */
static char *resolve_test(const char *location, void *user, clams_error_t *err)
{
    const char *dir = user;
    const char *name = location + strlen("clamstest://");
    if (strcmp(name, "missing") == 0) {
        err->code = CLAMS_ENOTFOUND;
        snprintf(err->text, sizeof err->text, "no such object");
        return NULL;
    }
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

START_TEST(location_resolver)
{
    const char *vpath = json_string_value(
        json_object_get(json_array_get(json_object_get(manifest, "videos"), 0), "path"));
    char *dir = strdup(vpath);
    *strrchr(dir, '/') = '\0';
    ck_assert_int_eq(clams_location_register("clamstest", resolve_test, dir), 0);
    ck_assert_int_eq(clams_location_register("file", resolve_test, dir), CLAMS_EINVAL);
    json_t *doc = json_pack("{s:s, s:{s:s, s:s}}", "@type",
                            "http://mmif.clams.ai/vocabulary/VideoDocument/v1", "properties", "id",
                            "vr", "location", "clamstest://h264_bframes.mp4");
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open(doc, NULL, &err);
    ck_assert_msg(v != NULL, "%s", err.text);
    ck_assert_str_eq(clams_video_info(v)->path, vpath);
    clams_video_close(v);
    json_decref(doc);
    doc = json_pack("{s:s, s:{s:s, s:s}}", "@type",
                    "http://mmif.clams.ai/vocabulary/VideoDocument/v1", "properties", "id", "vm",
                    "location", "clamstest://missing");
    clams_error_clear(&err);
    ck_assert_ptr_null(clams_video_open(doc, NULL, &err));
    ck_assert_int_eq(err.code, CLAMS_ENOTFOUND);
    ck_assert_msg(strstr(err.text, "vm") && strstr(err.text, "no such object"), "%s", err.text);
    json_decref(doc);
    ck_assert_int_eq(clams_location_register("clamstest", NULL, NULL), 0);
    free(dir);
}
END_TEST

int main(int argc, char **argv)
{
    if (!(manifest = clams_ts_manifest(argc, argv)))
        return 2;
    Suite *s = suite_create("media");
    TCase *tv = tcase_create("video");
    tcase_set_timeout(tv, 120);
    tcase_add_loop_test(tv, video_frames_match_ffmpeg, 0,
                        (int)json_array_size(json_object_get(manifest, "videos")));
    suite_add_tcase(s, tv);
    TCase *ta = tcase_create("audio");
    tcase_set_timeout(ta, 120);
    tcase_add_loop_test(ta, audio_matches_ffmpeg, 0,
                        (int)json_array_size(json_object_get(manifest, "audio")));
    tcase_add_test(ta, image_matches_ffmpeg);
    suite_add_tcase(s, ta);
    TCase *tb = tcase_create("bad");
    tcase_set_timeout(tb, 120);
    tcase_add_test(tb, bad_media_errors);
    tcase_add_test(tb, bad_media_unreadable);
    tcase_add_test(tb, location_resolver);
    suite_add_tcase(s, tb);
    int rc = clams_ts_run_suite(s, true);
    json_decref(manifest);
    return rc;
}
