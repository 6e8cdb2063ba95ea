/* wav.c: streaming 16-bit PCM WAV reader for the tone detector.
 * The header is parsed byte by byte (little-endian, whatever the host), so a
 * damaged or hostile file can only produce an error message, never a read
 * past what the file holds. */
#include "wav.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAVE_FORMAT_PCM 0x0001
#define WAVE_FORMAT_EXTENSIBLE 0xFFFE

static int fail(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && size)
        vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* Checks a "fmt " chunk body and fills rate/channels/bits. */
static int parse_fmt(tone_wav_t *w, const unsigned char *b, uint32_t size, char *why,
                     size_t ws)
{
    if (size < 16)
        return fail(why, ws, "WAV fmt chunk is %u bytes, expected at least 16", size);
    unsigned tag = le16(b);
    w->channels = le16(b + 2);
    w->rate = le32(b + 4);
    unsigned align = le16(b + 12);
    w->bits = le16(b + 14);
    if (tag == WAVE_FORMAT_EXTENSIBLE) {
        /* The real encoding is the first two bytes of the SubFormat GUID. */
        if (size < 40)
            return fail(why, ws, "WAV extensible fmt chunk is %u bytes, expected 40", size);
        tag = le16(b + 24);
    }
    if (tag != WAVE_FORMAT_PCM)
        return fail(why, ws, "unsupported WAV encoding (format tag 0x%04x); "
                    "only 16-bit integer PCM is supported", tag);
    if (w->bits != 16)
        return fail(why, ws, "unsupported WAV sample size: %u-bit PCM; only 16-bit PCM "
                    "is supported", w->bits);
    if (w->channels == 0 || w->channels > 64)
        return fail(why, ws, "unsupported WAV channel count %u", w->channels);
    if (w->rate < 1000 || w->rate > 768000)
        return fail(why, ws, "unsupported WAV sample rate %u Hz", w->rate);
    if (align != w->channels * 2u)
        return fail(why, ws, "inconsistent WAV block alignment %u for %u channels", align,
                    w->channels);
    return 0;
}

static int walk_chunks(tone_wav_t *w, uint64_t file_size, char *why, size_t ws)
{
    unsigned char hdr[12];
    if (fread(hdr, 1, 12, w->fp) != 12 || memcmp(hdr, "RIFF", 4) != 0 ||
        memcmp(hdr + 8, "WAVE", 4) != 0)
        return fail(why, ws, "not a WAV file (no RIFF/WAVE header)");
    uint64_t pos = 12;
    int have_fmt = 0;
    for (;;) {
        unsigned char ch[8];
        if (pos + 8 > file_size || fseeko(w->fp, (off_t)pos, SEEK_SET) != 0 ||
            fread(ch, 1, 8, w->fp) != 8)
            return fail(why, ws, have_fmt ? "WAV file has no data chunk (truncated?)"
                                          : "WAV file has no fmt chunk (truncated?)");
        uint32_t size = le32(ch + 4);
        uint64_t body = pos + 8;
        if (memcmp(ch, "fmt ", 4) == 0) {
            unsigned char b[64] = {0};
            size_t want = size < sizeof b ? size : sizeof b;
            if (body + size > file_size || fread(b, 1, want, w->fp) != want)
                return fail(why, ws, "truncated WAV file: fmt chunk cut short");
            if (parse_fmt(w, b, size, why, ws) != 0)
                return -1;
            have_fmt = 1;
        } else if (memcmp(ch, "data", 4) == 0) {
            if (!have_fmt)
                return fail(why, ws, "WAV data chunk comes before the fmt chunk");
            if (body + size > file_size)
                return fail(why, ws, "truncated WAV file: data chunk declares %u bytes, "
                            "only %llu present", size,
                            (unsigned long long)(file_size - body));
            w->data_offset = body;
            w->frames = size / (2u * w->channels);
            return 0;
        }
        pos = body + size + (size & 1u); /* chunks are padded to even sizes */
    }
}

int tone_wav_open(tone_wav_t *w, const char *path, char *why, size_t ws)
{
    memset(w, 0, sizeof *w);
    w->fp = fopen(path, "rb");
    if (!w->fp)
        return fail(why, ws, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(w->fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        tone_wav_close(w);
        return fail(why, ws, "%s is not a regular file", path);
    }
    if (walk_chunks(w, (uint64_t)st.st_size, why, ws) != 0 ||
        fseeko(w->fp, (off_t)w->data_offset, SEEK_SET) != 0) {
        tone_wav_close(w);
        return -1;
    }
    return 0;
}

long tone_wav_read_mono(tone_wav_t *w, double *out, size_t n, char *why, size_t ws)
{
    uint64_t left = w->frames - w->frames_read;
    if (n > left)
        n = (size_t)left;
    if (n == 0)
        return 0;
    size_t samples = n * w->channels;
    if (samples > w->raw_cap) {
        int16_t *p = realloc(w->raw, samples * sizeof *p);
        if (!p)
            return fail(why, ws, "out of memory reading WAV samples");
        w->raw = p;
        w->raw_cap = samples;
    }
    unsigned char *bytes = (unsigned char *)w->raw;
    if (fread(bytes, 2, samples, w->fp) != samples)
        return fail(why, ws, "error reading WAV samples (file changed or truncated)");
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0;
        for (unsigned c = 0; c < w->channels; c++) {
            const unsigned char *p = bytes + 2 * (i * w->channels + c);
            sum += (double)(int16_t)(uint16_t)((unsigned)p[0] | (unsigned)p[1] << 8);
        }
        out[i] = sum / (double)w->channels;
    }
    w->frames_read += n;
    return (long)n;
}

void tone_wav_close(tone_wav_t *w)
{
    if (w->fp)
        fclose(w->fp);
    free(w->raw);
    memset(w, 0, sizeof *w);
}
