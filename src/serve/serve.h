/* This file is private to libclams.
 * The top floor: what clams_main runs besides the production server (the
 * development server and the file mode). */
#ifndef CLAMS_SERVE_H
#define CLAMS_SERVE_H

#include <stdio.h>

#include "app/pipeline.h"
#include "http/http.h"
#include "serve/options.h"

/* The development server: one process, annotate in-process, requests served
 * one at a time. Runs until SIGINT/SIGTERM. Returns the exit status (0 after
 * a signal, 1 when it could not start, with the reason logged). */
int clams__dev_serve(const clams__app_rt_t *rt, const clams__http_config_t *cfg);

/* `annotate [IN|-] [OUT|-] --param NAME=VALUE...`; argv[first] is the first
 * word after "annotate". Returns the exit status (0, 1 failure, 2 usage). */
int clams__file_mode(const clams__app_rt_t *rt, int argc, char **argv, int first);

/* clams_main's body, for any app runtime: make(arg) builds the runtime
 * (NULL after printing why), `app` names the program in --help until the
 * runtime is known, extra_usage (may be NULL) adds flags to --help. */
int clams__main_run(const clams_app_t *app, clams__app_rt_t *(*make)(const void *arg),
                    const void *arg, void (*extra_usage)(FILE *f), int argc, char **argv);

/* The app's runtime parameters (its own and the universal ones) with type,
 * default, multivalued and choices, from its metadata, for --help. */
void clams__print_params(FILE *f, const json_t *metadata);

/* Media roots and limits (limit_flags.c). _env reads CLAMS_MEDIA_ROOT and
 * CLAMS_MAX_*; _parse takes one flag at argv[*i] as
 * clams__options_parse_flag does (1 consumed, 0 not ours, CLAMS_ECONFIG with
 * msg); _usage writes their --help section. */
int clams__limit_flags_env(char *msg, size_t size);
int clams__limit_flags_parse(int argc, char **argv, int *i, char *msg, size_t size);
void clams__limit_flags_usage(FILE *f, int column);

#endif
