/* shot-detector: a CLAMS app that splits each VideoDocument into shots and
 * marks every shot as a TimeFrame labelled "shot", with its start, end and a
 * representative TimePoint (the middle frame) that later apps (OCR,
 * captioning) sample through tfSamplingMode. The detector is the content
 * method of PySceneDetect (detect.h). Frames are decoded and downscaled by
 * libclams-media; the per-frame colour work runs in CUDA when the app was
 * built with nvcc and the worker has a usable GPU, on the CPU otherwise, with
 * identical results. Written against the public clams-c API only. */
#include <clams/clams.h>
#include <clams/media.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "scan.h"
#ifdef SHOT_HAVE_CUDA
#include "shot_gpu.h"
#endif

#ifndef GPU_BATCH
#define GPU_BATCH 64 /* frames per GPU batch (two batches in flight) */
#endif

/* Per-process CUDA state: libclams starts it in each worker (worker_init,
 * after fork) or at the first request, and picks the path per request. */
#ifdef SHOT_HAVE_CUDA
static clams_device_t gpu = CLAMS_DEVICE_INIT(shot_cuda_init, shot_cuda_release);
#else
static clams_device_t gpu = CLAMS_DEVICE_INIT(NULL, NULL);
#endif

typedef struct {
    shot_scan_opts_t scan;
    long long min_len;
    bool frames_unit; /* timeUnit=frames, else milliseconds */
} run_opts_t;

/* The time of frame f (f == frame_count: the end of the last frame) in the
 * output unit. */
static json_t *time_of(const clams_video_t *v, const run_opts_t *o, long long f)
{
    if (o->frames_unit)
        return json_integer(f);
    const clams_video_info_t *info = clams_video_info(v);
    double ms = f < info->frame_count ? clams_video_frame_time_ms(v, f)
                                      : clams_video_frame_time_ms(v, info->frame_count - 1) +
                                            1000.0 * info->fps_den / info->fps_num;
    return json_integer((json_int_t)llround(ms));
}

static int add_view(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const char *doc_id,
                    const clams_video_t *v, const shot_result_t *res, const run_opts_t *o)
{
    clams_view_t *view = clams_annotate_add_view(ctx, mmif);
    if (!view)
        return clams_annotate_fail(ctx, "out of memory creating a view");
    const char *unit = o->frames_unit ? "frames" : "milliseconds";
    if (clams_view_add_contains_new(view, CLAMS_MMIF11_TIMEFRAME,
                                    json_pack("{s:s, s:s, s:[s]}", "timeUnit", unit, "document",
                                              doc_id, "labelset", "shot")) != 0 ||
        clams_view_add_contains_new(
            view, CLAMS_MMIF11_TIMEPOINT,
            json_pack("{s:s, s:s}", "timeUnit", unit, "document", doc_id)) != 0 ||
        clams_video_add_properties(view, v) != 0)
        return clams_annotate_fail(ctx, "out of memory filling the view");
    long long total = clams_video_info(v)->frame_count;
    for (size_t i = 0; total > 0 && i <= res->ncuts; i++) {
        long long start = i == 0 ? 0 : res->cuts[i - 1];
        long long end = i == res->ncuts ? total : res->cuts[i];
        long long mid = start + (end - start - 1) / 2;
        clams_annotation_t *tp = clams_view_add_annotation(view, CLAMS_MMIF11_TIMEPOINT);
        if (!tp || clams_annotation_set_json_new(tp, "timePoint", time_of(v, o, mid)) != 0 ||
            clams_annotation_set_str(tp, "label", "shot") != 0)
            return clams_annotate_fail(ctx, "out of memory adding annotations");
        clams_annotation_t *tf = clams_view_add_annotation(view, CLAMS_MMIF11_TIMEFRAME);
        if (!tf || clams_annotation_set_json_new(tf, "start", time_of(v, o, start)) != 0 ||
            clams_annotation_set_json_new(tf, "end", time_of(v, o, end)) != 0 ||
            clams_annotation_set_str(tf, "label", "shot") != 0 ||
            clams_annotation_set_json_new(tf, "representatives",
                                          json_pack("[s]", clams_annotation_id(tp))) != 0)
            return clams_annotate_fail(ctx, "out of memory adding annotations");
    }
    return 0;
}

static int detect_document(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const char *id,
                           json_t *doc, const run_opts_t *o)
{
    if (!id)
        return clams_annotate_fail(ctx, "a VideoDocument without an id");
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open(doc, NULL, &err);
    if (!v)
        return clams_annotate_fail(ctx, "%s", err.text);
    shot_result_t res = {0};
    char why[600] = "";
    int rc;
    if (shot_scan(v, &o->scan, &res, NULL, why, sizeof why) != 0)
        rc = clams_annotate_fail(ctx, "document %s: %s", id, why);
    else if (shot_find_cuts(&res, o->scan.threshold, o->min_len) != 0)
        rc = clams_annotate_fail(ctx, "document %s: out of memory", id);
    else
        rc = add_view(ctx, mmif, id, v, &res, o);
    shot_result_free(&res);
    clams_video_close(v);
    return rc;
}

/* What the document walk carries from one document to the next. */
typedef struct {
    clams_annotate_ctx_t *ctx;
    clams_mmif_t *mmif;
    const run_opts_t *o;
    size_t found;
} walk_t;

/* Each document in mmif-python's order: videos are detected, images and
 * audio skipped with a warning, the rest ignored. Non-zero stops the walk. */
static int on_document(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    walk_t *w = data;
    const char *type = json_string_value(json_object_get(doc, "@type"));
    if (type && clams_type_matches(type, "VideoDocument", 0)) {
        w->found++;
        return detect_document(w->ctx, w->mmif, id, doc, w->o);
    }
    if (type && (clams_type_matches(type, "ImageDocument", 0) ||
                 clams_type_matches(type, "AudioDocument", 0))) {
        char name[64];
        clams_type_short_name(type, name, sizeof name);
        return clams_annotate_warn(w->ctx,
                                   "document %s is an %s; shots are found in "
                                   "VideoDocuments only, so it was skipped",
                                   id ? id : "(no id)", name);
    }
    return 0;
}

static int shot_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif,
                         const clams_params_t *params)
{
    run_opts_t o = {
        .scan = {.threshold = clams_param_number(params, "threshold", SHOT_DEFAULT_THRESHOLD),
                 .every_frame = clams_param_bool(params, "everyFrame", false),
                 .gpu_batch = GPU_BATCH},
        .min_len = clams_param_int(params, "minShotLength", SHOT_DEFAULT_MIN_LEN),
        .frames_unit =
            strcmp(clams_param_string(params, "timeUnit", "milliseconds"), "frames") == 0,
    };
    const char *device = clams_param_string(params, "device", "auto");
    if (clams_device_choose(ctx, &gpu, device, &o.scan.use_gpu) != 0)
        return CLAMS_EAPP;
    walk_t w = {.ctx = ctx, .mmif = mmif, .o = &o};
    int rc = clams_mmif_foreach_document(mmif, NULL, 0, on_document, &w);
#ifdef SHOT_HAVE_CUDA
    if (o.scan.use_gpu)
        clams_annotate_report_gpu_peak(ctx, NULL, shot_cuda_buffer_peak());
#endif
    if (rc == 0 && w.found == 0)
        rc = clams_annotate_warn(ctx, "no VideoDocument in the input; nothing to do");
    return rc;
}

static const char *const unit_choices[] = {"milliseconds", "frames", NULL};

static const clams_param_spec_t shot_params[] = {
    {.name = "threshold",
     .description = "Score (mean absolute HSV difference between consecutive downscaled "
                    "frames, 0-255) from which a frame starts a new shot.",
     .type = CLAMS_PARAM_NUMBER,
     .default_value = "27",
     .range = CLAMS_RANGE_MIN_EXCLUSIVE | CLAMS_RANGE_MAX,
     .minimum = 0,
     .maximum = 255},
    {.name = "minShotLength",
     .description = "Shortest shot, in frames: cuts closer together are merged.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "15",
     .range = CLAMS_RANGE_MIN,
     .minimum = 0},
    {.name = "everyFrame",
     .description = "Compare every pair of consecutive frames. By default the reference frames "
                    "(those the codec predicts the others from) are compared first, and every "
                    "frame only where two of them differ by half the threshold or more: the "
                    "same cuts at a fraction of the decoding, except single-frame flashes.",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = "timeUnit",
     .description = "Unit of start, end and timePoint in the output.",
     .type = CLAMS_PARAM_STRING,
     .default_value = "milliseconds",
     .choices = unit_choices},
    CLAMS_DEVICE_PARAM("Where the frame differences are computed"),
    {0},
};

static const clams_kv_t tf_props[] = {{"label", "shot"}, {0}};
static const clams_io_spec_t shot_input[] = {
    {.type = CLAMS_MMIF11_VIDEODOCUMENT, .description = "Any video FFmpeg decodes."},
    {0},
};
static const clams_io_spec_t shot_output[] = {
    {.type = CLAMS_MMIF11_TIMEFRAME,
     .description = "One per shot: start, end (exclusive) and "
                    "representatives (the TimePoint of its middle frame).",
     .properties = tf_props},
    {.type = CLAMS_MMIF11_TIMEPOINT, .description = "The middle frame of each shot."},
    {.type = CLAMS_MMIF11_ANNOTATION, .description = "The video's fps, frameCount and duration."},
    {0},
};

static const clams_app_t shot_app = {
    .name = "Shot Detector",
    .description = "Splits videos into shots with a content detector in the manner of "
                   "PySceneDetect (HSV differences of consecutive downscaled frames, a "
                   "threshold and a minimum shot length) and marks each shot as a TimeFrame "
                   "with a representative middle frame. Runs in CUDA when a GPU is usable.",
    .app_version = "0.1.0",
    .app_license = "Apache-2.0",
    .identifier = "shot-detector",
    .url = "https://github.com/clamsproject/clams-c/tree/main/examples/shot-detector",
    .input = shot_input,
    .output = shot_output,
    .parameters = shot_params,
    /* MB, CUDA context included. NOT measured on a GPU: no GPU was available
     * when this app was written. Estimate: the CUDA context measured for the
     * tone detector on an H200 (526 MiB, its hwFetch peak in docs/gpu-check.md)
     * plus this app's buffers, computed: for 256x144 analysis frames
     * and batches of 64, 7 MB of RGB on the device, 7 MB of HSV, two pinned
     * host batches of 7 MB (host memory) and 3 KB of sums, so about 15 MB on
     * the device. typ keeps ~100 MiB of headroom. scripts/gpu-check.sh should
     * replace these figures with measured ones on the first GPU run. */
    .est_gpu_mem_min = 550,
    .est_gpu_mem_typ = 640,
    .annotate = shot_annotate,
    .user = &gpu,
    .worker_init = clams_device_worker_init,
    .worker_fini = clams_device_worker_fini,
};

int main(int argc, char **argv)
{
    return clams_main(&shot_app, argc, argv);
}
