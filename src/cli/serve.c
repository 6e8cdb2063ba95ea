/* clams serve APP_DIR [FLAGS]: an unmodified clams-python app served by
 * clams-c's servers (the work is clams_serve_python, in the library). */
#include <stdio.h>
#include <string.h>

#include "clams/clams.h"
#include "cli/cli.h"

void clams_cli_serve_usage(FILE *out)
{
    fprintf(out, "usage: clams serve APP_DIR [--production] [FLAGS...]\n"
                 "       clams serve APP_DIR annotate [IN|-] [OUT|-] [--NAME VALUE...]\n"
                 "       clams serve APP_DIR --describe | --help\n\n"
                 "Serves the clams-python app in APP_DIR (app.py, metadata.py) with the command\n"
                 "line of a clams-c app: the development server by default, the production\n"
                 "server with --production. `clams serve APP_DIR --help` lists every flag and\n"
                 "the app's parameters; docs/python-apps.md tells how to move an app.\n");
}

int clams_cli_serve(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        clams_cli_serve_usage(
            argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout : stderr);
        return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
    }
    /* argv[1] is the folder; the app's own command line follows, with a
     * program name (argv[0] in messages) that says how it was started. */
    const char *dir = argv[1];
    char prog[512];
    snprintf(prog, sizeof(prog), "clams serve %s", dir);
    argv[1] = prog;
    return clams_serve_python(dir, argc - 1, argv + 1);
}
