/* This file is private to libclams.
 * Shared helpers: filling clams_error_t records and logging. */
#ifndef CLAMS_COMMON_INTERNAL_H
#define CLAMS_COMMON_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "clams/error.h"
#include "clams/limits.h"

/* Fills err (when not NULL and still empty: the first error wins). path and
 * rule may be NULL. Returns code, so `return clams__error_set(...)` works. */
int clams__error_set(clams_error_t *err, int code, const char *path, const char *rule,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Log levels, ordered; CLAMS_LOGLEVEL (debug, info, warning, notice, error,
 * critical; case-insensitive) selects the threshold, default warning.
 * NOTICE sits above WARNING on purpose: it is for the few lines an operator
 * must see at the default level (a server is ready, and how it was sized)
 * without their being warnings; only CLAMS_LOGLEVEL=error or above hides them. */
enum {
    CLAMS_LOG_DEBUG = 10,
    CLAMS_LOG_INFO = 20,
    CLAMS_LOG_WARNING = 30,
    CLAMS_LOG_NOTICE = 35,
    CLAMS_LOG_ERROR = 40,
    CLAMS_LOG_CRITICAL = 50
};

/* Reads CLAMS_LOGLEVEL. Returns 0, or CLAMS_ECONFIG when the value is not a
 * known level (the threshold then stays at warning). */
int clams__log_init(void);
/* Writes one line to stderr: "<ISO time> <LEVEL> [pid] message". errnum, when
 * not 0, appends ": strerror(errnum)". */
void clams__log(int level, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The length of the valid UTF-8 sequence at s (strict: no overlong forms,
 * no surrogates, nothing above U+10FFFF; at most `avail` bytes read), or 0
 * when there is none. The one UTF-8 decoder of libclams. */
size_t clams__utf8_seq(const unsigned char *s, size_t avail);
/* A copy of str (NUL-terminated) in which every byte that does not start a
 * valid UTF-8 sequence is replaced by U+FFFD. NULL on allocation failure.
 * Ownership: new (free()). */
char *clams__utf8_sanitize_dup(const char *str);
/* Whether s[0..n) is valid UTF-8 as JSON takes it (no overlongs, no
 * surrogates, nothing above U+10FFFF); fast on ASCII. */
bool clams__utf8_valid(const char *s, size_t n);

/* The value of one hexadecimal digit, -1 if c is not one (percent-decoding
 * in query strings and file URIs). */
static inline int clams__hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
/* Why jansson refused to make a string or key of text (json_string,
 * json_object_set_new): CLAMS_EINVAL when text is not valid UTF-8, else
 * CLAMS_ENOMEM (jansson's only other reason). */
int clams__json_text_failure(const char *text);

/* Reads fd to its end. A regular file's size sizes the buffer up front.
 * Returns the bytes (not NUL-terminated; ownership: new, free()) with *len
 * set, or NULL with errno set (ENOMEM, or read's error). */
char *clams__read_all(int fd, size_t *len);
/* Writes all len bytes (retrying short writes and EINTR). Returns 0, or -1
 * with errno set. */
int clams__write_all(int fd, const char *buf, size_t len);

/* Room for one more element in a growable array. arrp points at the array
 * pointer (e.g. &v->items); n is the element count, *cap the capacity, elem
 * the element size. When n == *cap the array is reallocated to twice *cap
 * (`first` elements when *cap is 0). Returns 0, or -1 with the array and
 * *cap unchanged when memory runs out or the size would overflow. */
int clams__grow(void *arrp, size_t *cap, size_t n, size_t elem, size_t first);

/* Makes glibc keep freed heap between requests (servers only; see
 * malloc_tune.c). Returns 1 when applied, 0 when the operator's
 * GLIBC_TUNABLES / MALLOC_*_ settings were left in charge, -1 when mallopt
 * refused. Process-wide: call once, before workers are forked. */
int clams__malloc_tune(void);

/* After json_loadb(buf, len) failed with jerr: true when the cause was
 * memory, not the text (jansson 2.14 often reports a failed allocation as a
 * syntax error; see json_load.c). */
bool clams__json_failed_for_memory(const json_error_t *jerr, const char *buf, size_t len);

/* Monotonic seconds (CLOCK_MONOTONIC): the one clock of the library. */
double clams__now(void);

/* A limit's default (clams/limits.h), whatever it was set to since
 * (limits.c). */
long long clams__limit_default(clams_limit_t which);

/* The request's client-fault record (limits.c): begin resets it and the
 * per-request limit totals; fault records the first 4xx status a reader
 * chose (403 a location refused, 400 a limit); status reads it (0: none). */
void clams__request_begin(void);
void clams__request_fault(int status);
int clams__request_fault_status(void);

#endif
