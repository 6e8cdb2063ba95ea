/* tone-detector: a CLAMS app that finds steady tones (the 1 kHz reference
 * tone of bars-and-tone slates, test tones) in audio and marks each as a
 * TimeFrame. It reads AudioDocuments (WAV, FLAC, MP3, AAC, Opus: whatever
 * FFmpeg decodes) and the audio track of VideoDocuments through
 * libclams-media, at the file's own rate. The per-frame spectra run in CUDA
 * when the app was built with nvcc and a GPU is usable, on the CPU otherwise,
 * with identical results. Written against the public clams-c API only. */
#include <clams/clams.h>
#include <clams/media.h>

#include <stdio.h>
#include <stdlib.h>

#include "detect.h"
#ifdef TONE_HAVE_CUDA
#include "tone_gpu.h"
#endif

#define CHUNK_FRAMES 256 /* frames per spectrum batch: bounds host and GPU memory */

/* Per-process CUDA state: libclams starts it in each worker (worker_init,
 * after fork) or at the first request, and picks the path per request. A
 * failed start leaves the CPU path. */
#ifdef TONE_HAVE_CUDA
static clams_device_t gpu = CLAMS_DEVICE_INIT(tone_cuda_init, tone_cuda_release);
#else
static clams_device_t gpu = CLAMS_DEVICE_INIT(NULL, NULL);
#endif

typedef struct {
    bool use_gpu;
    double tolerance;
    long long min_duration;
} run_opts_t;

static int spectra(const run_opts_t *o, const tone_plan_t *plan, const double *x, size_t nframes,
                   double *power, char *why, size_t ws)
{
#ifdef TONE_HAVE_CUDA
    if (o->use_gpu)
        return tone_cuda_spectrum(plan, x, nframes, power, why, ws);
#endif
    tone_spectrum_cpu(plan, x, nframes, power);
    return 0;
}

/* The detector's state while the audio streams through it. */
typedef struct {
    const run_opts_t *o;
    tone_plan_t *plan;
    tone_tracker_t *tracker;
    unsigned channels;
    double *x;     /* CHUNK_FRAMES frames of mono samples, 16-bit full scale */
    double *power; /* their spectra */
    char *why;
    size_t ws;
} stream_t;

/* One chunk of interleaved float samples (CHUNK_FRAMES * frame_len sample
 * frames, the last chunk shorter): mixed to mono as (sum of channels) /
 * channels at 16-bit scale, which for 16-bit PCM is exactly the integer
 * samples; a last partial frame is dropped. */
static int on_chunk(const void *samples, size_t frames, long long start, void *data)
{
    stream_t *s = data;
    const float *in = samples;
    size_t n = s->plan->frame_len;
    size_t nframes = frames / n;
    for (size_t i = 0; i < nframes * n; i++) {
        double sum = 0.0;
        for (unsigned c = 0; c < s->channels; c++)
            sum += (double)in[i * s->channels + c] * 32768.0;
        s->x[i] = sum / (double)s->channels;
    }
    if (nframes == 0)
        return 0;
    if (spectra(s->o, s->plan, s->x, nframes, s->power, s->why, s->ws) != 0)
        return -1;
    for (size_t f = 0; f < nframes; f++) {
        tone_frame_t fr;
        tone_decide(s->plan, s->x + f * n, s->power + f * s->plan->nbins, &fr);
        if (tone_tracker_push(s->tracker, &fr) != 0) {
            snprintf(s->why, s->ws, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int add_view(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const char *doc_id,
                    const tone_tracker_t *tr)
{
    clams_view_t *view = clams_annotate_add_view(ctx, mmif);
    if (!view)
        return clams_annotate_fail(ctx, "out of memory creating a view");
    json_t *props = json_pack("{s:s, s:s}", "document", doc_id, "timeUnit", "millisecond");
    if (clams_view_add_contains_new(view, CLAMS_MMIF11_TIMEFRAME, props) != 0)
        return clams_annotate_fail(ctx, "out of memory filling the view");
    for (size_t i = 0; i < tr->count; i++) {
        const tone_segment_t *s = &tr->segments[i];
        clams_annotation_t *a = clams_view_add_annotation(view, CLAMS_MMIF11_TIMEFRAME);
        /* One decimal is well inside the detector's accuracy and keeps the
         * output stable across builds. */
        double hz = (double)(long long)(s->freq * 10.0 + 0.5) / 10.0;
        if (!a || clams_annotation_set_int(a, "start", s->start_ms) != 0 ||
            clams_annotation_set_int(a, "end", s->end_ms) != 0 ||
            clams_annotation_set_str(a, "label", "tone") != 0 ||
            clams_annotation_set_real(a, "frequency", hz) != 0 ||
            clams_annotation_set_str(a, "document", doc_id) != 0)
            return clams_annotate_fail(ctx, "out of memory adding annotations");
    }
    return 0;
}

static int detect_document(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const char *id,
                           json_t *doc, const run_opts_t *o)
{
    if (!id)
        return clams_annotate_fail(ctx, "a document without an id");
    clams_error_t err = {0};
    /* The file's own rate and channels; the frame length depends on the rate. */
    clams_audio_opts_t ao = {.sample_rate = CLAMS_AUDIO_KEEP,
                             .channels = CLAMS_AUDIO_KEEP,
                             .format = CLAMS_SAMPLE_FLOAT};
    clams_audio_t *probe = clams_audio_open(doc, &ao, &err);
    if (!probe)
        return clams_annotate_fail(ctx, "%s", err.text);
    const clams_audio_info_t *info = clams_audio_info(probe);
    unsigned rate = (unsigned)info->rate, channels = (unsigned)info->channels;
    tone_plan_t plan;
    if (tone_plan_init(&plan, rate) != 0) {
        clams_audio_close(probe);
        return clams_annotate_fail(ctx, "%s: cannot analyse audio at %u Hz", id, rate);
    }
    clams_audio_close(probe);
    ao.chunk_frames = (size_t)CHUNK_FRAMES * plan.frame_len;
    clams_audio_t *audio = clams_audio_open(doc, &ao, &err);
    if (!audio) {
        tone_plan_free(&plan);
        return clams_annotate_fail(ctx, "%s", err.text);
    }
    tone_tracker_t tracker;
    tone_tracker_init(&tracker, &plan, o->tolerance, o->min_duration);
    char why[512] = "";
    stream_t st = {.o = o,
                   .plan = &plan,
                   .tracker = &tracker,
                   .channels = channels,
                   .x = malloc(ao.chunk_frames * sizeof(double)),
                   .power = malloc(CHUNK_FRAMES * (size_t)plan.nbins * sizeof(double)),
                   .why = why,
                   .ws = sizeof why};
    int rc;
    if (!st.x || !st.power)
        rc = clams_annotate_fail(ctx, "%s: out of memory", id);
    else if ((rc = clams_audio_read(audio, on_chunk, &st, &err)) != 0)
        rc = clams_annotate_fail(ctx, "%s", why[0] ? why : err.text);
    else if (tone_tracker_finish(&tracker) != 0)
        rc = clams_annotate_fail(ctx, "%s: out of memory", id);
    else
        rc = add_view(ctx, mmif, id, &tracker);
    free(st.x);
    free(st.power);
    clams_audio_close(audio);
    tone_tracker_free(&tracker);
    tone_plan_free(&plan);
    return rc;
}

/* What the document walk carries from one document to the next. */
typedef struct {
    clams_annotate_ctx_t *ctx;
    clams_mmif_t *mmif;
    const run_opts_t *o;
    size_t found;
} walk_t;

/* Each document in mmif-python's order; audio and video are read, in the
 * order they come. Non-zero stops the walk. */
static int on_document(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    walk_t *w = data;
    const char *type = json_string_value(json_object_get(doc, "@type"));
    if (!type || (!clams_type_matches(type, "AudioDocument", 0) &&
                  !clams_type_matches(type, "VideoDocument", 0)))
        return 0;
    w->found++;
    return detect_document(w->ctx, w->mmif, id, doc, w->o);
}

static int tone_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif,
                         const clams_params_t *params)
{
    run_opts_t o = {
        .tolerance = clams_param_number(params, "tolerance", 20.0),
        .min_duration = clams_param_int(params, "minDuration", 2000),
    };
    const char *device = clams_param_string(params, "device", "auto");
    if (clams_device_choose(ctx, &gpu, device, &o.use_gpu) != 0)
        return CLAMS_EAPP;
    walk_t w = {.ctx = ctx, .mmif = mmif, .o = &o};
    int rc = clams_mmif_foreach_document(mmif, NULL, 0, on_document, &w);
#ifdef TONE_HAVE_CUDA
    if (o.use_gpu) {
        clams_annotate_report_gpu_peak(ctx, NULL, tone_cuda_buffer_peak());
        tone_cuda_release(); /* keep only the context between requests */
    }
#endif
    if (rc == 0 && w.found == 0)
        rc = clams_annotate_warn(ctx, "no AudioDocument or VideoDocument in the input; "
                                      "nothing to do");
    return rc;
}

static const clams_param_spec_t tone_params[] = {
    {.name = "minDuration",
     .description = "Shortest tone to report, in milliseconds.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "2000",
     .range = CLAMS_RANGE_MIN,
     .minimum = 0},
    {.name = "tolerance",
     .description = "Largest frequency drift (Hz) from a tone's running mean that still "
                    "counts as the same tone.",
     .type = CLAMS_PARAM_NUMBER,
     .default_value = "20",
     .range = CLAMS_RANGE_FINITE | CLAMS_RANGE_MIN,
     .minimum = 0},
    CLAMS_DEVICE_PARAM("Where the spectra are computed"),
    {0},
};

static const clams_kv_t tf_props[] = {{"timeUnit", "millisecond"}, {"label", "tone"}, {0}};
static const clams_io_spec_t tone_input_docs[] = {
    {.type = CLAMS_MMIF11_AUDIODOCUMENT, .description = "Audio in any format FFmpeg decodes."},
    {.type = CLAMS_MMIF11_VIDEODOCUMENT, .description = "Its audio track is read."},
    {0},
};
static const clams_io_spec_t tone_input[] = {
    {.one_of = tone_input_docs},
    {0},
};
static const clams_io_spec_t tone_output[] = {
    {.type = CLAMS_MMIF11_TIMEFRAME, .properties = tf_props},
    {0},
};

static const clams_app_t tone_app = {
    .name = "Tone Detector",
    .description = "Finds steady tones (e.g. the 1 kHz reference tone of bars-and-tone "
                   "slates) in audio (WAV, FLAC, MP3, AAC, Opus, or a video's audio "
                   "track) and marks each as a TimeFrame with its frequency. Spectra run in "
                   "CUDA when a GPU is usable.",
    .app_version = "0.1.0",
    .app_license = "Apache-2.0",
    .identifier = "tone-detector",
    .url = "https://github.com/clamsproject/clams-c/tree/main/examples/tone-detector",
    .input = tone_input,
    .output = tone_output,
    .parameters = tone_params,
    /* MB, CUDA context included. Measured with hwFetch on an H200 (driver
     * 580, CUDA 13 runtime): 526 MiB for a 48 kHz file, nearly all of it the
     * context; the buffers add at most ~25 MB (CHUNK_FRAMES frames of samples
     * and spectra in doubles, 192 kHz audio). typ leaves ~100 MiB of headroom,
     * since it is also the default soft budget a worker is recycled above. */
    .est_gpu_mem_min = 550,
    .est_gpu_mem_typ = 640,
    .annotate = tone_annotate,
    .user = &gpu,
    .worker_init = clams_device_worker_init,
    .worker_fini = clams_device_worker_fini,
};

int main(int argc, char **argv)
{
    return clams_main(&tone_app, argc, argv);
}
