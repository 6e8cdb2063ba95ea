/* Test helper for any test folder: builds a throw-away fake GPU configuration
 * and points libclams at the fake NVML and fake nvidia-smi. Add
 * tests/gpu/fake_gpu_env.c to your test sources and define FAKE_GPU_BIN_DIR
 * (= ${CMAKE_BINARY_DIR}/fake-gpu); see tests/gpu/README.md. */
#ifndef CLAMS_TESTS_FAKE_GPU_ENV_H
#define CLAMS_TESTS_FAKE_GPU_ENV_H

#include <sys/types.h>

/* Creates a fresh directory with `gpus` = gpus_text (NULL: no file) and an
 * empty procs/, and sets CLAMS_FAKE_GPU_DIR, CLAMS_NVML_LIBRARY and
 * CLAMS_NVIDIA_SMI to the fakes; unsets CUDA_VISIBLE_DEVICES,
 * NVIDIA_VISIBLE_DEVICES and CLAMS_GUNICORN_WORKERS. Returns the directory
 * (malloc'd; give it to fake_gpu_cleanup), NULL on failure. */
char *fake_gpu_setup(const char *gpus_text);
/* Writes <dir>/<name> atomically (temp file + rename). Returns 0 or -1. */
int fake_gpu_write(const char *dir, const char *name, const char *text);
/* What pid holds now: text = lines "<uuid> <bytes> [compute|graphics|both]";
 * NULL removes the file. Atomic. Returns 0 or -1. */
int fake_gpu_set_proc(const char *dir, pid_t pid, const char *text);
/* The `reads` counter of the count_reads mode (0 when absent). */
unsigned long long fake_gpu_reads(const char *dir);
/* Removes the directory tree and frees dir. */
void fake_gpu_cleanup(char *dir);

#endif
