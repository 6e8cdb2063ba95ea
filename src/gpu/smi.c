/* The nvidia-smi backend, used only when NVML cannot be loaded: runs
 * `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` with fork/exec (no
 * shell) under a deadline and parses its CSV. nvidia-smi's output is not a
 * stable interface, so anything unexpected yields "no GPUs" with a reason. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/internal.h"
#include "gpu/backend.h"

extern char **environ;

#define SMI_OUT_MAX     (64 * 1024)
#define SMI_DEADLINE_MS 5000
/* The compute-apps query may run on the master's loop: a shorter deadline,
 * and a longer pause after a timeout so a hung nvidia-smi costs that loop
 * little. */
#define APPS_DEADLINE_MS 2000
#define APPS_REFRESH_MS  100
#define APPS_BACKOFF_MS  10000
#define APPS_MAX         1024

static long long now_ms(void)
{
    return (long long)(clams__now() * 1e3);
}

/* CLAMS_NVIDIA_SMI, else the first executable nvidia-smi on PATH. */
static int find_smi(char *path, size_t size)
{
    const char *env = getenv("CLAMS_NVIDIA_SMI");
    if (env && *env) {
        snprintf(path, size, "%s", env);
        return access(path, X_OK) == 0 ? 0 : -1;
    }
    const char *p = getenv("PATH");
    if (!p || !*p)
        p = "/usr/bin:/bin";
    while (*p) {
        size_t len = strcspn(p, ":");
        if (len > 0) {
            snprintf(path, size, "%.*s/nvidia-smi", (int)len, p);
            struct stat st;
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
                return 0;
        }
        p += len;
        if (*p == ':')
            p++;
    }
    snprintf(path, size, "nvidia-smi");
    return -1;
}

static int deadline_ms(int fallback)
{
    /* A test hook so the timeout path can be tested without a 5 s wait. */
    const char *t = getenv("CLAMS_TEST_SMI_TIMEOUT_MS");
    int v = t ? atoi(t) : 0;
    return v > 0 ? v : fallback;
}

/* Waits for the child until the deadline (it may close stdout and hang),
 * then kills it. Returns waitpid's answer. */
static pid_t reap(pid_t pid, long long end, int *st, bool *timed_out)
{
    for (;;) {
        pid_t w = *timed_out ? 0 : waitpid(pid, st, WNOHANG);
        if (w < 0 && errno == EINTR)
            continue;
        if (w != 0)
            return w;
        if (*timed_out || now_ms() >= end) {
            *timed_out = true;
            kill(pid, SIGKILL);
            do {
                w = waitpid(pid, st, 0);
            } while (w < 0 && errno == EINTR);
            return w;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Runs the command; returns 0 with the NUL-terminated output in *out
 * (malloc'd) or -1 with why set. */
static int run_smi(const char *path, char *const argv[], int limit_ms, char **out, char *why,
                   size_t wsize, bool *timed_out_out)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        clams__gpu_setf(why, wsize, "pipe: %s", strerror(errno));
        return -1;
    }
    char *buf = malloc(SMI_OUT_MAX + 1);
    if (!buf) {
        close(fds[0]);
        close(fds[1]);
        clams__gpu_setf(why, wsize, "out of memory");
        return -1;
    }
    /* posix_spawn, not fork: the per-process query runs every 100 ms from a
     * worker that may hold gigabytes of weights, and glibc spawns without
     * copying the page tables. The child gets an empty signal mask (the
     * master may block signals it reads another way). */
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int se = posix_spawn(&pid, path, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[1]);
    if (se != 0) {
        clams__gpu_setf(why, wsize, "%s: could not be executed: %s", path, strerror(se));
        close(fds[0]);
        free(buf);
        return -1;
    }
    size_t len = 0;
    bool timed_out = false;
    long long end = now_ms() + limit_ms;
    for (;;) {
        long long left = end - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            timed_out = pr == 0;
            break;
        }
        ssize_t r = read(fds[0], buf + len, SMI_OUT_MAX - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len >= SMI_OUT_MAX)
            break;
    }
    close(fds[0]);
    buf[len] = '\0';
    int st = 0;
    pid_t w = reap(pid, end, &st, &timed_out);
    if (timed_out_out)
        *timed_out_out = timed_out;
    if (timed_out) {
        clams__gpu_setf(why, wsize, "%s: no answer within %d ms", path, limit_ms);
        free(buf);
        return -1;
    }
    /* w < 0 (ECHILD): someone else reaped it; judge by the output alone. */
    if (w == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            clams__gpu_setf(why, wsize, "%s: could not be executed", path);
        else if (WIFEXITED(st))
            clams__gpu_setf(why, wsize, "%s: exit status %d", path, WEXITSTATUS(st));
        else
            clams__gpu_setf(why, wsize, "%s: killed by signal %d", path, WTERMSIG(st));
        free(buf);
        return -1;
    }
    if (memchr(buf, '\0', len)) {
        /* Text with a NUL in it would be read up to the NUL only: whatever
         * it is, it is not the CSV asked for. */
        clams__gpu_setf(why, wsize, "%s: a NUL byte in the answer", path);
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* A MiB figure; false for "[N/A]", "[Not Supported]" and garbage. */
static bool parse_mib(const char *s, unsigned long long *bytes)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || v < 0 || v > 1e12)
        return false;
    *bytes = (unsigned long long)(v * 1024.0 * 1024.0);
    return true;
}

/* "index, uuid, name, total, free": the name may hold commas, so index and
 * uuid are taken from the left and the two figures from the right. */
static bool parse_line(char *line, clams__gpu_t *g)
{
    char *c1 = strchr(line, ',');
    char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    char *c4 = strrchr(line, ',');
    if (!c2 || c4 <= c2)
        return false;
    *c4 = '\0';
    char *c3 = strrchr(line, ',');
    if (!c3 || c3 < c2)
        return false;
    *c1 = *c2 = *c3 = '\0';
    char *idx = trim(line), *uuid = trim(c1 + 1), *name = trim(c2 + 1);
    char *total = trim(c3 + 1), *freem = trim(c4 + 1);
    char *end;
    long i = strtol(idx, &end, 10);
    if (end == idx || *end != '\0' || i < 0 || strncmp(uuid, "GPU-", 4) != 0 || !*name)
        return false;
    if (!parse_mib(total, &g->total_bytes) || g->total_bytes == 0)
        return false;
    g->free_valid = parse_mib(freem, &g->free_bytes);
    g->index = (int)i;
    snprintf(g->uuid, sizeof(g->uuid), "%s", uuid);
    snprintf(g->name, sizeof(g->name), "%s", name);
    return true;
}

static int smi_query_list(clams__gpu_list_t *out, int limit_ms, bool *timed_out)
{
    char path[4096];
    if (find_smi(path, sizeof(path)) != 0) {
        clams__gpu_setf(out->why, sizeof(out->why), "%s not found or not executable", path);
        return CLAMS_ENOGPU;
    }
    char q[] = "--query-gpu=index,uuid,name,memory.total,memory.free";
    char f[] = "--format=csv,noheader,nounits";
    char *const argv[] = {path, q, f, NULL};
    char *text = NULL;
    if (run_smi(path, argv, limit_ms, &text, out->why, sizeof(out->why), timed_out) != 0)
        return CLAMS_ENOGPU;
    int bad = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!*trim(line))
            continue;
        if (out->count >= CLAMS_GPU_MAX)
            break;
        clams__gpu_t *g = &out->gpus[out->count];
        memset(g, 0, sizeof(*g));
        if (parse_line(line, g))
            out->count++;
        else
            bad++;
    }
    free(text);
    if (bad > 0) {
        /* A half-understood answer is not trusted. */
        out->count = 0;
        clams__gpu_setf(out->why, sizeof(out->why), "%s: %d unparseable line(s)", path, bad);
        return CLAMS_ENOGPU;
    }
    if (out->count == 0) {
        clams__gpu_setf(out->why, sizeof(out->why), "%s: empty answer", path);
        return CLAMS_ENOGPU;
    }
    return 0;
}

static int smi_list(clams__gpu_list_t *out)
{
    return smi_query_list(out, deadline_ms(SMI_DEADLINE_MS), NULL);
}

/* ---- Device memory now: the GPU list, cached ------------------------------ */

/* For clams__gpu_memory_info without NVML (the master's free-memory checks):
 * the same cache rules as the compute apps below. */
static struct {
    pthread_mutex_t lock;
    bool valid;
    long long next_ms;
    int rc;
    clams__gpu_list_t *list;
} mem_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

int clams__gpu_smi_memory_info(const char *uuid, unsigned long long *total,
                               unsigned long long *free_bytes)
{
    pthread_mutex_lock(&mem_cache.lock);
    if (!mem_cache.valid || now_ms() >= mem_cache.next_ms) {
        bool timed_out = false;
        if (!mem_cache.list)
            mem_cache.list = malloc(sizeof(*mem_cache.list));
        mem_cache.rc = CLAMS_ENOMEM;
        if (mem_cache.list) {
            memset(mem_cache.list, 0, sizeof(*mem_cache.list));
            mem_cache.rc =
                smi_query_list(mem_cache.list, deadline_ms(APPS_DEADLINE_MS), &timed_out);
        }
        mem_cache.valid = true;
        mem_cache.next_ms = now_ms() + (timed_out ? APPS_BACKOFF_MS : APPS_REFRESH_MS);
    }
    int rc = mem_cache.rc != 0 ? CLAMS_ENOGPU : CLAMS_ENOTFOUND;
    for (size_t i = 0; mem_cache.rc == 0 && i < mem_cache.list->count; i++) {
        const clams__gpu_t *g = &mem_cache.list->gpus[i];
        if (strcmp(g->uuid, uuid) != 0)
            continue;
        rc = g->free_valid ? 0 : CLAMS_ENOGPU;
        *total = g->total_bytes;
        *free_bytes = g->free_bytes;
        break;
    }
    pthread_mutex_unlock(&mem_cache.lock);
    return rc;
}

/* ---- Per-process figures: --query-compute-apps, cached ------------------ */

typedef struct {
    unsigned int pid;
    unsigned long long bytes;
    bool bytes_valid;
    char uuid[CLAMS_GPU_UUID_LEN];
} app_t;

/* One answer for the whole process (every GPU's apps), reused for
 * APPS_REFRESH_MS after it was taken (APPS_BACKOFF_MS after a timeout):
 * a 5 ms sampler and the master's budget checks share one run. */
static struct {
    pthread_mutex_t lock;
    bool valid;
    long long next_ms;   /* refresh from this time on */
    int rc;              /* of the last run */
    clams__gpu_pm_t why; /* when rc != 0 */
    app_t *apps;
    size_t count;
    char detail[256]; /* what went wrong, for debugging */
} apps_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* "pid, used_memory, gpu_uuid". used_memory "[N/A]" (or any bracketed
 * word) is a process listed without a figure. */
static bool parse_app(char *line, app_t *a)
{
    char *c1 = strchr(line, ',');
    char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c2 || strchr(c2 + 1, ','))
        return false;
    *c1 = *c2 = '\0';
    char *pid = trim(line), *used = trim(c1 + 1), *uuid = trim(c2 + 1);
    char *end;
    errno = 0;
    unsigned long v = strtoul(pid, &end, 10);
    if (end == pid || *end != '\0' || errno != 0 || v == 0 || v > 0x7fffffffUL ||
        !isdigit((unsigned char)*pid))
        return false;
    if (!*uuid || strlen(uuid) >= sizeof(a->uuid) || strpbrk(uuid, " \t"))
        return false;
    a->pid = (unsigned int)v;
    a->bytes = 0;
    a->bytes_valid = parse_mib(used, &a->bytes);
    if (!a->bytes_valid && used[0] != '[')
        return false;
    snprintf(a->uuid, sizeof(a->uuid), "%s", uuid);
    return true;
}

/* Runs the query and replaces the cache (called with the lock held). */
static void apps_refresh(void)
{
    free(apps_cache.apps);
    apps_cache.apps = NULL;
    apps_cache.count = 0;
    apps_cache.valid = true;
    apps_cache.rc = CLAMS_ENOGPU;
    apps_cache.why = CLAMS_GPU_PM_QUERY_FAILED;
    apps_cache.detail[0] = '\0';
    long long pause = APPS_REFRESH_MS;
    char path[4096];
    if (find_smi(path, sizeof(path)) != 0) {
        apps_cache.why = CLAMS_GPU_PM_NO_NVML;
        clams__gpu_setf(apps_cache.detail, sizeof(apps_cache.detail),
                        "%s not found or not executable", path);
        apps_cache.next_ms = now_ms() + APPS_REFRESH_MS;
        return;
    }
    char q[] = "--query-compute-apps=pid,used_memory,gpu_uuid";
    char f[] = "--format=csv,noheader,nounits";
    char *const argv[] = {path, q, f, NULL};
    char *text = NULL;
    bool timed_out = false;
    if (run_smi(path, argv, deadline_ms(APPS_DEADLINE_MS), &text, apps_cache.detail,
                sizeof(apps_cache.detail), &timed_out) != 0) {
        apps_cache.next_ms = now_ms() + (timed_out ? APPS_BACKOFF_MS : APPS_REFRESH_MS);
        return;
    }
    app_t *apps = calloc(APPS_MAX, sizeof(*apps));
    size_t n = 0;
    int bad = 0;
    char *save = NULL;
    for (char *line = apps ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *t = trim(line);
        /* What nvidia-smi prints instead of an empty answer on some versions. */
        if (!*t || strcmp(t, "No running processes found") == 0)
            continue;
        if (n >= APPS_MAX || !parse_app(t, &apps[n]))
            bad++;
        else
            n++;
    }
    free(text);
    if (!apps) {
        clams__gpu_setf(apps_cache.detail, sizeof(apps_cache.detail), "out of memory");
    } else if (bad > 0) {
        /* A half-understood answer is not trusted: a wrong figure would
         * recycle or kill a worker. */
        clams__gpu_setf(apps_cache.detail, sizeof(apps_cache.detail),
                        "%s: %d unparseable compute-apps line(s)", path, bad);
        free(apps);
    } else {
        apps_cache.apps = apps;
        apps_cache.count = n;
        apps_cache.rc = 0;
    }
    apps_cache.next_ms = now_ms() + pause;
}

void clams__gpu_smi_forget_processes(void)
{
    pthread_mutex_lock(&apps_cache.lock);
    apps_cache.valid = false;
    pthread_mutex_unlock(&apps_cache.lock);
}

static int smi_processes(const char *uuid, clams__gpu_proc_t **out, size_t *n, clams__gpu_pm_t *why)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&apps_cache.lock);
    if (!apps_cache.valid || now_ms() >= apps_cache.next_ms)
        apps_refresh();
    int rc = apps_cache.rc;
    if (rc != 0) {
        *why = apps_cache.why;
        pthread_mutex_unlock(&apps_cache.lock);
        return rc;
    }
    clams__gpu_proc_t *list = NULL;
    size_t k = 0;
    if (apps_cache.count > 0) {
        list = calloc(apps_cache.count, sizeof(*list));
        if (!list) {
            pthread_mutex_unlock(&apps_cache.lock);
            *why = CLAMS_GPU_PM_QUERY_FAILED;
            return CLAMS_ENOMEM;
        }
    }
    for (size_t i = 0; i < apps_cache.count; i++) {
        const app_t *a = &apps_cache.apps[i];
        if (strcmp(a->uuid, uuid) != 0)
            continue;
        clams__gpu_proc_t *hit = NULL;
        for (size_t j = 0; j < k && !hit; j++)
            if (list[j].pid == a->pid)
                hit = &list[j];
        if (hit) { /* one process listed twice on a device: the entries add up */
            hit->bytes += a->bytes;
            hit->bytes_valid = hit->bytes_valid && a->bytes_valid;
            continue;
        }
        list[k].pid = a->pid;
        list[k].bytes = a->bytes;
        list[k].bytes_valid = a->bytes_valid;
        k++;
    }
    pthread_mutex_unlock(&apps_cache.lock);
    if (k == 0) {
        free(list);
        list = NULL;
    }
    *out = list;
    *n = k;
    return 0;
}

const clams__gpu_backend_t clams__gpu_backend_smi = {
    .name = "nvidia-smi",
    .source = CLAMS_GPU_SRC_NVIDIA_SMI,
    .list = smi_list,
    .memory_info = NULL,
    .processes = smi_processes,
};
