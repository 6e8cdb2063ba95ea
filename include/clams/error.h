/* clams/error.h: error codes and the caller-owned error record.
 *
 * Conventions used across libclams (see docs/api-conventions.md):
 *  - Functions returning int return 0 (CLAMS_OK) or a negative clams_err_t.
 *  - Functions returning a pointer return NULL on error.
 *  - Functions that can fail in an interesting way take a `clams_error_t *err`
 *    (NULL allowed). The first error wins: a filled record is not overwritten.
 *  - The library never prints, never exits and never aborts.
 */
#ifndef CLAMS_ERROR_H
#define CLAMS_ERROR_H

#include "clams/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One list, expanded into the enum, the names and the messages. */
#define CLAMS_ERRNO_MAP(XX)                                     \
    XX(OK, 0, "success")                                        \
    XX(ENOMEM, -1, "out of memory")                             \
    XX(EINVAL, -2, "invalid argument")                          \
    XX(EIO, -3, "input/output error")                           \
    XX(ESYNTAX, -4, "JSON syntax error")                        \
    XX(ESCHEMA, -5, "document does not follow the MMIF schema") \
    XX(ENOTFOUND, -6, "not found")                              \
    XX(EEXIST, -7, "already exists")                            \
    XX(EPARAM, -8, "invalid runtime parameter")                 \
    XX(EAPP, -9, "the app failed")                              \
    XX(ETOOBIG, -10, "input too large")                         \
    XX(EMETADATA, -11, "invalid app metadata")                  \
    XX(ENOGPU, -12, "GPU information unavailable")              \
    XX(ECONFIG, -13, "invalid configuration")                   \
    XX(EENVELOPE, -14, "invalid request envelope")              \
    XX(ESYS, -15, "system call failed")                         \
    XX(EACCESS, -16, "refused by the location policy")

typedef enum {
#define CLAMS_ERR_ENUM_(name, val, msg) CLAMS_##name = val,
    CLAMS_ERRNO_MAP(CLAMS_ERR_ENUM_)
#undef CLAMS_ERR_ENUM_
} clams_err_t;

#define CLAMS_ERROR_PATH_LEN 256
#define CLAMS_ERROR_TEXT_LEN 512
#define CLAMS_ERROR_RULE_LEN 64

/* A rich error, filled by parsers and validators. Caller-owned, no heap.
 *  code:     a clams_err_t (0 when nothing went wrong)
 *  line, column, position: where a syntax error was found (1-based line and
 *            column, 0-based byte position); 0 when not applicable
 *  path:     JSON pointer of the offending value for schema errors ("/views/0/id")
 *  rule:     the schema rule that failed ("required", "minLength", ...)
 *  text:     a human-readable message
 */
typedef struct clams_error_s {
    int code;
    int line;
    int column;
    long position;
    char path[CLAMS_ERROR_PATH_LEN];
    char rule[CLAMS_ERROR_RULE_LEN];
    char text[CLAMS_ERROR_TEXT_LEN];
    void *reserved[4];
} clams_error_t;

/* The message for a code ("out of memory"). Never NULL. Ownership: static. */
CLAMS_API const char *clams_strerror(int code);
/* The symbolic name of a code ("CLAMS_ENOMEM"). Never NULL. Ownership: static. */
CLAMS_API const char *clams_err_name(int code);

/* Resets an error record to "no error". */
CLAMS_API void clams_error_clear(clams_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
