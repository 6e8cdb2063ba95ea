/* This file is private to libclams.
 * An app's command-line flags: one table (options.c) names each flag, what
 * it accepts, where its value goes and its line in --help. */
#ifndef CLAMS_SERVE_OPTIONS_H
#define CLAMS_SERVE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "http/http.h"
#include "sup/sup.h"

typedef struct clams__options_s {
    bool production;           /* --production */
    clams__http_config_t http; /* both servers */
    clams__sup_config_t sup;   /* the production server */
} clams__options_t;

struct clams_app_s;

/* Fills the defaults; max_requests and max_requests_jitter come from
 * app->production when set (CLAMS_MAX_REQUESTS_NEVER gives 0). app may be NULL. */
void clams__options_defaults(clams__options_t *o, const struct clams_app_s *app);

/* Parses one server flag at argv[*i] ("--port 8080" or "--port=8080"),
 * advancing *i past its value. Returns 1 when the flag was consumed, 0 when
 * it is not a server flag, and CLAMS_ECONFIG with a message in msg when the
 * value is invalid. */
/* `--NAME VALUE` or `--NAME=VALUE` at argv[*i], for flags outside the
 * table (lists, a hosted app's own): 1 with *value (*i moved past a
 * separate value), 0 when argv[*i] is not --NAME, -1 when the value is
 * missing. */
int clams__flag_value(const char *name, int argc, char **argv, int *i, const char **value);
int clams__options_parse_flag(clams__options_t *o, int argc, char **argv, int *i, char *msg,
                              size_t msg_size);

/* Writes the flag list of --help, section by section, from the same table. */
void clams__options_usage(FILE *f);

#endif
