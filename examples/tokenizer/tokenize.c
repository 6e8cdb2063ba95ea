/* The tokenizer example's scanner: one pass over UTF-8 text, counting code
 * points as it goes, with a one-token delay so a sentence's closing quote or
 * bracket stays in the sentence it closes. */
#include <stdint.h>
#include <string.h>

#include "tokenize.h"

typedef enum { C_SPACE, C_WORD, C_PUNCT } cls_t;

/* Decodes one code point; invalid bytes count as one character. */
static uint32_t decode(const unsigned char *s, size_t len, size_t *n)
{
    unsigned char c = s[0];
    size_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (need > len)
        need = 1;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            need = 1;
    *n = need;
    switch (need) {
    case 2: return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    case 4:
        return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
               ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    default: return c;
    }
}

static bool is_uspace(uint32_t c)
{
    return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

static bool is_upunct(uint32_t c)
{
    return c == 0xA1 || c == 0xAB || c == 0xBB || c == 0xBF || (c >= 0x2010 && c <= 0x2027) ||
           (c >= 0x2030 && c <= 0x205E) || c == 0x3001 || c == 0x3002 || c == 0xFF01 ||
           c == 0xFF0C || c == 0xFF1F;
}

static cls_t classify(uint32_t c)
{
    if (c < 0x80) {
        if (c == ' ' || (c >= '\t' && c <= '\r'))
            return C_SPACE;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
            return C_WORD;
        return C_PUNCT;
    }
    if (is_uspace(c))
        return C_SPACE;
    return is_upunct(c) ? C_PUNCT : C_WORD;
}

static bool is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

static bool is_terminal(uint32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x2026 || c == 0x3002 || c == 0xFF01 ||
           c == 0xFF1F;
}

static bool is_closer(uint32_t c)
{
    return c == ')' || c == ']' || c == '}' || c == '"' || c == '\'' || c == 0x2019 ||
           c == 0x201D || c == 0xBB;
}

typedef struct {
    const unsigned char *s;
    size_t len, pos, cp;
} cursor_t;

static uint32_t peek(const cursor_t *k, size_t at, size_t *n)
{
    if (at >= k->len) {
        *n = 0;
        return 0;
    }
    return decode(k->s + at, k->len - at, n);
}

/* A joiner stays inside a word when the characters around it allow it. */
static bool joins(uint32_t prev, uint32_t c, uint32_t next)
{
    if (classify(next) != C_WORD || classify(prev) != C_WORD)
        return false;
    if (c == '.' || c == ',')
        return is_digit(prev) && is_digit(next);
    return c == '\'' || c == '-' || c == 0x2019;
}

/* Scans one token starting at k->pos (not a space); *first gets its first
 * character. */
static void scan_token(cursor_t *k, tok_span_t *t, uint32_t *first)
{
    size_t n;
    uint32_t c = peek(k, k->pos, &n);
    *first = c;
    t->byte_start = k->pos;
    t->cp_start = k->cp;
    k->pos += n;
    k->cp++;
    if (classify(c) == C_WORD) {
        uint32_t prev = c;
        for (;;) {
            size_t n1, n2;
            uint32_t d = peek(k, k->pos, &n1);
            if (!n1)
                break;
            if (classify(d) != C_WORD) {
                uint32_t next = peek(k, k->pos + n1, &n2);
                if (!n2 || !joins(prev, d, next))
                    break;
            }
            k->pos += n1;
            k->cp++;
            prev = d;
        }
    }
    t->byte_end = k->pos;
    t->cp_end = k->cp;
}

/* Skips spaces; returns true when they held a blank line. */
static bool skip_space(cursor_t *k)
{
    int newlines = 0;
    for (;;) {
        size_t n;
        uint32_t c = peek(k, k->pos, &n);
        if (!n || classify(c) != C_SPACE)
            return newlines >= 2;
        if (c == '\n')
            newlines++;
        k->pos += n;
        k->cp++;
    }
}

int tok_scan(const char *text, size_t len, tok_fn fn, void *data)
{
    cursor_t k = {(const unsigned char *)text, len, 0, 0};
    tok_span_t prev;
    bool have_prev = false, pending = false;
    for (;;) {
        bool blank = skip_space(&k);
        if (k.pos >= k.len)
            break;
        tok_span_t t;
        uint32_t first;
        scan_token(&k, &t, &first);
        bool single = t.cp_end - t.cp_start == 1;
        bool absorbed = pending && single && (is_closer(first) || is_terminal(first)) &&
                        t.byte_start == prev.byte_end;
        if (have_prev) {
            int rc = fn(&prev, blank || (pending && !absorbed), data);
            if (rc)
                return rc;
        }
        if (!absorbed)
            pending = single && is_terminal(first);
        prev = t;
        have_prev = true;
    }
    return have_prev ? fn(&prev, true, data) : 0;
}
