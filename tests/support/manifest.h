/* The media tests' manifest (tests/media/gen_media.py writes manifest.json:
 * the videos, audio and images it made, with their reference frames), read
 * from the one command-line argument. Header-only, as check_run.h. */
#ifndef CLAMS_TESTS_MANIFEST_H
#define CLAMS_TESTS_MANIFEST_H

#include <stdio.h>

#include <jansson.h>

/* The manifest named by argv[1] (new), or NULL after saying why on stderr:
 * the test then exits 2 (a usage error, not a failure). */
static inline json_t *clams_ts_manifest(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MANIFEST.json\n", argv[0]);
        return NULL;
    }
    json_error_t je;
    json_t *m = json_load_file(argv[1], 0, &je);
    if (!m)
        fprintf(stderr, "%s: %s\n", argv[1], je.text);
    return m;
}

#endif
