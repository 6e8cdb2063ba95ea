/* Per-process GPU memory: which processes the driver lists on a GPU or MIG
 * slice and what one of them holds. The list comes from NVML, else from
 * nvidia-smi's compute apps; the rules that turn a list into a figure (or a
 * reason there is none) live here once, so both sources answer alike. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "gpu/backend.h"

static const char *const pm_names[] = {
#define CLAMS__GPU_PM_NAME_(id, name) name,
    CLAMS__GPU_PM_LIST(CLAMS__GPU_PM_NAME_)
#undef CLAMS__GPU_PM_NAME_
};

const char *clams__gpu_pm_name(clams__gpu_pm_t m)
{
    return (unsigned)m < (unsigned)CLAMS_GPU_PM_COUNT_ ? pm_names[m] : "unavailable";
}

/* Set by the master's binding; owned by the process that set it, so a
 * forked child (a new process, a new host PID) does not inherit it. */
static pid_t self_host_pid;
static pid_t self_host_owner;

void clams__gpu_set_self_host_pid(pid_t host_pid)
{
    self_host_pid = host_pid > 0 ? host_pid : 0;
    self_host_owner = host_pid > 0 ? getpid() : 0;
}

pid_t clams__gpu_self_host_pid(void)
{
    return self_host_owner == getpid() ? self_host_pid : 0;
}

static bool pid_visible(unsigned int pid)
{
    if (pid == 0 || pid > (unsigned int)INT32_MAX)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* The raw list from the first source that can be used: NVML, else
 * nvidia-smi. *method: the source, or why there is no list. */
static int raw_list(const char *uuid, clams__gpu_proc_t **out, size_t *n, clams__gpu_pm_t *method)
{
    clams__gpu_pm_t why = CLAMS_GPU_PM_QUERY_FAILED;
    int rc = clams__gpu_backend_nvml.processes(uuid, out, n, &why);
    if (rc == 0) {
        *method = CLAMS_GPU_PM_NVML;
        return 0;
    }
    if (why != CLAMS_GPU_PM_NO_NVML) {
        *method = why; /* NVML works and answered: no second opinion */
        return rc;
    }
    why = CLAMS_GPU_PM_QUERY_FAILED;
    rc = clams__gpu_backend_smi.processes(uuid, out, n, &why);
    *method = rc == 0 ? CLAMS_GPU_PM_NVIDIA_SMI : why;
    return rc;
}

int clams__gpu_process_list(const char *uuid, clams__gpu_proc_t *out, size_t cap, size_t *n,
                            clams__gpu_pm_t *method)
{
    clams__gpu_pm_t m = CLAMS_GPU_PM_QUERY_FAILED;
    if (method)
        *method = m;
    if (n)
        *n = 0;
    if (!uuid || !n || (cap > 0 && !out))
        return CLAMS_EINVAL;
    clams__gpu_proc_t *all = NULL;
    size_t count = 0;
    int rc = raw_list(uuid, &all, &count, &m);
    if (method)
        *method = m;
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < count && i < cap; i++) {
        out[i] = all[i];
        out[i].visible = pid_visible(all[i].pid);
    }
    free(all);
    *n = count;
    return count > cap ? CLAMS_ETOOBIG : 0;
}

int clams__gpu_process_list_fresh(const char *uuid, clams__gpu_proc_t *out, size_t cap, size_t *n,
                                  clams__gpu_pm_t *method)
{
    clams__gpu_smi_forget_processes();
    return clams__gpu_process_list(uuid, out, cap, n, method);
}

size_t clams__gpu_proc_appeared(const clams__gpu_proc_t *before, size_t nbefore,
                                const clams__gpu_proc_t *after, size_t nafter, unsigned int *pid)
{
    size_t n = 0;
    unsigned int last = 0;
    for (size_t i = 0; i < nafter; i++) {
        bool known = false;
        for (size_t j = 0; j < nbefore && !known; j++)
            known = before[j].pid == after[i].pid;
        if (!known) {
            n++;
            last = after[i].pid;
        }
    }
    if (pid)
        *pid = n == 1 ? last : 0;
    return n;
}

int clams__gpu_process_memory_ex(const char *uuid, pid_t pid, unsigned flags,
                                 unsigned long long *bytes, clams__gpu_pm_t *method)
{
    clams__gpu_pm_t m = CLAMS_GPU_PM_QUERY_FAILED;
    if (method)
        *method = m;
    if (!uuid || !bytes || pid <= 0)
        return CLAMS_EINVAL;
    clams__gpu_proc_t *all = NULL;
    size_t count = 0;
    int rc = raw_list(uuid, &all, &count, &m);
    if (rc != 0) {
        if (method)
            *method = m;
        return rc;
    }
    const clams__gpu_proc_t *mine = NULL;
    bool any_visible = false;
    for (size_t i = 0; i < count; i++) {
        if (all[i].pid == (unsigned int)pid)
            mine = &all[i];
        else if (!(flags & CLAMS_GPU_PID_HOST) && !any_visible)
            any_visible = pid_visible(all[i].pid);
    }
    if (mine && !mine->bytes_valid) {
        m = CLAMS_GPU_PM_NOT_REPORTED; /* NVML_VALUE_NOT_AVAILABLE (WDDM, some vGPUs), [N/A] */
        rc = CLAMS_ENOGPU;
    } else if (mine) {
        *bytes = mine->bytes;
    } else if (flags & CLAMS_GPU_PID_LISTED) {
        m = CLAMS_GPU_PM_NOT_LISTED;
        rc = CLAMS_ENOTFOUND;
    } else if (!(flags & CLAMS_GPU_PID_HOST) && count > 0 && !any_visible) {
        /* Others are listed and none of them exists in our PID namespace:
         * the driver speaks host PIDs and ours cannot be recognised. */
        m = CLAMS_GPU_PM_PID_NAMESPACE;
        rc = CLAMS_ENOTFOUND;
    } else {
        *bytes = 0; /* not listed: it holds nothing on this device */
    }
    free(all);
    if (method)
        *method = m;
    return rc;
}

int clams__gpu_process_memory(const char *uuid, pid_t pid, unsigned long long *bytes)
{
    pid_t host = clams__gpu_self_host_pid();
    if (host > 0 && pid == getpid())
        return clams__gpu_process_memory_ex(uuid, host, CLAMS_GPU_PID_HOST, bytes, NULL);
    return clams__gpu_process_memory_ex(uuid, pid, 0, bytes, NULL);
}
