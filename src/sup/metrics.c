/* GET /metrics: the master's counters in the Prometheus text format (0.0.4):
 * workers by state, requests by status, a request duration histogram, the
 * queue length, recycles by reason and per-worker GPU memory (now and peak). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup/sup_internal.h"

static const double bucket_le[CLAMS__DUR_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,    2.5,   5,    10,  30};

void clams__stats_request(clams__stats_t *s, int status, double seconds)
{
    if (status >= 0 && status < 600)
        s->by_status[status]++;
    int i = 0;
    while (i < CLAMS__DUR_BUCKETS && seconds > bucket_le[i])
        i++;
    s->dur_bucket[i]++;
    s->dur_sum += seconds;
    s->dur_count++;
}

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} sbuf_t;

static void put(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf_t *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = (b->cap + (size_t)n) * 2;
        char *nb = realloc(b->buf, ncap);
        if (!nb) {
            b->failed = 1;
            return;
        }
        b->buf = nb;
        b->cap = ncap;
    }
}

static void render_workers(sbuf_t *b, const clams__master_t *m)
{
    int count[CLAMS__W_COUNT] = {0};
    for (int i = 0; i < m->nprocs; i++)
        count[m->procs[i].state]++;
    put(b, "# HELP clams_workers Worker processes by state.\n# TYPE clams_workers gauge\n");
    /* Standbys: idle workers beyond what the pool may run at once (a
     * replacement already started, holding its own copy of the model), so
     * a pool of 5 with 5 standbys reads ready 5, standby 5 (not ready 10). */
    int room = m->nserve - count[CLAMS__W_BUSY];
    int standby = count[CLAMS__W_READY] > room ? count[CLAMS__W_READY] - (room > 0 ? room : 0) : 0;
    count[CLAMS__W_READY] -= standby;
    for (int s = CLAMS__W_EMPTY + 1; s < CLAMS__W_COUNT; s++) {
        put(b, "clams_workers{state=\"%s\"} %d\n", clams__wstate_name(s), count[s]);
        if (s == CLAMS__W_READY)
            put(b, "clams_workers{state=\"standby\"} %d\n", standby);
    }
    put(b, "# HELP clams_worker_gpu_memory_bytes GPU memory a worker holds now.\n"
           "# TYPE clams_worker_gpu_memory_bytes gauge\n");
    for (int i = 0; i < m->nprocs; i++) {
        const clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_EMPTY || !p->gpu_uuid)
            continue;
        put(b, "clams_worker_gpu_memory_bytes{slot=\"%d\",pid=\"%d\",gpu_uuid=\"%s\"} %llu\n",
            p->slot, (int)p->pid, p->gpu_uuid, p->mem_now);
    }
    put(b, "# HELP clams_worker_gpu_binding How the GPU driver knows a pinned worker: its "
           "host PID (0 = unknown), why, and how its memory was last read.\n"
           "# TYPE clams_worker_gpu_binding gauge\n");
    for (int i = 0; i < m->nprocs; i++) {
        const clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_EMPTY || !p->gpu_uuid)
            continue;
        put(b,
            "clams_worker_gpu_binding{slot=\"%d\",pid=\"%d\",host_pid=\"%u\","
            "binding=\"%s\",method=\"%s\"} 1\n",
            p->slot, (int)p->pid, p->host_pid, p->bind_why,
            p->mem_method ? p->mem_method : "not sampled");
    }
    put(b, "# HELP clams_worker_gpu_memory_peak_bytes Highest GPU memory a worker held.\n"
           "# TYPE clams_worker_gpu_memory_peak_bytes gauge\n");
    for (int i = 0; i < m->nprocs; i++) {
        const clams__proc_t *p = &m->procs[i];
        if (p->state == CLAMS__W_EMPTY || !p->gpu_uuid)
            continue;
        put(b, "clams_worker_gpu_memory_peak_bytes{slot=\"%d\",pid=\"%d\",gpu_uuid=\"%s\"} %llu\n",
            p->slot, (int)p->pid, p->gpu_uuid, p->mem_peak);
    }
}

static void render_gpus(sbuf_t *b, const clams__master_t *m)
{
    if (!m->plan || !m->plan->use_gpu)
        return;
    put(b, "# HELP clams_gpu_workers_memory_bytes GPU memory held by this server's workers.\n"
           "# TYPE clams_gpu_workers_memory_bytes gauge\n");
    for (size_t g = 0; g < m->plan->gpus.count; g++) {
        const char *uuid = m->plan->gpus.gpus[g].uuid;
        unsigned long long sum = 0;
        for (int i = 0; i < m->nprocs; i++) {
            const clams__proc_t *p = &m->procs[i];
            if (p->state != CLAMS__W_EMPTY && p->gpu_uuid && strcmp(p->gpu_uuid, uuid) == 0)
                sum += p->mem_now;
        }
        put(b, "clams_gpu_workers_memory_bytes{gpu_uuid=\"%s\"} %llu\n", uuid, sum);
    }
}

char *clams__metrics_render(const clams__master_t *m, size_t *len)
{
    sbuf_t b = {malloc(4096), 0, 4096, 0};
    if (!b.buf)
        return NULL;
    b.buf[0] = '\0';
    render_workers(&b, m);
    render_gpus(&b, m);
    const clams__stats_t *s = &m->stats;
    put(&b, "# HELP clams_requests_total Finished requests by HTTP status.\n"
            "# TYPE clams_requests_total counter\n");
    for (int st = 100; st < 600; st++)
        if (s->by_status[st])
            put(&b, "clams_requests_total{status=\"%d\"} %llu\n", st, s->by_status[st]);
    put(&b, "# HELP clams_request_duration_seconds Request duration (arrival to answer).\n"
            "# TYPE clams_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int i = 0; i < CLAMS__DUR_BUCKETS; i++) {
        cum += s->dur_bucket[i];
        put(&b, "clams_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[i], cum);
    }
    cum += s->dur_bucket[CLAMS__DUR_BUCKETS];
    put(&b, "clams_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    put(&b, "clams_request_duration_seconds_sum %.6f\n", s->dur_sum);
    put(&b, "clams_request_duration_seconds_count %llu\n", s->dur_count);
    put(&b,
        "# HELP clams_queue_length Requests waiting for a worker.\n"
        "# TYPE clams_queue_length gauge\nclams_queue_length %zu\n",
        m->queue.len);
    put(&b,
        "# HELP clams_queue_rejected_total Requests answered 503 because the queue was full.\n"
        "# TYPE clams_queue_rejected_total counter\nclams_queue_rejected_total %llu\n",
        s->rejected_full);
    put(&b, "# HELP clams_worker_recycles_total Workers replaced, by reason.\n"
            "# TYPE clams_worker_recycles_total counter\n");
    for (int r = 1; r < CLAMS__RECYCLE_COUNT; r++)
        put(&b, "clams_worker_recycles_total{reason=\"%s\"} %llu\n",
            clams__recycle_name((clams__recycle_t)r), s->recycles[r]);
    if (b.failed) {
        free(b.buf);
        return NULL;
    }
    *len = b.len;
    return b.buf;
}
