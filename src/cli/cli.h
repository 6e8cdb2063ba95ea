/* The `clams` tool's subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the exit status: 0 success,
 * 1 failure, 2 bad arguments. */
#ifndef CLAMS_CLI_H
#define CLAMS_CLI_H

#include <stdio.h>

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
} clams_cli_cmd_t;

int clams_cli_validate(int argc, char **argv);
void clams_cli_validate_usage(FILE *out);
int clams_cli_source(int argc, char **argv);
void clams_cli_source_usage(FILE *out);

#endif
