/* clams/export.h: which functions a shared libclams (and libclams-media) exports.
 *
 * The library is compiled with -fvisibility=hidden, so only declarations marked
 * CLAMS_API are part of the ABI; every internal clams__ function stays inside
 * the .so. A test compares `nm -D` of the installed library with the public
 * headers (tests/devx). Apps never need this macro themselves.
 */
#ifndef CLAMS_EXPORT_H
#define CLAMS_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define CLAMS_API __attribute__((visibility("default")))
#else
#define CLAMS_API
#endif

#endif
