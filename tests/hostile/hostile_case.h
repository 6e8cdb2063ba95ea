/* hostile_case: one case file of the hostile corpus (format: README.md):
 * what to send and what must come back. */
#ifndef CLAMS_REL_HOSTILE_CASE_H
#define CLAMS_REL_HOSTILE_CASE_H

#include <stdbool.h>
#include <stddef.h>

#include "rawhttp.h"

#define HCASE_MAX_LIST 32

typedef struct hcase_s {
    char method[32];
    raw_buf_t target;
    raw_buf_t headers; /* "Name: value\r\n" lines */
    raw_buf_t payload; /* the body, or the whole request when raw */
    bool raw;
    bool half_close;     /* shut the sending side once the request is out; the
                          * server must answer or close before `timeout` */
    double timeout;      /* seconds to wait for the answer, 0 = the runner's default */
    long content_length; /* -1 auto, -2 none, else the value to declare */
    size_t chunked;      /* chunk size, 0 = not chunked */
    char only[8];        /* "", "dev" or "prod" */
    char known[64];      /* an Open finding id: a failed check is reported, not fatal */
    char status[3][64];  /* any, dev, prod: "400" or "400|413" */
    char ctype[64];
    char *body[HCASE_MAX_LIST];
    int body_mode[HCASE_MAX_LIST]; /* 0 any, 1 dev, 2 prod */
    size_t nbody;
} hcase_t;

/* Reads a case file; `base` (the probe MMIF) is what the generator word
 * `base` expands to. Returns 0, or -1 with why filled. */
int hcase_load(const char *path, const char *base, size_t base_len, hcase_t *c, char *why,
               size_t why_size);
void hcase_free(hcase_t *c);
/* True when the case runs against this server mode. */
bool hcase_applies(const hcase_t *c, const char *mode);
/* The bytes to send. */
int hcase_request(const hcase_t *c, int port, raw_buf_t *out);
/* Checks the answer; false with why filled when it is not the expected one. */
bool hcase_check(const hcase_t *c, const char *mode, const raw_resp_t *r, char *why,
                 size_t why_size);

/* Expands a generator expression: parts joined by '+', each "text" (C
 * escapes \\ \" \n \r \t \0 \xNN) with an optional *COUNT, or the word base. */
int hcase_gen(const char *expr, const char *base, size_t base_len, raw_buf_t *out);

#endif
