/* clams/device.h: the `device` parameter (auto, cpu, gpu) of an app that has a
 * GPU path and a CPU path, and the GPU state each worker keeps.
 *
 * libclams never links CUDA: the app hands it two functions of its own CUDA
 * code (start it in this process, free what it holds), and libclams decides
 * per request which path runs and what the caller is told. A build without
 * CUDA leaves both functions NULL and gets the same parameter and messages:
 *
 *     #ifdef MY_HAVE_CUDA
 *     static clams_device_t gpu = CLAMS_DEVICE_INIT(my_cuda_init, my_cuda_release);
 *     #else
 *     static clams_device_t gpu = CLAMS_DEVICE_INIT(NULL, NULL);
 *     #endif
 *     static const clams_param_spec_t params[] = {
 *         CLAMS_DEVICE_PARAM("Where the spectra are computed"), {0}};
 *     ... .user = &gpu, .worker_init = clams_device_worker_init,
 *         .worker_fini = clams_device_worker_fini, ...
 *     and in annotate:
 *     bool use_gpu;
 *     const char *device = clams_param_string(params, "device", "auto");
 *     if (clams_device_choose(ctx, &gpu, device, &use_gpu) != 0)
 *         return CLAMS_EAPP;
 *
 * CMake's find_package(clams) gives clams_add_cuda_objects to build the .cu
 * files, and clams_cuda.h (beside it) starts CUDA in the usual way. */
#ifndef CLAMS_DEVICE_H
#define CLAMS_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "clams/app.h"
#include "clams/error.h"
#include "clams/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts the app's GPU code in this process (selects the device, creates the
 * context): 0, or non-zero with a reason in `why` (NUL-terminated). */
typedef int (*clams_device_init_fn)(char *why, size_t why_size);
/* Frees what the app's GPU code holds in this process. */
typedef void (*clams_device_release_fn)(void);

/* One per process (a static of the app). The app sets the first three
 * members, through CLAMS_DEVICE_INIT; libclams keeps the rest, which the app
 * may read. The struct only grows at its end: `size` tells libclams which
 * members an app built against an older header has. */
typedef struct clams_device_s {
    size_t size;                     /* sizeof(clams_device_t) as the app was built */
    clams_device_init_fn init;       /* NULL: this build has no GPU path */
    clams_device_release_fn release; /* NULL: nothing to free */
    bool tried;                      /* init has run in this process */
    bool usable;                     /* it succeeded */
    char why[256];                   /* why the GPU is not usable */
} clams_device_t;

/* The macros keep their hand layout. */
// clang-format off
#define CLAMS_DEVICE_INIT(init_fn, release_fn) \
    {sizeof(clams_device_t), (init_fn), (release_fn), false, false, {0}}

/* The values of the `device` parameter, and its declaration: `where` says
 * what runs on the chosen device ("Where the spectra are computed"). */
#define CLAMS_DEVICE_CHOICES ((const char *const[]){"auto", "cpu", "gpu", NULL})
#define CLAMS_DEVICE_PARAM(where)                                                  \
    {.name = "device",                                                             \
     .description = where ": auto (the GPU when one is usable), cpu or gpu (fail " \
                          "without a GPU). Results are identical.",                \
     .type = CLAMS_PARAM_STRING,                                                   \
     .default_value = "auto",                                                      \
     .choices = CLAMS_DEVICE_CHOICES}
// clang-format on

/* Whether the GPU is usable in this process: runs dev->init the first time
 * (after fork, so each worker has its own context), then answers from what
 * it found. Without init, false with "this build has no CUDA support" in
 * dev->why. Ownership: dev is borrowed. */
CLAMS_API bool clams_device_usable(clams_device_t *dev);

/* A clams_worker_init_fn for clams_app_t.worker_init, with the app's
 * clams_device_t as `.user`: clams_device_usable. The GPU is optional (the
 * CPU path runs without one), so it always returns 0 and never writes err.
 * Ownership: dev is borrowed. */
CLAMS_API int clams_device_worker_init(void *dev, clams_error_t *err);

/* A clams_worker_fini_fn (worker_fini): calls the app's release, if any.
 * Ownership: dev is borrowed. */
CLAMS_API void clams_device_worker_fini(void *dev);

/* Resolves this request's `device` value to the GPU (*use_gpu true) or the
 * CPU:
 *  - "cpu": the CPU;
 *  - "gpu": the GPU, or, when it is not usable, the request fails
 *    ("device=gpu but no GPU is usable: <why>", an error view with 500) and
 *    this returns CLAMS_EAPP;
 *  - anything else ("auto"): the GPU when usable, else the CPU, with the
 *    warning "device=auto: no usable GPU (<why>); used the CPU" when the
 *    build has a GPU path (a CPU-only build says nothing).
 * Returns 0; CLAMS_EAPP when the request has failed; the error of
 * clams_annotate_warn when the warning could not be added. Annotate then
 * returns CLAMS_EAPP.
 * Ownership: ctx, dev and device are borrowed. */
CLAMS_API CLAMS_MUST_CHECK int clams_device_choose(clams_annotate_ctx_t *ctx, clams_device_t *dev,
                                                   const char *device, bool *use_gpu);

#ifdef __cplusplus
}
#endif
#endif
