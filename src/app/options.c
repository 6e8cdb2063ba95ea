/* Command-line options of an app's servers: defaults and strict parsing of
 * each flag ("--name VALUE" or "--name=VALUE"); a bad value is reported with
 * the flag's name and what it accepts. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/options.h"
#include "clams/app.h"

void clams__options_defaults(clams__options_t *o, const struct clams_app_s *app)
{
    memset(o, 0, sizeof(*o));
    o->port = 5000;
    o->max_body = (size_t)256 << 20;
    o->max_header = (size_t)64 << 10;
    o->client_timeout = 60;
    o->max_connections = 1024;
    o->max_requests = 1;
    o->graceful_timeout = 30;
    o->queue = 64;
    o->vram_soft_mib = -1;
    if (app) {
        int mr = app->production.max_requests;
        if (mr == CLAMS_MAX_REQUESTS_NEVER)
            o->max_requests = 0;
        else if (mr > 0)
            o->max_requests = mr;
        if (app->production.max_requests_jitter > 0)
            o->max_requests_jitter = app->production.max_requests_jitter;
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
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    if (shift)
        end++;
    if (errno || end == s || *end || v == 0 || v > (ULLONG_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

typedef enum { K_INT, K_SECONDS, K_SIZE, K_STRING, K_FLAG } kind_t;

typedef struct {
    const char *name;
    kind_t kind;
    long min, max;
    const char *accepts;
} flag_t;

static const flag_t flags[] = {
    {"--port", K_INT, 0, 65535, "a port number (0-65535)"},
    {"--host", K_STRING, 0, 0, "an IP address"},
    {"--max-body", K_SIZE, 0, 0, "a positive size in bytes (K, M, G suffixes allowed)"},
    {"--max-header-size", K_SIZE, 0, 0, "a positive size in bytes (K, M suffixes allowed)"},
    {"--client-timeout", K_SECONDS, 0, 0, "non-negative seconds (0 = never)"},
    {"--max-connections", K_INT, 1, 1000000, "a connection count of at least 1"},
    {"--production", K_FLAG, 0, 0, ""},
    {"--workers", K_INT, 0, 4096, "0 (decide) or a worker count"},
    {"--max-requests", K_INT, 0, INT_MAX, "0 (never recycle) or a request count"},
    {"--max-requests-jitter", K_INT, 0, INT_MAX, "a non-negative integer"},
    {"--timeout", K_SECONDS, 0, 0, "non-negative seconds (0 = none)"},
    {"--graceful-timeout", K_SECONDS, 0, 0, "non-negative seconds"},
    {"--queue", K_INT, 1, 1000000, "a queue length of at least 1"},
    {"--vram-soft-budget", K_INT, -1, LONG_MAX, "MiB (0 = off, -1 = est_gpu_mem_typ)"},
    {"--vram-hard-budget", K_INT, 0, LONG_MAX, "MiB (0 = off)"},
    {"--worker-rss-budget", K_INT, 0, LONG_MAX, "MiB (0 = off)"},
};

static void store(clams__options_t *o, const char *name, long iv, double dv, size_t sv,
                  const char *str)
{
    if (!strcmp(name, "--port")) o->port = (int)iv;
    else if (!strcmp(name, "--host")) o->host = str;
    else if (!strcmp(name, "--max-body")) o->max_body = sv;
    else if (!strcmp(name, "--max-header-size")) o->max_header = sv;
    else if (!strcmp(name, "--client-timeout")) o->client_timeout = dv;
    else if (!strcmp(name, "--max-connections")) o->max_connections = (int)iv;
    else if (!strcmp(name, "--production")) o->production = true;
    else if (!strcmp(name, "--workers")) o->workers = (int)iv;
    else if (!strcmp(name, "--max-requests")) o->max_requests = (int)iv;
    else if (!strcmp(name, "--max-requests-jitter")) o->max_requests_jitter = (int)iv;
    else if (!strcmp(name, "--timeout")) o->timeout = dv;
    else if (!strcmp(name, "--graceful-timeout")) o->graceful_timeout = dv;
    else if (!strcmp(name, "--queue")) o->queue = (int)iv;
    else if (!strcmp(name, "--vram-soft-budget")) o->vram_soft_mib = iv;
    else if (!strcmp(name, "--vram-hard-budget")) o->vram_hard_mib = iv;
    else if (!strcmp(name, "--worker-rss-budget")) o->rss_budget_mib = iv;
}

int clams__options_parse_flag(clams__options_t *o, int argc, char **argv, int *i, char *msg,
                              size_t msg_size)
{
    const char *arg = argv[*i];
    for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
        size_t n = strlen(flags[f].name);
        if (strncmp(arg, flags[f].name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
            continue;
        if (flags[f].kind == K_FLAG) {
            if (arg[n] == '=') {
                snprintf(msg, msg_size, "%s takes no value", flags[f].name);
                return CLAMS_ECONFIG;
            }
            store(o, flags[f].name, 0, 0, 0, NULL);
            return 1;
        }
        const char *val = arg[n] == '=' ? arg + n + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        long iv = 0;
        double dv = 0;
        size_t sv = 0;
        int bad = !val;
        if (!bad && flags[f].kind == K_INT)
            bad = parse_long(val, flags[f].min, flags[f].max, &iv);
        else if (!bad && flags[f].kind == K_SECONDS)
            bad = parse_seconds(val, &dv);
        else if (!bad && flags[f].kind == K_SIZE)
            bad = parse_size(val, &sv);
        else if (!bad && flags[f].kind == K_STRING)
            bad = !*val;
        if (bad) {
            snprintf(msg, msg_size, "%s: %s%s%s expected %s", flags[f].name,
                     val ? "invalid value '" : "missing value", val ? val : "",
                     val ? "';" : ";", flags[f].accepts);
            return CLAMS_ECONFIG;
        }
        store(o, flags[f].name, iv, dv, sv, val);
        return 1;
    }
    return 0;
}
