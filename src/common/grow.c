/* The one "grow a pointer-sized array by doubling" step the library's
 * growable arrays share (views, property keys, annotation types,
 * annotations, query parameters, the dev server's waiting connections). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

int clams__grow(void *arrp, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : first;
    if (want <= *cap || elem == 0 || want > SIZE_MAX / elem)
        return -1;
    /* arrp points at the caller's array pointer, whatever its type: read and
     * write it through memcpy rather than through a void ** alias. */
    void *old;
    memcpy(&old, arrp, sizeof(old));
    void *grown = realloc(old, want * elem);
    if (!grown)
        return -1;
    memcpy(arrp, &grown, sizeof(grown));
    *cap = want;
    return 0;
}
