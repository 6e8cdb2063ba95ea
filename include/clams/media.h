/* clams/media.h: reading the media a MMIF document points at (libclams-media).
 *
 * An optional part of the SDK, built on FFmpeg (libavformat, libavcodec,
 * libswscale, libswresample): link clams::media (CMake package clams-media)
 * or `pkg-config clams-media`. Apps that do not read media do not link it.
 *
 *  - Video: open a VideoDocument, read its exact frame rate, frame count,
 *    size and codec, and extract frames by number (or time) as RGB24 or GRAY8
 *    images, one at a time, so memory does not grow with the video.
 *  - TimeFrame sampling: the frames an app should look at for each TimeFrame,
 *    by the rules of the universal tfSamplingMode parameter.
 *  - Audio: decode an AudioDocument (or a video's audio track) to float32 or
 *    int16 at a chosen rate and channel count, in chunks.
 *  - Images: decode an ImageDocument.
 *
 * Frame numbers: frame N is the Nth frame (from 0) that decoding the video
 * from its start yields, in presentation order, which is what
 * `ffmpeg -vf select=eq(n\,N)` picks. Time 0 is the first frame's timestamp
 * (a container start time or a first PTS above 0 is subtracted), so frame N
 * is at N / fps for a constant frame rate, as MMIF's frame arithmetic assumes.
 *
 * Errors follow docs/api-conventions.md; every message names the document, the
 * file and what failed ("document v1 (/data/a.mp4): cannot decode frame 120:
 * Invalid data found when processing input"). Nothing here prints; FFmpeg's
 * own log is silenced to errors-only the first time a handle is opened
 * (av_log_set_level, process-wide) unless CLAMS_MEDIA_FFMPEG_LOG is set.
 *
 * Threads: a handle is used by one thread at a time; handles are independent.
 */
#ifndef CLAMS_MEDIA_H
#define CLAMS_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "clams/app.h"
#include "clams/error.h"
#include "clams/export.h"
#include "clams/limits.h"
#include "clams/mmif.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Images ---------------------------------------------------------------------- */

typedef enum {
    CLAMS_PIX_RGB24 = 0, /* 3 bytes a pixel, R G B */
    CLAMS_PIX_GRAY8 = 1  /* 1 byte a pixel (luma) */
} clams_pixfmt_t;

/* A decoded picture: rows of `stride` bytes (stride == width * bytes a pixel,
 * no padding), top row first. */
typedef struct clams_image_s {
    int width;
    int height;
    int stride;
    clams_pixfmt_t format;
    uint8_t *data;
    size_t size; /* stride * height */
    /* Room to grow: an app allocates this struct, so its size is ABI. A
     * member added later takes a reserved slot (zero until a library that
     * knows it fills it). Apps never write these. */
    void *reserved[4];
} clams_image_t;

/* The option structs below can grow: each starts with struct_size, set by
 * its CLAMS_..._OPTS_INIT macro (or to sizeof the struct), and members added
 * later go at the end. The library reads only the first struct_size bytes,
 * so an app built against an older header gets the defaults for the rest;
 * struct_size 0 (a zeroed struct) reads as this version's size. Zeroed and
 * INIT mean the same defaults. */

/* How a frame is scaled and converted (clams_frame_opts_t.scale). */
typedef enum {
    /* libswscale, bicubic, with the frame's colour matrix and range: the
     * pixels `ffmpeg -vf scale=W:H -pix_fmt rgb24` (or gray) gives, byte
     * for byte. */
    CLAMS_SCALE_EXACT = 0,
    /* Analysis frames, cheap: made on the decoder's own planes (8-bit
     * YCbCr) and converted to RGB or gray only after the reduction, in
     * integer arithmetic (the same bytes on every machine). When reducing,
     * each output pixel's luma is the mean of the source over a box two
     * output pitches wide centred on it (a box whose response has its first
     * zero at the output's Nyquist frequency: detail finer than the output,
     * such as encoding noise, is averaged away instead of aliasing into
     * it), and its chroma the mean over a box as much wider as the source's
     * chroma is subsampled (4 pitches for 4:2:0), which keeps the source's
     * colour bandwidth relative to luma; at or above the native size, the
     * pixel itself. Reducing 640x360 to 256x144 costs a few multiply-adds a
     * source sample, most of them eight to an SSE2 register: frames arrive
     * at close to the decoder's rate (docs/benchmarks.md). Accuracy, tested
     * by media_analysis (tests/media) against references reduced from the
     * full-size EXACT frames of H.264, MPEG-4 and VP9 test videos: mean
     * absolute difference at most 2.8 levels of 255 per RGB channel (1.2 to
     * 1.7 on average; bound 4) and single pixels within 40 (bound 56, at
     * sharp colour edges); in gray, 0.2. Other pixel formats (RGB, paletted,
     * more than 8 bits) and reductions beyond about 7.5x in height (more
     * than 1080 lines to 144) go through libswscale's area scaler. */
    CLAMS_SCALE_ANALYSIS = 1
} clams_scale_t;

/* How frames and images are delivered. Zeroed = RGB24 at the native size.
 * width/height: scale to this size; one of them 0 keeps the aspect ratio
 * (the other is the nearest even number, halves rounded up); both 0: native.
 * A picture (decoded or scaled) over CLAMS_LIMIT_PIXELS is CLAMS_ETOOBIG.
 * scale: how (clams_scale_t); 0 = CLAMS_SCALE_EXACT. Images
 * (clams_image_decode) are always EXACT. */
typedef struct clams_frame_opts_s {
    unsigned struct_size;
    clams_pixfmt_t format;
    int width;
    int height;
    clams_scale_t scale; /* added later: an older app's struct_size leaves it EXACT */
} clams_frame_opts_t;
#define CLAMS_FRAME_OPTS_INIT                     \
    {                                             \
        .struct_size = sizeof(clams_frame_opts_t) \
    }

/* Decodes an ImageDocument (PNG, JPEG, anything FFmpeg reads as one picture)
 * into img (its data is new). A document of another type is CLAMS_EINVAL.
 * Returns 0 or a negative code. Ownership: img->data new (clams_image_release). */
CLAMS_API CLAMS_MUST_CHECK int clams_image_decode(const json_t *doc, const clams_frame_opts_t *opts,
                                                  clams_image_t *img, clams_error_t *err);
/* Frees img->data and zeroes img. NULL is ignored. */
CLAMS_API void clams_image_release(clams_image_t *img);

/* ---- Video ---------------------------------------------------------------------- */

typedef struct clams_video_s clams_video_t;

typedef struct clams_video_info_s {
    int fps_num;           /* exact frame rate fps_num / fps_den (the stream's */
    int fps_den;           /*   average rate, e.g. 30000/1001) */
    double fps;            /* fps_num / fps_den */
    long long frame_count; /* frames decoding yields (counted, not the header's) */
    double duration_ms;    /* frame_count / fps * 1000 */
    double start_time_ms;  /* the first frame's timestamp in the container */
    int width;
    int height;
    char codec[32];     /* FFmpeg's decoder name: "h264", "mpeg4", "vp9" */
    char path[4096];    /* the file opened */
    char document[256]; /* the document id ("-" for clams_video_open_file) */
} clams_video_info_t;

typedef struct clams_video_opts_s {
    unsigned struct_size;
    /* Decoder threads: 0 = FFmpeg's automatic choice (one per CPU, as the
     * ffmpeg tool), 1 = single-threaded. Production workers times threads
     * should not exceed the CPUs. */
    int threads;
} clams_video_opts_t;
#define CLAMS_VIDEO_OPTS_INIT                     \
    {                                             \
        .struct_size = sizeof(clams_video_opts_t) \
    }

/* Opens a VideoDocument's file (see clams_document_path for locations) and
 * reads its packet timestamps once (no decoding) to count and place frames:
 * the index costs 16 bytes a frame. opts may be NULL. A document of another
 * type, a missing, empty, unreadable or non-video file, and a file that holds
 * fewer frames than its header declares (truncated) are errors.
 * Ownership: new (clams_video_close). */
CLAMS_API CLAMS_MUST_CHECK clams_video_t *clams_video_open(const json_t *doc,
                                                           const clams_video_opts_t *opts,
                                                           clams_error_t *err);
/* As clams_video_open for a path (tools, benchmarks). Ownership: new. */
CLAMS_API CLAMS_MUST_CHECK clams_video_t *clams_video_open_file(const char *path,
                                                                const clams_video_opts_t *opts,
                                                                clams_error_t *err);
/* Closes the video. NULL is ignored. */
CLAMS_API void clams_video_close(clams_video_t *video);

/* The video's properties. Ownership: borrowed (valid until close). */
CLAMS_API const clams_video_info_t *clams_video_info(const clams_video_t *video);

/* The time of frame `frame` in milliseconds from the first frame (its
 * timestamp minus the first one's), or a negative value when out of range. */
CLAMS_API double clams_video_frame_time_ms(const clams_video_t *video, long long frame);

/* The frame number for a time value in `unit` (any MMIF time unit), with the
 * video's exact frame rate and mmif-python's rounding (clams_time_convert).
 * Returns 0 or CLAMS_EINVAL (bad unit); the number may be out of range. */
CLAMS_API CLAMS_MUST_CHECK int clams_video_frame_at(const clams_video_t *video, double t,
                                                    const char *unit, long long *frame,
                                                    clams_error_t *err);

/* Called once per requested frame, in request order. `img` (and its data) is
 * valid only during the call. Return 0 to go on, non-zero to stop (that value
 * is then returned by clams_video_frames). */
typedef int (*clams_frame_fn)(long long frame, const clams_image_t *img, void *data);

/* Delivers the frames in `frames` (n of them, ascending; repeats are delivered
 * again) to fn. Dense runs are decoded straight through; for a frame behind a
 * keyframe that lies after the current position, the reader seeks to the
 * keyframe before it instead of decoding everything in between. A number below
 * 0 or from frame_count on is CLAMS_ENOTFOUND before anything is decoded; a
 * list out of order is CLAMS_EINVAL; a frame that cannot be decoded is
 * CLAMS_EIO naming it. Returns 0, fn's non-zero value, or a negative code.
 * Ownership: frames borrowed. */
CLAMS_API CLAMS_MUST_CHECK int clams_video_frames(clams_video_t *video, const long long *frames,
                                                  size_t n, const clams_frame_opts_t *opts,
                                                  clams_frame_fn fn, void *data,
                                                  clams_error_t *err);

/* One frame into a caller's buffer of `size` bytes (at least
 * clams_video_frame_size), described by *img (img->data = buf).
 * Returns 0 or a negative code (CLAMS_ETOOBIG when buf is too small). */
CLAMS_API CLAMS_MUST_CHECK int clams_video_frame(clams_video_t *video, long long frame,
                                                 const clams_frame_opts_t *opts, uint8_t *buf,
                                                 size_t size, clams_image_t *img,
                                                 clams_error_t *err);

/* What the reader did so far: frames the decoder produced and seeks made
 * (a reopening of the file counts as one), for diagnostics and tests. */
typedef struct clams_video_stats_s {
    long long decoded;
    long long seeks;
    long long reserved[4]; /* room to grow, as in clams_image_t */
} clams_video_stats_t;
CLAMS_API void clams_video_stats(const clams_video_t *video, clams_video_stats_t *stats);

/* Bytes one frame takes with these options (0 on bad options). */
CLAMS_API size_t clams_video_frame_size(const clams_video_t *video, const clams_frame_opts_t *opts);

/* Records the video's properties the way mmif-python does for the next apps
 * (its open_container/capture): one Annotation
 * (http://mmif.clams.ai/vocabulary/Annotation/v6) in `view` (a view created
 * in this request) with document = the video's id, fps = the frame rate
 * rounded to 2 decimals, frameCount and duration (whole milliseconds). Python
 * apps read fps from it (vd.get_property("fps")). Adds the Annotation type to
 * the view's contains when it is not there. Returns 0 or a negative code. */
CLAMS_API CLAMS_MUST_CHECK int clams_video_add_properties(clams_view_t *view,
                                                          const clams_video_t *video);

/* ---- Sweeps: a whole video, in parallel segments -------------------------------------- */

/* Which frames a sweep delivers (clams_sweep_opts_t.which). */
typedef enum {
    /* Every frame, as clams_video_frames over 0 .. frame_count - 1 gives it. */
    CLAMS_SWEEP_ALL = 0,
    /* Only the reference frames: those the codec predicts other frames from
     * (keyframes, P-frames, reference B-frames; every frame of an intra-only
     * codec, or of a decoder that cannot skip). The others are never
     * decoded, which is where the time goes: x264's default encodes leave
     * about half the frames as references, and decoding them costs about
     * two thirds of decoding all (docs/benchmarks.md). What is delivered is
     * byte-identical to the same frames of a full decode (tests/media
     * media_sweep checks it), since no reference frame depends on a skipped
     * one, and does not depend on the segments or threads (each segment
     * decodes them on one thread: with frame threads, which frames FFmpeg
     * skips near the start of some files depends on the thread count). A
     * reference frame that fails to decode is CLAMS_EIO. Which frames are
     * references is the encoder's choice (the first frame of each segment is
     * one: segments start at keyframes): an app must cope with gaps, such as
     * a tail of frames after the last reference, and can fetch what it
     * needs from a gap with CLAMS_SWEEP_LIST. */
    CLAMS_SWEEP_REFERENCE = 1,
    /* The frames in list[0 .. count - 1] (ascending, no repeats), decoded as
     * clams_video_frames decodes them (forward while cheap, else from the
     * keyframe before each), the segments splitting the list. */
    CLAMS_SWEEP_LIST = 2
} clams_sweep_which_t;

/* Zeroed (or NULL) = every frame, segments chosen automatically.
 * segments: how many parts the video is split into, each decoded by its own
 * thread, demuxer and decoder (a part starts at a keyframe, so the parts
 * decode independently; this uses every core on videos whose decoder
 * threads do not, at no cost in exactness). 0 = automatic: the video's
 * decoder threads (clams_video_opts_t.threads; 0 = one per CPU), at most one
 * per 64 frames of the video (of the list, for CLAMS_SWEEP_LIST). Above 0:
 * that many, at most 4 per CPU and one per frame to deliver. Either way at
 * most one per keyframe. Decoder threads: one part uses the video's, except
 * for CLAMS_SWEEP_REFERENCE, which decodes on one thread a part (see
 * there); several parts share them. */
typedef struct clams_sweep_opts_s {
    unsigned struct_size;
    clams_sweep_which_t which;
    int segments;
    const long long *list; /* CLAMS_SWEEP_LIST's frames (borrowed) */
    size_t count;
} clams_sweep_opts_t;
#define CLAMS_SWEEP_OPTS_INIT                     \
    {                                             \
        .struct_size = sizeof(clams_sweep_opts_t) \
    }

/* Called for each delivered frame. Calls for one segment come from one
 * thread, in ascending frame order; calls for different segments come from
 * different threads at the same time (the function must be safe for that;
 * per-segment state indexed by `segment` needs no lock). `img` is valid only
 * during the call. Non-zero stops the sweep. */
typedef int (*clams_sweep_fn)(int segment, long long frame, const clams_image_t *img, void *data);

/* The segments a sweep with these options uses: the count, with the first
 * frame of each (ascending, starts[0] = 0; segment i ends where i + 1
 * starts, the last at frame_count) in starts[0 .. max - 1] (starts may be
 * NULL); 0 when out of memory. Call it first to size per-segment state:
 * clams_video_sweep splits the same way. */
CLAMS_API int clams_video_sweep_segments(const clams_video_t *video, const clams_sweep_opts_t *opts,
                                         long long *starts, int max);

/* Decodes the video, split as clams_video_sweep_segments says, and
 * delivers the frames (sopts->which) converted as fopts says (as
 * clams_video_frames: format, size, scale) to fn. The video handle's own
 * position is untouched; each segment opens the file again. A frame that
 * cannot be decoded, or that the decoder flags as damaged, is CLAMS_EIO
 * naming it (every segment then stops); with several failures, the one of
 * the earliest segment is returned. A list out of order or out of range is
 * CLAMS_EINVAL or CLAMS_ENOTFOUND before anything is decoded. Returns 0, fn's non-zero value (the
 * earliest segment's, when several stop) or a negative code. Statistics
 * (clams_video_stats) add up every segment's decoding. */
CLAMS_API CLAMS_MUST_CHECK int clams_video_sweep(clams_video_t *video,
                                                 const clams_frame_opts_t *fopts,
                                                 const clams_sweep_opts_t *sopts, clams_sweep_fn fn,
                                                 void *data, clams_error_t *err);

/* ---- TimeFrame sampling (tfSamplingMode) --------------------------------------------- */

/* The mode (clams_tf_mode_t) is declared in clams/app.h, with
 * clams_param_tf_mode, which reads it from a request's parameters. */

/* One TimeFrame and the frames its rules give. */
typedef struct clams_tf_sample_s {
    const clams_view_t *view; /* the TimeFrame's view */
    const char *id;           /* its long id ("v_1:tf_3") */
    json_t *timeframe;        /* its JSON */
    const char *label;        /* its label (or frameType), NULL when none */
    const long long *frames;  /* ascending frame numbers; NULL when count is 0 */
    size_t count;
    /* For frames taken from TimePoints (representatives, targets): the long
     * id of the TimePoint for each frame, else NULL. */
    const char *const *timepoints;
    const char *skipped; /* why count is 0 ("no representatives"), else NULL */
} clams_tf_sample_t;

typedef int (*clams_tf_fn)(const clams_tf_sample_t *sample, void *data);

/* What clams_tf_sample samples. Declare it with CLAMS_TF_SAMPLE_OPTS_INIT
 * (or set struct_size to sizeof(clams_tf_sample_opts_t)) and name the
 * members you set: members added in later versions go at the end, and the
 * library reads only the struct_size bytes an app built against an older
 * header passed (0 reads as this version's size).
 *  mode:       tfSamplingMode (clams_param_tf_mode(params)).
 *  fps:        the video's frame rate, for frame-unit conversions.
 *  document:   only TimeFrames on this document (their own or their view's
 *              contains `document`); NULL = all.
 *  labels:     NULL-terminated; only TimeFrames whose label (or frameType)
 *              is one of them; NULL or empty = all.
 *  max_frames: frames this call may give (repeats counted); 0 or above
 *              the limit = CLAMS_LIMIT_FRAMES (clams/limits.h). */
typedef struct clams_tf_sample_opts_s {
    unsigned struct_size;
    clams_tf_mode_t mode;
    double fps;
    const char *document;
    const char *const *labels;
    long long max_frames;
} clams_tf_sample_opts_t;
#define CLAMS_TF_SAMPLE_OPTS_INIT                     \
    {                                                 \
        .struct_size = sizeof(clams_tf_sample_opts_t) \
    }

/* Walks every TimeFrame of every view (in order) and gives fn the frames to
 * process by opts->mode:
 *  - representatives: each representative TimePoint; no representatives ->
 *    skipped (count 0, `skipped` says why);
 *  - single: the middle representative reps[n / 2] when there are any, else
 *    (start_frame + end_frame) / 2 (floor division);
 *  - all: each target TimePoint when `targets` is present, else every frame
 *    of [start_frame, end_frame).
 * TimePoint ids are resolved short (in the TimeFrame's view) or long, each
 * read in its own unit, converted to frames with mmif-python's rounding and
 * truncated to an integer (as mmif-python's int()); start/end are read in the
 * TimeFrame's unit. Frames are sorted and repeats removed; each keeps the
 * TimePoint it came from (the first listed, for two on one frame).
 * Bounded: frames beyond opts->max_frames or the request's CLAMS_LIMIT_FRAMES,
 * and target resolution beyond CLAMS_LIMIT_TIME_WORK, are CLAMS_ETOOBIG naming
 * the limit (the request is answered 400); a time beyond +-4e18 frames is
 * CLAMS_EINVAL. An unresolvable TimePoint or a TimeFrame without a usable
 * time is an error naming it (CLAMS_ENOTFOUND, CLAMS_EINVAL). Returns 0, fn's
 * non-zero value or a negative code. Ownership: opts borrowed; the sample and
 * everything in it is borrowed for the duration of the call. */
CLAMS_API CLAMS_MUST_CHECK int clams_tf_sample(const clams_mmif_t *mmif,
                                               const clams_tf_sample_opts_t *opts, clams_tf_fn fn,
                                               void *data, clams_error_t *err);

/* ---- Audio ------------------------------------------------------------------------- */

typedef struct clams_audio_s clams_audio_t;

typedef enum {
    CLAMS_SAMPLE_FLOAT = 0, /* float32, full scale +-1.0 */
    CLAMS_SAMPLE_S16 = 1    /* int16 */
} clams_sample_fmt_t;

/* Zeroed (or NULL) = 16 kHz mono float32, the input speech engines expect.
 * A source or requested rate over CLAMS_LIMIT_SAMPLE_RATE, or channels over
 * CLAMS_LIMIT_CHANNELS, is CLAMS_ETOOBIG before anything is decoded. */
typedef struct clams_audio_opts_s {
    unsigned struct_size;
    int sample_rate; /* Hz; 0 = 16000; CLAMS_AUDIO_KEEP = the source's */
    int channels;    /* 0 = 1 (mono, FFmpeg's downmix); CLAMS_AUDIO_KEEP =
                                  the source's channels, interleaved */
    clams_sample_fmt_t format;
    size_t chunk_frames; /* samples per channel a chunk; 0 = 16384 */
} clams_audio_opts_t;
#define CLAMS_AUDIO_OPTS_INIT                     \
    {                                             \
        .struct_size = sizeof(clams_audio_opts_t) \
    }
#define CLAMS_AUDIO_KEEP (-1)

typedef struct clams_audio_info_s {
    int source_rate;
    int source_channels;
    char codec[32];
    double duration_ms; /* the container's, 0 when unknown */
    int rate;           /* what is delivered */
    int channels;
    clams_sample_fmt_t format;
    char path[4096];
    char document[256];
    void *reserved[4]; /* room to grow (apps may allocate it), as in clams_image_t */
} clams_audio_info_t;

/* Opens an AudioDocument's file, or the audio track of a VideoDocument's.
 * Resampling and downmixing are FFmpeg's (libswresample with its default
 * settings, as `ffmpeg -ar R -ac C` uses). Ownership: new (clams_audio_close). */
CLAMS_API CLAMS_MUST_CHECK clams_audio_t *clams_audio_open(const json_t *doc,
                                                           const clams_audio_opts_t *opts,
                                                           clams_error_t *err);
/* As clams_audio_open for a path. Ownership: new. */
CLAMS_API CLAMS_MUST_CHECK clams_audio_t *clams_audio_open_file(const char *path,
                                                                const clams_audio_opts_t *opts,
                                                                clams_error_t *err);
CLAMS_API void clams_audio_close(clams_audio_t *audio);
/* Ownership: borrowed (valid until close). */
CLAMS_API const clams_audio_info_t *clams_audio_info(const clams_audio_t *audio);

/* Called per chunk: `frames` samples per channel (interleaved, of the opened
 * format) starting at sample `start` (per channel, from the first decoded
 * sample). Valid only during the call; return non-zero to stop. */
typedef int (*clams_audio_fn)(const void *samples, size_t frames, long long start, void *data);

/* Decodes the whole stream, handing chunks of chunk_frames (the last may be
 * shorter) to fn. A decoding error or a stream that ends well before its
 * declared duration (truncated) is CLAMS_EIO naming the file. Returns 0, fn's
 * non-zero value or a negative code. */
CLAMS_API CLAMS_MUST_CHECK int clams_audio_read(clams_audio_t *audio, clams_audio_fn fn, void *data,
                                                clams_error_t *err);

/* Convenience for short inputs: the whole decoded signal in one new buffer
 * (*frames samples per channel; info filled when not NULL). max_frames > 0
 * refuses longer signals with CLAMS_ETOOBIG. Ownership: *samples new (free()). */
CLAMS_API CLAMS_MUST_CHECK int clams_audio_decode_all(const json_t *doc,
                                                      const clams_audio_opts_t *opts,
                                                      size_t max_frames, void **samples,
                                                      size_t *frames, clams_audio_info_t *info,
                                                      clams_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
