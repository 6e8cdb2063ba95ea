/* Which GPUs this process may use: the backends are tried in a fixed order
 * (NVML, then nvidia-smi only when NVML cannot be used), and the result is
 * filtered the way CUDA would filter it (CUDA_VISIBLE_DEVICES, else the
 * container variable NVIDIA_VISIBLE_DEVICES). See docs/gpu-probing.md. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "gpu/backend.h"

/* Registered explicitly, in the order they are tried. */
static const clams__gpu_backend_t *const backends[] = {
    &clams__gpu_backend_nvml,
    &clams__gpu_backend_smi,
};

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* The physical GPU an entry belongs to: its own UUID, or a slice's parent. */
static const char *gpu_key(const clams__gpu_t *g)
{
    return g->mig && g->parent_uuid[0] ? g->parent_uuid : g->uuid;
}

/* Marks in `hit` the devices a token names and returns how many, or -1
 * (invalid: it names nothing, or is ambiguous). An index or a "GPU-" UUID
 * names a whole GPU: the GPU, or every MIG slice of a GPU in MIG mode. A
 * "MIG-" UUID (or unique prefix) names one slice. */
static int match_token(const clams__gpu_list_t *list, const char *tok, bool *hit)
{
    memset(hit, 0, sizeof(bool) * CLAMS_GPU_MAX);
    int n = 0;
    if (all_digits(tok)) {
        if (strlen(tok) > 6)
            return -1;
        int want = atoi(tok);
        for (size_t i = 0; i < list->count; i++)
            if (list->gpus[i].index == want) {
                hit[i] = true;
                n++;
            }
        return n > 0 ? n : -1;
    }
    bool mig = strncmp(tok, "MIG-", 4) == 0;
    if ((!mig && strncmp(tok, "GPU-", 4) != 0) || strlen(tok) <= 4)
        return -1;            /* anything else stops the list */
    const char *first = NULL; /* the one device (GPU or slice) the prefix may name */
    for (size_t i = 0; i < list->count; i++) {
        const clams__gpu_t *g = &list->gpus[i];
        const char *key = mig ? g->uuid : gpu_key(g);
        if (strncmp(key, tok, strlen(tok)) != 0)
            continue;
        if (first && strcmp(first, key) != 0)
            return -1; /* an ambiguous prefix names no device */
        first = key;
        hit[i] = true;
        n++;
    }
    return n > 0 ? n : -1;
}

static size_t count_entries(const char *value)
{
    size_t n = 1;
    for (const char *p = value; *p; p++)
        n += *p == ',';
    return n;
}

/* Keeps the devices named by a comma list, in list order; the first entry
 * that names no device (or one already named) ends the list, as CUDA does. */
static void apply_list(clams__gpu_list_t *list, const char *var, const char *value)
{
    clams__gpu_t kept[CLAMS_GPU_MAX];
    bool used[CLAMS_GPU_MAX] = {false}, hit[CLAMS_GPU_MAX];
    size_t n = 0;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", value);
    char *save = NULL;
    const char *stopped = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*t))
            t++;
        size_t l = strlen(t);
        while (l > 0 && isspace((unsigned char)t[l - 1]))
            t[--l] = '\0';
        bool again = false;
        int c = match_token(list, t, hit);
        for (size_t i = 0; c > 0 && i < list->count; i++)
            again = again || (hit[i] && used[i]);
        if (c < 0 || again) {
            stopped = t;
            break;
        }
        for (size_t i = 0; i < list->count; i++)
            if (hit[i]) {
                used[i] = true;
                kept[n++] = list->gpus[i];
            }
    }
    if (n == 0 && list->count > 0)
        clams__gpu_setf(list->why, sizeof(list->why), "%s=\"%s\" names no usable GPU%s%s", var,
                        value, stopped ? "; stopped at " : "", stopped ? stopped : "");
    memcpy(list->gpus, kept, n * sizeof(kept[0]));
    list->count = n;
}

static void filter_nvidia(clams__gpu_list_t *list, const char *v)
{
    if (strcmp(v, "all") == 0)
        return;
    if (!*v || strcmp(v, "none") == 0 || strcmp(v, "void") == 0) {
        if (list->count > 0)
            clams__gpu_setf(list->why, sizeof(list->why), "NVIDIA_VISIBLE_DEVICES=\"%s\"", v);
        list->count = 0;
        return;
    }
    /* Inside a container the runtime has applied this list already and
     * renumbered the devices from 0, so host indices would name the wrong
     * ones: filter only when we see more devices than the list names. */
    if (list->count <= count_entries(v))
        return;
    apply_list(list, "NVIDIA_VISIBLE_DEVICES", v);
}

void clams__gpu_filter_visible(clams__gpu_list_t *list)
{
    const char *cuda = getenv("CUDA_VISIBLE_DEVICES");
    if (cuda) {
        if (!*cuda) {
            if (list->count > 0)
                clams__gpu_setf(list->why, sizeof(list->why), "CUDA_VISIBLE_DEVICES is empty");
            list->count = 0;
            return;
        }
        apply_list(list, "CUDA_VISIBLE_DEVICES", cuda);
        return;
    }
    const char *nv = getenv("NVIDIA_VISIBLE_DEVICES");
    if (nv)
        filter_nvidia(list, nv);
}

void clams__gpu_probe(clams__gpu_list_t *out)
{
    memset(out, 0, sizeof(*out));
    char why[sizeof(out->why)] = "";
    for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
        clams__gpu_list_t *l = out;
        memset(l, 0, sizeof(*l));
        int rc = backends[b]->list(l);
        clams__gpu_appendf(why, sizeof(why), "%s%s: %s", why[0] ? "; " : "", backends[b]->name,
                           l->why[0] ? l->why : "ok");
        if (rc == 0) {
            /* A working backend is the answer, even with zero devices. */
            l->source = backends[b]->source;
            break;
        }
        l->count = 0;
    }
    if (out->count == 0 && out->source == CLAMS_GPU_SRC_NONE) {
        clams__gpu_setf(out->why, sizeof(out->why), "%s", why);
        return;
    }
    /* Keep what failed before a fallback answered: the log line shows it. */
    if (out->source != CLAMS_GPU_SRC_NVML)
        clams__gpu_setf(out->why, sizeof(out->why), "%s", why);
    clams__gpu_filter_visible(out);
    if (out->count == 0 && !out->why[0])
        clams__gpu_setf(out->why, sizeof(out->why), "%s", why);
}
