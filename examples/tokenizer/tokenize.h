/* The tokenizer example's scanner: splits UTF-8 text into tokens and
 * sentences, reporting offsets in Unicode code points (what MMIF's start/end
 * on text mean: indices into the document's text as a string of characters)
 * as well as in bytes. No allocation, no global state. */
#ifndef TOKENIZE_H
#define TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tok_span_s {
    size_t byte_start, byte_end; /* [start, end) in bytes */
    size_t cp_start, cp_end;     /* [start, end) in code points */
} tok_span_t;

/* Called for each token in order; sentence_end is true when the token closes
 * a sentence (after . ! ? or before a blank line, and the last token).
 * Return 0 to go on, anything else to stop (tok_scan then returns it). */
typedef int (*tok_fn)(const tok_span_t *tok, bool sentence_end, void *data);

/* Tokens are runs of letters/digits (ASCII alphanumerics, '_', and every
 * non-ASCII character except Unicode spaces), with inner apostrophes, hyphens,
 * dots and commas kept when letters or digits follow ("don't", "3.14",
 * "e-mail"); every other punctuation character is a token of its own.
 * Returns 0, or what fn returned to stop. */
int tok_scan(const char *text, size_t len, tok_fn fn, void *data);

#endif
