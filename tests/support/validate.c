/* Test support: reading files and validating JSON against the shared schemas
 * with /usr/bin/python3 and its jsonschema module. A missing python or
 * jsonschema is reported as CLAMS_TS_NOVALIDATOR, never as valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

#ifndef CLAMS_SHARED_DIR
#define CLAMS_SHARED_DIR "tests/data"
#endif
#ifndef CLAMS_PYTHON
#define CLAMS_PYTHON "/usr/bin/python3"
#endif

char *clams_ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *clams_ts_shared_path(const char *relative)
{
    const char *dir = getenv("CLAMS_SHARED_DIR");
    char *out = NULL;
    if (asprintf(&out, "%s/%s", dir && *dir ? dir : CLAMS_SHARED_DIR, relative) < 0)
        return NULL;
    return out;
}

/* Exit 0 valid, 1 invalid (message on stdout), 3 no jsonschema. */
static const char VALIDATOR[] =
    "import json, sys\n"
    "try:\n"
    "    import jsonschema\n"
    "except Exception as e:\n"
    "    print('jsonschema unavailable: %s' % e); sys.exit(3)\n"
    "schema = json.load(open(sys.argv[1]))\n"
    "doc = json.load(open(sys.argv[2]))\n"
    "cls = jsonschema.validators.validator_for(schema)\n"
    "errs = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))\n"
    "if errs:\n"
    "    e = errs[0]\n"
    "    print('%s at /%s' % (e.message[:300], '/'.join(map(str, e.absolute_path))))\n"
    "    sys.exit(1)\n";

int clams_ts_validate_json(const char *json, size_t len, const char *schema_path, char *msg,
                           size_t msg_size)
{
    char tmpl[] = "/tmp/clams-ts-json-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        snprintf(msg, msg_size, "cannot create a temporary file");
        return CLAMS_TS_NOVALIDATOR;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, json + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    const char *argv[] = {CLAMS_PYTHON, "-c", VALIDATOR, schema_path, tmpl, NULL};
    char *out = NULL, *err = NULL;
    int rc =
        access(CLAMS_PYTHON, X_OK) == 0 ? clams_ts_run(argv, NULL, NULL, 0, 120, &out, &err) : -1;
    unlink(tmpl);
    int result;
    if (rc == 0) {
        result = CLAMS_TS_VALID;
    } else if (rc == 1) {
        result = CLAMS_TS_INVALID;
    } else {
        result = CLAMS_TS_NOVALIDATOR;
    }
    if (msg && msg_size)
        snprintf(msg, msg_size, "%s%s%s", rc < 0 ? "cannot run " CLAMS_PYTHON " " : "",
                 out ? out : "", err ? err : "");
    free(out);
    free(err);
    return result;
}

int clams_ts_validate_mmif(const char *json, size_t len, char *msg, size_t msg_size)
{
    char *schema = clams_ts_shared_path("clams-reference/mmif-spec/mmif.schema.json");
    int rc = clams_ts_validate_json(json, len, schema, msg, msg_size);
    free(schema);
    return rc;
}

int clams_ts_validate_metadata(const char *json, size_t len, char *msg, size_t msg_size)
{
    char *schema = clams_ts_shared_path(
        "clams-reference/derived/appmetadata.clams-python-HEAD-009b671.generated.jsonschema");
    int rc = clams_ts_validate_json(json, len, schema, msg, msg_size);
    free(schema);
    return rc;
}
