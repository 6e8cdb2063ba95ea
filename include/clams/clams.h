/* clams/clams.h: the whole public API of libclams. */
#ifndef CLAMS_CLAMS_H
#define CLAMS_CLAMS_H

#include "clams/export.h"

#include "clams/error.h"
#include "clams/mmif.h"
#include "clams/app.h"
#include "clams/limits.h"

#define CLAMS_VERSION_MAJOR 0
#define CLAMS_VERSION_MINOR 1
#define CLAMS_VERSION_PATCH 0
#define CLAMS_VERSION_HEX \
    ((CLAMS_VERSION_MAJOR << 16) | (CLAMS_VERSION_MINOR << 8) | CLAMS_VERSION_PATCH)

/* The library's version ("0.1.0"). Ownership: static. */
CLAMS_API const char *clams_version_str(void);

#endif
