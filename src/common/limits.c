/* Limits on what one request may cost (clams/limits.h), and the request's
 * client-fault status: a refusal made deep in a reader (a location outside
 * the roots, a limit) marks the request, so the pipeline answers 4xx even
 * when the app reports the failure with clams_annotate_fail. A process
 * serves one request at a time (development server, production worker,
 * file mode), so one process-wide record is enough. */
#include <stdio.h>

#include "clams/limits.h"
#include "common/internal.h"

typedef struct {
    const char *flag;
    long long value;
    long long min;
    const char *unit; /* in messages, after the number */
    long long dflt;   /* value's first value, for --help (set on first use) */
} limit_t;

/* Defaults a real archive never meets: nine hours of 60 fps video sampled
 * frame by frame, an 8K picture twice over, 768 kHz, 64 channels. */
static limit_t limits[CLAMS_LIMIT_COUNT] = {
    [CLAMS_LIMIT_FRAMES] = {"--max-frames", 2000000, 1, "frames"},
    [CLAMS_LIMIT_TIME_WORK] = {"--max-time-work", 1000000, 1, "annotations visited"},
    [CLAMS_LIMIT_PIXELS] = {"--max-pixels", 67108864, 1, "pixels"},
    [CLAMS_LIMIT_SAMPLE_RATE] = {"--max-sample-rate", 768000, 1, "Hz"},
    [CLAMS_LIMIT_CHANNELS] = {"--max-channels", 64, 1, "channels"},
    [CLAMS_LIMIT_TEXT_BYTES] = {"--max-text-bytes", 67108864, 1, "bytes"},
    [CLAMS_LIMIT_WORKER_MEMORY] = {"--max-worker-memory", 0, 0, "MiB"},
};

static long long used[CLAMS_LIMIT_COUNT];
static int fault_status;

static int known(clams_limit_t which)
{
    return (int)which >= 0 && (int)which < CLAMS_LIMIT_COUNT;
}

long long clams_limit_get(clams_limit_t which)
{
    return known(which) ? limits[which].value : 0;
}

/* The defaults are the table's values before any set: kept aside at the
 * first set, so that the table above stays their one home. */
static void keep_defaults(void)
{
    static int kept;
    if (kept)
        return;
    for (int i = 0; i < CLAMS_LIMIT_COUNT; i++)
        limits[i].dflt = limits[i].value;
    kept = 1;
}

long long clams__limit_default(clams_limit_t which)
{
    keep_defaults();
    return known(which) ? limits[which].dflt : 0;
}

int clams_limit_set(clams_limit_t which, long long value)
{
    if (!known(which) || value < limits[which].min)
        return CLAMS_EINVAL;
    keep_defaults();
    limits[which].value = value;
    return 0;
}

const char *clams_limit_flag(clams_limit_t which)
{
    return known(which) ? limits[which].flag : NULL;
}

int clams_limit_refuse(clams_limit_t which, const char *what, long long asked, clams_error_t *err)
{
    if (!known(which))
        return CLAMS_EINVAL;
    clams__request_fault(400);
    const limit_t *l = &limits[which];
    return clams__error_set(err, CLAMS_ETOOBIG, NULL, "limit",
                            "%s: %lld %s is over the limit of %lld (raise it with %s)",
                            what ? what : "input", asked, l->unit, l->value, l->flag);
}

int clams_limit_charge(clams_limit_t which, long long amount, const char *what, clams_error_t *err)
{
    if (!known(which) || amount < 0)
        return CLAMS_EINVAL;
    long long total;
    if (__builtin_add_overflow(used[which], amount, &total) || total > limits[which].value)
        return clams_limit_refuse(which, what, amount > limits[which].value ? amount : total, err);
    used[which] = total;
    return 0;
}

void clams__request_begin(void)
{
    for (int i = 0; i < CLAMS_LIMIT_COUNT; i++)
        used[i] = 0;
    fault_status = 0;
}

void clams__request_fault(int status)
{
    if (!fault_status)
        fault_status = status;
}

int clams__request_fault_status(void)
{
    return fault_status;
}
