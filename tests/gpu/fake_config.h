/* The configuration shared by the fake NVML library and the fake nvidia-smi:
 * a directory named by CLAMS_FAKE_GPU_DIR holding `gpus`, `procs/<pid>` and an
 * optional `mode` file (format described in tests/gpu/README.md). Every call
 * re-reads it, so a test changes the "hardware" by rewriting files. */
#ifndef CLAMS_TESTS_FAKE_CONFIG_H
#define CLAMS_TESTS_FAKE_CONFIG_H

#include <stdbool.h>

#define FAKE_MAX_GPUS  64
#define FAKE_MAX_PROCS 256

enum { FAKE_KIND_COMPUTE = 1, FAKE_KIND_GRAPHICS = 2 };

typedef struct {
    int index; /* a GPU's index; a MIG slice's position under its GPU */
    char uuid[96];
    unsigned long long total_mib;
    char name[96];
    int parent;    /* -1 for a GPU; for a slice, the `index` of its GPU */
    bool mig_mode; /* a GPU in MIG mode (it has slices or a migmode line) */
} fake_gpu_t;

typedef struct {
    unsigned int pid;
    unsigned long long bytes;
    int kinds; /* FAKE_KIND_* bits */
} fake_proc_t;

/* The configured GPUs (no MIG slices); -1 when CLAMS_FAKE_GPU_DIR or its
 * `gpus` file is missing. */
int fake_load_gpus(fake_gpu_t *out, int max);
/* GPUs and MIG slices, in file order; -1 as above. */
int fake_load_devices(fake_gpu_t *out, int max);
/* The pid the driver would list for a local pid: the `pidmap` file
 * ("<pid> <listed pid>" lines) first, else pid + the number in `pid_offset`,
 * else pid + 100000 under mode pid_namespace, else pid. */
unsigned int fake_listed_pid(unsigned int pid);
/* True when the `mode` file holds this word. */
bool fake_mode(const char *word);
/* The live processes holding memory on a GPU (dead or zombie pids skipped). */
int fake_load_procs(const char *uuid, fake_proc_t *out, int max);
/* Sum of the live processes' bytes on a GPU. */
unsigned long long fake_used_bytes(const char *uuid);

/* Adds one to the number in <dir>/<name> (created at 0). The fake NVML
 * counts its process-list calls in `reads` when the mode holds count_reads,
 * so a test can wait for "a sample happened" instead of sleeping. */
void fake_bump_counter(const char *name);

#endif
