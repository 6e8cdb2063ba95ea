/* Helpers shared by the HTTP tests: the golden transcripts, structural
 * normalisation of MMIF outputs (run-specific values replaced after their
 * format is checked), and assertions on responses. */
#ifndef CLAMS_TESTS_HTTP_COMMON_H
#define CLAMS_TESTS_HTTP_COMMON_H

#include <jansson.h>

#include "support.h"

/* transcripts[name] of the golden file. Ownership: new. */
json_t *golden_transcript(const char *name);
/* The golden input MMIF text (new string). */
char *golden_input(void);
/* Parses a response body (fails the test when it is not JSON). */
json_t *parse_body(const clams_ts_response_t *r);
/* Replaces timestamps, runningTime, hardware, error texts and warning texts
 * in every view with fixed markers, after checking their format (ISO
 * timestamp with microseconds, H:MM:SS[.ffffff]). Modifies doc in place. */
void normalise_mmif(json_t *doc);
/* Asserts the body is valid MMIF (python jsonschema). */
void assert_valid_mmif(const clams_ts_response_t *r);
/* Asserts two JSON values are equal, printing both when not. */
void assert_json_equal(json_t *got, json_t *want, const char *what);

#endif
