/* Helpers shared by the HTTP tests (see common.h). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common.h"

json_t *golden_transcript(const char *name)
{
    char *path = clams_ts_shared_path("clams-reference/derived/golden-http-transcripts.json");
    json_error_t e;
    json_t *all = json_load_file(path, 0, &e);
    ck_assert_msg(all != NULL, "cannot read %s: %s", path, e.text);
    free(path);
    json_t *t = json_incref(json_object_get(json_object_get(all, "transcripts"), name));
    json_decref(all);
    ck_assert_msg(t != NULL, "no transcript %s", name);
    return t;
}

char *golden_input(void)
{
    json_t *t = golden_transcript("input_mmif");
    char *s = strdup(json_string_value(json_object_get(t, "body")));
    json_decref(t);
    return s;
}

json_t *parse_body(const clams_ts_response_t *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, JSON_ALLOW_NUL, &e); /* U+0000 is JSON */
    ck_assert_msg(j != NULL, "body is not JSON (%s): %.300s", e.text, r->body);
    return j;
}

static bool matches(const char *re, const char *s)
{
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = s && regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

static void normalise_view(json_t *md)
{
    json_t *ts = json_object_get(md, "timestamp");
    if (ts) {
        ck_assert_msg(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}$",
                              json_string_value(ts)),
                      "bad timestamp %s", json_string_value(ts));
        json_object_set_new(md, "timestamp", json_string("TS"));
    }
    json_t *prof = json_object_get(md, "appProfiling");
    json_t *rt = json_object_get(prof, "runningTime");
    if (rt) {
        ck_assert_msg(matches("^[0-9]+:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?$", json_string_value(rt)),
                      "bad runningTime %s", json_string_value(rt));
        json_object_set_new(prof, "runningTime", json_string("RT"));
    }
    if (json_object_get(prof, "hardware")) {
        ck_assert(json_is_object(json_object_get(prof, "hardware")));
        json_object_set_new(prof, "hardware", json_string("HW"));
    }
    json_t *err = json_object_get(md, "error");
    if (err) {
        ck_assert(json_string_length(json_object_get(err, "message")) > 0);
        json_object_set_new(err, "message", json_string("MSG"));
        if (json_object_get(err, "stackTrace"))
            json_object_set_new(err, "stackTrace", json_string("TRACE"));
    }
    json_t *w = json_object_get(md, "warnings");
    size_t i;
    json_t *v;
    json_array_foreach (w, i, v) {
        ck_assert(json_is_string(v));
        json_array_set_new(w, i, json_string("W"));
    }
}

void normalise_mmif(json_t *doc)
{
    size_t i;
    json_t *view;
    json_array_foreach (json_object_get(doc, "views"), i, view)
        normalise_view(json_object_get(view, "metadata"));
}

void assert_valid_mmif(const clams_ts_response_t *r)
{
    char msg[1024];
    int rc = clams_ts_validate_mmif(r->body, r->body_len, msg, sizeof(msg));
    ck_assert_msg(rc != CLAMS_TS_NOVALIDATOR, "python jsonschema unavailable: %s", msg);
    ck_assert_msg(rc == CLAMS_TS_VALID, "output is not valid MMIF: %s", msg);
}

void assert_json_equal(json_t *got, json_t *want, const char *what)
{
    if (json_equal(got, want))
        return;
    char *g = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
    char *w = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
    ck_abort_msg("%s differs\n--- got:\n%.3000s\n--- want:\n%.3000s", what, g, w);
    free(g);
    free(w);
}
