/* wav.h: a small streaming reader for 16-bit PCM WAV files (RIFF/WAVE).
 * Walks the RIFF chunk list (any order, odd sizes padded, unknown chunks
 * skipped), accepts PCM and WAVE_FORMAT_EXTENSIBLE/PCM with any channel count,
 * and hands out the signal mixed down to mono, as doubles, block by block. */
#ifndef TONE_WAV_H
#define TONE_WAV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tone_wav_s {
    FILE *fp;
    unsigned rate;          /* samples per second */
    unsigned channels;
    unsigned bits;
    uint64_t data_offset;   /* byte offset of the first sample */
    uint64_t frames;        /* sample frames (one sample per channel) */
    uint64_t frames_read;
    int16_t *raw;           /* scratch for one block of interleaved samples */
    size_t raw_cap;         /* in samples */
} tone_wav_t;

/* Opens and parses `path`. Returns 0, or -1 with a human-readable reason in
 * why (not a RIFF/WAVE file, unsupported encoding, truncated...). On success
 * the caller closes with tone_wav_close. */
int tone_wav_open(tone_wav_t *w, const char *path, char *why, size_t why_size);

/* Reads up to `n` sample frames mixed to mono ((sum of channels) / channels,
 * exact in double). Returns the number read (0 at the end) or -1 on an I/O
 * error (reason in why). */
long tone_wav_read_mono(tone_wav_t *w, double *out, size_t n, char *why, size_t why_size);

void tone_wav_close(tone_wav_t *w);

#endif
