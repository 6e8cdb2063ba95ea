/* clams_tf_sample called the positional way the media tests were written
 * with, before it took an options struct. Header-only: each test program
 * that includes it is its own executable. */
#ifndef CLAMS_TESTS_SAMPLE_POSITIONAL_H
#define CLAMS_TESTS_SAMPLE_POSITIONAL_H

#include <clams/media.h>

static inline int sample(const clams_mmif_t *mmif, const char *document, clams_tf_mode_t mode,
                         double fps, const char *const *labels, clams_tf_fn fn, void *data,
                         clams_error_t *err)
{
    clams_tf_sample_opts_t o = CLAMS_TF_SAMPLE_OPTS_INIT;
    o.mode = mode;
    o.fps = fps;
    o.document = document;
    o.labels = labels;
    return clams_tf_sample(mmif, &o, fn, data, err);
}

#endif
