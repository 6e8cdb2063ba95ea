/* This file is private to libclams.
 * hwFetch as a view shows it: appProfiling.hardware built from the plain
 * figures the GPU floor measured (gpu/hwprofile.h). */
#ifndef CLAMS_APP_HWFETCH_H
#define CLAMS_APP_HWFETCH_H

#include <stddef.h>

#include <jansson.h>

#include "gpu/hwprofile.h"

/* appProfiling.hardware of one report:
 *   {"cpu": "x86_64, 2 cores",
 *    "cuda": ["<name>, 79.65 GiB total, 70.00 GiB available, 3.50 GiB peak used", ...],
 *    "gpus": [{"name", "uuid", "totalBytes", "availableBytes", "peakUsedBytes",
 *              "totalMethod", "availableMethod", "peakMethod"}, ...]}
 * one "cuda" line and one "gpus" entry per GPU. NULL on allocation failure.
 * Ownership: new (json_decref). */
json_t *clams__hw_report_json(const clams__hw_report_t *r);

/* Ends a profile and shows it: clams__hwprof_end_report, then the JSON above.
 * *peak (may be NULL) gets the report's highest peak (0 when unknown or prof
 * is NULL). NULL when prof is NULL. Ownership: new (json_decref). */
json_t *clams__hwprof_end(clams__hwprof_t *prof, unsigned long long *peak);

/* A byte figure as the GPU lines show it: "%.2f GiB" of bytes / 2^30 from
 * 1 GiB up, else "%.1f MiB" of bytes / 2^20 ("512.0 MiB"). */
void clams__hwprof_format_bytes(unsigned long long bytes, char *buf, size_t size);

#endif
