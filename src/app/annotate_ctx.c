/* What an app calls from inside annotate: new signed views, failure and
 * warning records, GPU peak reports; plus view signing and the time
 * spellings (ISO timestamps, Python timedelta) the pipeline writes. */
#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "app/rt.h"
#include "common/internal.h"

int clams__sign_view(const clams__app_rt_t *rt, clams_view_t *view, json_t *raw_params,
                     json_t *config)
{
    int rc = clams_view_set_app(view, rt->identifier);
    json_t *md = clams_view_metadata(view);
    if (rc == 0 && !md)
        rc = CLAMS_EINVAL;
    if (rc == 0 && raw_params)
        rc = json_object_set(md, "parameters", raw_params) ? CLAMS_ENOMEM : 0;
    if (rc == 0 && config)
        rc = json_object_set(md, "appConfiguration", config) ? CLAMS_ENOMEM : 0;
    if (rc == 0 && rt->app_tags)
        rc = json_object_set(md, "appTags", rt->app_tags) ? CLAMS_ENOMEM : 0;
    return rc;
}

clams_view_t *clams_annotate_add_view(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif)
{
    if (!ctx || !mmif)
        return NULL;
    clams_view_t *v = clams_mmif_add_view(mmif);
    if (v && clams__sign_view(ctx->rt, v, ctx->raw_params, ctx->config) != 0)
        return NULL;
    return v;
}

/* "  File "f", line N, in func" then one line per native frame. */
static char *make_trace(const char *file, int line, const char *func)
{
    void *frames[48];
    int n = backtrace(frames, 48);
    char **syms = backtrace_symbols(frames, n);
    size_t len = strlen(file ? file : "?") + strlen(func ? func : "?") + 64;
    for (int i = 0; syms && i < n; i++)
        len += strlen(syms[i]) + 4;
    char *out = malloc(len);
    if (out) {
        int k = snprintf(out, len, "  File \"%s\", line %d, in %s\n", file ? file : "?", line,
                         func ? func : "?");
        /* backtrace_symbols ends each frame with its absolute address
         * (" [0x55d0c...]"), which would tell any client where the program
         * is loaded (defeating ASLR): only the module and the offset from
         * its symbol, which are the same in every run, are kept. */
        for (int i = 1; syms && i < n && k > 0 && (size_t)k < len; i++) {
            const char *abs = strstr(syms[i], " [0x");
            int keep = abs ? (int)(abs - syms[i]) : (int)strlen(syms[i]);
            k += snprintf(out + k, len - (size_t)k, "    %.*s\n", keep, syms[i]);
        }
    }
    free(syms);
    return out;
}

static int record_failure(clams_annotate_ctx_t *ctx, int status, const char *file, int line,
                          const char *func, const char *fmt, va_list ap)
{
    if (!ctx || ctx->fail_status)
        return CLAMS_EAPP;
    ctx->fail_status = status;
    if (vasprintf(&ctx->fail_message, fmt, ap) < 0)
        ctx->fail_message = NULL;
    ctx->fail_trace = make_trace(file, line, func);
    return CLAMS_EAPP;
}

int clams_annotate_fail_at(clams_annotate_ctx_t *ctx, const char *file, int line, const char *func,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = record_failure(ctx, 500, file, line, func, fmt, ap);
    va_end(ap);
    return rc;
}

int clams_annotate_reject_at(clams_annotate_ctx_t *ctx, const char *file, int line,
                             const char *func, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = record_failure(ctx, 400, file, line, func, fmt, ap);
    va_end(ap);
    return rc;
}

int clams_annotate_warn(clams_annotate_ctx_t *ctx, const char *fmt, ...)
{
    if (!ctx)
        return CLAMS_EINVAL;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CLAMS_ENOMEM;
    int rc = json_array_append_new(ctx->warnings, json_string(msg)) ? CLAMS_ENOMEM : 0;
    free(msg);
    return rc;
}

void clams_annotate_report_gpu_peak(clams_annotate_ctx_t *ctx, const char *gpu_uuid,
                                    unsigned long long bytes)
{
    if (ctx && ctx->prof)
        clams__hwprof_report_peak(ctx->prof, gpu_uuid, bytes);
}

const char *clams_annotate_type_uri(const clams_annotate_ctx_t *ctx, const char *type_name)
{
    if (!ctx)
        return NULL;
    const json_t *v = json_object_get(ctx->rt->metadata, "mmif_version");
    return clams_vocab_type_uri(json_string_value(v), type_name);
}

void *clams_annotate_user(const clams_annotate_ctx_t *ctx)
{
    return ctx ? ctx->rt->app->user : NULL;
}

void clams__iso_now(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%06ld", (long)tv.tv_usec);
}

void clams__timedelta_str(long long usec, char *buf, size_t size)
{
    if (usec < 0)
        usec = 0;
    long long days = usec / 86400000000LL;
    long long rest = usec % 86400000000LL;
    long long secs = rest / 1000000, micro = rest % 1000000;
    int n = 0;
    if (days)
        n = snprintf(buf, size, "%lld day%s, ", days, days == 1 ? "" : "s");
    n += snprintf(buf + n, size - (size_t)n, "%lld:%02lld:%02lld", secs / 3600, (secs / 60) % 60,
                  secs % 60);
    if (micro)
        snprintf(buf + n, size - (size_t)n, ".%06lld", micro);
}
