/* The library version, as built. */
#include "clams/clams.h"

#ifndef CLAMS_VERSION_STRING
#define CLAMS_VERSION_STRING "0.0.0"
#endif

const char *clams_version_str(void)
{
    return CLAMS_VERSION_STRING;
}
