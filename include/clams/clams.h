/* clams/clams.h: the whole public API of libclams. */
#ifndef CLAMS_CLAMS_H
#define CLAMS_CLAMS_H

#include "clams/export.h"

#include "clams/error.h"
#include "clams/mmif.h"
#include "clams/app.h"
#include "clams/limits.h"
#include "clams/vocab.h"
#include "clams/device.h"
#include "clams/host.h"

/* ---- Versions and the ABI policy ----------------------------------------------
 * An app binary built against these headers keeps running against every later
 * libclams with the same major version. What that takes, and what CI checks
 * (test devx_abi_compat: the example apps of the baseline commit in
 * tests/devx/abi-baseline, built with that commit's headers, run against the
 * library of today):
 *  - Functions are never removed or changed in meaning within a major
 *    version. A rename keeps the old symbol, with its old behaviour, in
 *    clams/compat.h (deprecated, not included by this header).
 *  - Structs an app fills (clams_app_t and what it points to) or passes
 *    (clams_error_t, media options) only grow at their end, and a new member
 *    means "not set" when zero. clams_app_t keeps its size (new members take
 *    reserved[] entries); the arrays it points to are read with the element
 *    sizes the app was built with (clams_abi_t, passed by the clams_main
 *    macro); option structs carry their own size; structs an app allocates
 *    for the library to fill (clams_error_t, clams_image_t, ...) keep their
 *    size and grow into reserved slots.
 *  - Handles (clams_mmif_t, clams_view_t, ...) are opaque; enums only gain
 *    values; error codes keep their numbers.
 *  - CLAMS_ABI_VERSION (clams/app.h) goes up by one with every struct that
 *    grows; the soname's number is the major version.
 * libclams-media (clams/media.h) follows the same rules from the commit that
 * gave its option structs their size member and clams_tf_sample its options
 * struct (December 2026); media apps built before that must be rebuilt once.
 */
#define CLAMS_VERSION_MAJOR 0
#define CLAMS_VERSION_MINOR 1
#define CLAMS_VERSION_PATCH 0
#define CLAMS_VERSION_HEX \
    ((CLAMS_VERSION_MAJOR << 16) | (CLAMS_VERSION_MINOR << 8) | CLAMS_VERSION_PATCH)

/* The library's version ("0.1.0"). Ownership: static. */
CLAMS_API const char *clams_version_str(void);

#endif
