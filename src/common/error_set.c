/* Filling caller-owned error records: the first error wins. */
#include <stdio.h>
#include <string.h>

#include "common/internal.h"

int clams__error_set(clams_error_t *err, int code, const char *path, const char *rule,
                     const char *fmt, ...)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    if (path)
        snprintf(err->path, sizeof(err->path), "%s", path);
    if (rule)
        snprintf(err->rule, sizeof(err->rule), "%s", rule);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return code;
}
