/* This file is private to libclams.
 * The production server: a master that owns the listening socket and every
 * client connection, and a pool of forked workers that run the annotate
 * pipeline on request bodies passed in memfds over socketpairs. */
#ifndef CLAMS_SUP_H
#define CLAMS_SUP_H

#include "app/options.h"
#include "app/pipeline.h"

/* Runs the production server until SIGTERM/SIGINT and the graceful drain.
 * Returns the process exit status (0 after a clean shutdown, 1 when startup
 * failed, with the reason logged). */
int clams__production_serve(const clams__app_rt_t *rt, const clams__options_t *opts);

#endif
