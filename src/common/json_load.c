/* Telling jansson's "out of memory" from a real syntax error.
 *
 * jansson 2.14 (Debian 12) does not always say when a parse failed for want
 * of memory: an allocation that fails inside its lexer comes back as
 * json_error_unknown with no text, or as an ordinary syntax error ("string or
 * '}' expected near ..."). A client must never be told its valid JSON is
 * broken because the server ran out of memory, so when jansson blames the
 * syntax, the text is checked here by a scanner that allocates nothing: if
 * it is well-formed JSON after all, the failure was memory. Errors jansson
 * reports with a specific code (duplicate key, invalid UTF-8, NUL, numeric
 * overflow, nesting depth) are its own findings and are trusted. */
#include <stdbool.h>
#include <string.h>

#include "common/internal.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct {
    const unsigned char *p, *end;
} scan_t;

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool lit(scan_t *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool digits(scan_t *s)
{
    const unsigned char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

static bool number(scan_t *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digits(s))
            return false;
    }
    return true;
}

/* Four hex digits (after backslash-u), as a code unit; -1 when malformed. */
static long hex4(scan_t *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++, s->p++) {
        if (s->p >= s->end)
            return -1;
        unsigned char c = *s->p;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A backslash-u escape (the "u" read): a surrogate must come as a high-low pair,
 * as jansson demands. */
static bool unicode_escape(scan_t *s)
{
    long u = hex4(s);
    if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
        return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
            return false;
        s->p += 2;
        long lo = hex4(s);
        return lo >= 0xDC00 && lo <= 0xDFFF;
    }
    return true;
}

/* A string (UTF-8 is jansson's to judge: it reports that with its own code). */
static bool string(scan_t *s)
{
    s->p++; /* the opening quote */
    while (s->p < s->end) {
        unsigned char c = *s->p++;
        if (c == '"')
            return true;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (s->p >= s->end)
                return false;
            c = *s->p++;
            if (c == 'u') {
                if (!unicode_escape(s))
                    return false;
            } else if (!strchr("\"\\/bfnrt", c) || !c) {
                return false;
            }
        }
    }
    return false;
}

/* Whether buf[0..len) is one well-formed JSON object or array (what
 * jansson accepts without JSON_DECODE_ANY), iteratively with a bit per
 * nesting level (1 = object) so that no input can exhaust the C stack. */
static bool well_formed(const char *buf, size_t len)
{
    unsigned char kinds[MAX_DEPTH / 8];
    int depth = 0;
    scan_t s = {(const unsigned char *)buf, (const unsigned char *)buf + len};
    skip_ws(&s);
    if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
        return false;
    for (;;) {
        /* A value is expected here. */
        skip_ws(&s);
        if (s.p >= s.end)
            return false;
        unsigned char c = *s.p;
        if (c == '{' || c == '[') {
            if (depth >= MAX_DEPTH)
                return false;
            bool obj = c == '{';
            if (obj)
                kinds[depth / 8] |= (unsigned char)(1u << (depth % 8));
            else
                kinds[depth / 8] &= (unsigned char)~(1u << (depth % 8));
            depth++;
            s.p++;
            skip_ws(&s);
            if (s.p < s.end && *s.p == (obj ? '}' : ']')) {
                s.p++;
                depth--;
            } else if (obj) {
                if (s.p >= s.end || *s.p != '"' || !string(&s))
                    return false;
                skip_ws(&s);
                if (s.p >= s.end || *s.p++ != ':')
                    return false;
                continue;
            } else {
                continue;
            }
        } else if (c == '"') {
            if (!string(&s))
                return false;
        } else if (c == 't' || c == 'f' || c == 'n') {
            if (!lit(&s, "true") && !lit(&s, "false") && !lit(&s, "null"))
                return false;
        } else if (!number(&s)) {
            return false;
        }
        /* After a value: close containers, or move to the next member. */
        for (;;) {
            skip_ws(&s);
            if (depth == 0)
                return s.p == s.end;
            bool obj = kinds[(depth - 1) / 8] & (1u << ((depth - 1) % 8));
            if (s.p >= s.end)
                return false;
            if (*s.p == (obj ? '}' : ']')) {
                s.p++;
                depth--;
                continue;
            }
            if (*s.p++ != ',')
                return false;
            if (obj) {
                skip_ws(&s);
                if (s.p >= s.end || *s.p != '"' || !string(&s))
                    return false;
                skip_ws(&s);
                if (s.p >= s.end || *s.p++ != ':')
                    return false;
            }
            break;
        }
    }
}

bool clams__json_failed_for_memory(const json_error_t *jerr, const char *buf, size_t len)
{
    switch (json_error_code(jerr)) {
    case json_error_out_of_memory: return true;
    case json_error_unknown:
    case json_error_invalid_syntax:
    case json_error_premature_end_of_input:
    case json_error_end_of_input_expected: return well_formed(buf, len);
    default: return false;
    }
}
