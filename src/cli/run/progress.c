/* Progress: on a terminal one line rewritten in place twice a second; in a
 * log (a Job's pod, a Slurm output file) a plain line every few seconds, so
 * the file shows the run without carriage returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run/run.h"

struct run_progress_s {
    double interval, last, t0;
    size_t total;
    bool tty, quiet;
};

run_progress_t *run_progress_new(double interval_s, size_t total, bool quiet)
{
    run_progress_t *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return NULL;
    pr->tty = isatty(2);
    pr->interval = pr->tty ? 0.5 : interval_s;
    pr->t0 = pr->last = run_now();
    pr->total = total;
    pr->quiet = quiet;
    return pr;
}

static void hms(char *buf, size_t size, double s)
{
    long t = (long)(s + 0.5);
    snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

void run_progress_tick(run_progress_t *pr, const run_pipeline_t *p, const run_counts_t *c,
                       double media_done_s, bool force)
{
    double now = run_now();
    if (!pr || pr->quiet || (!force && now - pr->last < pr->interval))
        return;
    pr->last = now;
    size_t finished = c->done + c->already + c->failed + c->gaveup + c->interrupted + c->skipped;
    size_t left = pr->total > finished ? pr->total - finished : 0;
    double elapsed = now - pr->t0;
    char line[1024], eta[32] = "?";
    if (c->done > 0 && elapsed > 0)
        hms(eta, sizeof eta, (double)left * elapsed / (double)c->done);
    int n = snprintf(line, sizeof line, "%zu done, %zu failed, %zu left", c->done + c->already,
                     c->failed + c->gaveup, left);
    for (int i = 0; i < p->nstages && n < (int)sizeof line - 64; i++) {
        const run_stage_t *s = &p->stages[i];
        n += snprintf(line + n, sizeof line - (size_t)n, " | %s %d/%d", s->name ? s->name : "?",
                      s->inflight, s->workers);
    }
    if (n < (int)sizeof line - 96)
        n += snprintf(line + n, sizeof line - (size_t)n, " | ETA %s", eta);
    if (media_done_s > 0 && elapsed > 0 && n < (int)sizeof line - 64)
        snprintf(line + n, sizeof line - (size_t)n, " | %.1f h media/h", media_done_s / elapsed);
    if (pr->tty) {
        fprintf(stderr, "\r\033[K%s", line);
        if (force)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "clams run: %s\n", line);
    }
    fflush(stderr);
}

void run_progress_free(run_progress_t *pr)
{
    free(pr);
}
