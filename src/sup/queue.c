/* The bounded FIFO of requests waiting for a free worker, and the request
 * record itself. A full queue is the caller's cue to answer 503. */
#include <stdlib.h>
#include <unistd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

int clams__queue_init(clams__queue_t *q, size_t cap)
{
    q->cap = cap;
    q->head = q->len = 0;
    /* One spare element so cap == 0 (no queueing at all) needs no special case. */
    q->items = calloc(cap + 1, sizeof(*q->items));
    return q->items ? 0 : CLAMS_ENOMEM;
}

void clams__queue_free(clams__queue_t *q)
{
    free(q->items);
    q->items = NULL;
    q->cap = q->len = q->head = 0;
}

int clams__queue_push(clams__queue_t *q, clams__sreq_t *r)
{
    if (q->len >= q->cap)
        return CLAMS_ETOOBIG;
    q->items[(q->head + q->len) % (q->cap + 1)] = r;
    q->len++;
    return 0;
}

clams__sreq_t *clams__queue_pop(clams__queue_t *q)
{
    if (q->len == 0)
        return NULL;
    clams__sreq_t *r = q->items[q->head];
    q->head = (q->head + 1) % (q->cap + 1);
    q->len--;
    return r;
}

clams__sreq_t *clams__queue_peek(const clams__queue_t *q)
{
    return q->len ? q->items[q->head] : NULL;
}

void clams__queue_unpop(clams__queue_t *q, clams__sreq_t *r)
{
    q->head = (q->head + q->cap) % (q->cap + 1);
    q->items[q->head] = r;
    q->len++;
}

bool clams__queue_remove(clams__queue_t *q, const clams__sreq_t *r)
{
    for (size_t i = 0; i < q->len; i++) {
        size_t at = (q->head + i) % (q->cap + 1);
        if (q->items[at] != r)
            continue;
        for (size_t j = i; j + 1 < q->len; j++)
            q->items[(q->head + j) % (q->cap + 1)] = q->items[(q->head + j + 1) % (q->cap + 1)];
        q->len--;
        return true;
    }
    return false;
}

void clams__sreq_free(clams__sreq_t *r)
{
    if (!r)
        return;
    if (r->body_fd >= 0)
        close(r->body_fd);
    if (r->budget)
        r->budget->used -= r->body_len;
    if (r->resp_fd >= 0)
        close(r->resp_fd);
    free(r->resp_buf);
    free(r->path);
    free(r->query_enc);
    clams__query_free(&r->query);
    free(r);
}
