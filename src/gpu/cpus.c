/* How many CPUs this process may really use: the affinity mask, limited by a
 * cgroup CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us).
 * The host's CPU count is never used: in a container it is usually wrong by
 * a large factor, and the pool size is derived from this figure. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/backend.h"

#define CG_ROOT "/sys/fs/cgroup"

void clams__gpu_appendf(char *buf, size_t size, const char *fmt, ...)
{
    if (!buf || size == 0)
        return;
    size_t len = strnlen(buf, size);
    if (len >= size - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

void clams__gpu_setf(char *buf, size_t size, const char *fmt, ...)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

static int affinity_count(void)
{
    /* Grow the set until the kernel accepts its size (hosts > 1024 CPUs). */
    for (int ncpu = 1024; ncpu <= 1 << 20; ncpu *= 2) {
        cpu_set_t *set = CPU_ALLOC(ncpu);
        if (!set)
            return -1;
        size_t sz = CPU_ALLOC_SIZE(ncpu);
        CPU_ZERO_S(sz, set);
        if (sched_getaffinity(0, sz, set) == 0) {
            int n = CPU_COUNT_S(sz, set);
            CPU_FREE(set);
            return n;
        }
        int e = errno;
        CPU_FREE(set);
        if (e != EINVAL)
            return -1;
    }
    return -1;
}

static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *ok = fgets(buf, (int)size, f);
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* A quota as a CPU count (rounded up, at least 1), or 0 for "no limit",
 * or -1 when the files are missing or unreadable. */
static int quota_cpus(long long quota, long long period)
{
    if (quota <= 0 || period <= 0)
        return 0;
    long long n = (quota + period - 1) / period;
    if (n < 1)
        n = 1;
    return n > 1 << 20 ? 1 << 20 : (int)n;
}

static int v2_limit(const char *dir, char *desc, size_t dsize)
{
    char path[4096], line[256];
    snprintf(path, sizeof(path), "%s/cpu.max", dir);
    if (read_line(path, line, sizeof(line)) != 0)
        return -1;
    char q[64] = "", p[64] = "";
    if (sscanf(line, "%63s %63s", q, p) < 1)
        return -1;
    if (strcmp(q, "max") == 0) {
        clams__gpu_setf(desc, dsize, "cgroup v2 %s: no limit", path);
        return 0;
    }
    long long quota = strtoll(q, NULL, 10);
    long long period = p[0] ? strtoll(p, NULL, 10) : 100000;
    int n = quota_cpus(quota, period);
    clams__gpu_setf(desc, dsize, "cgroup v2 %s %lld/%lld -> %d", path, quota, period, n);
    return n;
}

static int v1_limit(const char *dir, char *desc, size_t dsize)
{
    char qpath[4096], ppath[4096], line[64];
    snprintf(qpath, sizeof(qpath), "%s/cpu.cfs_quota_us", dir);
    snprintf(ppath, sizeof(ppath), "%s/cpu.cfs_period_us", dir);
    if (read_line(qpath, line, sizeof(line)) != 0)
        return -1;
    long long quota = strtoll(line, NULL, 10);
    if (read_line(ppath, line, sizeof(line)) != 0)
        return -1;
    long long period = strtoll(line, NULL, 10);
    int n = quota_cpus(quota, period);
    if (n == 0)
        clams__gpu_setf(desc, dsize, "cgroup v1 %s: no limit (quota %lld)", qpath, quota);
    else
        clams__gpu_setf(desc, dsize, "cgroup v1 %s %lld/%lld -> %d", qpath, quota, period, n);
    return n;
}

/* Walks from dir up to root; every ancestor's limit applies, keep the
 * smallest. Returns the limit (0 = none found) with its description. */
static int walk_limit(const char *root, const char *rel, bool v2, char *desc, size_t dsize)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s%s", root, strcmp(rel, "/") == 0 ? "" : rel);
    int best = 0;
    for (;;) {
        char d[512] = "";
        int n = v2 ? v2_limit(dir, d, sizeof(d)) : v1_limit(dir, d, sizeof(d));
        if (n > 0 && (best == 0 || n < best)) {
            best = n;
            clams__gpu_setf(desc, dsize, "%s", d);
        } else if (n == 0 && best == 0 && !desc[0]) {
            clams__gpu_setf(desc, dsize, "%s", d);
        }
        if (strlen(dir) <= strlen(root))
            break;
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    return best;
}

/* Reads /proc/self/cgroup and finds the CPU limit of our cgroup. */
static int system_limit(char *desc, size_t dsize)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return 0;
    char line[4096], v2path[4096] = "", v1path[4096] = "", v1ctl[256] = "";
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = '\0';
        *c2 = '\0';
        const char *ctl = c1 + 1, *path = c2 + 1;
        if (strcmp(line, "0") == 0 && ctl[0] == '\0') {
            snprintf(v2path, sizeof(v2path), "%s", path);
        } else {
            /* "cpu,cpuacct" or "cpu": a comma list that names cpu. */
            char tmp[256];
            snprintf(tmp, sizeof(tmp), "%s", ctl);
            for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t;
                 t = strtok_r(NULL, ",", &save))
                if (strcmp(t, "cpu") == 0) {
                    snprintf(v1path, sizeof(v1path), "%s", path);
                    snprintf(v1ctl, sizeof(v1ctl), "%s", ctl);
                }
        }
    }
    fclose(f);
    int n = 0;
    if (v1ctl[0]) {
        char root[512];
        snprintf(root, sizeof(root), CG_ROOT "/%s", v1ctl);
        n = walk_limit(root, v1path, false, desc, dsize);
        if (n == 0 && !desc[0])
            n = walk_limit(CG_ROOT "/cpu", v1path, false, desc, dsize);
        /* Inside a container the host path is often not mounted: the
         * container's own cgroup is the mount's root. */
        if (n == 0 && !desc[0])
            n = walk_limit(root, "/", false, desc, dsize);
    }
    if (n == 0 && (v2path[0] || !v1ctl[0])) {
        const char *rel = v2path[0] ? v2path : "/";
        int m = walk_limit(CG_ROOT, rel, true, desc, dsize);
        if (m == 0 && !desc[0])
            m = walk_limit(CG_ROOT, "/", true, desc, dsize);
        n = m;
    }
    return n;
}

/* The test hook: the root holds the files directly. */
static int test_limit(const char *root, char *desc, size_t dsize)
{
    int n = v2_limit(root, desc, dsize);
    if (n >= 0)
        return n;
    n = v1_limit(root, desc, dsize);
    if (n >= 0)
        return n;
    clams__gpu_setf(desc, dsize, "no cpu.max or cpu.cfs_quota_us under %s", root);
    return 0;
}

int clams__cpu_count(char *origin, size_t origin_size)
{
    char dummy[8];
    if (!origin || origin_size == 0) {
        origin = dummy;
        origin_size = sizeof(dummy);
    }
    origin[0] = '\0';
    int aff = affinity_count();
    if (aff < 1) {
        aff = 1;
        clams__gpu_appendf(origin, origin_size, "affinity unreadable, assume 1");
    } else {
        clams__gpu_appendf(origin, origin_size, "affinity=%d", aff);
    }
    char desc[600] = "";
    const char *troot = getenv("CLAMS_TEST_CGROUP_ROOT");
    int lim = (troot && *troot) ? test_limit(troot, desc, sizeof(desc))
                                : system_limit(desc, sizeof(desc));
    if (desc[0])
        clams__gpu_appendf(origin, origin_size, ", %s", desc);
    else
        clams__gpu_appendf(origin, origin_size, ", no cgroup cpu limit");
    int n = (lim > 0 && lim < aff) ? lim : aff;
    clams__gpu_appendf(origin, origin_size, " => %d", n);
    return n;
}
