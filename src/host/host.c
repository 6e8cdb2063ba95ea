/* A hosted clams-python app as an app runtime (clams__app_ops_t): the probe
 * child that reads the interpreter and the app's metadata, the worker hooks
 * that start the interpreter and build the app after fork, and annotate.
 * Where each step runs:
 *   probe       a short-lived child running the chosen python3 itself: the
 *               master never imports the app, and sees exactly the sys.path,
 *               venv and environment `python3 APP_DIR/app.py` would see;
 *   template    (production, sup/template.c) loads libpython, imports app.py,
 *               checks CUDA is untouched; workers are forked from it;
 *   worker_init builds the app (get_app()) in each worker after fork, runs
 *               --warmup; in the dev server and file mode, in-process. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/internal.h"
#include "gpu/gpu.h"
#include "host/host.h"

#ifndef CLAMS_HOST_SHIM_INSTALL_DIR
#define CLAMS_HOST_SHIM_INSTALL_DIR "/usr/local/share/clams/python"
#endif

typedef struct host_s {
    clams_app_t app; /* the shell the servers see: name, hooks, user = this */
    char *app_dir, *python, *shim_dir, *lib, *home, *setup_json;
    char *name, *description;
    char *warmup_path, *warmup_body;
    size_t warmup_len;
    bool preload;
    pid_t py_pid; /* the process whose interpreter is set up (fork fix-ups elsewhere) */
} host_t;

static bool is_file(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The folder holding clams_host.py: $CLAMS_HOST_SHIM_DIR, next to the
 * running binary (PREFIX/bin -> PREFIX/share/clams/python), the install
 * prefix, then the source tree (a build that is not installed). */
static char *find_shim(void)
{
    char buf[PATH_MAX + 64];
    const char *env = getenv("CLAMS_HOST_SHIM_DIR");
    if (env && *env)
        return strdup(env);
    ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash) {
            snprintf(slash, sizeof(buf) - (size_t)(slash - buf),
                     "/../share/clams/python/clams_host.py");
            if (is_file(buf)) {
                buf[strlen(buf) - strlen("/clams_host.py")] = '\0';
                return strdup(buf);
            }
        }
    }
    const char *dirs[] = {CLAMS_HOST_SHIM_INSTALL_DIR,
#ifdef CLAMS_HOST_SHIM_SOURCE_DIR
                          CLAMS_HOST_SHIM_SOURCE_DIR,
#endif
                          NULL};
    for (int i = 0; dirs[i]; i++) {
        snprintf(buf, sizeof(buf), "%s/clams_host.py", dirs[i]);
        if (is_file(buf))
            return strdup(dirs[i]);
    }
    return NULL;
}

/* Runs `python shim/clams_host.py probe APP_DIR` and returns its JSON. */
static json_t *probe(const host_t *h, clams_error_t *err)
{
    char script[PATH_MAX + 32];
    snprintf(script, sizeof(script), "%s/clams_host.py", h->shim_dir);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        clams__error_set(err, CLAMS_ESYS, NULL, NULL, "pipe: %s", strerror(errno));
        return NULL;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        execlp(h->python, h->python, script, "probe", h->app_dir, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", h->python, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    size_t len = 0;
    char *out = pid > 0 ? clams__read_all(pfd[0], &len) : NULL;
    close(pfd[0]);
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    json_error_t jerr;
    json_t *info = out ? json_loadb(out, len, 0, &jerr) : NULL;
    free(out);
    if (!json_is_object(info)) {
        json_decref(info);
        clams__error_set(err, CLAMS_EAPP, NULL, NULL,
                         "%s could not read the app in %s (%s; its messages are above)", h->python,
                         h->app_dir,
                         pid < 0                                   ? "fork failed"
                         : WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "the interpreter did not run"
                         : WIFSIGNALED(st)                         ? "it was killed by a signal"
                                           : "no answer from clams_host.py");
        return NULL;
    }
    return info;
}

static char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strdup(s) : NULL;
}

/* The interpreter's shared libpython, or NULL with why. */
static char *find_libpython(const json_t *info, char *why, size_t size)
{
    const char *libdir = json_string_value(json_object_get(info, "libdir"));
    const char *multi = json_string_value(json_object_get(info, "multiarch"));
    const char *so = json_string_value(json_object_get(info, "instsoname"));
    const char *ld = json_string_value(json_object_get(info, "ldlibrary"));
    bool shared = json_is_true(json_object_get(info, "shared"));
    char path[PATH_MAX];
    const char *names[] = {so, ld};
    for (int i = 0; i < 2; i++) {
        if (!names[i] || !strstr(names[i], ".so"))
            continue;
        if (libdir) {
            snprintf(path, sizeof(path), "%s/%s", libdir, names[i]);
            if (is_file(path))
                return strdup(path);
        }
        if (libdir && multi) {
            snprintf(path, sizeof(path), "%s/%s/%s", libdir, multi, names[i]);
            if (is_file(path))
                return strdup(path);
        }
    }
    /* A statically linked python3 (Debian's) may have the same version's
     * shared library installed beside it (libpython3.X): the soname names
     * the minor version, so it fits. */
    if (so && strstr(so, ".so")) {
        void *dl = dlopen(so, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
        if (!dl)
            dl = dlopen(so, RTLD_LAZY | RTLD_LOCAL);
        if (dl) {
            dlclose(dl);
            return strdup(so);
        }
    }
    snprintf(why, size,
             "%s has no shared libpython (%s): clams serve loads the interpreter's "
             "libpython; use a Python built with --enable-shared (python.org builds, "
             "pyenv with PYTHON_CONFIGURE_OPTS=--enable-shared, Debian's libpython3.X package, "
             "the clams-python images) and pass it with --python",
             json_string_value(json_object_get(info, "executable")),
             shared ? "it says it has one, but none was found" : "it was built without one");
    return NULL;
}

/* ---- the worker side ---------------------------------------------------------- */

static int call_ok(const char *fn, size_t nargs, const char *const *args, const size_t *lens,
                   clams_error_t *err)
{
    char why[256];
    size_t n = 0;
    char *r = clams__py_call(fn, nargs, args, lens, &n, why, sizeof(why));
    if (!r)
        return clams__error_set(err, CLAMS_EAPP, NULL, NULL, "%s", why);
    int rc = strcmp(r, "ok") == 0 ? 0 : clams__error_set(err, CLAMS_EAPP, NULL, NULL, "%s", r);
    free(r);
    return rc;
}

/* Loads the interpreter in this process, as the probe saw it, and imports
 * the app module. */
static int start_python(host_t *h, clams_error_t *err)
{
    char why[512];
    if (clams__py_start(h->lib, h->home, h->shim_dir, why, sizeof(why)) != 0)
        return clams__error_set(err, CLAMS_EAPP, NULL, NULL, "%s", why);
    size_t len = strlen(h->setup_json);
    const char *a[1] = {h->setup_json};
    int rc = call_ok("setup", 1, a, &len, err);
    if (rc == 0)
        rc = call_ok("load", 0, NULL, NULL, err);
    h->py_pid = getpid();
    return rc;
}

static int host_annotate(void *ctx, const clams__query_t *q, const char *body, size_t len,
                         clams__response_t *out);

/* A pinned worker's --vram-hard-budget as a fraction of its GPU's total
 * memory (torch's per-process memory fraction, set by the shim before
 * get_app()), or 0: no budget, not pinned, the GPU's size unknown. The
 * master puts the budget in the environment (sup/setup.c); worker_run put
 * the GPU's UUID in CUDA_VISIBLE_DEVICES. Asking NVML is not touching CUDA. */
static double torch_fraction(void)
{
    const char *budget = getenv("CLAMS_VRAM_HARD_BUDGET_MIB");
    const char *gpu = getenv("CUDA_VISIBLE_DEVICES");
    long mib = budget ? atol(budget) : 0;
    unsigned long long total = 0, free_bytes = 0;
    if (mib <= 0 || !gpu || (strncmp(gpu, "GPU-", 4) != 0 && strncmp(gpu, "MIG-", 4) != 0))
        return 0;
    if (clams__gpu_memory_info(gpu, &total, &free_bytes) != 0 || total == 0)
        return 0;
    double f = (double)((unsigned long long)mib << 20) / (double)total;
    return f > 1 ? 1 : f;
}

static int host_worker_init(void *user, clams_error_t *err)
{
    host_t *h = user;
    int rc = 0;
    if (!clams__py_started()) {
        rc = start_python(h, err);
    } else if (h->py_pid != getpid()) { /* forked from the template */
        clams__py_after_fork_child();
        h->py_pid = getpid();
    }
    /* What the app writes to fd 1 (C extensions, subprocesses) goes to the
     * log too, as Python's prints do through the shim: stdout never carries
     * anything of the app's (the file mode writes its answer to a copy of
     * stdout it took before). */
    dup2(STDERR_FILENO, STDOUT_FILENO);
    /* Python's os.environ is a copy taken when the interpreter started (in
     * the template): the GPU this worker was pinned to after the fork must
     * be put there too, or the app (and what reads os.environ) sees none. */
    const char *gpu = getenv("CUDA_VISIBLE_DEVICES");
    double fraction = torch_fraction();
    json_t *lim = json_pack("{s:{s:s?}}", "environ", "CUDA_VISIBLE_DEVICES", gpu);
    if (lim && fraction > 0)
        json_object_set_new(lim, "torch_memory_fraction", json_real(fraction));
    char *limits = lim ? json_dumps(lim, JSON_COMPACT) : NULL;
    json_decref(lim);
    size_t llen = limits ? strlen(limits) : 0;
    const char *la[1] = {limits ? limits : ""};
    if (rc == 0)
        rc = call_ok("build", 1, la, &llen, err);
    free(limits);
    if (rc == 0 && h->warmup_body) {
        clams__query_t q = {0};
        clams__response_t r = {0};
        double t0 = clams__now();
        rc = host_annotate(h, &q, h->warmup_body, h->warmup_len, &r);
        if (rc == 0 && r.status != 200)
            rc = clams__error_set(err, CLAMS_EAPP, NULL, NULL,
                                  "the warm-up annotate of %s answered %d: %.300s", h->warmup_path,
                                  r.status, r.body ? r.body : "");
        else if (rc == 0)
            clams__log(CLAMS_LOG_INFO, 0, "warm-up with %s took %.3f s", h->warmup_path,
                       clams__now() - t0);
        clams__response_free(&r);
    }
    return rc;
}

static void host_worker_fini(void *user)
{
    (void)user;
    char why[64];
    size_t n;
    if (clams__py_started())
        free(clams__py_call("flush", 0, NULL, NULL, &n, why, sizeof(why)));
}

/* ---- ops ------------------------------------------------------------------------ */

static int host_annotate(void *ctx, const clams__query_t *q, const char *body, size_t len,
                         clams__response_t *out)
{
    (void)ctx;
    char *qs = clams__query_encode(q);
    if (!qs)
        return CLAMS_ENOMEM;
    const char *a[2] = {qs, body};
    size_t lens[2] = {strlen(qs), len};
    char why[256];
    size_t n = 0;
    char *r = clams__py_call("annotate", 2, a, lens, &n, why, sizeof(why));
    free(qs);
    out->content_type = "text/plain; charset=utf-8";
    char *nl = r ? memchr(r, '\n', n) : NULL;
    if (!nl) {
        free(r);
        out->status = 500;
        out->body = strdup(why);
        out->len = out->body ? strlen(out->body) : 0;
        return out->body ? 0 : CLAMS_ENOMEM;
    }
    out->status = atoi(r);
    if (strncmp(r + 4, "application/json", 16) == 0)
        out->content_type = "application/json";
    size_t head = (size_t)(nl + 1 - r);
    memmove(r, nl + 1, n - head);
    out->len = n - head;
    r[out->len] = '\0';
    out->body = r;
    return 0;
}

static int host_template_init(void *ctx, clams_error_t *err)
{
    host_t *h = ctx;
    int rc = start_python(h, err);
    if (rc == 0)
        rc = call_ok("checks", 0, NULL, NULL, err);
    if (rc == 0 && h->preload)
        rc = call_ok("build", 0, NULL, NULL, err);
    return rc;
}

static pid_t host_template_fork(void *ctx)
{
    (void)ctx;
    return clams__py_fork();
}

static bool host_warms_up(void *ctx)
{
    return ((const host_t *)ctx)->warmup_body != NULL;
}

static void host_free(void *ctx)
{
    host_t *h = ctx;
    if (!h)
        return;
    free(h->app_dir);
    free(h->python);
    free(h->shim_dir);
    free(h->lib);
    free(h->home);
    free(h->setup_json);
    free(h->name);
    free(h->description);
    free(h->warmup_path);
    free(h->warmup_body);
    free(h);
}

static const clams__app_ops_t ops_template = {
    .annotate = host_annotate,
    .template_init = host_template_init,
    .template_fork = host_template_fork,
    .warms_up = host_warms_up,
    .free = host_free,
};
static const clams__app_ops_t ops_plain = {
    .annotate = host_annotate, .warms_up = host_warms_up, .free = host_free};

/* The JSON the shim's setup() takes: what the probe saw. */
static char *setup_json(const host_t *h, const json_t *info)
{
    json_t *s = json_pack("{s:O?,s:O?,s:s,s:b}", "sys_path", json_object_get(info, "sys_path"),
                          "executable", json_object_get(info, "executable"), "app_dir", h->app_dir,
                          "pythonhome_set", h->home && !getenv("PYTHONHOME"));
    char *out = s ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    return out;
}

static int read_warmup(host_t *h, const char *path, clams_error_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return clams__error_set(err, CLAMS_ESYS, NULL, NULL, "--warmup %s: %s", path,
                                strerror(errno));
    h->warmup_body = clams__read_all(fd, &h->warmup_len);
    close(fd);
    h->warmup_path = strdup(path);
    if (!h->warmup_body || !h->warmup_path)
        return clams__error_set(err, CLAMS_ESYS, NULL, NULL, "--warmup %s: cannot read it", path);
    return 0;
}

clams__app_rt_t *clams__host_rt_new(const clams__host_opts_t *o, clams_error_t *err)
{
    host_t *h = calloc(1, sizeof(*h));
    if (!h) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    char abs[PATH_MAX];
    json_t *info = NULL;
    h->preload = o->preload;
    h->python = strdup(o->python && *o->python ? o->python : "python3");
    if (!realpath(o->app_dir, abs)) {
        clams__error_set(err, CLAMS_ENOTFOUND, NULL, NULL, "%s: %s", o->app_dir, strerror(errno));
        goto fail;
    }
    h->app_dir = strdup(abs);
    snprintf(abs + strlen(abs), sizeof(abs) - strlen(abs), "/app.py");
    if (!is_file(abs)) {
        clams__error_set(err, CLAMS_ENOTFOUND, NULL, NULL,
                         "%s has no app.py: not a clams-python app folder", h->app_dir);
        goto fail;
    }
    h->shim_dir = find_shim();
    if (!h->shim_dir) {
        clams__error_set(err, CLAMS_ENOTFOUND, NULL, NULL,
                         "clams_host.py was not found (installed under share/clams/python; "
                         "set CLAMS_HOST_SHIM_DIR)");
        goto fail;
    }
    if (o->warmup && read_warmup(h, o->warmup, err) != 0)
        goto fail;
    info = probe(h, err);
    if (!info)
        goto fail;
    const json_t *md = json_object_get(info, "metadata");
    if (!json_is_object(md)) {
        const char *tb = json_string_value(json_object_get(info, "traceback"));
        if (tb)
            clams__log(CLAMS_LOG_ERROR, 0, "reading the app's metadata:\n%s", tb);
        clams__error_set(err, CLAMS_EMETADATA, NULL, NULL, "the app's metadata: %s",
                         json_string_value(json_object_get(info, "metadata_error")));
        goto fail;
    }
    char why[1024];
    h->lib = find_libpython(info, why, sizeof(why));
    if (!h->lib) {
        clams__error_set(err, CLAMS_ENOTFOUND, NULL, NULL, "%s", why);
        goto fail;
    }
    const char *bp = json_string_value(json_object_get(info, "base_prefix"));
    const char *bep = json_string_value(json_object_get(info, "base_exec_prefix"));
    if (bp && bep && strcmp(bp, bep) != 0) {
        if (asprintf(&h->home, "%s:%s", bp, bep) < 0)
            h->home = NULL;
    } else if (bp) {
        h->home = strdup(bp);
    }
    h->setup_json = setup_json(h, info);
    h->name = str_of(md, "name");
    h->description = str_of(md, "description");
    h->app.name = h->name;
    h->app.description = h->description;
    h->app.worker_init = host_worker_init;
    h->app.worker_fini = host_worker_fini;
    h->app.user = h;
    clams__log(CLAMS_LOG_INFO, 0, "hosting %s with Python %s (%s; metadata from %s)", h->app_dir,
               json_string_value(json_object_get(info, "version")), h->lib,
               json_string_value(json_object_get(info, "metadata_source")));
    clams__app_rt_t *rt = clams__app_rt_new_hosted(
        &h->app, (json_t *)md, o->no_template ? &ops_plain : &ops_template, h, err);
    json_decref(info);
    return rt;
fail:
    json_decref(info);
    host_free(h);
    return NULL;
}
