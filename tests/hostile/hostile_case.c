/* hostile_case: parsing, building and checking the case files of the hostile
 * corpus. A case is "key: value" lines, a blank line, then the payload bytes
 * verbatim; big payloads come from a generator expression instead (gen:). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile_case.h"
#include "support.h"

static int hexv(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Parses one quoted string at *p into out; returns 0 or -1. */
static int gen_string(const char **p, raw_buf_t *out)
{
    const char *s = *p + 1;
    raw_buf_t lit = {0};
    while (*s && *s != '"') {
        char ch = *s++;
        if (ch == '\\') {
            char e = *s++;
            if (e == 'n')
                ch = '\n';
            else if (e == 'r')
                ch = '\r';
            else if (e == 't')
                ch = '\t';
            else if (e == '0')
                ch = '\0';
            else if (e == 'x' && hexv(s[0]) >= 0 && hexv(s[1]) >= 0) {
                ch = (char)(hexv(s[0]) * 16 + hexv(s[1]));
                s += 2;
            } else if (e == '\\' || e == '"')
                ch = e;
            else {
                raw_buf_free(&lit);
                return -1;
            }
        }
        raw_buf_add(&lit, &ch, 1);
    }
    if (*s != '"') {
        raw_buf_free(&lit);
        return -1;
    }
    s++;
    long count = 1;
    while (*s == ' ')
        s++;
    if (*s == '*') {
        count = strtol(s + 1, (char **)&s, 10);
        if (count < 0)
            count = 0;
    }
    for (long i = 0; i < count; i++)
        raw_buf_add(out, lit.data ? lit.data : "", lit.len);
    raw_buf_free(&lit);
    *p = s;
    return 0;
}

int hcase_gen(const char *expr, const char *base, size_t base_len, raw_buf_t *out)
{
    const char *p = expr;
    raw_buf_add(out, "", 0);
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            if (gen_string(&p, out) != 0)
                return -1;
        } else if (strncmp(p, "base", 4) == 0) {
            raw_buf_add(out, base, base_len);
            p += 4;
        } else {
            return -1;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return 0;
        if (*p++ != '+')
            return -1;
    }
}

static int set_status(char dst[64], const char *v)
{
    snprintf(dst, 64, "%s", v);
    return 0;
}

static int add_body(hcase_t *c, const char *v, int mode)
{
    if (c->nbody >= HCASE_MAX_LIST)
        return -1;
    c->body_mode[c->nbody] = mode;
    c->body[c->nbody++] = strdup(v);
    return 0;
}

/* Applies one "key: value" line. */
static int apply(hcase_t *c, const char *key, const char *v, const char *base, size_t base_len)
{
    if (!strcmp(key, "method"))
        snprintf(c->method, sizeof(c->method), "%s", v);
    else if (!strcmp(key, "target"))
        raw_buf_add(&c->target, v, strlen(v));
    else if (!strcmp(key, "target-gen"))
        return hcase_gen(v, base, base_len, &c->target);
    else if (!strcmp(key, "header"))
        return raw_buf_printf(&c->headers, "%s\r\n", v);
    else if (!strcmp(key, "header-gen")) {
        if (hcase_gen(v, base, base_len, &c->headers) != 0)
            return -1;
        raw_buf_add(&c->headers, "\r\n", 2);
    } else if (!strcmp(key, "gen")) {
        c->payload.len = 0;
        return hcase_gen(v, base, base_len, &c->payload);
    } else if (!strcmp(key, "raw"))
        c->raw = !strcmp(v, "yes");
    else if (!strcmp(key, "timeout"))
        c->timeout = atof(v);
    else if (!strcmp(key, "half-close"))
        c->half_close = !strcmp(v, "yes");
    else if (!strcmp(key, "content-length"))
        c->content_length = !strcmp(v, "auto") ? -1 : !strcmp(v, "none") ? -2 : atol(v);
    else if (!strcmp(key, "chunked"))
        c->chunked = (size_t)atol(v);
    else if (!strcmp(key, "only"))
        snprintf(c->only, sizeof(c->only), "%s", v);
    else if (!strcmp(key, "known"))
        snprintf(c->known, sizeof(c->known), "%s", v);
    else if (!strcmp(key, "expect-status"))
        return set_status(c->status[0], v);
    else if (!strcmp(key, "expect-status-dev"))
        return set_status(c->status[1], v);
    else if (!strcmp(key, "expect-status-prod"))
        return set_status(c->status[2], v);
    else if (!strcmp(key, "expect-ctype"))
        snprintf(c->ctype, sizeof(c->ctype), "%s", v);
    else if (!strcmp(key, "expect-body"))
        return add_body(c, v, 0);
    else if (!strcmp(key, "expect-body-dev"))
        return add_body(c, v, 1);
    else if (!strcmp(key, "expect-body-prod"))
        return add_body(c, v, 2);
    else if (strcmp(key, "note") != 0)
        return -1;
    return 0;
}

int hcase_load(const char *path, const char *base, size_t base_len, hcase_t *c, char *why,
               size_t why_size)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->method, sizeof(c->method), "POST");
    c->content_length = -1;
    size_t len = 0;
    char *text = clams_ts_read_file(path, &len);
    if (!text) {
        snprintf(why, why_size, "unreadable");
        return -1;
    }
    char *sep = strstr(text, "\n\n");
    size_t head_len = sep ? (size_t)(sep - text) : len;
    if (sep)
        raw_buf_add(&c->payload, sep + 2, len - head_len - 2);
    char *head = strndup(text, head_len);
    char *save = NULL;
    int rc = 0;
    for (char *line = strtok_r(head, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *colon = strstr(line, ": ");
        if (!colon) {
            snprintf(why, why_size, "bad line '%s'", line);
            rc = -1;
            break;
        }
        *colon = '\0';
        if (apply(c, line, colon + 2, base, base_len) != 0) {
            snprintf(why, why_size, "bad value for '%s'", line);
            rc = -1;
        }
    }
    if (rc == 0 && !c->status[0][0] && !(c->status[1][0] && c->status[2][0])) {
        snprintf(why, why_size, "no expect-status");
        rc = -1;
    }
    if (!c->target.len)
        raw_buf_add(&c->target, "/", 1);
    free(head);
    free(text);
    if (rc != 0)
        hcase_free(c);
    return rc;
}

void hcase_free(hcase_t *c)
{
    raw_buf_free(&c->target);
    raw_buf_free(&c->headers);
    raw_buf_free(&c->payload);
    for (size_t i = 0; i < c->nbody; i++)
        free(c->body[i]);
    c->nbody = 0;
}

bool hcase_applies(const hcase_t *c, const char *mode)
{
    return !c->only[0] || strcmp(c->only, mode) == 0;
}

int hcase_request(const hcase_t *c, int port, raw_buf_t *out)
{
    if (c->raw)
        return raw_buf_add(out, c->payload.data ? c->payload.data : "", c->payload.len);
    raw_buf_printf(out, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", c->method,
                   c->target.data, port);
    if (c->headers.len)
        raw_buf_add(out, c->headers.data, c->headers.len);
    if (c->chunked) {
        raw_buf_printf(out, "Transfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < c->payload.len; off += c->chunked) {
            size_t n = c->payload.len - off < c->chunked ? c->payload.len - off : c->chunked;
            raw_buf_printf(out, "%zx\r\n", n);
            raw_buf_add(out, c->payload.data + off, n);
            raw_buf_add(out, "\r\n", 2);
        }
        return raw_buf_printf(out, "0\r\n\r\n");
    }
    if (c->content_length == -1 && (c->payload.len || strcmp(c->method, "GET") != 0))
        raw_buf_printf(out, "Content-Length: %zu\r\n", c->payload.len);
    else if (c->content_length >= 0)
        raw_buf_printf(out, "Content-Length: %ld\r\n", c->content_length);
    raw_buf_add(out, "\r\n", 2);
    return raw_buf_add(out, c->payload.data ? c->payload.data : "", c->payload.len);
}

static bool status_matches(const char *spec, int status)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", spec);
    char *save = NULL;
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
        if (atoi(t) == status)
            return true;
    return false;
}

bool hcase_check(const hcase_t *c, const char *mode, const raw_resp_t *r, char *why,
                 size_t why_size)
{
    int m = strcmp(mode, "dev") == 0 ? 1 : 2;
    const char *spec = c->status[m][0] ? c->status[m] : c->status[0];
    if (!status_matches(spec, r->status)) {
        snprintf(why, why_size, "status %d%s, expected %s; body: %.300s", r->status,
                 r->timed_out ? " (timed out)"
                 : r->reset   ? " (no answer, connection closed)"
                              : "",
                 spec, r->body ? r->body : "");
        return false;
    }
    /* A client that shut its sending side has said all it will: the server
     * answers or closes then, not when its idle timeout comes. */
    if (c->half_close && r->timed_out) {
        snprintf(why, why_size,
                 "the server held the half-closed connection until the client "
                 "gave up");
        return false;
    }
    if (c->ctype[0] && strncmp(r->ctype, c->ctype, strlen(c->ctype)) != 0) {
        snprintf(why, why_size, "content type '%s', expected '%s'", r->ctype, c->ctype);
        return false;
    }
    for (size_t i = 0; i < c->nbody; i++) {
        if (c->body_mode[i] && c->body_mode[i] != m)
            continue;
        if (!r->body || !strstr(r->body, c->body[i])) {
            snprintf(why, why_size, "body lacks '%s': %.300s", c->body[i], r->body ? r->body : "");
            return false;
        }
    }
    return true;
}
