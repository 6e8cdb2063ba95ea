/* This file is private to libclams.
 * The production server: a master that owns the listening socket and every
 * client connection, and a pool of forked workers that run the annotate
 * pipeline on request bodies passed in memfds over socketpairs. */
#ifndef CLAMS_SUP_H
#define CLAMS_SUP_H

#include "app/pipeline.h"
#include "http/http.h"

/* The worker pool's settings: the production flags (src/serve/options.c
 * fills it; the defaults and what each accepts are described there). */
typedef struct clams__sup_config_s {
    int workers;             /* 0 = decide (CLAMS_GUNICORN_WORKERS, pool plan) */
    int max_requests;        /* requests per worker before recycling; 0 = never */
    int max_requests_jitter; /* random extra requests per worker */
    double timeout;          /* seconds per request; 0 = none */
    double graceful_timeout; /* drain seconds at shutdown */
    int queue;               /* requests waiting for a worker before 503 */
    double queue_timeout;    /* seconds a request may wait for a worker; 0 = no limit */
    double ready_wait;       /* /readyz is 503 while a request waited longer; 0 = off */
    long vram_soft_mib;      /* recycle above this after a request; -1 = est_gpu_mem_typ, 0 = off */
    long vram_hard_mib;      /* kill a request above this; 0 = off */
    long rss_budget_mib;     /* recycle a worker keeping more RSS; 0 = off */
    bool no_standby;         /* --no-standby: no pre-forked replacements (CPU apps) */
    bool no_overlap;         /* --no-overlap: a GPU replacement always waits for the exit */
    /* --ignore-client-abort: a request whose client closed (or half-closed)
     * its connection before a worker took it still runs; by default it is
     * dropped and logged as 499, as nginx does without
     * proxy_ignore_client_abort. */
    bool ignore_client_abort;
} clams__sup_config_t;

/* Runs the production server until SIGTERM/SIGINT and the graceful drain.
 * Returns the process exit status (0 after a clean shutdown, 1 when startup
 * failed, with the reason logged). */
int clams__production_serve(const clams__app_rt_t *rt, const clams__http_config_t *http,
                            const clams__sup_config_t *cfg);

#endif
