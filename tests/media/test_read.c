/* The MMIF reading helpers (core libclams) and TimeFrame sampling
 * (libclams-media) against reference.py's Python model of mmif-python's rules:
 * every conversion of the time table, ISO parsing and formatting, every
 * tfSamplingMode on TimeFrames with and without targets/representatives, and
 * the helpers for locations, TextDocument text, documents in views,
 * alignments, annotation times and code point offsets.
 * usage: test_read REFERENCE_DIR WORK_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <clams/media.h>

#include "check_run.h"
#include "sample_positional.h"

static const char *ref_dir, *work_dir;

static json_t *load(const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", ref_dir, name);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", p, je.text);
    return j;
}

START_TEST(time_table)
{
    json_t *rows = load("time_table.json");
    size_t i, checked = 0, errors = 0;
    json_t *r;
    json_array_foreach (rows, i, r) {
        double t = json_number_value(json_array_get(r, 0));
        const char *in = json_string_value(json_array_get(r, 1));
        const char *out = json_string_value(json_array_get(r, 2));
        double fps = json_number_value(json_array_get(r, 3));
        json_t *want = json_array_get(r, 4);
        double got = -12345;
        clams_error_t err = {0};
        int rc = clams_time_convert(t, in, out, fps, &got, &err);
        if (json_is_null(want)) {
            ck_assert_msg(rc == CLAMS_EINVAL, "row %zu: %g %s->%s accepted", i, t, in, out);
            ck_assert(err.text[0] != '\0');
            errors++;
        } else {
            ck_assert_msg(rc == 0, "row %zu: %s", i, err.text);
            ck_assert_msg(got == json_number_value(want),
                          "row %zu: %.17g %s -> %s at %.17g fps: %.17g, Python %.17g", i, t, in,
                          out, fps, got, json_number_value(want));
        }
        checked++;
    }
    ck_assert_uint_gt(checked, 10000);
    ck_assert_uint_gt(errors, 10);
    /* The unit names. */
    ck_assert_int_eq(clams_time_unit_parse("m"), CLAMS_TIME_MILLISECONDS);
    ck_assert_int_eq(clams_time_unit_parse("isoformat"), CLAMS_TIME_ISO);
    ck_assert_int_eq(clams_time_unit_parse(NULL), CLAMS_TIME_INVALID);
    json_decref(rows);
}
END_TEST

START_TEST(iso_table)
{
    json_t *t = load("iso_table.json");
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(t, "parse"), i, r) {
        const char *s = json_string_value(json_array_get(r, 0));
        json_t *want = json_array_get(r, 1);
        double ms = -1;
        int rc = clams_time_from_iso(s, &ms, NULL);
        if (json_is_null(want))
            ck_assert_msg(rc == CLAMS_EINVAL, "\"%s\" accepted as %g", s, ms);
        else
            ck_assert_msg(rc == 0 && ms == json_number_value(want), "\"%s\": %g, Python %g", s, ms,
                          json_number_value(want));
    }
    json_array_foreach (json_object_get(t, "format"), i, r) {
        char buf[32];
        ck_assert_int_eq(
            clams_time_to_iso(json_number_value(json_array_get(r, 0)), buf, sizeof buf), 0);
        ck_assert_str_eq(buf, json_string_value(json_array_get(r, 1)));
    }
    char small[8];
    ck_assert_int_eq(clams_time_to_iso(5, small, sizeof small), CLAMS_EINVAL);
    json_decref(t);
}
END_TEST

/* ---- Sampling ------------------------------------------------------------------------------ */

typedef struct {
    json_t *got; /* id -> [frames] or "skip" */
    clams_mmif_t *mmif;
} collect_t;

static int on_sample(const clams_tf_sample_t *s, void *data)
{
    collect_t *c = data;
    ck_assert_ptr_null(json_object_get(c->got, s->id)); /* each TimeFrame once */
    if (s->count == 0) {
        ck_assert_ptr_nonnull(s->skipped);
        json_object_set_new(c->got, s->id, json_string("skip"));
        return 0;
    }
    ck_assert_ptr_null(s->skipped);
    json_t *a = json_array();
    for (size_t i = 0; i < s->count; i++) {
        if (i)
            ck_assert_int_lt(s->frames[i - 1], s->frames[i]);
        json_array_append_new(a, json_integer(s->frames[i]));
        /* A frame from a TimePoint names one that exists. */
        if (s->timepoints[i])
            ck_assert_ptr_nonnull(clams_mmif_lookup(c->mmif, s->timepoints[i]));
    }
    json_object_set_new(c->got, s->id, a);
    return 0;
}

static int count_sample(const clams_tf_sample_t *s, void *data)
{
    json_array_append_new((json_t *)data, json_string(s->id));
    return 0;
}

START_TEST(sampling_modes)
{
    json_t *ref = load("sampling.json");
    double fps = json_number_value(json_object_get(ref, "fps"));
    clams_error_t err = {0};
    clams_mmif_t *mmif = clams_mmif_from_json_new(json_incref(json_object_get(ref, "mmif")), &err);
    ck_assert_msg(mmif != NULL, "%s", err.text);
    const char *modes[] = {"representatives", "single", "all"};
    for (int m = 0; m < 3; m++) {
        clams_tf_mode_t mode;
        ck_assert_int_eq(clams_tf_mode_parse(modes[m], &mode), 0);
        collect_t c = {.got = json_object(), .mmif = mmif};
        int rc = sample(mmif, NULL, mode, fps, NULL, on_sample, &c, &err);
        ck_assert_msg(rc == 0, "%s: %s", modes[m], err.text);
        json_t *want = json_object_get(json_object_get(ref, "expect"), modes[m]);
        char *g = json_dumps(c.got, JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        ck_assert_msg(json_equal(c.got, want), "%s:\n got    %s\n Python %s", modes[m], g, w);
        free(g);
        free(w);
        json_decref(c.got);
    }
    clams_tf_mode_t mode;
    ck_assert_int_eq(clams_tf_mode_parse("middle", &mode), CLAMS_EINVAL);

    /* Label filter (label or frameType). */
    json_t *lab = json_object_get(ref, "labels");
    json_t *filter = json_object_get(lab, "filter");
    const char *labels[8] = {0};
    for (size_t i = 0; i < json_array_size(filter) && i < 7; i++)
        labels[i] = json_string_value(json_array_get(filter, i));
    json_t *ids = json_array();
    ck_assert_int_eq(sample(mmif, NULL, CLAMS_TF_SINGLE, fps, labels, count_sample, ids, &err), 0);
    ck_assert_msg(json_equal(ids, json_object_get(lab, "ids")), "label filter");
    json_decref(ids);
    /* Document filter: everything is on d1. */
    ids = json_array();
    ck_assert_int_eq(sample(mmif, "d2", CLAMS_TF_ALL, fps, NULL, count_sample, ids, &err), 0);
    ck_assert_uint_eq(json_array_size(ids), 0);
    json_decref(ids);
    clams_mmif_free(mmif);

    /* An unresolvable representative is an error naming both ids. */
    json_t *bad = json_deep_copy(json_object_get(ref, "mmif"));
    json_t *tf1 = json_array_get(
        json_object_get(json_array_get(json_object_get(bad, "views"), 0), "annotations"), 15);
    ck_assert_str_eq(clams_document_id(tf1), "tf_1");
    json_array_append_new(json_object_get(json_object_get(tf1, "properties"), "representatives"),
                          json_string("tp_99"));
    mmif = clams_mmif_from_json_new(bad, &err);
    ck_assert_ptr_nonnull(mmif);
    collect_t c = {.got = json_object(), .mmif = mmif};
    clams_error_clear(&err);
    ck_assert_int_eq(sample(mmif, NULL, CLAMS_TF_REPRESENTATIVES, fps, NULL, on_sample, &c, &err),
                     CLAMS_ENOTFOUND);
    ck_assert_msg(strstr(err.text, "v_1:tf_1") && strstr(err.text, "tp_99"), "%s", err.text);
    json_decref(c.got);
    clams_mmif_free(mmif);
    json_decref(ref);
}
END_TEST

/* A document whose first TimeFrames give no frame (nothing was collected yet
 * when the first one is sorted): each is reported skipped, the next one
 * still sampled. Under UBSan this failed in clams_tf_sample (qsort of a NULL
 * array of 0 picks), found by the OCR app's tests (tests/shots). */
START_TEST(sampling_skipped_first)
{
    const char *text =
        "{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[{\"@type\":"
        "\"http://mmif.clams.ai/vocabulary/VideoDocument/v1\",\"properties\":{\"id\":\"d1\","
        "\"mime\":\"video/mp4\",\"location\":\"/x.mp4\"}}],\"views\":[{\"id\":\"v_0\","
        "\"metadata\":{\"app\":\"http://apps.clams.ai/t/1\",\"contains\":{"
        "\"http://mmif.clams.ai/vocabulary/TimeFrame/v6\":{\"timeUnit\":\"frames\","
        "\"document\":\"d1\"}}},\"annotations\":["
        "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimeFrame/v6\",\"properties\":"
        "{\"id\":\"tf_1\",\"start\":0,\"end\":10}},"
        "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimeFrame/v6\",\"properties\":"
        "{\"id\":\"tf_2\",\"targets\":[]}},"
        "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimeFrame/v6\",\"properties\":"
        "{\"id\":\"tf_3\",\"start\":20,\"end\":23}}]}]}";
    clams_error_t err = {0};
    clams_mmif_t *mmif = clams_mmif_load(text, strlen(text), &err);
    ck_assert_msg(mmif != NULL, "%s", err.text);
    struct {
        clams_tf_mode_t mode;
        const char *want;
    } cases[] = {
        {CLAMS_TF_REPRESENTATIVES, "{\"v_0:tf_1\":\"skip\",\"v_0:tf_2\":\"skip\","
                                   "\"v_0:tf_3\":\"skip\"}"},
        {CLAMS_TF_ALL, "{\"v_0:tf_1\":[0,1,2,3,4,5,6,7,8,9],\"v_0:tf_2\":\"skip\","
                       "\"v_0:tf_3\":[20,21,22]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        collect_t c = {.got = json_object(), .mmif = mmif};
        ck_assert_int_eq(sample(mmif, NULL, cases[i].mode, 25.0, NULL, on_sample, &c, &err), 0);
        json_t *want = json_loads(cases[i].want, 0, NULL);
        char *g = json_dumps(c.got, JSON_SORT_KEYS | JSON_COMPACT);
        ck_assert_msg(json_equal(c.got, want), "mode %d: got %s", (int)cases[i].mode, g);
        free(g);
        json_decref(want);
        json_decref(c.got);
    }
    clams_mmif_free(mmif);
}
END_TEST

/* ---- Core helpers ----------------------------------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

START_TEST(locations)
{
    char *p;
    clams_error_t err = {0};
    ck_assert_int_eq(clams_location_path("file:///data/a%20b%C3%A9.mp4", &p, &err), 0);
    ck_assert_str_eq(p, "/data/a b\xc3\xa9.mp4");
    free(p);
    ck_assert_int_eq(clams_location_path("file://localhost/x/y.wav", &p, &err), 0);
    ck_assert_str_eq(p, "/x/y.wav");
    free(p);
    ck_assert_int_eq(clams_location_path("/plain/path.mp4", &p, &err), 0);
    ck_assert_str_eq(p, "/plain/path.mp4");
    free(p);
    ck_assert_int_eq(clams_location_path("file:/short/form", &p, &err), 0);
    ck_assert_str_eq(p, "/short/form");
    free(p);
    ck_assert_int_eq(clams_location_path("s3://bucket/key", &p, &err), CLAMS_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(err.text, "scheme \"s3\""));
    clams_error_clear(&err);
    ck_assert_int_eq(clams_location_path("file://otherhost/a", &p, &err), CLAMS_EINVAL);
    clams_error_clear(&err);
    ck_assert_int_eq(clams_location_path("relative/a.mp4", &p, &err), CLAMS_EINVAL);
    clams_error_clear(&err);
    ck_assert_int_eq(clams_location_path("file:///a%2", &p, &err), CLAMS_EINVAL);
    clams_error_clear(&err);
    ck_assert_int_eq(clams_location_path("file:///a%00b", &p, &err), CLAMS_EINVAL);
    json_t *doc = json_pack("{s:s, s:{s:s}}", "@type", "x", "properties", "id", "d7");
    clams_error_clear(&err);
    ck_assert_int_eq(clams_document_path(doc, &p, &err), CLAMS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.text, "d7"));
    json_decref(doc);
}
END_TEST

START_TEST(text_documents)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/text-crlf.txt", work_dir);
    write_file(path, "Caf\xc3\xa9 cat\r\nline two\rthree\n", 26);
    char uri[4200];
    snprintf(uri, sizeof uri, "file://%s", path);
    json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:{s:s}}}", "@type",
                            "http://mmif.clams.ai/vocabulary/TextDocument/v1", "properties", "id",
                            "t1", "location", uri, "text", "@value", "ignored: location wins");
    char *text;
    size_t len;
    clams_error_t err = {0};
    ck_assert_msg(clams_text_document_text(doc, &text, &len, &err) == 0, "%s", err.text);
    ck_assert_str_eq(text, "Caf\xc3\xa9 cat\nline two\nthree\n");
    ck_assert_uint_eq(len, strlen(text));
    free(text);
    json_decref(doc);

    snprintf(path, sizeof path, "%s/text-bad.txt", work_dir);
    write_file(path, "ok\nbad \xff here", 13);
    snprintf(uri, sizeof uri, "file://%s", path);
    doc =
        json_pack("{s:s, s:{s:s, s:s}}", "@type", "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                  "properties", "id", "t2", "location", uri);
    ck_assert_int_eq(clams_text_document_text(doc, &text, &len, &err), CLAMS_ESYNTAX);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(err.position, 7);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 5);
    ck_assert_msg(strstr(err.text, "t2") && strstr(err.text, path) &&
                      strstr(err.text, "not valid UTF-8"),
                  "%s", err.text);
    json_decref(doc);

    doc =
        json_pack("{s:s, s:{s:s, s:s}}", "@type", "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                  "properties", "id", "t3", "location", "file:///nonexistent/t.txt");
    clams_error_clear(&err);
    ck_assert_int_eq(clams_text_document_text(doc, &text, &len, &err), CLAMS_EIO);
    ck_assert_msg(strstr(err.text, "t3") && strstr(err.text, "/nonexistent/t.txt"), "%s", err.text);
    json_decref(doc);
    doc = json_pack("{s:s, s:{s:s, s:{s:s}}}", "@type",
                    "http://mmif.clams.ai/vocabulary/TextDocument/v1", "properties", "id", "t4",
                    "text", "@value", "inline \xc3\xa9");
    ck_assert_int_eq(clams_text_document_text(doc, &text, NULL, NULL), 0);
    ck_assert_str_eq(text, "inline \xc3\xa9");
    free(text);
    json_decref(doc);
    doc = json_pack("{s:s, s:{s:s}}", "@type", "http://mmif.clams.ai/vocabulary/VideoDocument/v1",
                    "properties", "id", "v1");
    clams_error_clear(&err);
    ck_assert_int_eq(clams_text_document_text(doc, &text, NULL, &err), CLAMS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "not a TextDocument"));
    json_decref(doc);
}
END_TEST

static const char *NAV_MMIF =
    "{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},"
    "\"documents\":[{\"@type\":\"http://mmif.clams.ai/vocabulary/VideoDocument/v1\","
    "\"properties\":{\"id\":\"d1\",\"mime\":\"video/mp4\",\"location\":\"file:///v.mp4\"}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TextDocument/v1\",\"properties\":{\"id\":\"d2\","
    "\"text\":{\"@value\":\"top\"}}}],"
    "\"views\":[{\"id\":\"v_1\",\"metadata\":{\"app\":\"http://apps.clams.ai/ocr/"
    "v1\",\"contains\":{"
    "\"http://mmif.clams.ai/vocabulary/TimePoint/"
    "v4\":{\"timeUnit\":\"seconds\",\"document\":\"d1\"}}},"
    "\"annotations\":["
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimePoint/"
    "v4\",\"properties\":{\"id\":\"tp_1\",\"timePoint\":2.5}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimePoint/"
    "v4\",\"properties\":{\"id\":\"tp_2\",\"timePoint\":75,\"timeUnit\":\"frames\"}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TextDocument/"
    "v1\",\"properties\":{\"id\":\"td_1\","
    "\"text\":{\"@value\":\"in a view\"}}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/Alignment/v1\",\"properties\":{\"id\":\"al_1\","
    "\"source\":\"tp_1\",\"target\":\"td_1\"}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/Alignment/v1\",\"properties\":{\"id\":\"al_2\","
    "\"source\":\"d2\",\"target\":\"v_1:tp_1\"}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimeFrame/v5\",\"properties\":{\"id\":\"tf_1\","
    "\"targets\":[\"tp_1\",\"tp_2\"]}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimeFrame/v5\",\"properties\":{\"id\":\"tf_2\","
    "\"start\":1000,\"end\":2500}},"
    "{\"@type\":\"http://mmif.clams.ai/vocabulary/TimeFrame/v5\",\"properties\":{\"id\":\"tf_3\","
    "\"start\":1,\"end\":2,\"targets\":[\"tp_1\"]}}]}]}";

typedef struct {
    char seen[8][64];
    int n;
} seen_t;

static int on_doc(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    seen_t *s = data;
    snprintf(s->seen[s->n++], 64, "%s%s", view ? "view:" : "top:", id);
    return 0;
}

static int on_aligned(const clams_view_t *view, json_t *al, const char *other_id, json_t *other,
                      void *data)
{
    seen_t *s = data;
    snprintf(s->seen[s->n++], 64, "%s=%s", clams_document_id(al), other ? other_id : "?");
    return 0;
}

START_TEST(navigation_and_time)
{
    clams_error_t err = {0};
    clams_mmif_t *m = clams_mmif_load(NAV_MMIF, strlen(NAV_MMIF), &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    seen_t s = {0};
    ck_assert_int_eq(clams_mmif_foreach_document(m, "TextDocument", 0, on_doc, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.seen[0], "view:v_1:td_1"); /* in views first, as mmif-python */
    ck_assert_str_eq(s.seen[1], "top:d2");
    s.n = 0;
    ck_assert_int_eq(clams_mmif_foreach_document(m, NULL, 0, on_doc, &s), 0);
    ck_assert_int_eq(s.n, 3);
    s.n = 0;
    ck_assert_int_eq(clams_mmif_foreach_aligned(m, "v_1:tp_1", on_aligned, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.seen[0], "al_1=v_1:td_1");
    ck_assert_str_eq(s.seen[1], "al_2=d2");
    s.n = 0;
    ck_assert_int_eq(clams_mmif_foreach_aligned(m, "v_1:td_1", on_aligned, &s), 0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.seen[0], "al_1=v_1:tp_1");

    const clams_view_t *v = clams_mmif_view_by_id(m, "v_1");
    json_t *tp1 = clams_mmif_resolve(m, v, "tp_1");
    ck_assert_ptr_nonnull(tp1);
    ck_assert_str_eq(clams_annotation_time_unit(v, tp1), "seconds");
    double st, en;
    ck_assert_int_eq(clams_annotation_time(m, v, tp1, "ms", 25, &st, &en, &err), 0);
    ck_assert_double_eq(st, 2500);
    ck_assert_double_eq(en, 2500);
    /* targets-only TimeFrame: min/max of its targets, each in its own unit. */
    json_t *tf1 = clams_mmif_resolve(m, v, "tf_1");
    ck_assert_int_eq(clams_annotation_time(m, v, tf1, "milliseconds", 25, &st, &en, &err), 0);
    ck_assert_double_eq(st, 2500);
    ck_assert_double_eq(en, 3000); /* frame 75 at 25 fps */
    json_t *tf2 = clams_mmif_resolve(m, v, "tf_2");
    ck_assert_str_eq(clams_annotation_time_unit(v, tf2), CLAMS_TIME_UNIT_DEFAULT);
    ck_assert_int_eq(clams_annotation_time(m, v, tf2, "s", 0, &st, &en, &err), 0);
    ck_assert_double_eq(st, 1.0);
    ck_assert_double_eq(en, 2.5);
    json_t *tf3 = clams_mmif_resolve(m, v, "tf_3");
    ck_assert_int_eq(clams_annotation_time(m, v, tf3, "s", 0, &st, &en, &err), CLAMS_EINVAL);
    ck_assert_msg(strstr(err.text, "v_1:tf_3") && strstr(err.text, "ambiguous"), "%s", err.text);
    clams_error_clear(&err);
    ck_assert_int_eq(clams_annotation_time(m, v, tf2, "frames", 0, &st, &en, &err), CLAMS_EINVAL);
    ck_assert_ptr_null(clams_mmif_resolve(m, v, "nope"));
    ck_assert_ptr_nonnull(clams_mmif_resolve(m, v, "d1"));
    clams_mmif_free(m);
}
END_TEST

START_TEST(code_points)
{
    const char *t = "Caf\xc3\xa9 cat \xf0\x9f\x90\x88!";
    size_t n = strlen(t);
    ck_assert_uint_eq(clams_utf8_cp_offset(t, n, 6), 5); /* "Café " */
    ck_assert_uint_eq(clams_utf8_byte_offset(t, n, 5), 6);
    ck_assert_uint_eq(clams_utf8_cp_offset(t, n, n), 11);
    ck_assert_uint_eq(clams_utf8_byte_offset(t, n, 10), n - 1); /* the '!' after the cat */
    ck_assert_uint_eq(clams_utf8_byte_offset(t, n, 99), n);
    for (size_t cp = 0; cp <= 11; cp++)
        ck_assert_uint_eq(clams_utf8_cp_offset(t, n, clams_utf8_byte_offset(t, n, cp)), cp);
    const char *bad = "a\xffz";
    ck_assert_uint_eq(clams_utf8_cp_offset(bad, 3, 3), 3);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s REFERENCE_DIR WORK_DIR\n", argv[0]);
        return 2;
    }
    ref_dir = argv[1];
    work_dir = argv[2];
    Suite *s = suite_create("mmif_read");
    TCase *tc = tcase_create("read");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, time_table);
    tcase_add_test(tc, iso_table);
    tcase_add_test(tc, sampling_modes);
    tcase_add_test(tc, sampling_skipped_first);
    tcase_add_test(tc, locations);
    tcase_add_test(tc, text_documents);
    tcase_add_test(tc, navigation_and_time);
    tcase_add_test(tc, code_points);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
