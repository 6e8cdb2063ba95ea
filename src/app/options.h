/* This file is private to libclams.
 * Command-line / environment options of an app (clams_main parses them). */
#ifndef CLAMS_APP_OPTIONS_H
#define CLAMS_APP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct clams__options_s {
    bool production;
    const char *host;          /* NULL = all interfaces (0.0.0.0) */
    int port;                  /* default 5000 */
    size_t max_body;           /* bytes; default 256 MiB, answered 413 above */
    /* Limits that protect the HTTP front (both servers). */
    size_t max_header;         /* request line + headers, bytes; default 64 KiB */
    double client_timeout;     /* idle seconds before a client is dropped; 0 = never; default 60 */
    int max_connections;       /* open client connections; default 1024 */
    int workers;               /* --workers; 0 = decide (CLAMS_GUNICORN_WORKERS, pool plan) */
    int max_requests;          /* default 1; 0 = never recycle */
    int max_requests_jitter;   /* default 0 */
    double timeout;            /* seconds per request; 0 = none */
    double graceful_timeout;   /* seconds; default 30 */
    int queue;                 /* bounded queue length; default 64 */
    /* GPU memory budgets per worker, MiB. soft: -1 = est_gpu_mem_typ (default),
     * 0 = off. hard: 0 = off (default). */
    long vram_soft_mib;
    long vram_hard_mib;
    /* Host memory (RSS) a worker may keep after a request, MiB; above it the
     * worker is recycled. 0 = off (default). */
    long rss_budget_mib;
} clams__options_t;

struct clams_app_s;

/* libmicrohttpd's per-connection memory pool for these options: the request
 * line and headers must fit in it, with one record (~50 bytes) per header
 * and per query argument ("a&b&c..." is 2 bytes an argument), next to a read
 * buffer for the body. Pages are touched only as they are used. */
#define CLAMS__HTTP_READ_BUFFER ((size_t)32 << 10)
#define clams__options_conn_memory(o) ((o)->max_header * 4 + CLAMS__HTTP_READ_BUFFER)
/* The idle timeout in whole seconds, as libmicrohttpd takes it. */
#define clams__options_client_timeout_s(o) ((unsigned int)((o)->client_timeout + 0.999))

/* Fills the defaults above; max_requests and max_requests_jitter come from
 * app->production when set (CLAMS_MAX_REQUESTS_NEVER gives 0). app may be NULL. */
void clams__options_defaults(clams__options_t *o, const struct clams_app_s *app);

/* Parses one server flag at argv[*i] ("--port 8080" or "--port=8080"),
 * advancing *i past its value. Returns 1 when the flag was consumed, 0 when
 * it is not a server flag, and CLAMS_ECONFIG with a message in msg when the
 * value is invalid. */
int clams__options_parse_flag(clams__options_t *o, int argc, char **argv, int *i, char *msg,
                              size_t msg_size);

#endif
