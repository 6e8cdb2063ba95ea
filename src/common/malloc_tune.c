/* Keeping the heap between requests. A request allocates a few hundred KiB
 * (the parsed input, the view's arena chunks of 256 KiB and up, the output
 * buffer) and frees all of it when it ends. A production worker runs
 * requests on its main thread, whose heap glibc trims back to the kernel
 * whenever the free top passes its (dynamic) threshold: the next request
 * faults every page in again. Measured on the tokenizer's 2 KB request:
 * ~17 page faults per request in a worker before, ~1 after (bench notes in
 * docs/performance.md). The development server's requests run on
 * libmicrohttpd's thread, whose arena showed no such faults; the setting
 * does not change its figures.
 * Fixed thresholds keep up to CLAMS__TRIM_KEEP of free heap resident, and
 * blocks from CLAMS__MMAP_FROM up still go to mmap, so the tens of MiB of a
 * 1 MB request return to the kernel when it ends. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

#define CLAMS__TRIM_KEEP (8 << 20)
#define CLAMS__MMAP_FROM (1 << 20)

/* True when the operator already chose malloc settings through glibc's
 * environment; theirs win. */
static int operator_chose(void)
{
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.malloc."))
        return 1;
    return getenv("MALLOC_TRIM_THRESHOLD_") || getenv("MALLOC_MMAP_THRESHOLD_") ||
           getenv("MALLOC_TOP_PAD_");
}

int clams__malloc_tune(void)
{
    if (operator_chose())
        return 0;
    /* Setting either threshold also turns off glibc's dynamic adjustment,
     * which would otherwise move them after the first big request. */
    if (!mallopt(M_MMAP_THRESHOLD, CLAMS__MMAP_FROM) ||
        !mallopt(M_TRIM_THRESHOLD, CLAMS__TRIM_KEEP))
        return -1;
    return 1;
}
