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
#define NVML_DEVICE_MIG_ENABLE       1U
/* NVML_MAX_MIG_DEVICES_PER_GPU is 8 in nvml.h; a driver answering more is
 * not believed beyond this. */
#define MIG_MAX_PER_GPU 16U

typedef struct {
    unsigned long long total, free, used;
} nvml_memory_v1_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvml_memory_v2_t;
typedef struct {
    unsigned int pid;
    unsigned long long used;
} nvml_proc_v1_t;
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
    pid_t pid; /* the process whose nvmlInit this is */
    bool tried, ok;
    char errmsg[256]; /* why the session is not usable */
    nvml_ret_t (*init)(void);
    nvml_ret_t (*shutdown)(void);
    const char *(*error_string)(nvml_ret_t);
    nvml_ret_t (*get_count)(unsigned int *);
    nvml_ret_t (*get_handle)(unsigned int, nvml_device_t *);
    nvml_ret_t (*get_name)(nvml_device_t, char *, unsigned int);
    nvml_ret_t (*get_uuid)(nvml_device_t, char *, unsigned int);
    nvml_ret_t (*mem_v1)(nvml_device_t, nvml_memory_v1_t *);
    nvml_ret_t (*mem_v2)(nvml_device_t, nvml_memory_v2_t *); /* optional */
    proc_fn_t compute, graphics;                             /* optional */
    /* MIG (optional, all three or none): a GPU in MIG mode is replaced by
     * its MIG device handles, each with its own name, UUID, memory and
     * process lists. */
    nvml_ret_t (*mig_mode)(nvml_device_t, unsigned int *, unsigned int *);
    nvml_ret_t (*mig_max)(nvml_device_t, unsigned int *);
    nvml_ret_t (*mig_by_index)(nvml_device_t, unsigned int, nvml_device_t *);
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

#define REQUIRE(field, ...)                                                                        \
    do {                                                                                           \
        static const char *const n_[] = {__VA_ARGS__, NULL};                                       \
        *(void **)&lib.field = sym_first(n_, NULL);                                                \
        if (!lib.field) {                                                                          \
            clams__gpu_setf(lib.errmsg, sizeof(lib.errmsg), "%s: symbol %s missing", path, n_[0]); \
            goto fail;                                                                             \
        }                                                                                          \
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
    *(void **)&lib.mig_mode = dlsym(lib.dl, "nvmlDeviceGetMigMode");
    *(void **)&lib.mig_max = dlsym(lib.dl, "nvmlDeviceGetMaxMigDeviceCount");
    *(void **)&lib.mig_by_index = dlsym(lib.dl, "nvmlDeviceGetMigDeviceHandleByIndex");
    if (!lib.mig_mode || !lib.mig_max || !lib.mig_by_index)
        lib.mig_mode = NULL; /* a driver before R450: no MIG */
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

/* The number of MIG device slots of a GPU in MIG mode, 0 for a GPU that is
 * not (or a driver without MIG). */
static unsigned int mig_slots(nvml_device_t d)
{
    unsigned int cur = 0, pending = 0, max = 0;
    if (!lib.mig_mode || lib.mig_mode(d, &cur, &pending) != NVML_OK ||
        cur != NVML_DEVICE_MIG_ENABLE)
        return 0;
    if (lib.mig_max(d, &max) != NVML_OK)
        return 0;
    return max < MIG_MAX_PER_GPU ? max : MIG_MAX_PER_GPU;
}

/* A GPU or MIG device handle by UUID; a "MIG-" UUID is looked for only
 * among the MIG devices of GPUs in MIG mode. */
static int find_device(const char *uuid, nvml_device_t *dev)
{
    unsigned int n = 0;
    bool mig = strncmp(uuid, "MIG-", 4) == 0;
    if (lib.get_count(&n) != NVML_OK)
        return CLAMS_ENOGPU;
    for (unsigned int i = 0; i < n; i++) {
        nvml_device_t d;
        char u[NVML_UUID_BUF] = "";
        if (lib.get_handle(i, &d) != NVML_OK)
            continue;
        if (!mig) {
            if (lib.get_uuid(d, u, sizeof(u)) == NVML_OK && strcmp(u, uuid) == 0) {
                *dev = d;
                return 0;
            }
            continue;
        }
        unsigned int slots = mig_slots(d);
        for (unsigned int j = 0; j < slots; j++) {
            nvml_device_t m;
            if (lib.mig_by_index(d, j, &m) != NVML_OK || lib.get_uuid(m, u, sizeof(u)) != NVML_OK)
                continue; /* NOT_FOUND: an empty slot */
            if (strcmp(u, uuid) == 0) {
                *dev = m;
                return 0;
            }
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

/* Adds one list into the per-pid entries: entries of one list add up (one
 * per MIG instance on a parent handle), and a pid in both lists keeps the
 * larger sum (a process with a compute and a graphics context is listed in
 * both with the same footprint). */
static int merge_list(nvml_device_t dev, proc_fn_t fn, int stride, bool v3,
                      unsigned long long total, clams__gpu_proc_t **all, size_t *n)
{
    if (!fn)
        return 0;
    proc_entry_t *e = NULL;
    int cnt = proc_list(dev, fn, stride, v3, total, &e);
    if (cnt <= 0)
        return cnt;
    clams__gpu_proc_t *grown = realloc(*all, (*n + (size_t)cnt) * sizeof(**all));
    if (!grown) {
        free(e);
        return CLAMS_ENOMEM;
    }
    *all = grown;
    size_t first_new = *n; /* entries from this list start here */
    for (int i = 0; i < cnt; i++) {
        bool na = e[i].used == NVML_VALUE_NOT_AVAILABLE_ULL;
        clams__gpu_proc_t *hit = NULL;
        for (size_t k = first_new; k < *n && !hit; k++)
            if (grown[k].pid == e[i].pid)
                hit = &grown[k];
        if (hit) {
            hit->bytes += na ? 0 : e[i].used;
            hit->bytes_valid = hit->bytes_valid && !na;
            continue;
        }
        clams__gpu_proc_t *x = &grown[(*n)++];
        memset(x, 0, sizeof(*x));
        x->pid = e[i].pid;
        x->bytes = na ? 0 : e[i].used;
        x->bytes_valid = !na;
    }
    free(e);
    /* The same pid from an earlier list: keep one entry, the larger. */
    for (size_t k = first_new; k < *n;) {
        clams__gpu_proc_t *old = NULL;
        for (size_t j = 0; j < first_new && !old; j++)
            if (grown[j].pid == grown[k].pid)
                old = &grown[j];
        if (!old) {
            k++;
            continue;
        }
        if (!grown[k].bytes_valid)
            old->bytes_valid = false;
        else if (grown[k].bytes > old->bytes)
            old->bytes = grown[k].bytes;
        grown[k] = grown[--(*n)];
    }
    return 0;
}

/* ---- Backend entry points ------------------------------------------------- */

/* Adds one device (a GPU or a MIG device) to the list; false when it cannot
 * be read (NO_PERMISSION: not ours; no total: useless for planning). */
static bool add_device(clams__gpu_list_t *out, nvml_device_t d, unsigned int index, int mig_index,
                       const char *parent_uuid)
{
    if (out->count >= CLAMS_GPU_MAX)
        return false;
    clams__gpu_t *g = &out->gpus[out->count];
    memset(g, 0, sizeof(*g));
    if (lib.get_uuid(d, g->uuid, sizeof(g->uuid)) != NVML_OK)
        return false;
    if (lib.get_name(d, g->name, sizeof(g->name)) != NVML_OK) {
        if (mig_index >= 0)
            snprintf(g->name, sizeof(g->name), "GPU %u MIG %d", index, mig_index);
        else
            snprintf(g->name, sizeof(g->name), "GPU %u", index);
    }
    unsigned long long total = 0, freeb = 0;
    if (dev_memory(d, &total, &freeb) != 0 || total == 0)
        return false;
    g->index = (int)index;
    g->mig = mig_index >= 0;
    g->mig_index = mig_index >= 0 ? mig_index : 0;
    snprintf(g->parent_uuid, sizeof(g->parent_uuid), "%s", parent_uuid ? parent_uuid : "");
    g->total_bytes = total;
    g->free_bytes = freeb;
    g->free_valid = true;
    out->count++;
    return true;
}

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
    unsigned int empty_mig = 0;
    for (unsigned int i = 0; i < n && out->count < CLAMS_GPU_MAX; i++) {
        nvml_device_t d;
        if (L->get_handle(i, &d) != NVML_OK)
            continue; /* e.g. NO_PERMISSION: this device is not ours */
        unsigned int slots = mig_slots(d);
        if (slots == 0) {
            add_device(out, d, i, -1, NULL);
            continue;
        }
        /* MIG mode: CUDA runs on the MIG devices, never on the GPU as a
         * whole, so the slices are listed in its place. */
        char parent[NVML_UUID_BUF] = "";
        if (L->get_uuid(d, parent, sizeof(parent)) != NVML_OK)
            parent[0] = '\0';
        size_t before = out->count;
        for (unsigned int j = 0; j < slots; j++) {
            nvml_device_t m;
            nvml_ret_t mr = L->mig_by_index(d, j, &m);
            if (mr == NVML_OK)
                add_device(out, m, i, (int)j, parent);
        }
        if (out->count == before)
            empty_mig++;
    }
    if (n == 0)
        clams__gpu_setf(out->why, sizeof(out->why), "NVML reports no GPU");
    else if (out->count == 0 && empty_mig > 0)
        clams__gpu_setf(out->why, sizeof(out->why),
                        "NVML reports %u GPU(s), %u in MIG mode without MIG devices", n, empty_mig);
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

static int nvml_processes(const char *uuid, clams__gpu_proc_t **out, size_t *n,
                          clams__gpu_pm_t *why)
{
    *out = NULL;
    *n = 0;
    if (!session_lock(NULL, 0)) {
        *why = CLAMS_GPU_PM_NO_NVML;
        return CLAMS_ENOGPU;
    }
    nvml_device_t d;
    unsigned long long total = 0, freeb = 0;
    int rc = find_device(uuid, &d);
    if (rc == CLAMS_ENOTFOUND)
        *why = CLAMS_GPU_PM_UNKNOWN_GPU;
    if (rc == 0)
        rc = dev_memory(d, &total, &freeb);
    if (rc == 0 && !lib.compute && !lib.graphics)
        rc = CLAMS_ENOGPU; /* a driver without per-process lists */
    clams__gpu_proc_t *all = NULL;
    if (rc == 0)
        rc = merge_list(d, lib.compute, lib.compute_stride, lib.compute_v3, total, &all, n);
    if (rc == 0)
        rc = merge_list(d, lib.graphics, lib.graphics_stride, lib.graphics_v3, total, &all, n);
    session_unlock();
    if (rc != 0) {
        free(all);
        *n = 0;
        if (rc != CLAMS_ENOTFOUND)
            *why = CLAMS_GPU_PM_QUERY_FAILED;
        return rc;
    }
    *out = all;
    return 0;
}

const clams__gpu_backend_t clams__gpu_backend_nvml = {
    .name = "nvml",
    .source = CLAMS_GPU_SRC_NVML,
    .list = nvml_list,
    .memory_info = nvml_memory_info,
    .processes = nvml_processes,
};

bool clams__gpu_nvml_usable(void)
{
    if (!session_lock(NULL, 0))
        return false;
    session_unlock();
    return true;
}

int clams__gpu_memory_info(const char *uuid, unsigned long long *total,
                           unsigned long long *free_bytes)
{
    if (!uuid || !total || !free_bytes)
        return CLAMS_EINVAL;
    /* A working NVML answers alone; nvidia-smi only stands in for a missing one. */
    if (clams__gpu_nvml_usable())
        return clams__gpu_backend_nvml.memory_info(uuid, total, free_bytes);
    return clams__gpu_smi_memory_info(uuid, total, free_bytes);
}
