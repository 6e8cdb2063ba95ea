/* The flags and environment variables of clams/limits.h: --media-root DIR
 * (repeatable; CLAMS_MEDIA_ROOT, ':'-separated) and one --max-NAME N per
 * limit (CLAMS_MAX_NAME). The environment is read first and a flag
 * overrides it; roots from both add up. Kept apart from options.c, whose
 * table holds a value per flag: a root is a list, and a limit lives in
 * libclams' own state, read by the readers that apply it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clams/limits.h"
#include "common/internal.h"
#include "serve/options.h"
#include "serve/serve.h"

/* What each limit bounds, for --help; the default comes from libclams'
 * table (src/common/limits.c), its one home. */
static const char *const limit_help[CLAMS_LIMIT_COUNT] = {
    [CLAMS_LIMIT_FRAMES] = "frames sampled per request",
    [CLAMS_LIMIT_TIME_WORK] = "annotations visited resolving TimeFrame targets\nper request",
    [CLAMS_LIMIT_PIXELS] = "pixels of a decoded picture",
    [CLAMS_LIMIT_SAMPLE_RATE] = "audio sample rate in Hz",
    [CLAMS_LIMIT_CHANNELS] = "audio channels",
    [CLAMS_LIMIT_TEXT_BYTES] = "bytes of a TextDocument file",
    [CLAMS_LIMIT_WORKER_MEMORY] = "MiB of address space per production worker;\na request "
                                  "past it fails (500) and the worker\nis replaced",
};

static int parse_count(const char *s, long long min, long long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    long long mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024 * 1024 * 1024, end++;
    if (errno || *end || end == s || v < min || __builtin_mul_overflow(v, mult, out))
        return -1;
    return 0;
}

/* CLAMS_MAX_FRAMES for --max-frames. */
static void env_name(const char *flag, char *buf, size_t size)
{
    size_t k = (size_t)snprintf(buf, size, "CLAMS_");
    for (const char *p = flag + 2; *p && k + 1 < size; p++)
        buf[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    buf[k] = '\0';
}

static int set_limit(clams_limit_t which, const char *from, const char *val, char *msg, size_t size)
{
    long long v;
    long long min = which == CLAMS_LIMIT_WORKER_MEMORY ? 0 : 1;
    if (parse_count(val, min, &v) != 0 || clams_limit_set(which, v) != 0) {
        snprintf(msg, size,
                 "%s: invalid value '%s'; expected an integer of at least %lld "
                 "(K, M, G suffixes allowed)",
                 from, val ? val : "", min);
        return CLAMS_ECONFIG;
    }
    return 0;
}

int clams__limit_flags_env(char *msg, size_t size)
{
    clams_error_t err = {0};
    if (clams_media_root_add_list(getenv("CLAMS_MEDIA_ROOT"), &err) != 0) {
        snprintf(msg, size, "CLAMS_MEDIA_ROOT: %s", err.text);
        return CLAMS_ECONFIG;
    }
    for (int i = 0; i < CLAMS_LIMIT_COUNT; i++) {
        char name[64];
        env_name(clams_limit_flag((clams_limit_t)i), name, sizeof name);
        const char *v = getenv(name);
        if (v && set_limit((clams_limit_t)i, name, v, msg, size) != 0)
            return CLAMS_ECONFIG;
    }
    return 0;
}

int clams__limit_flags_parse(int argc, char **argv, int *i, char *msg, size_t size)
{
    const char *v = NULL;
    int m = clams__flag_value("--media-root", argc, argv, i, &v);
    if (m > 0) {
        clams_error_t err = {0};
        if (clams_media_root_add(v, &err) != 0) {
            snprintf(msg, size, "--media-root: %s", err.text);
            return CLAMS_ECONFIG;
        }
        return 1;
    }
    for (int k = 0; m == 0 && k < CLAMS_LIMIT_COUNT; k++) {
        const char *flag = clams_limit_flag((clams_limit_t)k);
        m = clams__flag_value(flag, argc, argv, i, &v);
        if (m > 0)
            return set_limit((clams_limit_t)k, flag, v, msg, size) ? CLAMS_ECONFIG : 1;
        if (m < 0) {
            snprintf(msg, size, "%s: missing value", flag);
            return CLAMS_ECONFIG;
        }
    }
    if (m < 0) {
        snprintf(msg, size, "--media-root: missing value");
        return CLAMS_ECONFIG;
    }
    return 0;
}

void clams__limit_flags_usage(FILE *f, int column)
{
    fprintf(f, "Media and limits (also CLAMS_MEDIA_ROOT, CLAMS_MAX_...):\n");
    int w = fprintf(f, "  --media-root DIR");
    fprintf(f, "%*s%s\n%*s%s\n%*s%s\n", column - w, "",
            "read media only inside DIR (repeatable); without", column, "",
            "it any file but /proc, /sys, /dev can be read", column, "",
            "(CLAMS_MEDIA_ROOT: DIR:DIR...)");
    for (int k = 0; k < CLAMS_LIMIT_COUNT; k++) {
        w = fprintf(f, "  %s N", clams_limit_flag((clams_limit_t)k));
        fprintf(f, "%*s", w < column ? column - w : 1, "");
        for (const char *h = limit_help[k]; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "%*s", column, "");
        }
        long long d = clams__limit_default((clams_limit_t)k);
        fprintf(f, " (default %lld%s)\n", d, d == 0 ? " = none" : "");
    }
}
