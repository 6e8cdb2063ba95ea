/* This file is private to libclams.
 * The MMIF document model's internal structures: loaded content as jansson
 * trees, new views as a compact arena-backed annotation store, a lazy id
 * index, and the small helpers shared by the files of src/mmif. */
#ifndef CLAMS_MMIF_INTERNAL_H
#define CLAMS_MMIF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clams/mmif.h"
#include "common/internal.h"

/* ---- Arena: chunked bump allocator; nothing is freed before the arena. ---- */
typedef struct mmif_chunk_s mmif_chunk_t;
typedef struct {
    mmif_chunk_t *head;
} mmif_arena_t;

void *clams__arena_alloc(mmif_arena_t *a, size_t n);
/* Grows the most recent allocation p (old size oldn) in place when it is
 * the last thing in the current chunk and there is room. */
bool clams__arena_extend(mmif_arena_t *a, void *p, size_t oldn, size_t newn);
char *clams__arena_strndup(mmif_arena_t *a, const char *s, size_t n);
void clams__arena_free(mmif_arena_t *a);

/* ---- Compact annotations ---- */
enum { PROP_INT = 0, PROP_REAL, PROP_BOOL, PROP_STR, PROP_JSON };
#define PROP_KIND_SHIFT 28
#define PROP_KEY_MASK   ((1u << PROP_KIND_SHIFT) - 1)

#define MMIF_KEYCACHE 16

/* 16 bytes: the kind lives in the key's top bits. */
typedef struct {
    uint32_t key; /* interned key index | kind << PROP_KIND_SHIFT */
    uint32_t len; /* string length (PROP_STR) */
    union {
        long long i;
        double d;
        const char *s;
        json_t *j;
    } v;
} mmif_prop_t;

/* One type used in a new view: its URI, prefix and id counter. */
typedef struct {
    const char *uri; /* arena copy */
    char prefix[24];
    char name[64];    /* short name, truncated */
    uint32_t counter; /* used on the slot that owns the prefix */
    uint32_t owner;   /* slot whose prefix and counter this URI shares */
    uint32_t uri_len;
    uint32_t idpre_len;
    const char *idpre; /* arena: "<view id>:<owner's prefix>_", ids append the counter */
} mmif_vtype_t;

struct clams_annotation_s {
    clams_view_t *view;
    const char *id;       /* arena */
    const char *type_uri; /* arena (shared by the view's annotations of a type) */
    mmif_prop_t *props;   /* arena */
    uint32_t nprops, cap;
    uint32_t type; /* index into view->types */
    uint32_t id_len;
};

struct clams_view_s {
    clams_mmif_t *mmif;
    json_t *json; /* the view object; for new views "annotations" stays [] */
    bool is_new;
    /* new views only */
    mmif_arena_t arena;
    clams_annotation_t **anns;
    size_t nanns, capanns;
    mmif_vtype_t *types;
    size_t ntypes, captypes;
    const char **keys; /* interned keys, arena copies */
    uint32_t *keylens;
    size_t nkeys, capkeys;
    uint32_t *keyhash; /* open addressing: key index + 1, 0 empty */
    size_t keyhash_cap;
    /* Apps pass the same key literals for every annotation: a small cache
     * from the caller's pointer to the key index (checked with strcmp, since
     * a caller may reuse a buffer for another key). */
    const char *keycache_ptr[MMIF_KEYCACHE];
    uint32_t keycache_idx[MMIF_KEYCACHE];
};

typedef struct {
    const char *key;
    json_t *val;
} mmif_index_slot_t;

struct clams_mmif_s {
    json_t *root; /* {"metadata":..., "documents":[...], "views":[loaded views]} */
    clams_view_t **views;
    size_t nviews, capviews;
    /* lazy id index */
    mmif_index_slot_t *index;
    size_t index_cap, index_len;
    mmif_arena_t index_arena;
    bool index_valid;
    const char *vocabulary; /* static "1.1.0"/"1.2.0" (clams_mmif_set_vocabulary), or NULL */
};

/* The document's "mmif" metadata string (borrowed), or NULL. */
const char *clams__mmif_version_of(const clams_mmif_t *mmif);

/* Internal helpers shared across files. */
void clams__mmif_index_invalidate(clams_mmif_t *mmif);
void clams__view_free(clams_view_t *view);
void clams__view_reset_store(clams_view_t *view);
/* Builds the JSON of a created annotation. Ownership: new. */
json_t *clams__annotation_to_json(const clams_annotation_t *ann);
/* The prefix mmif-python would give the short name `name`, avoiding the
 * prefixes in `taken` (n entries). Writes into out (size >= 24). */
void clams__type_prefix(const char *name, const mmif_vtype_t *taken, size_t n, char *out,
                        size_t outsz);
/* Number of Unicode code points in a UTF-8 string. */
size_t clams__utf8_len(const char *s, size_t n);
/* Writes the decimal digits of v to out (>= 20 bytes, no NUL); returns
 * their number. The dump and the id generator use it instead of printf. */
size_t clams__fmt_u64(char *out, unsigned long long v);

#endif
