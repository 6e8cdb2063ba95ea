/* rawhttp: one HTTP exchange over a plain TCP socket, for tests that must
 * send what libcurl refuses to (broken request lines, huge headers, bodies
 * that lie about their length) and still read whatever comes back. */
#ifndef CLAMS_REL_RAWHTTP_H
#define CLAMS_REL_RAWHTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct raw_resp_s {
    int status;      /* 0: no status line came back */
    char ctype[128]; /* Content-Type, "" when absent */
    char worker[32]; /* X-Clams-Worker, "" when absent */
    char *headers;   /* raw header block (malloc'd, NUL-terminated) */
    char *body;      /* malloc'd, NUL-terminated */
    size_t body_len;
    bool reset; /* the connection was reset or closed before an answer */
    bool timed_out;
    size_t sent; /* request bytes the server accepted */
} raw_resp_t;

/* Connects to 127.0.0.1:port, sends req (len bytes; as much as the server
 * takes) while reading, and reads one response until it is complete (by
 * Content-Length), the peer closes, or timeout_s passes. Returns 0 when a
 * status line came back, -1 otherwise (out is filled either way). */
int raw_exchange(int port, const char *req, size_t len, double timeout_s, raw_resp_t *out);
/* As raw_exchange; with half_close the client shuts its sending side down
 * once the request is out (a client that gives up mid-request). */
int raw_exchange_ex(int port, const char *req, size_t len, double timeout_s, bool half_close,
                    raw_resp_t *out);
void raw_resp_free(raw_resp_t *r);

/* Monotonic seconds. */
double raw_now(void);

/* A growable byte buffer. */
typedef struct raw_buf_s {
    char *data;
    size_t len, cap;
} raw_buf_t;
int raw_buf_add(raw_buf_t *b, const void *data, size_t len);
int raw_buf_printf(raw_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void raw_buf_free(raw_buf_t *b);

#endif
