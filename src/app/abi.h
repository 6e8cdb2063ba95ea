/* This file is private to libclams.
 * An app's declaration as this library's structs (abi.c). */
#ifndef CLAMS_APP_ABI_H
#define CLAMS_APP_ABI_H

#include "clams/app.h"

/* Copies `app` and the arrays it points to, reading each array with the
 * element sizes in `abi` (NULL: this header's). Strings are not copied (they
 * are the app's, static). CLAMS_EMETADATA for sizes no clams-c ABI had, or a
 * newer ABI than this library's. Ownership: new (clams__app_import_free). */
clams_app_t *clams__app_import(const clams_app_t *app, const clams_abi_t *abi, clams_error_t *err);
void clams__app_import_free(clams_app_t *copy);

#endif
