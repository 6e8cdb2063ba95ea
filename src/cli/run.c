/* `clams run PIPELINE INPUT... --out DIR`: runs a chain of apps over many
 * media files, resumably (docs/run.md). This file is the command line and
 * the order of things; the work is in src/cli/run/. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run/run.h"

void clams_cli_run_usage(FILE *out)
{
    fprintf(
        out,
        "usage: clams run PIPELINE INPUT... --out DIR [OPTIONS]\n"
        "       clams run --report DIR\n\n"
        "Runs the apps of PIPELINE ({\"stages\": [{\"app\": PATH-OR-URL, \"params\": {...}}]})\n"
        "over every INPUT (media files, folders, globs, CSV manifests with asset_id and\n"
        "media_filename columns). Writes DIR/<asset>/<NN>-<app>.mmif per stage,\n"
        "DIR/<asset>.mmif (the last one) and DIR/ledger.jsonl; a rerun continues.\n\n"
        "  -o, --out DIR          output folder (required)\n"
        "  --map HOST=APP         the apps see media under APP where this machine has\n"
        "                         HOST (path prefix; repeatable)\n"
        "  --media-dir DIR        base of relative paths in manifests (default: the\n"
        "                         manifest's folder)\n"
        "  --concurrency N        requests in flight per stage (default: the app's\n"
        "                         workers, from its /metrics)\n"
        "  --stage-at-a-time      one stage over every item, then the next (each app\n"
        "                         runs only during its stage)\n"
        "  --retry-failed         run only the items that failed for good before\n"
        "  --shard I/N            only items whose index %% N is I (I may be 'auto')\n"
        "  --item I               only item I (0-based; 'auto': $JOB_COMPLETION_INDEX,\n"
        "                         else $SLURM_ARRAY_TASK_ID)\n"
        "  --retries N            retries of a retryable failure (default 3)\n"
        "  --backoff S            first retry delay, doubled each time (default 2)\n"
        "  --timeout S            per request (default 3600)\n"
        "  --start-timeout S      for a started app to become ready (default 300)\n"
        "  --drain-timeout S      after SIGINT/SIGTERM, for requests in flight (default 60)\n"
        "  --max-restarts N       restarts of a started app that dies (default 5)\n"
        "  --progress S           seconds between progress lines off a terminal (default 10)\n"
        "  --no-fsync             outputs not fsynced (scratch disks: a power loss may\n"
        "                         leave empty outputs; a kill never does)\n"
        "  -q, --quiet            no progress, no per-item failure lines\n"
        "  --report DIR           print the per-stage table of DIR's ledger and exit\n\n"
        "Exit status: 0 every item done, 1 an item failed for good, 75 a failure worth\n"
        "retrying (app unreachable, 502/503/504, timeout), 130 interrupted, 2 usage.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "clams run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(clams run --help for the options)\n");
    return RUN_EXIT_USAGE;
}

static void on_signal(int sig)
{
    if (run_stop_signal)
        signal(sig, SIG_DFL); /* a second one stops at once */
    run_stop_signal = sig;
}

/* "auto": the index an array engine gives its task. */
static long env_index(void)
{
    const char *v = getenv("JOB_COMPLETION_INDEX");
    if (!v || !*v)
        v = getenv("SLURM_ARRAY_TASK_ID");
    char *end;
    long i = v && *v ? strtol(v, &end, 10) : -1;
    return v && *v && !*end ? i : -1;
}

static int parse_index(const char *s, long *out)
{
    char *end;
    *out = strcmp(s, "auto") == 0 ? env_index() : strtol(s, &end, 10);
    return *out >= 0 && (strcmp(s, "auto") == 0 || (*s && !*end)) ? 0 : -1;
}

static int parse_shard(const char *s, run_opts_t *o)
{
    const char *slash = strchr(s, '/');
    char ibuf[32];
    if (!slash || (size_t)(slash - s) >= sizeof ibuf)
        return -1;
    snprintf(ibuf, sizeof ibuf, "%.*s", (int)(slash - s), s);
    long i;
    char *end;
    long n = strtol(slash + 1, &end, 10);
    if (parse_index(ibuf, &i) != 0 || *end || n < 1 || i >= n)
        return -1;
    o->shard_i = (int)i;
    o->shard_n = (int)n;
    return 0;
}

static int num(const char *s, double lo, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return *s && !*end && *out >= lo ? 0 : -1;
}

enum {
    O_MAP = 256,
    O_MEDIA_DIR,
    O_CONC,
    O_SAAT,
    O_RETRY_FAILED,
    O_SHARD,
    O_ITEM,
    O_RETRIES,
    O_BACKOFF,
    O_TIMEOUT,
    O_START_TIMEOUT,
    O_DRAIN,
    O_RESTARTS,
    O_PROGRESS,
    O_REPORT,
    O_NO_FSYNC
};

static int parse_one(int c, const char *arg, run_opts_t *o, const char **report)
{
    double v;
    switch (c) {
    case 'o': o->out = arg; return 0;
    case 'q': o->quiet = true; return 0;
    case O_MAP: {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || arg[0] != '/' || o->nmaps == 16)
            return usage_error("--map wants HOST=APP with absolute paths: '%s'", arg);
        o->map_from[o->nmaps] = strndup(arg, (size_t)(eq - arg));
        o->map_to[o->nmaps++] = eq + 1;
        return 0;
    }
    case O_MEDIA_DIR: o->media_dir = arg; return 0;
    case O_SAAT: o->stage_at_a_time = true; return 0;
    case O_RETRY_FAILED: o->retry_failed = true; return 0;
    case O_NO_FSYNC: run_no_fsync = true; return 0;
    case O_REPORT: *report = arg; return 0;
    case O_SHARD:
        return parse_shard(arg, o) == 0 ? 0
                                        : usage_error("bad --shard '%s' (I/N, 0 <= I < N)", arg);
    case O_ITEM:
        return parse_index(arg, &o->item) == 0
                   ? 0
                   : usage_error("bad --item '%s' (an index, or auto with JOB_COMPLETION_INDEX "
                                 "or SLURM_ARRAY_TASK_ID set)",
                                 arg);
    }
    if (num(arg, 0, &v) != 0)
        return usage_error("bad number '%s'", arg);
    switch (c) {
    case O_CONC: o->concurrency = (int)v; break;
    case O_RETRIES: o->retries = (int)v; break;
    case O_BACKOFF: o->backoff_s = v; break;
    case O_TIMEOUT: o->timeout_s = v; break;
    case O_START_TIMEOUT: o->start_timeout_s = v; break;
    case O_DRAIN: o->drain_s = v; break;
    case O_RESTARTS: o->max_restarts = (int)v; break;
    case O_PROGRESS: o->progress_s = v; break;
    default: return usage_error("bad option near '%s'", arg ? arg : "");
    }
    return 0;
}

static int parse(int argc, char **argv, run_opts_t *o, const char **report)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"map", required_argument, NULL, O_MAP},
        {"media-dir", required_argument, NULL, O_MEDIA_DIR},
        {"concurrency", required_argument, NULL, O_CONC},
        {"stage-at-a-time", no_argument, NULL, O_SAAT},
        {"retry-failed", no_argument, NULL, O_RETRY_FAILED},
        {"shard", required_argument, NULL, O_SHARD},
        {"item", required_argument, NULL, O_ITEM},
        {"retries", required_argument, NULL, O_RETRIES},
        {"backoff", required_argument, NULL, O_BACKOFF},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"start-timeout", required_argument, NULL, O_START_TIMEOUT},
        {"drain-timeout", required_argument, NULL, O_DRAIN},
        {"max-restarts", required_argument, NULL, O_RESTARTS},
        {"progress", required_argument, NULL, O_PROGRESS},
        {"report", required_argument, NULL, O_REPORT},
        {"no-fsync", no_argument, NULL, O_NO_FSYNC},
        {NULL, 0, NULL, 0},
    };
    *o = (run_opts_t){.item = -1,
                      .retries = 3,
                      .backoff_s = 2,
                      .timeout_s = 3600,
                      .start_timeout_s = 300,
                      .drain_s = 60,
                      .max_restarts = 5,
                      .progress_s = 10};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        if (c == 'h') {
            clams_cli_run_usage(stdout);
            return -1;
        }
        if (c == '?' || c == ':')
            return usage_error("bad option or missing value near '%s'", argv[optind - 1]);
        int rc = parse_one(c, optarg, o, report);
        if (rc != 0)
            return rc;
    }
    if (*report)
        return 0;
    if (argc - optind < 2)
        return usage_error("%s", "PIPELINE and at least one INPUT are required");
    if (!o->out)
        return usage_error("%s", "--out DIR is required");
    o->pipeline_path = argv[optind];
    o->inputs = argv + optind + 1;
    o->ninputs = argc - optind - 1;
    return 0;
}

/* Counts the selected items (a pass over the input that keeps nothing):
 * the progress line's "left" and ETA. -1 on an input error. */
static long count_items(const run_opts_t *o)
{
    run_inputs_t *in = run_inputs_open(o);
    run_item_t it;
    long n = 0;
    int rc;
    while (in && (rc = run_inputs_next(in, &it)) == 1) {
        n++;
        run_item_clear(&it);
    }
    run_inputs_close(in);
    return in && rc == 0 ? n : -1;
}

static void stop_all(run_pipeline_t *p)
{
    for (int i = 0; i < p->nstages; i++)
        run_app_stop(&p->stages[i]);
}

/* Starts stages [first, last]: 0, or -1 after stopping what started. */
static int start_range(run_pipeline_t *p, int first, int last, const run_opts_t *o)
{
    char logdir[4200];
    snprintf(logdir, sizeof logdir, "%s/logs", o->out);
    for (int i = first; i <= last; i++)
        if (run_app_start(&p->stages[i], o, logdir) != 0) {
            stop_all(p);
            return -1;
        }
    run_keys_update(p);
    return 0;
}

static int run_passes(run_pipeline_t *p, const run_opts_t *o, run_ledger_t *l, size_t total,
                      run_counts_t *c)
{
    if (!o->stage_at_a_time) {
        if (start_range(p, 0, p->nstages - 1, o) != 0)
            return -1;
        int rc = run_engine(p, 0, p->nstages - 1, o, l, total, c);
        stop_all(p);
        return rc;
    }
    for (int s = 0; s < p->nstages && !run_stop_signal; s++) {
        if (start_range(p, s, s, o) != 0)
            return -1;
        *c = (run_counts_t){0}; /* the last pass's counts describe the items */
        int rc = run_engine(p, s, s, o, l, total, c);
        run_app_stop(&p->stages[s]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int exit_status(const run_counts_t *c)
{
    if (run_stop_signal || c->interrupted)
        return RUN_EXIT_INTERRUPT;
    if (c->gaveup)
        return RUN_EXIT_TEMPFAIL; /* worth a retry: the retry skips what failed for good */
    return c->failed ? RUN_EXIT_FAILED : RUN_EXIT_OK;
}

/* The runner's own peak RSS in KiB (VmHWM: this process image only, not
 * what the process held before exec nor the apps it started), 0 if unknown. */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int run_all(run_opts_t *o)
{
    long total = count_items(o);
    if (total < 0)
        return RUN_EXIT_USAGE;
    if (total == 0 && o->item >= 0) {
        fprintf(stderr, "clams run: no item %ld in the input\n", o->item);
        return RUN_EXIT_USAGE;
    }
    run_pipeline_t p;
    if (run_pipeline_load(o->pipeline_path, &p) != 0)
        return RUN_EXIT_USAGE;
    char logdir[4200];
    snprintf(logdir, sizeof logdir, "%s/logs", o->out);
    run_ledger_t l = {.fd = -1};
    if (clams_cli_mkdirs(logdir) != 0 || run_ledger_open(&l, o->out) != 0) {
        fprintf(stderr, "clams run: %s: %s\n", o->out, strerror(errno));
        run_ledger_close(&l);
        run_pipeline_free(&p);
        return RUN_EXIT_TEMPFAIL;
    }
    run_counts_t c = {0};
    int rc = run_passes(&p, o, &l, (size_t)total, &c);
    if (!o->quiet)
        run_report(stdout, o->out, l.start_offset);
    int status = rc != 0 ? RUN_EXIT_TEMPFAIL : exit_status(&c);
    fprintf(stderr,
            "clams run: %zu done, %zu already done, %zu failed, %zu to retry, %zu interrupted"
            "%s; peak RSS %ld KiB; exit %d\n",
            c.done, c.already, c.failed, c.gaveup, c.interrupted,
            o->retry_failed ? " (--retry-failed: others left alone)" : "", peak_rss_kib(), status);
    run_ledger_close(&l);
    run_pipeline_free(&p);
    return status;
}

int clams_cli_run(int argc, char **argv)
{
    run_opts_t o;
    const char *report = NULL;
    int rc = parse(argc, argv, &o, &report);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (report)
        return run_report(stdout, report, 0) == 0 ? 0 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int status = run_all(&o);
    for (int i = 0; i < o.nmaps; i++)
        free((char *)o.map_from[i]);
    curl_global_cleanup();
    return status;
}
