/* The NVML backend: libnvidia-ml.so.1 loaded with dlopen (no build-time
 * dependency on nvml.h; the few types used are declared here and checked with
 * _Static_assert). One session per process, opened on first use and re-inited
 * after fork (NVML state is not fork-safe), never shut down: a sampler thread
 * may be inside NVML, and nvmlShutdown under it is a use-after-free. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "gpu/backend.h"

/* ---- The NVML ABI we rely on (from the public nvml.h, re-declared) ------- */

typedef int nvml_ret_t;
typedef struct nvml_device_st *nvml_device_t;

enum {
    NVML_OK = 0,
    NVML_ERR_INSUFFICIENT_SIZE = 7,
    NVML_ERR_FUNCTION_NOT_FOUND = 13,
    NVML_ERR_ARGUMENT_VERSION_MISMATCH = 25
};
#define NVML_VALUE_NOT_AVAILABLE_ULL (~0ULL)

typedef struct { unsigned long long total, free, used; } nvml_memory_v1_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvml_memory_v2_t;
typedef struct { unsigned int pid; unsigned long long used; } nvml_proc_v1_t;
typedef struct {
    unsigned int pid;
    unsigned long long used;
    unsigned int gpu_instance_id, compute_instance_id;
} nvml_proc_v2_t;
/* The struct some R530-R535.86 drivers silently used for the _v3 calls. */
typedef struct {
    unsigned int pid;
    unsigned long long used;
    unsigned int gpu_instance_id, compute_instance_id;
    unsigned long long used_cc_protected;
} nvml_proc_v3_t;

_Static_assert(sizeof(nvml_memory_v1_t) == 24, "nvmlMemory_t is 24 bytes");
_Static_assert(sizeof(nvml_memory_v2_t) == 40, "nvmlMemory_v2_t is 40 bytes");
_Static_assert(sizeof(nvml_proc_v1_t) == 16, "nvmlProcessInfo_v1_t is 16 bytes");
_Static_assert(sizeof(nvml_proc_v2_t) == 24, "nvmlProcessInfo_v2_t is 24 bytes");
_Static_assert(sizeof(nvml_proc_v3_t) == 32, "nvmlProcessInfo_v3_t is 32 bytes");

/* As nvml.h computes it: the struct size with the version in the top byte. */
#define NVML_STRUCT_VERSION(name, ver) \
    ((unsigned int)(sizeof(nvml_##name##_v##ver##_t) | ((unsigned int)(ver) << 24U)))

#define NVML_UUID_BUF 96
#define NVML_NAME_BUF 96

typedef nvml_ret_t (*proc_fn_t)(nvml_device_t, unsigned int *, void *);

/* ---- The session ---------------------------------------------------------- */

typedef struct {
    void *dl;
    pid_t pid;          /* the process whose nvmlInit this is */
    bool tried, ok;
    char errmsg[256];   /* why the session is not usable */
    nvml_ret_t (*init)(void);
    nvml_ret_t (*shutdown)(void);
    const char *(*error_string)(nvml_ret_t);
    nvml_ret_t (*get_count)(unsigned int *);
    nvml_ret_t (*get_handle)(unsigned int, nvml_device_t *);
    nvml_ret_t (*get_name)(nvml_device_t, char *, unsigned int);
    nvml_ret_t (*get_uuid)(nvml_device_t, char *, unsigned int);
    nvml_ret_t (*mem_v1)(nvml_device_t, nvml_memory_v1_t *);
    nvml_ret_t (*mem_v2)(nvml_device_t, nvml_memory_v2_t *); /* optional */
    proc_fn_t compute, graphics;                              /* optional */
    int compute_stride, graphics_stride; /* declared struct size of the symbol */
    bool compute_v3, graphics_v3;        /* may use the 32-byte struct */
} nvml_lib_t;

static nvml_lib_t lib;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *nvml_err(nvml_ret_t r)
{
    const char *s = lib.error_string ? lib.error_string(r) : NULL;
    return s ? s : "unknown NVML error";
}

/* First symbol found among the NULL-terminated names; *which gets its index. */
static void *sym_first(const char *const *names, int *which)
{
    for (int i = 0; names[i]; i++) {
        void *p = dlsym(lib.dl, names[i]);
        if (p) {
            if (which)
                *which = i;
            return p;
        }
    }
    return NULL;
}

#define REQUIRE(field, ...)                                                         \
    do {                                                                            \
        static const char *const n_[] = {__VA_ARGS__, NULL};                        \
        *(void **)&lib.field = sym_first(n_, NULL);                                 \
        if (!lib.field) {                                                           \
            clams__gpu_setf(lib.errmsg, sizeof(lib.errmsg), "%s: symbol %s missing", path, \
                     n_[0]);                                                        \
            goto fail;                                                              \
        }                                                                           \
    } while (0)

static void resolve_procs(proc_fn_t *fn, int *stride, bool *v3, const char *base)
{
    char v3n[96], v2n[96];
    snprintf(v3n, sizeof(v3n), "%s_v3", base);
    snprintf(v2n, sizeof(v2n), "%s_v2", base);
    const char *const names[] = {v3n, v2n, base, NULL};
    int which = -1;
    *(void **)fn = sym_first(names, &which);
    *stride = which == 2 ? (int)sizeof(nvml_proc_v1_t) : (int)sizeof(nvml_proc_v2_t);
    *v3 = which == 0;
}

static void session_open(void)
{
    const char *env = getenv("CLAMS_NVML_LIBRARY");
    const char *path = (env && *env) ? env : "libnvidia-ml.so.1";
    lib.tried = true;
    lib.pid = getpid();
    lib.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib.dl) {
        const char *e = dlerror();
        clams__gpu_setf(lib.errmsg, sizeof(lib.errmsg), "NVML not loaded: %s", e ? e : path);
        return;
    }
    REQUIRE(error_string, "nvmlErrorString");
    REQUIRE(init, "nvmlInit_v2", "nvmlInit");
    REQUIRE(shutdown, "nvmlShutdown");
    REQUIRE(get_count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    REQUIRE(get_handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    REQUIRE(get_name, "nvmlDeviceGetName");
    REQUIRE(get_uuid, "nvmlDeviceGetUUID");
    REQUIRE(mem_v1, "nvmlDeviceGetMemoryInfo");
    *(void **)&lib.mem_v2 = dlsym(lib.dl, "nvmlDeviceGetMemoryInfo_v2");
    resolve_procs(&lib.compute, &lib.compute_stride, &lib.compute_v3,
                  "nvmlDeviceGetComputeRunningProcesses");
    resolve_procs(&lib.graphics, &lib.graphics_stride, &lib.graphics_v3,
                  "nvmlDeviceGetGraphicsRunningProcesses");
    nvml_ret_t r = lib.init();
    if (r != NVML_OK) {
        clams__gpu_setf(lib.errmsg, sizeof(lib.errmsg), "nvmlInit failed: %s (%d)", nvml_err(r), r);
        goto fail;
    }
    lib.ok = true;
    return;
fail:
    dlclose(lib.dl);
    lib.dl = NULL;
    lib.error_string = NULL;
}

/* Locks and returns the session, or unlocks and returns NULL with errmsg. */
static nvml_lib_t *session_lock(char *why, size_t why_size)
{
    pthread_mutex_lock(&lib_lock);
    if (!lib.tried) {
        session_open();
    } else if (lib.ok && lib.pid != getpid()) {
        /* A forked child: the parent's NVML state is not ours to use. */
        lib.pid = getpid();
        nvml_ret_t r = lib.init();
        if (r != NVML_OK) {
            lib.ok = false;
            clams__gpu_setf(lib.errmsg, sizeof(lib.errmsg), "nvmlInit after fork failed: %s",
                     nvml_err(r));
        }
    }
    if (!lib.ok) {
        if (why)
            clams__gpu_setf(why, why_size, "%s", lib.errmsg);
        pthread_mutex_unlock(&lib_lock);
        return NULL;
    }
    return &lib;
}

static void session_unlock(void)
{
    pthread_mutex_unlock(&lib_lock);
}

/* ---- Queries (called with the session locked) ---------------------------- */

static int dev_memory(nvml_device_t dev, unsigned long long *total, unsigned long long *freeb)
{
    if (lib.mem_v2) {
        nvml_memory_v2_t m;
        memset(&m, 0, sizeof(m));
        m.version = NVML_STRUCT_VERSION(memory, 2);
        if (lib.mem_v2(dev, &m) == NVML_OK) {
            *total = m.total;
            *freeb = m.free;
            return 0;
        }
    }
    nvml_memory_v1_t m1;
    memset(&m1, 0, sizeof(m1));
    if (lib.mem_v1(dev, &m1) != NVML_OK)
        return CLAMS_ENOGPU;
    *total = m1.total;
    *freeb = m1.free;
    return 0;
}

static int find_device(const char *uuid, nvml_device_t *dev)
{
    unsigned int n = 0;
    if (lib.get_count(&n) != NVML_OK)
        return CLAMS_ENOGPU;
    for (unsigned int i = 0; i < n; i++) {
        nvml_device_t d;
        char u[NVML_UUID_BUF] = "";
        if (lib.get_handle(i, &d) != NVML_OK || lib.get_uuid(d, u, sizeof(u)) != NVML_OK)
            continue;
        if (strcmp(u, uuid) == 0) {
            *dev = d;
            return 0;
        }
    }
    return CLAMS_ENOTFOUND;
}

typedef struct {
    unsigned int pid;
    unsigned long long used;
} proc_entry_t;

static bool entry_sane(unsigned int pid, unsigned long long used, unsigned long long total)
{
    return pid > 0 && (used == NVML_VALUE_NOT_AVAILABLE_ULL || used <= total);
}

/* Which stride the driver really wrote: the declared one unless it reads as
 * garbage and the 32-byte layout reads cleanly (the R530 _v3 ABI change). */
static int pick_stride(const unsigned char *buf, unsigned int n, int stride, bool maybe_v3,
                       unsigned long long total)
{
    if (!maybe_v3 || n < 2)
        return stride;
    for (int s = stride; s <= (int)sizeof(nvml_proc_v3_t); s += 8) {
        bool ok = true;
        for (unsigned int i = 0; i < n && ok; i++) {
            nvml_proc_v2_t e;
            memcpy(&e, buf + (size_t)i * (size_t)s, sizeof(e));
            ok = entry_sane(e.pid, e.used, total);
        }
        if (ok)
            return s;
    }
    return stride;
}

/* Fetches one process list. Returns the count (>= 0) or a negative code. */
static int proc_list(nvml_device_t dev, proc_fn_t fn, int stride, bool maybe_v3,
                     unsigned long long total, proc_entry_t **out)
{
    *out = NULL;
    unsigned int cnt = 0;
    nvml_ret_t r = fn(dev, &cnt, NULL);
    if (r == NVML_OK)
        return 0;
    for (int attempt = 0; attempt < 4 && r == NVML_ERR_INSUFFICIENT_SIZE; attempt++) {
        unsigned int cap = cnt + 8; /* the list may grow between calls */
        unsigned char *buf = calloc(cap, sizeof(nvml_proc_v3_t));
        if (!buf)
            return CLAMS_ENOMEM;
        unsigned int n = cap;
        r = fn(dev, &n, buf);
        if (r == NVML_ERR_INSUFFICIENT_SIZE) {
            cnt = n;
            free(buf);
            continue;
        }
        if (r != NVML_OK || n > cap) {
            free(buf);
            break;
        }
        int s = pick_stride(buf, n, stride, maybe_v3, total);
        proc_entry_t *e = calloc(n ? n : 1, sizeof(*e));
        if (!e) {
            free(buf);
            return CLAMS_ENOMEM;
        }
        for (unsigned int i = 0; i < n; i++) {
            nvml_proc_v1_t p;
            memcpy(&p, buf + (size_t)i * (size_t)s, sizeof(p));
            e[i].pid = p.pid;
            e[i].used = p.used;
        }
        free(buf);
        *out = e;
        return (int)n;
    }
    return CLAMS_ENOGPU;
}

static bool pid_visible(unsigned int pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

typedef struct {
    bool listed_any, any_visible, found, unavailable;
    unsigned long long bytes;
} proc_sum_t;

static int sum_list(nvml_device_t dev, proc_fn_t fn, int stride, bool v3,
                    unsigned long long total, pid_t pid, proc_sum_t *s)
{
    if (!fn)
        return 0;
    proc_entry_t *e = NULL;
    int n = proc_list(dev, fn, stride, v3, total, &e);
    if (n < 0)
        return n;
    unsigned long long sum = 0;
    bool found = false;
    for (int i = 0; i < n; i++) {
        s->listed_any = true;
        if (e[i].pid == (unsigned int)pid) {
            found = true;
            if (e[i].used == NVML_VALUE_NOT_AVAILABLE_ULL)
                s->unavailable = true;
            else
                sum += e[i].used; /* one entry per MIG instance */
        } else if (pid_visible(e[i].pid)) {
            s->any_visible = true;
        }
    }
    free(e);
    if (found) {
        s->found = true;
        /* A process with both a compute and a graphics context is listed in
         * both lists with the same footprint: take the larger, do not add. */
        if (sum > s->bytes)
            s->bytes = sum;
    }
    return 0;
}

/* ---- Backend entry points ------------------------------------------------- */

static int nvml_list(clams__gpu_list_t *out)
{
    nvml_lib_t *L = session_lock(out->why, sizeof(out->why));
    if (!L)
        return CLAMS_ENOGPU;
    unsigned int n = 0;
    nvml_ret_t r = L->get_count(&n);
    if (r != NVML_OK) {
        clams__gpu_setf(out->why, sizeof(out->why), "nvmlDeviceGetCount: %s", nvml_err(r));
        session_unlock();
        return CLAMS_ENOGPU;
    }
    for (unsigned int i = 0; i < n && out->count < CLAMS_GPU_MAX; i++) {
        nvml_device_t d;
        clams__gpu_t *g = &out->gpus[out->count];
        memset(g, 0, sizeof(*g));
        if (L->get_handle(i, &d) != NVML_OK || L->get_uuid(d, g->uuid, sizeof(g->uuid)) != NVML_OK)
            continue; /* e.g. NO_PERMISSION: this device is not ours */
        if (L->get_name(d, g->name, sizeof(g->name)) != NVML_OK)
            snprintf(g->name, sizeof(g->name), "GPU %u", i);
        unsigned long long total = 0, freeb = 0;
        if (dev_memory(d, &total, &freeb) != 0)
            continue; /* without a total the device is useless for planning */
        g->index = (int)i;
        g->total_bytes = total;
        g->free_bytes = freeb;
        g->free_valid = true;
        out->count++;
    }
    if (n == 0)
        clams__gpu_setf(out->why, sizeof(out->why), "NVML reports no GPU");
    else if (out->count == 0)
        clams__gpu_setf(out->why, sizeof(out->why), "NVML reports %u GPU(s), none readable", n);
    session_unlock();
    return 0;
}

static int nvml_memory_info(const char *uuid, unsigned long long *total,
                            unsigned long long *free_bytes)
{
    if (!uuid || !total || !free_bytes)
        return CLAMS_EINVAL;
    if (!session_lock(NULL, 0))
        return CLAMS_ENOGPU;
    nvml_device_t d;
    int rc = find_device(uuid, &d);
    if (rc == 0)
        rc = dev_memory(d, total, free_bytes);
    session_unlock();
    return rc;
}

static int nvml_process_memory(const char *uuid, pid_t pid, unsigned long long *bytes)
{
    if (!uuid || !bytes)
        return CLAMS_EINVAL;
    if (!session_lock(NULL, 0))
        return CLAMS_ENOGPU;
    nvml_device_t d;
    unsigned long long total = 0, freeb = 0;
    int rc = find_device(uuid, &d);
    if (rc == 0)
        rc = dev_memory(d, &total, &freeb);
    if (rc == 0 && !lib.compute && !lib.graphics)
        rc = CLAMS_ENOGPU;
    proc_sum_t s = {0};
    if (rc == 0)
        rc = sum_list(d, lib.compute, lib.compute_stride, lib.compute_v3, total, pid, &s);
    if (rc == 0)
        rc = sum_list(d, lib.graphics, lib.graphics_stride, lib.graphics_v3, total, pid, &s);
    session_unlock();
    if (rc != 0)
        return rc;
    if (s.unavailable)
        return CLAMS_ENOGPU; /* NVML_VALUE_NOT_AVAILABLE (WDDM, some vGPUs) */
    if (!s.found) {
        /* Others are listed but none of them exists in our PID namespace:
         * NVML speaks host PIDs and ours cannot be recognised. */
        if (s.listed_any && !s.any_visible)
            return CLAMS_ENOTFOUND;
        *bytes = 0;
        return 0;
    }
    *bytes = s.bytes;
    return 0;
}

const clams__gpu_backend_t clams__gpu_backend_nvml = {
    .name = "nvml",
    .source = CLAMS_GPU_SRC_NVML,
    .list = nvml_list,
    .memory_info = nvml_memory_info,
    .process_memory = nvml_process_memory,
};

int clams__gpu_process_memory(const char *uuid, pid_t pid, unsigned long long *bytes)
{
    return clams__gpu_backend_nvml.process_memory(uuid, pid, bytes);
}

int clams__gpu_memory_info(const char *uuid, unsigned long long *total,
                           unsigned long long *free_bytes)
{
    return clams__gpu_backend_nvml.memory_info(uuid, total, free_bytes);
}
