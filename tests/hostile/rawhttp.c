/* rawhttp: one HTTP/1.1 exchange over a raw socket. Sending and reading are
 * interleaved with poll so a server that answers early (413, 400) and closes
 * is read rather than reported as a send error. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rawhttp.h"

double raw_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int raw_buf_add(raw_buf_t *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int raw_buf_printf(raw_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    int rc = raw_buf_add(b, s, (size_t)n);
    free(s);
    return rc;
}

void raw_buf_free(raw_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void raw_resp_free(raw_resp_t *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void header_value(const char *headers, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = strstr(headers, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            h += n + 1;
            while (*h == ' ')
                h++;
            size_t len = strcspn(h, "\r\n");
            snprintf(out, size, "%.*s", (int)len, h);
            return;
        }
    }
}

/* Fills out from the bytes read; returns true when the answer is complete. */
static bool parse(const raw_buf_t *in, raw_resp_t *out, bool eof)
{
    if (!in->data)
        return false;
    char *start = in->data;
    char *end = strstr(start, "\r\n\r\n");
    /* Skip interim answers (100 Continue). */
    while (end && strncmp(start, "HTTP/1.1 1", 10) == 0) {
        start = end + 4;
        end = strstr(start, "\r\n\r\n");
    }
    if (!end)
        return false;
    size_t hlen = (size_t)(end - start);
    char cl[32];
    free(out->headers);
    out->headers = strndup(start, hlen + 2);
    if (!out->headers)
        return false;
    if (sscanf(start, "HTTP/1.%*d %d", &out->status) != 1)
        out->status = 0;
    header_value(out->headers, "Content-Type", out->ctype, sizeof(out->ctype));
    header_value(out->headers, "X-Clams-Worker", out->worker, sizeof(out->worker));
    header_value(out->headers, "Content-Length", cl, sizeof(cl));
    size_t have = in->len - (size_t)(start - in->data) - hlen - 4;
    if (!cl[0] && !eof)
        return false;
    size_t want = cl[0] ? strtoull(cl, NULL, 10) : have;
    if (have < want && !eof)
        return false;
    if (have > want)
        have = want;
    free(out->body);
    out->body = malloc(have + 1);
    if (!out->body)
        return false;
    memcpy(out->body, end + 4, have);
    out->body[have] = '\0';
    out->body_len = have;
    return true;
}

int raw_exchange(int port, const char *req, size_t len, double timeout_s, raw_resp_t *out)
{
    return raw_exchange_ex(port, req, len, timeout_s, false, out);
}

int raw_exchange_ex(int port, const char *req, size_t len, double timeout_s, bool half_close,
                    raw_resp_t *out)
{
    memset(out, 0, sizeof(*out));
    int fd = connect_port(port);
    if (fd < 0) {
        out->reset = true;
        return -1;
    }
    raw_buf_t in = {0};
    double deadline = raw_now() + timeout_s;
    bool done = false, eof = false, can_send = true;
    while (!done) {
        double left = deadline - raw_now();
        if (left <= 0) {
            out->timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (can_send && out->sent < len)
            p.events |= POLLOUT;
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        if ((p.revents & POLLOUT) && out->sent < len) {
            size_t chunk = len - out->sent > 65536 ? 65536 : len - out->sent;
            ssize_t w = send(fd, req + out->sent, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                out->sent += (size_t)w;
            if (w > 0 && out->sent == len && half_close)
                shutdown(fd, SHUT_WR);
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                can_send = false; /* the server stopped reading; keep reading its answer */
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[65536];
            ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (r > 0) {
                raw_buf_add(&in, buf, (size_t)r);
                done = parse(&in, out, false);
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                eof = true;
                done = true;
            }
        }
    }
    close(fd);
    if (eof)
        parse(&in, out, true);
    if (!out->status && !out->timed_out)
        out->reset = true;
    if (!out->body)
        out->body = calloc(1, 1);
    raw_buf_free(&in);
    return out->status ? 0 : -1;
}
