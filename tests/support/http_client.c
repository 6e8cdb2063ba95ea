/* Test support: one-shot HTTP requests with libcurl, returning status,
 * headers and body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "support.h"

typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

static size_t buf_add(buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    return buf_add(ud, p, size * nmemb);
}

char *clams_ts_header(const clams_ts_response_t *r, const char *name)
{
    if (!r->headers)
        return NULL;
    size_t nl = strlen(name);
    /* The last header block wins (a 100 Continue may precede the answer). */
    char *found = NULL;
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            free(found);
            found = strndup(v, len - (size_t)(v - line));
        }
        line = eol ? eol + 2 : NULL;
    }
    return found;
}

int clams_ts_request(const char *method, const char *base_url, const char *query,
                     const char *const *headers, const char *body, size_t body_len,
                     double timeout_s, clams_ts_response_t *out)
{
    memset(out, 0, sizeof(*out));
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char *url = NULL;
    if (asprintf(&url, "%s%s%s", base_url, query && *query ? "?" : "", query ? query : "") < 0) {
        curl_easy_cleanup(c);
        return -1;
    }
    buf_t hb = {0}, bb = {0};
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->error);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0 || body) {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    else if (!out->error[0])
        snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(cc));
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    free(url);
    out->headers = hb.data ? hb.data : strdup("");
    out->body = bb.data ? bb.data : strdup("");
    out->body_len = bb.len;
    out->content_type = clams_ts_header(out, "Content-Type");
    out->worker = clams_ts_header(out, "X-Clams-Worker");
    return cc == CURLE_OK ? 0 : -1;
}

int clams_ts_get(const char *base_url, const char *query, clams_ts_response_t *out)
{
    return clams_ts_request("GET", base_url, query, NULL, NULL, 0, 60, out);
}

int clams_ts_post(const char *base_url, const char *query, const char *body,
                  clams_ts_response_t *out)
{
    return clams_ts_request("POST", base_url, query, NULL, body, body ? strlen(body) : 0, 60, out);
}

int clams_ts_put(const char *base_url, const char *query, const char *body,
                 clams_ts_response_t *out)
{
    return clams_ts_request("PUT", base_url, query, NULL, body, body ? strlen(body) : 0, 60, out);
}

void clams_ts_response_free(clams_ts_response_t *r)
{
    free(r->headers);
    free(r->content_type);
    free(r->worker);
    free(r->body);
    memset(r, 0, sizeof(*r));
}
