/* libpython, loaded at run time with dlopen (as gpu/nvml.c loads NVML): no
 * Python header or library is needed to build clams-c, and any CPython >= 3.10
 * the user points at works, because only functions of the C-API that have
 * kept their signature since 3.7 are used, through pointers. Every call goes
 * to the shim module (clams_host.py), which takes and returns bytes, so
 * nothing here knows an object layout or a macro of Python's headers.
 *
 * One interpreter per process (numpy, torch and the apps' top-level module
 * names allow no other): the state is process-wide. The GIL is held only
 * while a call runs, so threads the app started run between requests. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "host/host.h"

typedef void pyobj; /* PyObject, never looked into */

static struct {
    void *dl;
    void (*initialize_ex)(int);
    int (*is_initialized)(void);
    void *(*save_thread)(void);
    void (*restore_thread)(void *);
    int (*run_simple_string)(const char *);
    pyobj *(*import_module)(const char *);
    pyobj *(*get_attr_string)(pyobj *, const char *);
    pyobj *(*call_obj_args)(pyobj *, ...);
    pyobj *(*bytes_from)(const char *, ssize_t);
    int (*bytes_as)(pyobj *, char **, ssize_t *);
    void (*dec_ref)(pyobj *);
    void (*err_print)(void);
    void (*before_fork)(void);
    void (*after_fork_parent)(void);
    void (*after_fork_child)(void);
    pyobj *shim;
    void *tstate; /* the main thread's state while the GIL is released */
} py;

static int load_symbols(char *why, size_t size)
{
    static const struct {
        const char *name;
        size_t off;
    } syms[] = {
#define S(n, f) {n, offsetof(__typeof__(py), f)}
        S("Py_InitializeEx", initialize_ex),
        S("Py_IsInitialized", is_initialized),
        S("PyEval_SaveThread", save_thread),
        S("PyEval_RestoreThread", restore_thread),
        S("PyRun_SimpleString", run_simple_string),
        S("PyImport_ImportModule", import_module),
        S("PyObject_GetAttrString", get_attr_string),
        S("PyObject_CallFunctionObjArgs", call_obj_args),
        S("PyBytes_FromStringAndSize", bytes_from),
        S("PyBytes_AsStringAndSize", bytes_as),
        S("Py_DecRef", dec_ref),
        S("PyErr_Print", err_print),
        S("PyOS_BeforeFork", before_fork),
        S("PyOS_AfterFork_Parent", after_fork_parent),
        S("PyOS_AfterFork_Child", after_fork_child),
#undef S
    };
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        void *f = dlsym(py.dl, syms[i].name);
        if (!f) {
            snprintf(why, size, "libpython has no %s (not CPython >= 3.7?)", syms[i].name);
            return CLAMS_ENOTFOUND;
        }
        memcpy((char *)&py + syms[i].off, &f, sizeof(f));
    }
    return 0;
}

bool clams__py_started(void)
{
    return py.shim != NULL;
}

/* Python code that puts the shim's folder first on sys.path; the folder is
 * passed as hex so that no path can break out of the string. */
static char *path_code(const char *dir)
{
    size_t n = strlen(dir);
    char *code = malloc(2 * n + 128);
    if (!code)
        return NULL;
    int k = sprintf(code, "import sys; sys.path.insert(0, bytes.fromhex('");
    for (size_t i = 0; i < n; i++)
        k += sprintf(code + k, "%02x", (unsigned char)dir[i]);
    sprintf(code + k, "').decode('utf-8', 'surrogateescape'))");
    return code;
}

int clams__py_start(const char *lib, const char *home, const char *shim_dir, char *why, size_t size)
{
    if (py.shim)
        return 0;
    /* RTLD_GLOBAL: extension modules (numpy, torch) resolve Python's symbols
     * from the global namespace, as they do in the python3 executable. */
    py.dl = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    if (!py.dl) {
        snprintf(why, size, "cannot load %s: %s", lib, dlerror());
        return CLAMS_ENOTFOUND;
    }
    int rc = load_symbols(why, size);
    if (rc != 0)
        return rc;
    /* The standard library of the chosen interpreter, not of whatever
     * python3 comes first on PATH: PYTHONHOME for the initialisation only
     * (the shim takes it out of os.environ again), unless the user set one. */
    bool set_home = home && *home && !getenv("PYTHONHOME");
    if (set_home)
        setenv("PYTHONHOME", home, 1);
    /* 0: no signal handlers. SIGINT stays the server's, SIGPIPE is not
     * ignored behind the server's back; deadlines are the master's SIGKILL. */
    py.initialize_ex(0);
    if (set_home)
        unsetenv("PYTHONHOME");
    char *code = path_code(shim_dir);
    if (!code || py.run_simple_string(code) != 0) {
        free(code);
        snprintf(why, size, "the interpreter could not run its first line");
        return CLAMS_EAPP;
    }
    free(code);
    py.shim = py.import_module("clams_host");
    if (!py.shim) {
        py.err_print();
        snprintf(why, size, "cannot import clams_host from %s", shim_dir);
        return CLAMS_EAPP;
    }
    py.tstate = py.save_thread();
    return 0;
}

char *clams__py_call(const char *fn, size_t nargs, const char *const *args, const size_t *lens,
                     size_t *out_len, char *why, size_t size)
{
    if (!py.shim) {
        snprintf(why, size, "Python is not loaded");
        return NULL;
    }
    py.restore_thread(py.tstate);
    char *res = NULL;
    pyobj *f = py.get_attr_string(py.shim, fn);
    pyobj *a[3] = {NULL, NULL, NULL};
    bool ok = f != NULL && nargs <= 2;
    for (size_t i = 0; ok && i < nargs; i++)
        ok = (a[i] = py.bytes_from(args[i], (ssize_t)lens[i])) != NULL;
    pyobj *r = ok ? py.call_obj_args(f, a[0], a[1], NULL) : NULL;
    char *data = NULL;
    ssize_t n = 0;
    if (r && py.bytes_as(r, &data, &n) == 0 && (res = malloc((size_t)n + 1)) != NULL) {
        memcpy(res, data, (size_t)n);
        res[n] = '\0';
        *out_len = (size_t)n;
    } else {
        py.err_print();
        snprintf(why, size, "clams_host.%s failed (the traceback is in the log)", fn);
    }
    if (r)
        py.dec_ref(r);
    for (size_t i = 0; i < nargs; i++)
        if (a[i])
            py.dec_ref(a[i]);
    if (f)
        py.dec_ref(f);
    py.tstate = py.save_thread();
    return res;
}

pid_t clams__py_fork(void)
{
    py.restore_thread(py.tstate);
    py.before_fork();
    pid_t pid = fork();
    if (pid != 0) {
        py.after_fork_parent();
        py.tstate = py.save_thread();
    }
    /* The child keeps the GIL as it was at fork; the process that will call
     * Python (the worker, possibly one fork further) calls
     * clams__py_after_fork_child first. */
    return pid;
}

void clams__py_after_fork_child(void)
{
    py.after_fork_child();
    py.tstate = py.save_thread();
}
