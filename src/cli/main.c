/* The `clams` command-line tool: dispatches to one subcommand per file.
 * More subcommands are added by listing them in `commands`. */
#include <stdio.h>
#include <string.h>

#include "clams/clams.h"
#include "cli/cli.h"

static const clams_cli_cmd_t commands[] = {
    {"validate", "check MMIF files against the MMIF schema", clams_cli_validate,
     clams_cli_validate_usage},
    {"source", "print a new MMIF holding the given media documents", clams_cli_source,
     clams_cli_source_usage},
    {"describe", "summarise the workflow recorded in a MMIF as JSON", clams_cli_describe,
     clams_cli_describe_usage},
    {"rewind", "remove the last views (or the views of the last apps) of a MMIF", clams_cli_rewind,
     clams_cli_rewind_usage},
    {"serve", "serve a clams-python app folder with clams-c's servers", clams_cli_serve,
     clams_cli_serve_usage},
    {"new", "create a new CLAMS app project in C", clams_cli_new, clams_cli_new_usage},
    {"run", "run a pipeline of apps over many media files, resumably", clams_cli_run,
     clams_cli_run_usage},
    {"config", "print the flags that build an app against this installation", clams_cli_config,
     clams_cli_config_usage},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: clams [-h|--help] [-v|--version] COMMAND [ARGS...]\n\n"
                 "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`clams COMMAND --help` describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *a = argv[1];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
        printf("%s (based on MMIF spec: %s)\n", clams_version_str(), CLAMS_MMIF_SPEC_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(a, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "clams: unknown command '%s'\n", a);
    usage(stderr);
    return 2;
}
