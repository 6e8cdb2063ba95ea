/* Chunked bump allocator for the compact annotation store and the id index,
 * plus UTF-8 helpers. Created annotations are many and small; one malloc per
 * megabyte instead of several per annotation keeps big views cheap. */
#include <stdlib.h>
#include <string.h>

#include "mmif/mmif_internal.h"

struct mmif_chunk_s {
    mmif_chunk_t *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};

#define CHUNK_MIN ((size_t)256 * 1024)
#define ALIGN     8

static size_t round_up(size_t n)
{
    return (n + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
}

void *clams__arena_alloc(mmif_arena_t *a, size_t n)
{
    n = round_up(n ? n : 1);
    mmif_chunk_t *c = a->head;
    if (!c || c->cap - c->used < n) {
        /* Chunks grow with the arena so huge views need few mallocs. */
        size_t cap = c ? c->cap * 2 : CHUNK_MIN;
        if (cap > (size_t)8 * 1024 * 1024)
            cap = (size_t)8 * 1024 * 1024;
        if (cap < n)
            cap = n;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

bool clams__arena_extend(mmif_arena_t *a, void *p, size_t oldn, size_t newn)
{
    mmif_chunk_t *c = a->head;
    oldn = round_up(oldn ? oldn : 1);
    newn = round_up(newn);
    if (!c || (char *)p + oldn != c->data + c->used)
        return false;
    if (c->cap - c->used < newn - oldn)
        return false;
    c->used += newn - oldn;
    return true;
}

char *clams__arena_strndup(mmif_arena_t *a, const char *s, size_t n)
{
    char *p = clams__arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void clams__arena_free(mmif_arena_t *a)
{
    mmif_chunk_t *c = a->head;
    while (c) {
        mmif_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

size_t clams__utf8_len(const char *s, size_t n)
{
    size_t cps = 0;
    for (size_t i = 0; i < n; i++)
        cps += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cps;
}

size_t clams__fmt_u64(char *out, unsigned long long v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char tmp[20];
    size_t n = sizeof(tmp);
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        tmp[--n] = pairs[d + 1];
        tmp[--n] = pairs[d];
    }
    if (v >= 10) {
        tmp[--n] = pairs[v * 2 + 1];
        tmp[--n] = pairs[v * 2];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(out, tmp + n, sizeof(tmp) - n);
    return sizeof(tmp) - n;
}
