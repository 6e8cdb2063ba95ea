/* The invariant both query harnesses check: every parsed query key and
 * value is UTF-8 (jansson's rule; clams__query_add replaces bad bytes, see
 * F1 in docs/reliability.md). */
#ifndef CLAMS_FUZZ_QUERY_H
#define CLAMS_FUZZ_QUERY_H

#include <stdbool.h>

#include <jansson.h>

#include "app/pipeline.h"

static inline bool fuzz_query_utf8(const clams__query_t *q)
{
    for (size_t i = 0; i < q->count; i++) {
        json_t *k = json_string(q->items[i].key), *v = json_string(q->items[i].value);
        bool ok = k && v;
        json_decref(k);
        json_decref(v);
        if (!ok)
            return false;
    }
    return true;
}

#endif
