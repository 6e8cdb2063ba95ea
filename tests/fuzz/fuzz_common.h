/* Shared bits of the libFuzzer harnesses: a NUL-terminated copy of the
 * input, and FUZZ_CHECK, an invariant check that aborts (so libFuzzer keeps
 * the input as a crash) with the reason on stderr. */
#ifndef CLAMS_FUZZ_COMMON_H
#define CLAMS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "invariant broken at %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* A malloc'd copy with a terminating NUL (libFuzzer's buffer has none). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
