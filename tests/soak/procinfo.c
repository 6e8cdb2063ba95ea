/* procinfo: /proc readings and client threads for the fault and soak tests. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procinfo.h"
#include "support.h"

long proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

int proc_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int proc_children(pid_t pid, pid_t *out, int max, int *zombies)
{
    DIR *d = opendir("/proc");
    int n = 0, z = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int child = atoi(e->d_name);
        if (child <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", child);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *close_paren = strrchr(buf, ')');
        char state;
        int ppid;
        if (!close_paren || sscanf(close_paren + 2, "%c %d", &state, &ppid) != 2 || ppid != pid)
            continue;
        if (state == 'Z')
            z++;
        if (n < max)
            out[n] = child;
        n++;
    }
    closedir(d);
    if (zombies)
        *zombies = z;
    return n < max ? n : max;
}

void rel_call_run(rel_call_t *c)
{
    clams_ts_response_t r;
    static const char *const hdrs[] = {"Content-Type: application/json", NULL};
    c->status = 0;
    if (clams_ts_request("POST", c->base_url, c->query, hdrs, c->body, strlen(c->body),
                         c->timeout_s > 0 ? c->timeout_s : 120, &r) == 0) {
        c->status = r.status;
        c->worker = r.worker ? atoi(r.worker) : 0;
        c->has_view = r.body && strstr(r.body, "rel-test") && strstr(r.body, "\"pid\"");
        c->error_view = r.body && strstr(r.body, "\"error\"");
        char *ra = clams_ts_header(&r, "Retry-After");
        c->retry_after = ra != NULL;
        free(ra);
        snprintf(c->snippet, sizeof(c->snippet), "%s", r.body ? r.body : "");
    } else {
        snprintf(c->snippet, sizeof(c->snippet), "no answer: %s", r.error);
    }
    clams_ts_response_free(&r);
}

static void *call_main(void *arg)
{
    rel_call_run(arg);
    return NULL;
}

int rel_call_start(rel_call_t *c)
{
    return pthread_create(&c->thread, NULL, call_main, c);
}

void rel_call_join(rel_call_t *c)
{
    pthread_join(c->thread, NULL);
}
