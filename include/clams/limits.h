/* clams/limits.h: what a request may make the server read and do.
 *
 * A MMIF names its media by `location`, and the client chooses it; a
 * TimeFrame can ask for any number of frames. Two policies bound what one
 * request can cost, for every app, and are set by the operator (server flags
 * and environment variables, see docs/operators.md) or by the app before
 * clams_main:
 *
 *  - Media roots. Every location (after a resolver, if any) is resolved,
 *    `..` and symbolic links included, and must lie inside one of the roots
 *    (--media-root DIR, repeatable; CLAMS_MEDIA_ROOT, a ':'-separated list).
 *    /proc, /sys and /dev are refused with or without roots. A refusal says
 *    why without telling whether a file outside the roots exists, and the
 *    request is answered 403 (clams_document_path, clams_location_path and
 *    every reader built on them apply it).
 *  - Limits. Frames sampled and the work of resolving TimeFrame targets per
 *    request, pixels per decoded picture, audio sample rate and channels,
 *    and the size of a TextDocument file. Going over one is CLAMS_ETOOBIG
 *    with a message naming the flag that raises it, and the request is
 *    answered 400 even when the app reports it with clams_annotate_fail.
 *
 * State is process-wide (set it before serving, not from several threads).
 */
#ifndef CLAMS_LIMITS_H
#define CLAMS_LIMITS_H

#include "clams/export.h"

#include <stddef.h>

#include "clams/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Media roots ----------------------------------------------------------------- */

/* Adds a folder to the media roots: `dir` must exist and is kept resolved
 * (realpath). Returns 0, CLAMS_ENOTFOUND (no such folder), CLAMS_EINVAL (not
 * an absolute path to a folder) or CLAMS_ETOOBIG (more than 64 roots). */
CLAMS_API CLAMS_MUST_CHECK int clams_media_root_add(const char *dir, clams_error_t *err);
/* Adds each folder of a ':'-separated list (CLAMS_MEDIA_ROOT's form); empty
 * entries are skipped. Returns 0 or the first failure of clams_media_root_add. */
CLAMS_API CLAMS_MUST_CHECK int clams_media_root_add_list(const char *list, clams_error_t *err);
/* How many roots are set (0: any location outside /proc, /sys, /dev is read). */
CLAMS_API size_t clams_media_root_count(void);
/* The i-th root, resolved, or NULL. Ownership: borrowed (until cleared). */
CLAMS_API const char *clams_media_root_at(size_t i);
/* Removes every root. */
CLAMS_API void clams_media_roots_clear(void);

/* Applies the policy to an absolute path: on success *checked is a new copy
 * of the path to open (resolved when the file exists). Refused: CLAMS_EINVAL
 * (not absolute) or CLAMS_EACCESS with a message saying why; the current
 * request is then answered 403. Ownership: *checked new (free()). */
CLAMS_API CLAMS_MUST_CHECK int clams_location_check(const char *path, char **checked,
                                                    clams_error_t *err);

/* ---- Limits ---------------------------------------------------------------------- */

typedef enum {
    CLAMS_LIMIT_FRAMES = 0,   /* frames sampled per request (clams_tf_sample) */
    CLAMS_LIMIT_TIME_WORK,    /* annotations visited resolving times, per request */
    CLAMS_LIMIT_PIXELS,       /* width * height of a decoded picture */
    CLAMS_LIMIT_SAMPLE_RATE,  /* Hz, an audio stream's or a requested rate */
    CLAMS_LIMIT_CHANNELS,     /* audio channels */
    CLAMS_LIMIT_TEXT_BYTES,   /* bytes of a TextDocument's file */
    CLAMS_LIMIT_WORKER_MEMORY /* MiB of address space a production worker may
                                 map (RLIMIT_AS); 0 = no limit */
} clams_limit_t;
#define CLAMS_LIMIT_COUNT 7

/* The current value of a limit (its default until set). */
CLAMS_API long long clams_limit_get(clams_limit_t which);
/* Sets a limit (>= 1; CLAMS_LIMIT_WORKER_MEMORY also takes 0). Returns 0 or
 * CLAMS_EINVAL. */
CLAMS_API CLAMS_MUST_CHECK int clams_limit_set(clams_limit_t which, long long value);
/* The server flag that sets it ("--max-frames"), or NULL for an unknown
 * limit; the environment variable is the same name upper-cased, with
 * CLAMS_ before it and '_' for '-' (CLAMS_MAX_FRAMES). Ownership: static. */
CLAMS_API const char *clams_limit_flag(clams_limit_t which);

/* Refuses `asked` (what the input asks for, over the limit) with
 * CLAMS_ETOOBIG and a message "<what>: <asked> is over the limit of <limit>
 * (--flag)"; the current request is answered 400. Returns CLAMS_ETOOBIG. */
CLAMS_API CLAMS_MUST_CHECK int clams_limit_refuse(clams_limit_t which, const char *what,
                                                  long long asked, clams_error_t *err);
/* Counts `amount` against a per-request limit (frames, time work): 0 while
 * the request's total stays within it, else clams_limit_refuse. The totals
 * start at 0 with every request (and with the process, outside a server). */
CLAMS_API CLAMS_MUST_CHECK int clams_limit_charge(clams_limit_t which, long long amount,
                                                  const char *what, clams_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
