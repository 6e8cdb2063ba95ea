/* appProfiling.hardware: the text lines of the feature's own description
 * ("<name>, X GiB total, Y GiB available, Z GiB peak used", one per GPU,
 * identical GPUs not merged) with the same figures in bytes and the way each
 * was measured beside them. The figures come from gpu/hwprofile.c. */
#include <stdio.h>
#include <string.h>

#include "app/hwfetch.h"

void clams__hwprof_format_bytes(unsigned long long bytes, char *buf, size_t size)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    if (bytes >= (1ULL << 30))
        snprintf(buf, size, "%.2f GiB", (double)bytes / gib);
    else
        snprintf(buf, size, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

static json_t *gpu_line(const clams__hw_gpu_t *g)
{
    char total[32], avail[48] = "available unknown", used[48] = "peak used unknown";
    clams__hwprof_format_bytes(g->total_bytes, total, sizeof(total));
    if (g->available_valid) {
        clams__hwprof_format_bytes(g->available_bytes, avail, sizeof(avail));
        strncat(avail, " available", sizeof(avail) - strlen(avail) - 1);
    }
    if (g->peak_valid) {
        clams__hwprof_format_bytes(g->peak_bytes, used, sizeof(used));
        strncat(used, " peak used", sizeof(used) - strlen(used) - 1);
    }
    char line[CLAMS_GPU_NAME_LEN + 160];
    snprintf(line, sizeof(line), "%s, %s total, %s, %s", g->name, total, avail, used);
    return json_string(line);
}

static json_t *gpu_entry(const clams__hw_gpu_t *g)
{
    return json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:s}", "name", g->name, "uuid", g->uuid, "totalBytes",
        (json_int_t)g->total_bytes, "availableBytes",
        g->available_valid ? json_integer((json_int_t)g->available_bytes) : json_null(),
        "peakUsedBytes", g->peak_valid ? json_integer((json_int_t)g->peak_bytes) : json_null(),
        "totalMethod", g->total_method, "availableMethod", g->available_method, "peakMethod",
        g->peak_method);
}

json_t *clams__hw_report_json(const clams__hw_report_t *r)
{
    json_t *cuda = json_array(), *gpus = json_array();
    int bad = !cuda || !gpus;
    for (size_t i = 0; !bad && i < r->count; i++) {
        bad |= json_array_append_new(cuda, gpu_line(&r->gpus[i]));
        bad |= json_array_append_new(gpus, gpu_entry(&r->gpus[i]));
    }
    if (bad) {
        json_decref(cuda);
        json_decref(gpus);
        return NULL;
    }
    /* "o" steals both, even when json_pack fails. */
    return json_pack("{s:s, s:o, s:o}", "cpu", r->cpu, "cuda", cuda, "gpus", gpus);
}

json_t *clams__hwprof_end(clams__hwprof_t *prof, unsigned long long *peak)
{
    if (peak)
        *peak = 0;
    if (!prof)
        return NULL;
    clams__hw_report_t r;
    if (clams__hwprof_end_report(prof, &r) != 0)
        return NULL;
    json_t *out = clams__hw_report_json(&r);
    if (peak)
        *peak = r.peak;
    clams__hw_report_free(&r);
    return out;
}
