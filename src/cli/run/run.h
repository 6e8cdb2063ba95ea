/* `clams run PIPELINE INPUT... --out DIR`: a chain of apps over many media
 * files (docs/run.md). The pieces, one file each:
 *   pipeline.c  the PIPELINE file: stages, their parameters as a query string
 *   inputs.c    INPUT arguments as a stream of items (files, folders, globs,
 *               CSV manifests), with --shard and --item
 *   apps.c      the apps the runner starts itself: free port, readiness,
 *               metadata, worker count, restart, stop
 *   outputs.c   source MMIF of an item, atomic per-stage outputs, "done" checks
 *   ledger.c    DIR/ledger.jsonl: one line per attempt; what earlier runs left
 *   report.c    the per-stage table (end of a run and --report)
 *   engine.c    the event loop: requests in flight over libcurl, retries
 *   progress.c  the live line / periodic line
 * Only the public API (the headers in include/clams/) and the tool's own helpers are used. */
#ifndef CLAMS_CLI_RUN_H
#define CLAMS_CLI_RUN_H

#include <jansson.h>
#include <clams/mmif.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses: the engines (Kubernetes podFailurePolicy, Slurm, Argo)
 * route on them, so each means one thing. */
#define RUN_EXIT_OK        0
#define RUN_EXIT_FAILED    1  /* an item failed for good (an error view, bad input) */
#define RUN_EXIT_USAGE     2  /* bad arguments or pipeline */
#define RUN_EXIT_TEMPFAIL  75 /* EX_TEMPFAIL: a failure worth retrying later */
#define RUN_EXIT_INTERRUPT 130

typedef enum { RUN_APP_BINARY, RUN_APP_PYDIR, RUN_APP_URL } run_app_kind_t;

/* One stage: an app and its parameters. The fields under "live" change while
 * the run goes on. */
typedef struct {
    int number; /* 1-based, as in file names ("01-...") and the ledger */
    char *app;  /* absolute path of a binary or folder, or a URL */
    run_app_kind_t kind;
    char *name;  /* file-name part; from the pipeline or the app's identifier */
    char *query; /* URL-encoded "k=v&k=v" ("" when no parameter) */
    char params_hash[33];
    char **env;       /* extra "K=V" for a started app (NULL-terminated) */
    char **args;      /* extra arguments for a started app (NULL-terminated) */
    int concurrency;  /* from the pipeline or --concurrency; 0 = ask the app */
    double timeout_s; /* per request */
    /* live */
    pid_t pid; /* a started app's server, 0 when none */
    int port;
    char *url;        /* "http://127.0.0.1:PORT/" or the pipeline's URL */
    char *identifier; /* from GET / */
    char *version;
    char key[33]; /* chain hash: earlier stages' keys, identifier, version, params */
    int workers;  /* requests in flight at most */
    int inflight;
    int restarts;
    bool down; /* could not be (re)started: every request to it fails, retryable */
    char log_path[4096];
} run_stage_t;

typedef struct {
    run_stage_t *stages;
    int nstages;
    char *dir; /* the pipeline file's folder (relative app paths) */
} run_pipeline_t;

/* One input item. */
typedef struct {
    size_t index; /* position in the whole input, before --shard / --item */
    char *asset;  /* asset id: the manifest's asset_id or the file name without extension */
    char *path;   /* absolute media path on this machine */
} run_item_t;

/* The command line, parsed. */
typedef struct {
    const char *pipeline_path;
    char **inputs;
    int ninputs;
    const char *out;
    const char *media_dir; /* base of relative manifest paths */
    const char *map_from[16], *map_to[16];
    int nmaps;
    int concurrency;
    int shard_i, shard_n; /* shard_n 0: no sharding */
    long item;            /* -1: every item */
    int retries;
    double backoff_s;
    double timeout_s;
    double start_timeout_s;
    double drain_s;
    int max_restarts;
    double progress_s;
    bool stage_at_a_time;
    bool retry_failed;
    bool quiet;
} run_opts_t;

/* ---- pipeline.c ---- */
/* Loads the pipeline; on failure prints why and returns -1. */
int run_pipeline_load(const char *path, run_pipeline_t *p);
void run_pipeline_free(run_pipeline_t *p);
/* The query string for a JSON params object (exposed for the tests' sake of
 * docs: repeated keys for lists, "k:v" for objects). Ownership: new. */
char *run_params_query(json_t *params, char *err, size_t errsize);

/* ---- inputs.c ---- */
typedef struct run_inputs_s run_inputs_t;
/* Opens the INPUT arguments as one stream; NULL after printing why. */
run_inputs_t *run_inputs_open(const run_opts_t *o);
/* The next selected item (shard / item applied): 1 with *it filled (free
 * with run_item_clear), 0 at the end, -1 on an error already printed. */
int run_inputs_next(run_inputs_t *in, run_item_t *it);
void run_inputs_close(run_inputs_t *in);
void run_item_clear(run_item_t *it);
/* "video", "audio", "image", "text" and a MIME type for a file name, or NULL. */
const char *run_media_kind(const char *path, const char **mime);

/* ---- apps.c ---- */
/* Starts (or, for a URL, contacts) the stage's app and learns its metadata
 * and worker count. 0, or -1 after printing why. */
int run_app_start(run_stage_t *s, const run_opts_t *o, const char *logdir);
/* Reads the metadata of an app not reached yet (a URL that was down at the
 * start). 0, or -1 with why in err. */
int run_app_meta(run_stage_t *s, char *err, size_t errsize);
/* True when a started app's server has exited (reaps it). */
bool run_app_dead(run_stage_t *s);
/* Restarts a started app that died (bounded by --max-restarts). */
int run_app_restart(run_stage_t *s, const run_opts_t *o, const char *logdir);
/* SIGTERM, a bounded wait, then SIGKILL. */
void run_app_stop(run_stage_t *s);
/* The chain keys of stages 0..n-1 (after their metadata is known). */
void run_stage_key(run_stage_t *s, const run_stage_t *prev);
/* Recomputes every stage's key from the metadata known so far. */
void run_keys_update(run_pipeline_t *p);

/* ---- outputs.c ---- */
/* The message of the first view of m that carries metadata.error (an error
 * view: the item failed), or NULL when there is none. Ownership: borrowed. */
const char *run_error_message(const clams_mmif_t *m);

/* The source MMIF of an item as `clams source` makes it (path rewritten by
 * --map). Ownership: new text, or NULL with why in err. */
char *run_source_mmif(const run_item_t *it, const run_opts_t *o, size_t *len, char *err,
                      size_t errsize);
/* DIR/<asset>/<NN>-<name>.mmif into buf. */
void run_stage_path(char *buf, size_t size, const char *out, const char *asset,
                    const run_stage_t *s);
/* True when stage s's output of this asset exists, is valid MMIF without an
 * error view and was made by the same app, version and parameters (after
 * the same earlier stages). *nviews gets its view count. */
bool run_stage_done(const char *out, const char *asset, const run_stage_t *s, size_t *nviews,
                    double *media_s);
/* The media duration an app recorded (an Annotation's "duration", in ms, as
 * mmif-python and libclams-media write it), in seconds; -1 when none. */
struct clams_mmif_s;
double run_media_seconds(const struct clams_mmif_s *m);
/* Writes stage s's output (and the key beside it) atomically; last: also
 * DIR/<asset>.mmif. 0 or -1 with errno. */
int run_stage_write(const char *out, const char *asset, const run_stage_t *s, const char *body,
                    size_t len, bool last);
/* Makes sure DIR/<asset>.mmif is there for an asset whose last stage is
 * done (a run killed between the two renames leaves it missing). */
int run_final_ensure(const char *out, const char *asset, const run_stage_t *last);
/* tmp + fsync (when sync and not --no-fsync) + rename. */
int run_write_atomic(const char *path, const char *data, size_t len, bool sync);
extern bool run_no_fsync;

/* ---- ledger.c ---- */
typedef struct {
    const run_item_t *item;
    const run_stage_t *stage; /* NULL for the source step */
    int attempt;
    const char *outcome; /* ok, warnings, failed, retry, gave-up, interrupted */
    long http;           /* 0: no HTTP answer */
    const char *error;
    double seconds;
    double media_s; /* < 0: unknown */
} run_ledger_line_t;
typedef struct {
    int fd;
    long start_offset; /* where this run's lines begin */
    json_t *failed;    /* asset -> {"stage", "key"} of a failure for good, not done since */
} run_ledger_t;
int run_ledger_open(run_ledger_t *l, const char *out);
int run_ledger_append(run_ledger_t *l, const run_ledger_line_t *line);
void run_ledger_close(run_ledger_t *l);

/* ---- report.c ---- */
/* Prints the per-stage table of the ledger lines from byte `from` on. */
int run_report(FILE *f, const char *out, long from);

/* ---- engine.c ---- */
typedef struct {
    size_t done;        /* finished this run */
    size_t already;     /* found done */
    size_t failed;      /* failed for good (this run or an earlier one) */
    size_t gaveup;      /* a retryable failure, retries spent, or an earlier pass's */
    size_t interrupted; /* left unfinished by SIGINT / SIGTERM */
    size_t skipped;     /* not failed, with --retry-failed */
} run_counts_t;
/* Runs stages [first, last] over every selected item. */
int run_engine(run_pipeline_t *p, int first, int last, const run_opts_t *o, run_ledger_t *l,
               size_t total, run_counts_t *c);
/* Set from the signal handler. */
extern volatile int run_stop_signal;

/* ---- progress.c ---- */
typedef struct run_progress_s run_progress_t;
run_progress_t *run_progress_new(double interval_s, size_t total, bool quiet);
void run_progress_tick(run_progress_t *pr, const run_pipeline_t *p, const run_counts_t *c,
                       double media_done_s, bool force);
void run_progress_free(run_progress_t *pr);

/* ---- small helpers (util.c) ---- */
double run_now(void);                      /* CLOCK_MONOTONIC seconds */
void run_iso_time(char *buf, size_t size); /* UTC, seconds */

#endif
