/* The library's one clock: CLOCK_MONOTONIC in seconds. Every duration the
 * servers measure (request times, timeouts, backoff, runningTime) reads it,
 * so two figures taken in different modules can be compared. */
#include <time.h>

#include "common/internal.h"

double clams__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
