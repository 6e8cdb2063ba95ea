/* clams/mmif.h: the MMIF document model.
 *
 * A clams_mmif_t owns a whole MMIF document: its top-level metadata, its
 * documents and its views. Loaded content is kept as a jansson tree (json_t);
 * views created through this API keep their annotations in a compact store
 * that is written straight to the output when the document is dumped, so an
 * app can add hundreds of thousands of annotations cheaply.
 *
 * Ownership (see docs/api-conventions.md):
 *  - clams_mmif_t is the only owning handle. clams_view_t and clams_annotation_t
 *    are borrowed handles into it: valid until the document is freed, never
 *    freed by the caller.
 *  - "Ownership: borrowed" results must not be freed or decref'ed.
 *  - "Ownership: steals X" means the function takes over the caller's reference
 *    to X (a json_t) even when it fails.
 *  - "Ownership: new" results are freed by the caller with the named function.
 *
 * Threads and fork: a document may be used by one thread at a time. Nothing
 * here holds global state, so it is safe to use in a forked child.
 */
#ifndef CLAMS_MMIF_H
#define CLAMS_MMIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "clams/error.h"
#include "clams/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clams_mmif_s clams_mmif_t;
typedef struct clams_view_s clams_view_t;
typedef struct clams_annotation_s clams_annotation_t;

/* The MMIF spec version written into new documents ("1.1.0"). */
#define CLAMS_MMIF_SPEC_VERSION "1.1.0"

/* ---- Loading ---------------------------------------------------------------- */

/* Parses and validates a MMIF document.
 * A JSON syntax error fills err->line/column/position and says what was
 * expected (code CLAMS_ESYNTAX); a schema violation fills err->path (a JSON
 * pointer) and err->rule (code CLAMS_ESCHEMA). Duplicate object keys are a
 * syntax error. Returns NULL on error. Ownership: new (clams_mmif_free). */
CLAMS_API CLAMS_MUST_CHECK clams_mmif_t *clams_mmif_load(const char *buf, size_t len,
                                                         clams_error_t *err);
/* As clams_mmif_load, reading a file. Ownership: new. */
CLAMS_API CLAMS_MUST_CHECK clams_mmif_t *clams_mmif_load_file(const char *path, clams_error_t *err);
/* As clams_mmif_load, reading a file descriptor to its end (fd stays open).
 * Ownership: new. */
CLAMS_API CLAMS_MUST_CHECK clams_mmif_t *clams_mmif_load_fd(int fd, clams_error_t *err);
/* Wraps an already parsed JSON value after validating it.
 * Ownership: steals root (also on failure); result new. */
CLAMS_API CLAMS_MUST_CHECK clams_mmif_t *clams_mmif_from_json_new(json_t *root, clams_error_t *err);

/* Validates a JSON value against every rule of the MMIF 1.1.0 JSON schema
 * (draft-04). Returns 0 or CLAMS_ESCHEMA with err->path and err->rule set to
 * the first violation found. Ownership: borrowed (root is not modified). */
CLAMS_API CLAMS_MUST_CHECK int clams_mmif_validate_json(const json_t *root, clams_error_t *err);

/* Creates an empty document (no documents, no views) for the given spec
 * version (NULL = CLAMS_MMIF_SPEC_VERSION). Ownership: new. */
CLAMS_API CLAMS_MUST_CHECK clams_mmif_t *clams_mmif_new(const char *spec_version);

/* Frees the document and everything it owns. NULL is ignored. */
CLAMS_API void clams_mmif_free(clams_mmif_t *mmif);

/* ---- Reading ---------------------------------------------------------------- */

/* The top-level "metadata" object. Ownership: borrowed. */
CLAMS_API json_t *clams_mmif_metadata(const clams_mmif_t *mmif);

CLAMS_API size_t clams_mmif_document_count(const clams_mmif_t *mmif);
/* The i-th top-level document as JSON ({"@type":..., "properties":...}), or
 * NULL when out of range. Ownership: borrowed. */
CLAMS_API json_t *clams_mmif_document_at(const clams_mmif_t *mmif, size_t i);

CLAMS_API size_t clams_mmif_view_count(const clams_mmif_t *mmif);
/* Ownership: borrowed. NULL when out of range. */
CLAMS_API clams_view_t *clams_mmif_view_at(const clams_mmif_t *mmif, size_t i);
/* The view whose id is `id`, or NULL. Ownership: borrowed. */
CLAMS_API clams_view_t *clams_mmif_view_by_id(const clams_mmif_t *mmif, const char *id);

/* Looks up a document or annotation by id. Accepts a document id ("d1"), a
 * long annotation id ("v_1:tf_3") and, for documents kept inside views, the
 * same. Returns the JSON of that annotation, or NULL. For annotations created
 * through this API in this process, use clams_view_annotation_at instead.
 * Ownership: borrowed. */
CLAMS_API json_t *clams_mmif_lookup(const clams_mmif_t *mmif, const char *id);

/* Type matching flags. */
#define CLAMS_TYPE_MATCH_VERSION 0x1 /* versions must be equal too */

/* True when the annotation type `uri` is the type `query`. `query` may be a
 * short name ("TimeFrame"), or a URI in any known form:
 *   http://mmif.clams.ai/vocabulary/<T>/vN, http://clams.ai/vocabulary/type/<T>/vN
 *   and the legacy http://vocab.lappsgrid.org/<T>.
 * Short names are compared; versions only with CLAMS_TYPE_MATCH_VERSION (and
 * only when both sides carry one). */
CLAMS_API bool clams_type_matches(const char *uri, const char *query, int flags);

/* Writes the short name of a type URI ("TimeFrame") into buf (NUL-terminated,
 * truncated to size). Returns the length of the full name. */
CLAMS_API size_t clams_type_short_name(const char *uri, char *buf, size_t size);

/* Calls fn for each annotation (in every view, in order) whose @type matches
 * `type` (see clams_type_matches). Stops early when fn returns non-zero and
 * returns that value; returns 0 otherwise. Annotations created through this API
 * are visited too (as freshly built JSON, freed after the call).
 * Ownership: `annotation` is borrowed for the duration of the call. */
typedef int (*clams_annotation_fn)(const clams_view_t *view, json_t *annotation, void *data);
CLAMS_API int clams_mmif_foreach_annotation(const clams_mmif_t *mmif, const char *type, int flags,
                                            clams_annotation_fn fn, void *data);

/* ---- Views --------------------------------------------------------------------- */

/* The view's id ("v_3"). Ownership: borrowed (valid while the document is). */
CLAMS_API const char *clams_view_id(const clams_view_t *view);
/* The view's "metadata" object; mutable. Ownership: borrowed (valid while
 * the document is, or until clams_view_reorder_metadata replaces it). */
CLAMS_API json_t *clams_view_metadata(const clams_view_t *view);
/* Puts the keys of the view's metadata in the order of `order` (a
 * NULL-terminated list of keys; keys not in it follow in their own order).
 * All or nothing: it builds the reordered object and then replaces the old
 * one, so on CLAMS_ENOMEM the metadata is as it was. Returns 0, CLAMS_EINVAL
 * or CLAMS_ENOMEM. */
CLAMS_API CLAMS_MUST_CHECK int clams_view_reorder_metadata(clams_view_t *view,
                                                           const char *const *order);
/* Number of annotations (loaded or created). */
CLAMS_API size_t clams_view_annotation_count(const clams_view_t *view);
/* The i-th loaded annotation as JSON, or NULL for annotations created through
 * this API (use the clams_annotation_* getters for those).
 * Ownership: borrowed. */
CLAMS_API json_t *clams_view_annotation_json_at(const clams_view_t *view, size_t i);
/* True for views created through clams_mmif_add_view in this process. */
CLAMS_API bool clams_view_is_new(const clams_view_t *view);

/* Appends a new, empty view with the next free id "v_N" (N starts at the
 * number of views and grows until unused). Its metadata is {"contains":{}}.
 * Returns NULL on allocation failure. Ownership: borrowed. */
CLAMS_API CLAMS_MUST_CHECK clams_view_t *clams_mmif_add_view(clams_mmif_t *mmif);

/* Sets metadata.app. Returns 0 or a negative code. */
CLAMS_API CLAMS_MUST_CHECK int clams_view_set_app(clams_view_t *view, const char *app);
/* Adds or replaces metadata.contains[type_uri] with `props` (an object, or NULL
 * for {}). Ownership: steals props. */
CLAMS_API CLAMS_MUST_CHECK int clams_view_add_contains_new(clams_view_t *view, const char *type_uri,
                                                           json_t *props);
/* Turns the view into an error view: removes contains, annotations and
 * warnings; sets metadata.error = {message, stackTrace (when not NULL)}. */
CLAMS_API CLAMS_MUST_CHECK int clams_view_set_error(clams_view_t *view, const char *message,
                                                    const char *stack_trace);
/* Appends a string to metadata.warnings (creating it, removing contains). */
CLAMS_API CLAMS_MUST_CHECK int clams_view_add_warning(clams_view_t *view, const char *warning);

/* ---- Annotations (created through the API) ---------------------------------- */

/* Appends an annotation of type `type_uri` to a view created with
 * clams_mmif_add_view. Its id is "<view id>:<prefix>_<k>", where the prefix is
 * derived from the type's short name as mmif-python does (TimeFrame "tf",
 * Token "to", BoundingBox "bb", ...) and k counts per type from 1.
 * Returns NULL on error (view not new, allocation). Ownership: borrowed. */
CLAMS_API CLAMS_MUST_CHECK clams_annotation_t *clams_view_add_annotation(clams_view_t *view,
                                                                         const char *type_uri);

/* The i-th annotation created through the API, or NULL. Ownership: borrowed. */
CLAMS_API clams_annotation_t *clams_view_annotation_at(const clams_view_t *view, size_t i);

/* The annotation's id ("v_3:tk_1", or as loaded) and its @type URI.
 * Ownership: borrowed (valid while the document is). */
CLAMS_API const char *clams_annotation_id(const clams_annotation_t *ann);
CLAMS_API const char *clams_annotation_type(const clams_annotation_t *ann);

/* Property setters. Keys are copied. Setting a key twice keeps the last value.
 * Each returns 0 or a negative code. */
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_set_int(clams_annotation_t *ann, const char *key,
                                                        long long value);
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_set_real(clams_annotation_t *ann, const char *key,
                                                         double value);
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_set_bool(clams_annotation_t *ann, const char *key,
                                                         bool value);
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_set_str(clams_annotation_t *ann, const char *key,
                                                        const char *value);
/* As set_str with an explicit length (value need not be NUL-terminated). */
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_set_strn(clams_annotation_t *ann, const char *key,
                                                         const char *value, size_t len);
/* Any JSON value (arrays, objects, null). Ownership: steals value. */
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_set_json_new(clams_annotation_t *ann,
                                                             const char *key, json_t *value);
/* The property as JSON, built on demand, or NULL when absent.
 * Ownership: new (json_decref). */
CLAMS_API CLAMS_MUST_CHECK json_t *clams_annotation_get_copy(const clams_annotation_t *ann,
                                                             const char *key);

/* ---- Documents --------------------------------------------------------------- */

/* The URI of a CLAMS vocabulary type (its short name, "TextDocument") in the
 * vocabulary of MMIF `mmif_version` ("1.1.0", "1.2.0", or a document's
 * "http://mmif.clams.ai/1.2.0"; NULL means 1.1.0): 1.0/1.1 give
 * http://mmif.clams.ai/vocabulary/<Type>/<vN> for every type of the 1.1.0
 * vocabulary; 1.2 gives http://clams.ai/vocabulary/type/<Type>/<vN> for the
 * types whose 1.2.0 version clams-c knows (TextDocument/v2, VideoDocument/v2,
 * AudioDocument/v2, TimeFrame/v6, TimePoint/v5, Alignment/v1). NULL for
 * any other type or version: spell such a URI yourself. Ownership: static. */
CLAMS_API const char *clams_vocab_type_uri(const char *mmif_version, const char *type_name);

/* Makes the document's defaults (clams_mmif_add_text_document with a NULL
 * type) follow the vocabulary of `mmif_version` instead of the document's own
 * "mmif" version (NULL: back to the document's). The annotate pipeline sets
 * it to the app's declared mmif_version before annotate runs. Returns 0, or
 * CLAMS_EINVAL for a version whose vocabulary clams-c does not know. */
CLAMS_API CLAMS_MUST_CHECK int clams_mmif_set_vocabulary(clams_mmif_t *mmif,
                                                         const char *mmif_version);

/* Appends a TextDocument with inline text (and language, when not NULL).
 * `type_uri` NULL means the TextDocument type of the document's vocabulary
 * (clams_mmif_set_vocabulary, else its own "mmif" version): TextDocument/v1
 * for 1.1.0, http://clams.ai/vocabulary/type/TextDocument/v2 for 1.2.0.
 * Returns 0, CLAMS_EEXIST when the id is taken, or another negative code. */
CLAMS_API CLAMS_MUST_CHECK int clams_mmif_add_text_document(clams_mmif_t *mmif,
                                                            const char *type_uri, const char *id,
                                                            const char *text, const char *language);
/* Appends a media document (Video/Audio/Image/Text with a location). */
CLAMS_API CLAMS_MUST_CHECK int clams_mmif_add_media_document(clams_mmif_t *mmif,
                                                             const char *type_uri, const char *id,
                                                             const char *mime,
                                                             const char *location);

/* ---- Reading helpers ----------------------------------------------------------
 * What apps read besides their own views: where a document's file is, the text
 * of a TextDocument, documents and alignments wherever they are, time values in
 * the unit an app wants, and code point offsets. Declared here because they
 * need nothing but the document model (no FFmpeg); libclams-media builds on
 * them. */

/* Turns a location into a new path a program can open (the `char **path`
 * result must be freed with free()). Returns one of:
 *  - a plain absolute path ("/data/a.mp4"): itself;
 *  - a file:// URI ("file:///data/a%20b.mp4", "file://localhost/..."): its
 *    path, percent-decoded;
 *  - any other scheme: the path the resolver registered for that scheme
 *    returns (clams_location_register), else CLAMS_EINVAL with a message that
 *    names the scheme.
 * A relative path, an empty location or a file:// URI with another host is
 * CLAMS_EINVAL. The file is not opened here. Ownership: *path new (free()). */
CLAMS_API CLAMS_MUST_CHECK int clams_location_path(const char *location, char **path,
                                                   clams_error_t *err);

/* A resolver for one location scheme (the C counterpart of mmif-python's
 * docloc plugins): returns a new malloc'd local path for `location`, or NULL
 * with a message in err (code CLAMS_ENOTFOUND, CLAMS_EIO...). */
typedef char *(*clams_location_resolver_fn)(const char *location, void *user, clams_error_t *err);
/* Registers fn for `scheme` ("s3", lower case, without "://"); a second call
 * for the same scheme replaces the first, fn NULL removes it. At most 16
 * schemes; "file" cannot be replaced. This is process-wide state: register in
 * main() before clams_main, never while requests run (workers inherit the
 * table when they are forked). Returns 0, CLAMS_EINVAL or CLAMS_ETOOBIG.
 * Ownership: scheme is copied; user is borrowed for the life of the process. */
CLAMS_API CLAMS_MUST_CHECK int clams_location_register(const char *scheme,
                                                       clams_location_resolver_fn fn, void *user);

/* The "id" property of a document or annotation JSON, or NULL.
 * Ownership: borrowed (from doc). */
CLAMS_API const char *clams_document_id(const json_t *doc);

/* The local path of a document's `location` (see clams_location_path). A
 * document without a location is CLAMS_ENOTFOUND; every message names the
 * document id. Ownership: *path new (free()). */
CLAMS_API CLAMS_MUST_CHECK int clams_document_path(const json_t *doc, char **path,
                                                   clams_error_t *err);

/* The text of a TextDocument as mmif-python's text_value gives it: when the
 * document has a `location`, the UTF-8 file there (CRLF and lone CR read as LF,
 * as Python's text mode does; invalid UTF-8 is CLAMS_ESYNTAX with err->position,
 * line and column of the first bad byte, and a message naming the document and
 * the file); otherwise text["@value"]. *text is NUL-terminated and *len (when
 * not NULL) is its length in bytes. Not a TextDocument: CLAMS_EINVAL; neither
 * text nor location: CLAMS_ENOTFOUND; unreadable file: CLAMS_EIO.
 * Ownership: *text new (free()). */
CLAMS_API CLAMS_MUST_CHECK int clams_text_document_text(const json_t *doc, char **text, size_t *len,
                                                        clams_error_t *err);

/* Calls fn for each document whose @type matches `type` (clams_type_matches;
 * NULL = every document): first the documents that earlier apps put inside
 * views (view order), then the top-level ones, which is mmif-python's
 * get_documents_by_type order. `view` is NULL for top-level documents; `id` is
 * the document's long id ("v_2:td_1" inside a view). Stops when fn returns
 * non-zero and returns that value; returns 0 otherwise.
 * Ownership: view, id and doc are borrowed for the duration of the call. */
typedef int (*clams_document_fn)(const clams_view_t *view, const char *id, json_t *doc, void *data);
CLAMS_API int clams_mmif_foreach_document(const clams_mmif_t *mmif, const char *type, int flags,
                                          clams_document_fn fn, void *data);

/* Calls fn for every Alignment (loaded views) with `id` at either end, in
 * either direction: `other_id` is the long id of the far end and `other` its
 * JSON (NULL when that id resolves to nothing). Short ids inside a view are
 * read as ids of that view. Returns as clams_mmif_foreach_document.
 * Ownership: everything passed to fn is borrowed for the duration of the call. */
typedef int (*clams_aligned_fn)(const clams_view_t *view, json_t *alignment, const char *other_id,
                                json_t *other, void *data);
CLAMS_API int clams_mmif_foreach_aligned(const clams_mmif_t *mmif, const char *id,
                                         clams_aligned_fn fn, void *data);

/* Looks up `id` as an annotation of `view` would mean it: an id with a ':' as
 * it is, a short id first as "<view id>:<id>", then as a document id. NULL
 * when nothing has that id. Ownership: borrowed. */
CLAMS_API json_t *clams_mmif_resolve(const clams_mmif_t *mmif, const clams_view_t *view,
                                     const char *id);

/* ---- Time units ---------------------------------------------------------------
 * MMIF time values carry a timeUnit (annotation property or the view's
 * contains metadata); without one, milliseconds. These follow mmif-python's
 * timeunit_helper.convert: the spellings it accepts, its rounding (Python
 * round: half to even), and frames at a given fps (frame 0 at time 0). */

#define CLAMS_TIME_UNIT_DEFAULT "milliseconds"

typedef enum {
    CLAMS_TIME_INVALID = 0,
    CLAMS_TIME_MILLISECONDS, /* m, ms, msec, millisecond, milliseconds */
    CLAMS_TIME_SECONDS,      /* s, se, sec, second, seconds */
    CLAMS_TIME_FRAMES,       /* f, fr, frame, frames */
    CLAMS_TIME_ISO           /* i, iso, isoformat: "HH:MM:SS.fff" strings */
} clams_time_unit_t;

/* The unit a spelling names (exact, case-sensitive, as mmif-python), or
 * CLAMS_TIME_INVALID for anything else, NULL included. */
CLAMS_API clams_time_unit_t clams_time_unit_parse(const char *unit);

/* Converts t from in_unit to out_unit (any accepted spelling), at `fps` frames
 * per second when either side is frames:
 *   same unit: t unchanged;  ms -> s: t/1000;  s -> ms: round(t*1000);
 *   ms -> f: round(t/1000*fps);  s -> f: round(t*fps);  f -> s: t/fps;
 *   f -> ms: round(round(t/fps, 3)*1000)
 * (round = Python's, half to even; round(x, 3) correctly rounded to 3
 * decimals). ISO units are refused here (clams_time_from_iso/clams_time_to_iso).
 * An unknown unit is CLAMS_EINVAL naming it; frames with fps <= 0 too.
 * Ownership: none. */
CLAMS_API CLAMS_MUST_CHECK int clams_time_convert(double t, const char *in_unit,
                                                  const char *out_unit, double fps, double *out,
                                                  clams_error_t *err);

/* "HH:MM:SS.fff" (the fraction required, 1 to 6 digits; hours 0-23) to whole
 * milliseconds as mmif-python: int(1000 * seconds). Returns 0 or CLAMS_EINVAL. */
CLAMS_API CLAMS_MUST_CHECK int clams_time_from_iso(const char *iso, double *ms, clams_error_t *err);
/* Whole milliseconds (>= 0) as "HH:MM:SS.mmm" into buf (at least 13 bytes),
 * wrapping at 24 h as mmif-python does. Returns 0 or CLAMS_EINVAL. */
CLAMS_API CLAMS_MUST_CHECK int clams_time_to_iso(double ms, char *buf, size_t size);

/* The timeUnit that applies to a time annotation: its own "timeUnit"
 * property, else the one in its view's contains metadata for its type, else
 * CLAMS_TIME_UNIT_DEFAULT. `view` may be NULL. Ownership: borrowed. */
CLAMS_API const char *clams_annotation_time_unit(const clams_view_t *view, const json_t *ann);

/* The time of a TimePoint (start = end = timePoint) or an interval such as a
 * TimeFrame (start, end; or, for one with `targets` and no start/end, the
 * smallest and largest time of its targets, each read in its own unit),
 * converted to out_unit at fps (needed only when frames are involved).
 * `view` is the annotation's view (for its timeUnit and short target ids).
 * Errors (CLAMS_EINVAL, CLAMS_ENOTFOUND) name the annotation: no time, both
 * targets and start/end ("anchors are ambiguous", as mmif-python), unknown
 * unit, an unresolvable target. end may be NULL. Ownership: none. */
CLAMS_API CLAMS_MUST_CHECK int clams_annotation_time(const clams_mmif_t *mmif,
                                                     const clams_view_t *view, const json_t *ann,
                                                     const char *out_unit, double fps,
                                                     double *start, double *end,
                                                     clams_error_t *err);

/* ---- Text offsets ---------------------------------------------------------------
 * MMIF start/end on text are Unicode code point offsets, not byte offsets.
 * These convert between the two over UTF-8 text of `len` bytes (a malformed
 * byte counts as one code point, so they never fail). */

/* Code points in text[0..byte_offset) (byte_offset is clamped to len). */
CLAMS_API size_t clams_utf8_cp_offset(const char *text, size_t len, size_t byte_offset);
/* The byte offset of code point cp_offset (len when past the end). */
CLAMS_API size_t clams_utf8_byte_offset(const char *text, size_t len, size_t cp_offset);

/* ---- Dumping ------------------------------------------------------------------ */

#define CLAMS_DUMP_PRETTY 0x1 /* 2-space indentation; compact otherwise */

/* Serializes the document into a new buffer (NUL-terminated; *len gets the
 * length without the NUL when len is not NULL). NULL on allocation failure.
 * Ownership: new (free()). */
CLAMS_API CLAMS_MUST_CHECK char *clams_mmif_dumps(const clams_mmif_t *mmif, int flags, size_t *len);

/* Streams the serialization to a callback (same contract as jansson's
 * json_dump_callback: return 0 to continue, -1 to stop).
 * Returns 0 or a negative code. */
typedef int (*clams_dump_fn)(const char *buf, size_t size, void *data);
CLAMS_API CLAMS_MUST_CHECK int clams_mmif_dump_callback(const clams_mmif_t *mmif, int flags,
                                                        clams_dump_fn fn, void *data);

/* Writes the document to a file descriptor. Returns 0 or a negative code. */
CLAMS_API CLAMS_MUST_CHECK int clams_mmif_dump_fd(const clams_mmif_t *mmif, int flags, int fd);

/* The whole document as a new JSON tree (annotations created through the API
 * materialised). Slow for big views; meant for tests and tools.
 * Ownership: new (json_decref). */
CLAMS_API CLAMS_MUST_CHECK json_t *clams_mmif_to_json(const clams_mmif_t *mmif);

#ifdef __cplusplus
}
#endif
#endif
