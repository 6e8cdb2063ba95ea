/* Command-line options of an app's servers. Each flag is one row of `flags`:
 * its name, the value it takes, where the value is stored, what it accepts
 * (for the error message) and its --help text, so parsing, storing and the
 * usage text cannot drift apart. A bad value is reported with the flag's
 * name and what it accepts. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/app.h"
#include "serve/options.h"

void clams__options_defaults(clams__options_t *o, const struct clams_app_s *app)
{
    memset(o, 0, sizeof(*o));
    o->http.port = 5000;
    o->http.max_body = (size_t)256 << 20;
    /* A quarter of the machine's memory for bodies in flight, all requests
     * together: past it, new uploads get 503 and Retry-After. */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    o->http.max_body_total =
        pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 4 : (size_t)1 << 30;
    o->http.max_header = (size_t)64 << 10;
    o->http.client_timeout = 60;
    o->http.max_connections = 1024;
    o->sup.max_requests = 1;
    o->sup.graceful_timeout = 30;
    o->sup.queue = 64;
    o->sup.queue_timeout = 300;
    o->sup.ready_wait = 30;
    o->sup.vram_soft_mib = -1;
    if (app) {
        int mr = app->production.max_requests;
        if (mr == CLAMS_MAX_REQUESTS_NEVER)
            o->sup.max_requests = 0;
        else if (mr > 0)
            o->sup.max_requests = mr;
        if (app->production.max_requests_jitter > 0)
            o->sup.max_requests_jitter = app->production.max_requests_jitter;
        /* The flags parsed after this overwrite both, 0 included: this is
         * the one place the app's production defaults are read. */
    }
}

static int parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* Bytes with an optional K, M or G (powers of 1024). */
static int parse_size(const char *s, size_t *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (errno || end == s || *end || v == 0 || v > (ULLONG_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

/* What a flag's value is, and so how it is parsed and stored. K_NONE rows
 * are handled by clams_main (--help, --version, --describe) and only listed. */
typedef enum { K_NONE, K_BOOL, K_INT, K_LONG, K_SECONDS, K_SIZE, K_STRING } kind_t;

typedef struct {
    const char *section; /* a heading printed before this row, or NULL */
    const char *name;
    const char *metavar; /* shown after the name in --help; NULL for a switch */
    kind_t kind;
    size_t offset;       /* where the value goes in clams__options_t */
    long min, max;       /* K_INT, K_LONG */
    const char *accepts; /* "expected ..." in the error for a bad value */
    const char *help;    /* --help text; '\n' starts an indented line */
} flag_t;

#define AT(field) offsetof(clams__options_t, field)

static const flag_t flags[] = {
    {"Options:", "--help", NULL, K_NONE, 0, 0, 0, NULL, "print this help and exit"},
    {NULL, "--version", NULL, K_NONE, 0, 0, 0, NULL, "print the app and SDK versions and exit"},
    {NULL, "--describe", NULL, K_NONE, 0, 0, 0, NULL,
     "print the app metadata (pretty JSON) and exit"},
    {NULL, "--host", "ADDR", K_STRING, AT(http.host), 0, 0, "a host name or an IP address",
     "listen address, a name or an IPv4/IPv6 address\n(default: all interfaces)"},
    {NULL, "--port", "N", K_INT, AT(http.port), 0, 65535, "a port number (0-65535)",
     "listen port (default 5000); a port in use is an error"},
    {NULL, "--reuse-port", NULL, K_BOOL, AT(http.reuse_port), 0, 0, "",
     "share the port with other servers on purpose\n(SO_REUSEPORT; the kernel splits "
     "connections)"},
    {NULL, "--max-body", "BYTES", K_SIZE, AT(http.max_body), 0, 0,
     "a positive size in bytes (K, M, G suffixes allowed)",
     "largest request body, K/M/G allowed; larger\nbodies get 413 (default 256M)"},
    {NULL, "--max-body-total", "BYTES", K_SIZE, AT(http.max_body_total), 0, 0,
     "a positive size in bytes (K, M, G suffixes allowed)",
     "request bodies held at once, all clients together;\nbeyond: 503 (default: a quarter of "
     "RAM)"},
    {NULL, "--max-header-size", "BYTES", K_SIZE, AT(http.max_header), 0, 0,
     "a positive size in bytes (K, M suffixes allowed)",
     "request line plus headers (query string included);\nlarger requests get 431 "
     "(default 64K)"},
    {NULL, "--client-timeout", "SECONDS", K_SECONDS, AT(http.client_timeout), 0, 0,
     "non-negative seconds (0 = never)",
     "drop a client idle this long, e.g. a slow sender\n(default 60)"},
    {NULL, "--max-connections", "N", K_INT, AT(http.max_connections), 1, 1000000,
     "a connection count of at least 1", "open client connections (default 1024)"},
    {NULL, "--production", NULL, K_BOOL, AT(production), 0, 0, "",
     "run the production server (master + workers)"},
    {"Production server:", "--workers", "N", K_INT, AT(sup.workers), 0, 4096,
     "0 (decide) or a worker count",
     "worker count (default: from CPUs and GPU memory,\nor CLAMS_GUNICORN_WORKERS)"},
    {NULL, "--max-requests", "N", K_INT, AT(sup.max_requests), 0, INT_MAX,
     "0 (never recycle) or a request count",
     "requests per worker before it is replaced\n(default 1; 0 = never)"},
    {NULL, "--max-requests-jitter", "N", K_INT, AT(sup.max_requests_jitter), 0, INT_MAX,
     "a non-negative integer", "random extra requests per worker (default 0)"},
    {NULL, "--timeout", "SECONDS", K_SECONDS, AT(sup.timeout), 0, 0,
     "non-negative seconds (0 = none)", "per-request limit (default 0 = none)"},
    {NULL, "--graceful-timeout", "SECONDS", K_SECONDS, AT(sup.graceful_timeout), 0, 0,
     "non-negative seconds", "drain time on shutdown (default 30)"},
    {NULL, "--queue", "N", K_INT, AT(sup.queue), 1, 1000000, "a queue length of at least 1",
     "requests waiting for a worker before 503 (default 64)"},
    {NULL, "--queue-timeout", "SECONDS", K_SECONDS, AT(sup.queue_timeout), 0, 0,
     "non-negative seconds (0 = no limit)",
     "longest wait for a worker; then 503 (default 300;\n0 = no limit)"},
    {NULL, "--ready-wait", "SECONDS", K_SECONDS, AT(sup.ready_wait), 0, 0,
     "non-negative seconds (0 = off)",
     "/readyz answers 503 while a request has waited\nlonger than this for a worker (default "
     "30;\n0 = off)"},
    {NULL, "--vram-soft-budget", "MIB", K_LONG, AT(sup.vram_soft_mib), -1, LONG_MAX,
     "MiB (0 = off, -1 = est_gpu_mem_typ)",
     "recycle a worker after a request above this GPU\nmemory (default: est_gpu_mem_typ; "
     "0 = off)"},
    {NULL, "--vram-hard-budget", "MIB", K_LONG, AT(sup.vram_hard_mib), 0, LONG_MAX, "MiB (0 = off)",
     "fail a request above this GPU memory (default 0 = off)"},
    {NULL, "--no-standby", NULL, K_BOOL, AT(sup.no_standby), 0, 0, "",
     "CPU apps: no replacement forked and initialised\nahead of a recycle (on by default)"},
    {NULL, "--no-overlap", NULL, K_BOOL, AT(sup.no_overlap), 0, 0, "",
     "GPU apps: a replacement never starts before the\nold worker exits (by default it may, when "
     "the\n"
     "GPU's free memory holds est_gpu_mem_typ)"},
    {NULL, "--ignore-client-abort", NULL, K_BOOL, AT(sup.ignore_client_abort), 0, 0, "",
     "run a request whose client closed or half-closed\nits connection while it waited for a "
     "worker\n(by default it is dropped: 499 in the log)"},
    {NULL, "--worker-rss-budget", "MIB", K_LONG, AT(sup.rss_budget_mib), 0, LONG_MAX,
     "MiB (0 = off)",
     "recycle a worker that keeps more host memory (RSS)\nthan this after a request "
     "(default 0 = off)"},
};

#define NFLAGS      (sizeof(flags) / sizeof(flags[0]))
#define HELP_COLUMN 30

void clams__options_usage(FILE *f)
{
    for (size_t i = 0; i < NFLAGS; i++) {
        const flag_t *fl = &flags[i];
        if (fl->section)
            fprintf(f, "%s\n", fl->section);
        int w = fprintf(f, "  %s%s%s", fl->name, fl->metavar ? " " : "",
                        fl->metavar ? fl->metavar : "");
        fprintf(f, "%*s", w < HELP_COLUMN ? HELP_COLUMN - w : 1, "");
        for (const char *h = fl->help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "%*s", HELP_COLUMN, "");
        }
        fputc('\n', f);
    }
}

/* Parses val for fl and stores it; -1 when it is not acceptable. */
static int store(clams__options_t *o, const flag_t *fl, const char *val)
{
    char *at = (char *)o + fl->offset;
    long iv = 0;
    double dv = 0;
    size_t sv = 0;
    switch (fl->kind) {
    case K_BOOL: *(bool *)at = true; return 0;
    case K_INT:
        if (parse_long(val, fl->min, fl->max, &iv) != 0)
            return -1;
        *(int *)at = (int)iv;
        return 0;
    case K_LONG:
        if (parse_long(val, fl->min, fl->max, &iv) != 0)
            return -1;
        *(long *)at = iv;
        return 0;
    case K_SECONDS:
        if (parse_seconds(val, &dv) != 0)
            return -1;
        *(double *)at = dv;
        return 0;
    case K_SIZE:
        if (parse_size(val, &sv) != 0)
            return -1;
        *(size_t *)at = sv;
        return 0;
    case K_STRING:
        if (!*val)
            return -1;
        *(const char **)at = val;
        return 0;
    case K_NONE: break;
    }
    return -1;
}

int clams__flag_value(const char *name, int argc, char **argv, int *i, const char **value)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int clams__options_parse_flag(clams__options_t *o, int argc, char **argv, int *i, char *msg,
                              size_t msg_size)
{
    const char *arg = argv[*i];
    for (size_t f = 0; f < NFLAGS; f++) {
        const flag_t *fl = &flags[f];
        size_t n = strlen(fl->name);
        if (fl->kind == K_NONE || strncmp(arg, fl->name, n) != 0 ||
            (arg[n] != '\0' && arg[n] != '='))
            continue;
        if (fl->kind == K_BOOL) {
            if (arg[n] == '=') {
                snprintf(msg, msg_size, "%s takes no value", fl->name);
                return CLAMS_ECONFIG;
            }
            store(o, fl, NULL);
            return 1;
        }
        const char *val = arg[n] == '=' ? arg + n + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        if (!val || store(o, fl, val) != 0) {
            snprintf(msg, msg_size, "%s: %s%s%s expected %s", fl->name,
                     val ? "invalid value '" : "missing value", val ? val : "", val ? "';" : ";",
                     fl->accepts);
            return CLAMS_ECONFIG;
        }
        return 1;
    }
    return 0;
}
