/* This file is private to libclams.
 * Hosting a clams-python app (`clams serve APP_DIR`): the app runtime of an
 * unmodified Python app, behind the same servers as a C app (see
 * docs/python-apps.md). host.c builds the runtime (the probe child, the
 * worker hooks, the ops table); python.c loads the chosen interpreter's
 * libpython with dlopen and calls the shim module clams_host.py. */
#ifndef CLAMS_HOST_INTERNAL_H
#define CLAMS_HOST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "app/pipeline.h"

typedef struct clams__host_opts_s {
    const char *app_dir;
    const char *python; /* interpreter (--python); NULL = python3 on PATH */
    const char *warmup; /* --warmup FILE: each new worker annotates it once */
    bool preload;       /* --preload: the template builds the app too */
    bool no_template;   /* --no-template: each worker starts its own interpreter */
} clams__host_opts_t;

/* Runs the probe (the interpreter once, in a child: where its libpython is,
 * its sys.path for APP_DIR/app.py, the app's metadata) and builds the
 * runtime. Nothing of the app runs in this process. On failure err says why
 * (no shared libpython, the metadata failed...).
 * Ownership: new (clams__app_rt_free). */
clams__app_rt_t *clams__host_rt_new(const clams__host_opts_t *opts, clams_error_t *err);

/* ---- python.c: the embedded interpreter (one per process) ---------------- */

/* dlopen(lib), Py_InitializeEx(0) with PYTHONHOME=home for the initialisation
 * when the user set none, then imports clams_host from shim_dir. 0, or an
 * error code with the reason in why. */
int clams__py_start(const char *lib, const char *home, const char *shim_dir, char *why,
                    size_t size);
bool clams__py_started(void);
/* clams_host.<fn>(bytes...) -> bytes. Returns the result (malloc'd, NUL added,
 * *out_len its length), or NULL with why (the traceback is logged). */
char *clams__py_call(const char *fn, size_t nargs, const char *const *args, const size_t *lens,
                     size_t *out_len, char *why, size_t size);
/* fork() with PyOS_BeforeFork / AfterFork_Parent around it. The child must
 * call clams__py_after_fork_child before it calls Python again. */
pid_t clams__py_fork(void);
void clams__py_after_fork_child(void);

#endif
