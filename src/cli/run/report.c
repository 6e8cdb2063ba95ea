/* The per-stage table, from the ledger alone: at the end of a run (its own
 * lines) and for `clams run --report DIR` (every line). Items are the final
 * outcomes (ok, warnings, failed, gave-up); times are those of successes;
 * "x realtime" is media seconds over processing seconds where the media
 * duration is known. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run/run.h"

typedef struct {
    char name[64];
    size_t items, failures, warnings, retries;
    double *secs;
    size_t nsecs, cap;
    double media, media_secs;
} row_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    size_t i = (size_t)ceil(q * (double)n);
    return v[i == 0 ? 0 : i - 1]; /* nearest rank */
}

static void add_line(row_t *rows, json_t *j)
{
    json_int_t stage = json_integer_value(json_object_get(j, "stage"));
    const char *outcome = json_string_value(json_object_get(j, "outcome"));
    const char *app = json_string_value(json_object_get(j, "app"));
    if (stage < 0 || stage > 99 || !outcome)
        return;
    row_t *r = &rows[stage];
    if (app)
        snprintf(r->name, sizeof r->name, "%s", app);
    bool ok = strcmp(outcome, "ok") == 0 || strcmp(outcome, "warnings") == 0;
    bool bad = strcmp(outcome, "failed") == 0 || strcmp(outcome, "gave-up") == 0;
    r->items += ok || bad;
    r->failures += bad;
    r->warnings += strcmp(outcome, "warnings") == 0;
    r->retries += strcmp(outcome, "retry") == 0;
    if (!ok)
        return;
    double secs = json_number_value(json_object_get(j, "seconds"));
    if (r->nsecs == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        double *ns = realloc(r->secs, cap * sizeof(*ns));
        if (!ns)
            return;
        r->secs = ns;
        r->cap = cap;
    }
    r->secs[r->nsecs++] = secs;
    json_t *media = json_object_get(j, "media_seconds");
    if (json_is_number(media)) {
        r->media += json_number_value(media);
        r->media_secs += secs;
    }
}

static void print_rows(FILE *f, row_t *rows)
{
    fprintf(f, "%-5s %-24s %7s %7s %8s %7s %9s %9s %10s\n", "stage", "app", "items", "failed",
            "warnings", "retries", "median_s", "p95_s", "x_realtime");
    for (int i = 0; i < 100; i++) {
        row_t *r = &rows[i];
        if (!r->items && !r->retries)
            continue;
        if (r->nsecs)
            qsort(r->secs, r->nsecs, sizeof(double), cmp_double);
        char med[32] = "-", p95[32] = "-", rt[32] = "-";
        if (r->nsecs) {
            snprintf(med, sizeof med, "%.3f", quantile(r->secs, r->nsecs, 0.5));
            snprintf(p95, sizeof p95, "%.3f", quantile(r->secs, r->nsecs, 0.95));
        }
        if (r->media_secs > 0)
            snprintf(rt, sizeof rt, "%.2f", r->media / r->media_secs);
        fprintf(f, "%-5d %-24s %7zu %7zu %8zu %7zu %9s %9s %10s\n", i, r->name, r->items,
                r->failures, r->warnings, r->retries, med, p95, rt);
    }
}

int run_report(FILE *f, const char *out, long from)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/ledger.jsonl", out);
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "clams run: %s: no ledger\n", path);
        return -1;
    }
    if (from > 0)
        fseek(in, from, SEEK_SET);
    row_t *rows = calloc(100, sizeof(*rows));
    char *line = NULL;
    size_t cap = 0;
    while (rows && getline(&line, &cap, in) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        if (j)
            add_line(rows, j);
        json_decref(j);
    }
    free(line);
    fclose(in);
    if (!rows)
        return -1;
    print_rows(f, rows);
    for (int i = 0; i < 100; i++)
        free(rows[i].secs);
    free(rows);
    return 0;
}
