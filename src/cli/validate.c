/* `clams validate FILE...`: loads each file as MMIF and reports the first
 * syntax error (line:column) or schema violation (JSON path and rule) on
 * standard output, one line per invalid file. */
#include <stdio.h>
#include <string.h>

#include "clams/clams.h"
#include "cli/cli.h"

void clams_cli_validate_usage(FILE *out)
{
    fprintf(out,
            "usage: clams validate FILE...\n\n"
            "Checks each FILE (\"-\" for standard input) against the MMIF %s schema.\n"
            "Exit status: 0 when all are valid, 1 when any is not, 2 on bad usage.\n",
            CLAMS_MMIF_SPEC_VERSION);
}

static void report(const char *file, const clams_error_t *err)
{
    /* Syntax errors already say "line L, column C: ..."; schema errors lead
     * with their JSON pointer. */
    if (err->code == CLAMS_ESCHEMA)
        printf("%s: %s (rule: %s)\n", file, err->text, err->rule);
    else
        printf("%s: %s\n", file, err->text[0] ? err->text : clams_strerror(err->code));
}

int clams_cli_validate(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        clams_cli_validate_usage(stdout);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--") == 0)
        first = 2;
    if (argc <= first) {
        clams_cli_validate_usage(stderr);
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc; i++) {
        if (first == 1 && argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "clams validate: unknown option '%s'\n", argv[i]);
            clams_cli_validate_usage(stderr);
            return 2;
        }
    }
    for (int i = first; i < argc; i++) {
        clams_error_t err;
        clams_error_clear(&err);
        clams_mmif_t *m = strcmp(argv[i], "-") == 0 ? clams_mmif_load_fd(0, &err)
                                                    : clams_mmif_load_file(argv[i], &err);
        if (!m) {
            report(argv[i], &err);
            status = 1;
        }
        clams_mmif_free(m);
    }
    return status;
}
