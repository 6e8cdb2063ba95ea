/* Query-string parameters (ordered, repeatable keys) and finished responses.
 * Kept apart from the pipeline so the HTTP front and the production master
 * can use them without pulling in the MMIF model. */
#include <stdlib.h>
#include <string.h>

#include "app/params.h"
#include "app/pipeline.h"
#include "common/internal.h"

int clams__query_add(clams__query_t *q, const char *key, const char *value)
{
    if (clams__grow(&q->items, &q->cap, q->count, sizeof(*q->items), 8) != 0)
        return CLAMS_ENOMEM;
    /* Keys and values end up in JSON (the views' parameters, warnings), so
     * bytes that are not UTF-8 are replaced here, once, for every caller. */
    char *k = clams__utf8_sanitize_dup(key);
    char *v = clams__utf8_sanitize_dup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return CLAMS_ENOMEM;
    }
    q->items[q->count].key = k;
    q->items[q->count].value = v;
    q->count++;
    return 0;
}

/* Decodes in place; an invalid %-escape is kept literally (as browsers do). */
static void url_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%' && clams__hexval(r[1]) >= 0 && clams__hexval(r[2]) >= 0) {
            *w++ = (char)(clams__hexval(r[1]) * 16 + clams__hexval(r[2]));
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

int clams__query_parse(clams__query_t *q, const char *raw)
{
    if (!raw)
        return 0;
    char *copy = strdup(raw);
    if (!copy)
        return CLAMS_ENOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, "&", &save); tok && rc == 0; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = "";
        if (eq) {
            *eq = '\0';
            val = eq + 1;
        }
        url_decode(tok);
        char *v = strdup(val);
        if (!v) {
            rc = CLAMS_ENOMEM;
            break;
        }
        url_decode(v);
        if (*tok)
            rc = clams__query_add(q, tok, v);
        free(v);
    }
    free(copy);
    return rc;
}

static size_t encode_into(char *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            if (out)
                out[n] = (char)*p;
            n++;
        } else {
            if (out) {
                out[n] = '%';
                out[n + 1] = hex[*p >> 4];
                out[n + 2] = hex[*p & 15];
            }
            n += 3;
        }
    }
    return n;
}

char *clams__query_encode(const clams__query_t *q)
{
    size_t len = 1;
    for (size_t i = 0; i < q->count; i++)
        len += encode_into(NULL, q->items[i].key) + encode_into(NULL, q->items[i].value) + 2;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < q->count; i++) {
        if (i)
            out[n++] = '&';
        n += encode_into(out + n, q->items[i].key);
        out[n++] = '=';
        n += encode_into(out + n, q->items[i].value);
    }
    out[n] = '\0';
    return out;
}

void clams__query_free(clams__query_t *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
    }
    free(q->items);
    q->items = NULL;
    q->count = q->cap = 0;
}

const char **clams__query_values(const clams__query_t *q, const char *key, size_t *n)
{
    *n = 0;
    const char **vals = malloc((q->count + 1) * sizeof(*vals));
    if (!vals)
        return NULL;
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->items[i].key, key) == 0)
            vals[(*n)++] = q->items[i].value;
    vals[*n] = NULL;
    return vals;
}

void clams__response_free(clams__response_t *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
