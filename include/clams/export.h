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
/* On every function whose result carries ownership (a new object, or a
 * borrowed handle the call created) or an error code: ignoring it is a
 * compiler warning. GCC warns even through a (void) cast, so code that means
 * to drop a result must look at it. */
#define CLAMS_MUST_CHECK __attribute__((warn_unused_result))
/* Names kept in the ABI for apps built against an older header (see the ABI
 * policy in clams/clams.h); new code gets a warning naming the replacement. */
#define CLAMS_DEPRECATED(replacement) __attribute__((deprecated("use " replacement)))
/* printf-style checking of a format argument and its variadic arguments. */
#define CLAMS_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define CLAMS_API
#define CLAMS_MUST_CHECK
#define CLAMS_DEPRECATED(replacement)
#define CLAMS_PRINTF(fmt_index, first_arg)
#endif

#endif
