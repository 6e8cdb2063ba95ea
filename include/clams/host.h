/* clams/host.h: serving an unmodified clams-python app (`clams serve`). */
#ifndef CLAMS_HOST_H
#define CLAMS_HOST_H

#include "clams/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the clams-python app in the folder app_dir (app.py with get_app(), or
 * its one ClamsApp subclass; metadata.py when it has one) with the command
 * line of a C app: the development server by default, --production, annotate
 * IN OUT, --describe, --help (which lists the app's parameters). The extra
 * flags --python PATH (the interpreter, default python3 on PATH), --warmup
 * FILE, --preload and --no-template are described by --help and
 * docs/python-apps.md. argv[0] names the program in messages. Returns the
 * process exit status (0 ok, 1 failure, 2 bad usage).
 * Process-wide effects: those of clams_main; the development server and the
 * file mode load the interpreter's libpython into this process (one app per
 * process); the production server makes this process a child subreaper.
 * Ownership: argv is borrowed. */
CLAMS_API int clams_serve_python(const char *app_dir, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
