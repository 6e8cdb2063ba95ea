/* Making client text valid UTF-8. Query strings arrive as raw bytes; JSON
 * (and so every view that records a parameter) needs valid UTF-8, so invalid
 * sequences become U+FFFD, as Python's decode(errors="replace") does for the
 * query strings clams-python sees. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

size_t clams__utf8_seq(const unsigned char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned int lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c == 0xE0) {
        n = 3;
        lo = 0xA0; /* no overlong forms */
    } else if (c == 0xED) {
        n = 3;
        hi = 0x9F; /* no surrogates */
    } else if (c >= 0xE1 && c <= 0xEF)
        n = 3;
    else if (c == 0xF0) {
        n = 4;
        lo = 0x90;
    } else if (c == 0xF4) {
        n = 4;
        hi = 0x8F; /* nothing above U+10FFFF */
    } else if (c >= 0xF1 && c <= 0xF3)
        n = 4;
    else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

char *clams__utf8_sanitize_dup(const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t len = strlen((const char *)s);
    /* Each bad byte becomes three: the worst case is 3x. */
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        size_t n = clams__utf8_seq(s + i, len - i);
        if (n) {
            memcpy(out + w, s + i, n);
            w += n;
            i += n;
        } else {
            memcpy(out + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        }
    }
    out[w] = '\0';
    return out;
}

bool clams__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        /* Most text is ASCII: skip it eight bytes at a time. */
        uint64_t word;
        while (end - p >= 8) {
            memcpy(&word, p, 8);
            if (word & 0x8080808080808080ull)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        size_t seq = clams__utf8_seq(p, (size_t)(end - p));
        if (seq == 0)
            return false;
        p += seq;
    }
    return true;
}

int clams__json_text_failure(const char *text)
{
    return text && !clams__utf8_valid(text, strlen(text)) ? CLAMS_EINVAL : CLAMS_ENOMEM;
}
