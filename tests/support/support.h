/* clams_testsupport: helpers for tests that drive a real app binary.
 *
 * Link the static library `clams_testsupport` (it brings libcurl and the
 * compile definitions CLAMS_SHARED_DIR and CLAMS_PYTHON). Every function is
 * usable from Check tests; none of them calls a Check macro, so a caller
 * asserts on the return values itself.
 *
 *   Processes:  clams_ts_server_start / clams_ts_server_stop start an app on a
 *               free loopback port and wait until GET / answers;
 *               clams_ts_run runs a command to completion, capturing output.
 *   HTTP:       clams_ts_request (and clams_ts_get/post/put) send one request
 *               with a query string and extra headers and return status,
 *               raw headers (Content-Type, X-Clams-Worker picked out) and body.
 *   Validation: clams_ts_validate_* check a JSON text with /usr/bin/python3
 *               and its jsonschema module against the shared schemas; they
 *               return CLAMS_TS_NOVALIDATOR (never "valid") when python or
 *               jsonschema is missing, so a test fails loudly instead of
 *               passing blindly.
 * Ownership: every char * returned is malloc'd (free()); responses are freed
 * with clams_ts_response_free. */
#ifndef CLAMS_TESTSUPPORT_H
#define CLAMS_TESTSUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- Processes ------------------------------------------------------------- */

typedef struct clams_ts_server_s {
    pid_t pid; /* 0 when not running */
    int port;
    char base_url[64];  /* "http://127.0.0.1:PORT/" */
    char log_path[256]; /* the child's stdout+stderr, kept for failure reports */
} clams_ts_server_t;

/* A TCP port that was free a moment ago on 127.0.0.1 (0 on failure). */
int clams_ts_free_port(void);

/* Starts `binary` with `args` (NULL-terminated, may be NULL) followed by
 * "--host 127.0.0.1 --port N", with `env` ("NAME=VALUE" strings,
 * NULL-terminated, may be NULL) added to the environment. Waits up to
 * timeout_s seconds until GET / answers with any HTTP status; retries with
 * another port when the child exits early (port taken). Returns 0, or -1 with
 * the child stopped. */
int clams_ts_server_start(clams_ts_server_t *s, const char *binary, const char *const *args,
                          const char *const *env, double timeout_s);

/* Sends `sig` (SIGTERM when 0), waits up to timeout_s, then SIGKILLs. Returns
 * the wait status (as waitpid gives it), or -1 when no child was running. */
int clams_ts_server_stop(clams_ts_server_t *s, int sig, double timeout_s);

/* Waits for pid up to timeout_s. Returns 0 with *status filled, or -1 on
 * timeout (the child is left running). */
int clams_ts_wait(pid_t pid, double timeout_s, int *status);
/* Kills pid with SIGKILL and reaps it. */
void clams_ts_kill(pid_t pid);

/* The whole text of the server's log file (for failure messages). */
char *clams_ts_server_log(const clams_ts_server_t *s);

/* Runs argv (argv[0] is a path) with `stdin_data` (may be NULL) and `env`
 * additions, up to timeout_s. Fills *out / *err (may be NULL) with the
 * captured streams. Returns the exit code, 128+signal, or -1 on timeout or
 * failure to start. */
int clams_ts_run(const char *const *argv, const char *const *env, const char *stdin_data,
                 size_t stdin_len, double timeout_s, char **out, char **err);

/* ---- HTTP -------------------------------------------------------------------- */

typedef struct clams_ts_response_s {
    long status;        /* 0 when the request failed (see error) */
    char *headers;      /* raw header block */
    char *content_type; /* NULL when absent */
    char *worker;       /* X-Clams-Worker, NULL when absent */
    char *body;         /* NUL-terminated */
    size_t body_len;
    char error[256]; /* libcurl's message when status is 0 */
} clams_ts_response_t;

/* One request to base_url + "?" + query (query may be NULL or ""), with
 * `headers` ("Name: value", NULL-terminated, may be NULL) and an optional
 * body. method: "GET", "HEAD", "POST", "PUT" or anything else (sent as a
 * custom method). Returns 0 when an HTTP answer came back, -1 otherwise. */
int clams_ts_request(const char *method, const char *base_url, const char *query,
                     const char *const *headers, const char *body, size_t body_len,
                     double timeout_s, clams_ts_response_t *out);
int clams_ts_get(const char *base_url, const char *query, clams_ts_response_t *out);
int clams_ts_post(const char *base_url, const char *query, const char *body,
                  clams_ts_response_t *out);
int clams_ts_put(const char *base_url, const char *query, const char *body,
                 clams_ts_response_t *out);
/* A response header's value (case-insensitive name), or NULL. */
char *clams_ts_header(const clams_ts_response_t *r, const char *name);
void clams_ts_response_free(clams_ts_response_t *r);

/* ---- Files and validation ------------------------------------------------------ */

/* The whole file (NUL-terminated), or NULL. *len may be NULL. */
char *clams_ts_read_file(const char *path, size_t *len);
/* Path of a file under the test data folder (CLAMS_SHARED_DIR: tests/data, or the
 * environment variable of that name). Ownership: new. */
char *clams_ts_shared_path(const char *relative);

enum { CLAMS_TS_VALID = 0, CLAMS_TS_INVALID = 1, CLAMS_TS_NOVALIDATOR = -1 };

/* Validates JSON text against a JSON schema file with python jsonschema
 * (the schema's own draft). msg gets the validator's message on failure. */
int clams_ts_validate_json(const char *json, size_t len, const char *schema_path, char *msg,
                           size_t msg_size);
/* Against the MMIF 1.1.0 schema / the generated app-metadata schema. */
int clams_ts_validate_mmif(const char *json, size_t len, char *msg, size_t msg_size);
int clams_ts_validate_metadata(const char *json, size_t len, char *msg, size_t msg_size);

#endif
