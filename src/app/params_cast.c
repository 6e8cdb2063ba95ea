/* Casting request strings the way clams-python does (Python's int(), float()
 * and its own boolean rule), and the few Python repr()/str() spellings that
 * end up in recorded parameters and warnings. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/params.h"
#include "common/internal.h"

bool clams__cast_bool(const char *s)
{
    static const char *const falsy[] = {"False", "false", "F", "f", "0"};
    for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++)
        if (strcmp(s, falsy[i]) == 0)
            return false;
    return true;
}

static bool py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

#define SHORT_VALUE 128 /* values this long are cast without touching the heap */

/* Copies s without surrounding whitespace and with the '_' separators
 * removed, after checking that every '_' sits between two digits, into
 * buf (SHORT_VALUE bytes) or, when longer, into a malloc'd copy. *out is the
 * copy (free it when it is not buf). Returns 0, CLAMS_EPARAM when the
 * underscores are misplaced, or CLAMS_ENOMEM. */
static int strip_and_unscore(const char *s, char *buf, char **out)
{
    while (py_space(*s))
        s++;
    size_t len = strlen(s);
    while (len && py_space(s[len - 1]))
        len--;
    char *t = len < SHORT_VALUE ? buf : malloc(len + 1);
    if (!t)
        return CLAMS_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_') {
            if (i == 0 || i + 1 >= len || !is_digit(s[i - 1]) || !is_digit(s[i + 1])) {
                if (t != buf)
                    free(t);
                return CLAMS_EPARAM;
            }
            continue;
        }
        t[n++] = s[i];
    }
    t[n] = '\0';
    *out = t;
    return 0;
}

int clams__cast_int(const char *s, long long *out)
{
    char buf[SHORT_VALUE], *t;
    int src = strip_and_unscore(s, buf, &t);
    if (src != 0)
        return src;
    const char *p = t;
    if (*p == '+' || *p == '-')
        p++;
    bool ok = *p != '\0';
    for (const char *c = p; *c; c++)
        ok = ok && is_digit(*c);
    int rc = CLAMS_EPARAM;
    if (ok) {
        errno = 0;
        long long v = strtoll(t, NULL, 10);
        if (errno == 0) {
            *out = v;
            rc = 0;
        }
    }
    if (t != buf)
        free(t);
    return rc;
}

/* digitpart ("." digitpart?)? | "." digitpart, then an optional exponent. */
static bool float_grammar(const char *p)
{
    if (*p == '+' || *p == '-')
        p++;
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0 || strcasecmp(p, "nan") == 0)
        return true;
    size_t int_digits = 0, frac_digits = 0;
    while (is_digit(*p)) {
        p++;
        int_digits++;
    }
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            p++;
            frac_digits++;
        }
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return false;
        while (is_digit(*p))
            p++;
    }
    return *p == '\0';
}

int clams__cast_number(const char *s, double *out)
{
    char buf[SHORT_VALUE], *t;
    int src = strip_and_unscore(s, buf, &t);
    if (src != 0)
        return src;
    int rc = CLAMS_EPARAM;
    if (float_grammar(t)) {
        *out = strtod(t, NULL); /* overflow gives +-inf, as Python does */
        rc = 0;
    }
    if (t != buf)
        free(t);
    return rc;
}

json_t *clams__number_json(double v)
{
    if (isnan(v))
        return json_string("nan");
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    return json_real(v);
}

void clams__py_float_str(double v, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
        return;
    }
    char e[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is "[-]d[.ddd]e[+-]XX": split into sign, digits and exponent. */
    const char *q = e;
    bool neg = *q == '-';
    if (neg)
        q++;
    char digits[24];
    size_t nd = 0;
    for (; *q && *q != 'e'; q++)
        if (is_digit(*q) && nd < sizeof(digits) - 1)
            digits[nd++] = *q;
    digits[nd] = '\0';
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int exp10 = atoi(q + 1);
    char *w = buf;
    size_t left = size;
    int n = snprintf(w, left, "%s", neg ? "-" : "");
    w += n;
    left -= (size_t)n;
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            snprintf(w, left, "0.");
            size_t k = 2;
            for (int z = 0; z < -exp10 - 1 && k + 1 < left; z++)
                w[k++] = '0';
            for (size_t d = 0; d < nd && k + 1 < left; d++)
                w[k++] = digits[d];
            w[k] = '\0';
        } else {
            size_t k = 0;
            for (int d = 0; d <= exp10 && k + 1 < left; d++)
                w[k++] = (size_t)d < nd ? digits[d] : '0';
            if (k + 1 < left)
                w[k++] = '.';
            if ((size_t)exp10 + 1 < nd)
                for (size_t d = (size_t)exp10 + 1; d < nd && k + 1 < left; d++)
                    w[k++] = digits[d];
            else if (k + 1 < left)
                w[k++] = '0';
            w[k] = '\0';
        }
    } else {
        snprintf(w, left, "%c%s%s%s%c%02d", digits[0], nd > 1 ? "." : "", digits + 1, "e",
                 exp10 < 0 ? '-' : '+', abs(exp10));
    }
}

/* Python's repr() of one str, appended to a growing buffer. */
static size_t repr_str(char *out, const char *s)
{
    bool has_sq = strchr(s, '\'') != NULL, has_dq = strchr(s, '"') != NULL;
    char quote = (has_sq && !has_dq) ? '"' : '\'';
    size_t n = 0;
#define PUT(c)            \
    do {                  \
        if (out)          \
            out[n] = (c); \
        n++;              \
    } while (0)
    PUT(quote);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '\\' || c == (unsigned char)quote) {
            PUT('\\');
            PUT((char)c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c == '\r') {
            PUT('\\');
            PUT('r');
        } else if (c == '\t') {
            PUT('\\');
            PUT('t');
        } else if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            PUT('\\');
            PUT('x');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else {
            PUT((char)c);
        }
    }
    PUT(quote);
#undef PUT
    return n;
}

char *clams__py_repr_list(const char *const *values, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += repr_str(NULL, values[i]) + 2;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t k = 0;
    out[k++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) {
            out[k++] = ',';
            out[k++] = ' ';
        }
        k += repr_str(out + k, values[i]);
    }
    out[k++] = ']';
    out[k] = '\0';
    return out;
}

/* NULL with err saying "out of memory" (casts report CLAMS_ENOMEM apart from
 * a bad value, so that a server never blames the client for its memory). */
static json_t *nomem(clams_error_t *err)
{
    clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
    return NULL;
}

/* v, or NULL with err set when making it failed. */
static json_t *made(json_t *v, const char *text, clams_error_t *err)
{
    if (!v && clams__json_text_failure(text) == CLAMS_ENOMEM)
        return nomem(err);
    if (!v)
        clams__error_set(err, CLAMS_EPARAM, NULL, "string", "a value is not valid UTF-8");
    return v;
}

static json_t *cast_scalar(const clams__pspec_t *p, const char *s, clams_error_t *err)
{
    switch (p->type) {
    case CLAMS_PARAM_BOOLEAN: return json_boolean(clams__cast_bool(s)); /* a static singleton */
    case CLAMS_PARAM_INTEGER: {
        long long v;
        int rc = clams__cast_int(s, &v);
        if (rc == 0)
            return made(json_integer(v), "", err);
        if (rc == CLAMS_ENOMEM)
            return nomem(err);
        clams__error_set(err, CLAMS_EPARAM, p->name, "integer",
                         "Parameter \"%s\" expects an integer, got '%s'", p->name, s);
        return NULL;
    }
    case CLAMS_PARAM_NUMBER: {
        double v;
        int rc = clams__cast_number(s, &v);
        if (rc == 0)
            return made(clams__number_json(v), "", err);
        if (rc == CLAMS_ENOMEM)
            return nomem(err);
        clams__error_set(err, CLAMS_EPARAM, p->name, "number",
                         "Parameter \"%s\" expects a number, got '%s'", p->name, s);
        return NULL;
    }
    default: return made(json_string(s), s, err);
    }
}

static json_t *cast_map(const clams__pspec_t *p, const char *const *values, size_t n,
                        clams_error_t *err)
{
    json_t *obj = json_object();
    if (!obj)
        return nomem(err);
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(values[i], ':');
        if (!colon) {
            clams__error_set(err, CLAMS_EPARAM, p->name, "map",
                             "Parameter \"%s\" expects KEY:VALUE pairs, got '%s' (no colon)",
                             p->name, values[i]);
            json_decref(obj);
            return NULL;
        }
        if (strchr(colon + 1, ':'))
            clams__log(CLAMS_LOG_WARNING, 0,
                       "parameter \"%s\": '%s' has more than one colon; the key ends at the "
                       "first one",
                       p->name, values[i]);
        char *key = strndup(values[i], (size_t)(colon - values[i]));
        if (!key ||
            json_object_set_new(obj, key, made(json_string(colon + 1), colon + 1, err)) != 0) {
            if (key)
                made(NULL, key, err); /* the key's fault, or memory's */
            else
                nomem(err);
            free(key);
            json_decref(obj);
            return NULL;
        }
        free(key);
    }
    return obj;
}

json_t *clams__param_cast(const clams__pspec_t *p, const char *const *values, size_t n,
                          clams_error_t *err)
{
    if (p->type == CLAMS_PARAM_MAP)
        return cast_map(p, values, n, err);
    if (!p->multivalued) {
        if (n == 0) {
            clams__error_set(err, CLAMS_EPARAM, p->name, "required",
                             "No value given for parameter \"%s\"", p->name);
            return NULL;
        }
        return cast_scalar(p, values[0], err);
    }
    json_t *arr = json_array();
    if (!arr)
        return nomem(err);
    for (size_t i = 0; i < n; i++) {
        json_t *v = cast_scalar(p, values[i], err);
        if (!v || json_array_append_new(arr, v) != 0) {
            if (v)
                nomem(err);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
