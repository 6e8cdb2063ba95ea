/* rel_soak: a bounded soak of the production server. rel_app --production
 * with max_requests=1 (every request recycles its worker) under CLIENTS
 * concurrent client threads for SECONDS, with a fixed mix of requests whose
 * answers are known (good, bad JSON 400, bad parameter 400, app failure 500,
 * worker crash 500, GET metadata 200). It counts every request and every
 * answer, and compares the master's VmRSS and open descriptors after the
 * warm-up with the end, and looks for zombie children.
 *   rel_soak APP BASE_MMIF SECONDS [CLIENTS]   (exit 0 = everything held) */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "procinfo.h"
#include "rawhttp.h"
#include "support.h"

typedef struct {
    const char *name, *method, *query;
    int body; /* 0 none, 1 base MMIF, 2 broken JSON */
    long want;
} kind_t;

static const kind_t kinds[] = {
    {"annotate", "POST", "count=2", 1, 200},   {"annotate_put", "PUT", "", 1, 200},
    {"bad_json", "POST", "", 2, 400},          {"bad_param", "POST", "count=abc", 1, 400},
    {"app_fail", "POST", "fault=fail", 1, 500}, {"crash", "POST", "fault=segv", 1, 500},
    {"metadata", "GET", "", 0, 200},           {"annotate2", "POST", "labels=A&labels=B", 1, 200},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *base_url, *base_mmif;
static atomic_int stop_flag;
static atomic_ulong sent[NKINDS], right[NKINDS], wrong[NKINDS];

static void *client(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&stop_flag)) {
        size_t k = (size_t)rand_r(&seed) % NKINDS;
        /* Crashes are rarer than the rest, as in real archives. */
        if (kinds[k].body == 1 && !strcmp(kinds[k].name, "crash") && rand_r(&seed) % 4)
            k = 0;
        const kind_t *kd = &kinds[k];
        const char *body = kd->body == 1 ? base_mmif : kd->body == 2 ? "{\"metadata\": " : NULL;
        clams_ts_response_t r;
        atomic_fetch_add(&sent[k], 1);
        int rc = clams_ts_request(kd->method, base_url, kd->query, NULL, body,
                                  body ? strlen(body) : 0, 120, &r);
        bool ok = rc == 0 && r.status == kd->want;
        if (ok && kd->want == 200 && kd->body)
            ok = r.body && strstr(r.body, "\"pid\"");
        if (ok && kd->want == 500)
            ok = r.body && strstr(r.body, "\"error\"");
        if (ok)
            atomic_fetch_add(&right[k], 1);
        else {
            atomic_fetch_add(&wrong[k], 1);
            fprintf(stderr, "wrong answer to %s: rc %d status %ld %.200s\n", kd->name, rc,
                    r.status, r.body ? r.body : r.error);
        }
        clams_ts_response_free(&r);
    }
    return NULL;
}

static unsigned long total(atomic_ulong *a)
{
    unsigned long t = 0;
    for (size_t i = 0; i < NKINDS; i++)
        t += atomic_load(&a[i]);
    return t;
}

static void sleep_s(double s)
{
    double end = raw_now() + s;
    while (raw_now() < end)
        usleep(100000);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: rel_soak APP BASE_MMIF SECONDS [CLIENTS]\n");
        return 2;
    }
    double seconds = atof(argv[3]);
    int nclients = argc > 4 ? atoi(argv[4]) : 8;
    char *mmif = clams_ts_read_file(argv[2], NULL);
    if (!mmif || seconds <= 0 || nclients < 1 || nclients > 64)
        return 2;
    base_mmif = mmif;
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    clams_ts_server_t s;
    const char *args[] = {"--production", "--workers", "2", "--max-requests", "1", "--queue",
                          "256", "--timeout", "60", NULL};
    const char *env[] = {"CLAMS_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1",
                         "CLAMS_NVIDIA_SMI=/nonexistent/nvidia-smi", NULL};
    if (clams_ts_server_start(&s, argv[1], args, env, 120) != 0) {
        fprintf(stderr, "rel_soak: the server did not start\n");
        return 1;
    }
    base_url = s.base_url;
    pthread_t th[64];
    for (int i = 0; i < nclients; i++)
        pthread_create(&th[i], NULL, client, (void *)(uintptr_t)(i + 1));
    double warm = seconds * 0.2 < 30 ? seconds * 0.2 : 30;
    sleep_s(warm);
    long rss0 = proc_rss_kib(s.pid);
    int fd0 = proc_fd_count(s.pid);
    unsigned long at_warm = total(sent);
    sleep_s(seconds - warm);
    atomic_store(&stop_flag, 1);
    for (int i = 0; i < nclients; i++)
        pthread_join(th[i], NULL);
    sleep_s(2); /* let the last recycled workers be replaced and reaped */
    long rss1 = proc_rss_kib(s.pid);
    int fd1 = proc_fd_count(s.pid);
    pid_t kids[64];
    int zombies = 0;
    int nkids = proc_children(s.pid, kids, 64, &zombies);
    int st = clams_ts_server_stop(&s, SIGTERM, 90);
    bool clean = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;

    printf("soak: %.0f s, %d clients, production server, 2 workers, max_requests=1\n", seconds,
           nclients);
    printf("%-14s %10s %10s %10s\n", "request", "sent", "right", "wrong");
    for (size_t i = 0; i < NKINDS; i++)
        printf("%-14s %10lu %10lu %10lu\n", kinds[i].name, atomic_load(&sent[i]),
               atomic_load(&right[i]), atomic_load(&wrong[i]));
    unsigned long ts = total(sent), tr = total(right), tw = total(wrong);
    printf("%-14s %10lu %10lu %10lu  (%lu after the warm-up)\n", "total", ts, tr, tw,
           ts - at_warm);
    printf("master VmRSS: %ld KiB after warm-up, %ld KiB at the end (%+ld)\n", rss0, rss1,
           rss1 - rss0);
    printf("master fds:   %d after warm-up, %d at the end\n", fd0, fd1);
    printf("children at the end: %d, zombies: %d; SIGTERM exit: %s\n", nkids, zombies,
           clean ? "0" : "NOT clean");
    /* "No growth": descriptors equal; RSS within 1 MiB of allocator noise.
     * Under ASan the allocator's quarantine keeps freed memory resident, so
     * RSS says nothing there: LeakSanitizer's check at the master's exit (a
     * leak makes the exit status non-zero) stands in for it. */
#if defined(__SANITIZE_ADDRESS__)
    bool rss_ok = true;
    printf("(ASan build: VmRSS growth not judged; LeakSanitizer checks the exit)\n");
#else
    bool rss_ok = rss1 - rss0 <= 1024;
#endif
    bool ok = tw == 0 && tr == ts && ts > 0 && fd1 <= fd0 && rss_ok && zombies == 0 && clean;
    printf("soak %s\n", ok ? "PASSED" : "FAILED");
    free(mmif);
    return ok ? 0 : 1;
}
