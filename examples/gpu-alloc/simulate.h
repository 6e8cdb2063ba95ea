/* simulate.h: gpu-alloc's simulated GPU, for `scripts/gpu-check.sh --fake`.
 * With GPU_ALLOC_SIMULATE=1 and CLAMS_FAKE_GPU_DIR set, the app "holds" memory
 * by writing its figure into the fake NVML's per-process file
 * ($CLAMS_FAKE_GPU_DIR/procs/<pid>, see tests/gpu/README.md), so the server's
 * sampling, budgets and recycling see it as they would see real memory. */
#ifndef GPU_ALLOC_SIMULATE_H
#define GPU_ALLOC_SIMULATE_H

#include <stdbool.h>
#include <stddef.h>

/* What a simulated CUDA context costs (MiB). */
#define SIM_CONTEXT_MIB 300ULL

/* True when the simulation was asked for and the fake directory exists. */
bool sim_enabled(void);
/* Picks the worker's GPU (CUDA_VISIBLE_DEVICES when it is a UUID, else the
 * first GPU of the fake `gpus` file) and records the context. */
int sim_init(char *name, size_t name_size, char *why, size_t why_size);
/* Records that this process now holds `bytes` on its GPU (context included). */
int sim_set_bytes(unsigned long long bytes, char *why, size_t why_size);

#endif
