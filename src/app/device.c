/* The `device` parameter and an app's per-process GPU state (clams/device.h).
 * The app's own functions start and free its CUDA code, so libclams decides
 * only which path a request takes and what the caller is told about it. */
#include <stdio.h>
#include <string.h>

#include "clams/clams.h"

/* The first clams_device_t: an app that passes less did not use
 * CLAMS_DEVICE_INIT, and its init is not called on a guess. */
#define DEVICE_SIZE_V1 sizeof(clams_device_t)

bool clams_device_usable(clams_device_t *dev)
{
    if (!dev)
        return false;
    if (dev->tried)
        return dev->usable;
    dev->tried = true;
    if (dev->size < DEVICE_SIZE_V1)
        snprintf(dev->why, sizeof dev->why, "clams_device_t not set with CLAMS_DEVICE_INIT");
    else if (!dev->init)
        snprintf(dev->why, sizeof dev->why, "this build has no CUDA support");
    else
        dev->usable = dev->init(dev->why, sizeof dev->why) == 0;
    return dev->usable;
}

int clams_device_worker_init(void *dev, clams_error_t *err)
{
    clams_device_usable(dev);
    return 0;
}

void clams_device_worker_fini(void *dev)
{
    clams_device_t *d = dev;
    if (d && d->size >= DEVICE_SIZE_V1 && d->release)
        d->release();
}

int clams_device_choose(clams_annotate_ctx_t *ctx, clams_device_t *dev, const char *device,
                        bool *use_gpu)
{
    /* Also in file mode and in a dev server without the hook: at most once. */
    bool usable = clams_device_usable(dev);
    *use_gpu = false;
    if (device && strcmp(device, "cpu") == 0)
        return 0;
    const char *why = dev ? dev->why : "no clams_device_t";
    if (device && strcmp(device, "gpu") == 0) {
        if (!usable)
            return clams_annotate_fail(ctx, "device=gpu but no GPU is usable: %s", why);
        *use_gpu = true;
        return 0;
    }
    *use_gpu = usable;
    /* A build with a GPU path running without a GPU is worth telling the
     * caller; a CPU-only build runs as it was built to. */
    if (!usable && dev && dev->init)
        return clams_annotate_warn(ctx, "device=auto: no usable GPU (%s); used the CPU", why);
    return 0;
}
