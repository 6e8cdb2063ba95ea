/* Logging to stderr with a process-wide threshold from CLAMS_LOGLEVEL.
 * One write(2) per line so lines from the master and workers do not interleave. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/internal.h"

static int log_threshold = CLAMS_LOG_WARNING;

static const struct {
    const char *name;
    int level;
} levels[] = {
    {"debug", CLAMS_LOG_DEBUG},       {"info", CLAMS_LOG_INFO},     {"warning", CLAMS_LOG_WARNING},
    {"warn", CLAMS_LOG_WARNING},      {"notice", CLAMS_LOG_NOTICE}, {"error", CLAMS_LOG_ERROR},
    {"critical", CLAMS_LOG_CRITICAL},
};

int clams__log_init(void)
{
    const char *v = getenv("CLAMS_LOGLEVEL");
    if (!v || !*v)
        return 0;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcasecmp(v, levels[i].name) == 0) {
            log_threshold = levels[i].level;
            return 0;
        }
    }
    return CLAMS_ECONFIG;
}

static const char *level_name(int level)
{
    if (level >= CLAMS_LOG_CRITICAL)
        return "CRITICAL";
    if (level >= CLAMS_LOG_ERROR)
        return "ERROR";
    if (level >= CLAMS_LOG_NOTICE)
        return "NOTICE";
    if (level >= CLAMS_LOG_WARNING)
        return "WARNING";
    if (level >= CLAMS_LOG_INFO)
        return "INFO";
    return "DEBUG";
}

void clams__log(int level, int errnum, const char *fmt, ...)
{
    if (level < log_threshold)
        return;
    int saved = errno;
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ld %s [%ld] ", (long)(tv.tv_usec / 1000),
                  level_name(level), (long)getpid());
    va_list ap;
    va_start(ap, fmt);
    if (n < (int)sizeof(line))
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (errnum && n < (int)sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(errnum));
    if (n >= (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
    errno = saved;
}
