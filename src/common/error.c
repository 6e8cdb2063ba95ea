/* Error names and messages, generated from the one list in clams/error.h. */
#include <string.h>

#include "clams/error.h"

const char *clams_strerror(int code)
{
    switch (code) {
#define XX(name, val, msg) \
    case val: return msg;
        CLAMS_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *clams_err_name(int code)
{
    switch (code) {
#define XX(name, val, msg) \
    case val: return "CLAMS_" #name;
        CLAMS_ERRNO_MAP(XX)
#undef XX
    }
    return "CLAMS_EUNKNOWN";
}

void clams_error_clear(clams_error_t *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}
