/* TimeFrame sampling on hostile and unusual MMIF: many TimePoints out of
 * time order, long ids, and (tests below) the request limits. Each frame
 * handed to the callback must come with the TimePoint it was taken from.
 * usage: test_sample */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <clams/media.h>

#include "check_run.h"

#define TP_TYPE "http://mmif.clams.ai/vocabulary/TimePoint/v4"
#define TF_TYPE "http://mmif.clams.ai/vocabulary/TimeFrame/v6"

/* The positional form the tests were written with. */
static int sample(const clams_mmif_t *mmif, const char *document, clams_tf_mode_t mode, double fps,
                  const char *const *labels, clams_tf_fn fn, void *data, clams_error_t *err)
{
    clams_tf_sample_opts_t o = CLAMS_TF_SAMPLE_OPTS_INIT;
    o.mode = mode;
    o.fps = fps;
    o.document = document;
    o.labels = labels;
    return clams_tf_sample(mmif, &o, fn, data, err);
}

/* A MMIF with one view: n TimePoints (ids from `prefix`, frame n-1-i for the
 * i-th, so listing order is the reverse of time order) and one TimeFrame
 * whose representatives and targets list them all in that order. */
static clams_mmif_t *reversed_points(size_t n, const char *prefix)
{
    json_t *anns = json_array(), *ids = json_array();
    for (size_t i = 0; i < n; i++) {
        char id[1024];
        snprintf(id, sizeof id, "%s%zu", prefix, i);
        json_array_append_new(anns, json_pack("{s:s, s:{s:s, s:I}}", "@type", TP_TYPE, "properties",
                                              "id", id, "timePoint", (json_int_t)(n - 1 - i)));
        json_array_append_new(ids, json_string(id));
    }
    json_array_append_new(anns,
                          json_pack("{s:s, s:{s:s, s:O, s:O}}", "@type", TF_TYPE, "properties",
                                    "id", "tf_1", "representatives", ids, "targets", ids));
    json_decref(ids);
    json_t *j = json_pack(
        "{s:{s:s}, s:[{s:s, s:{s:s, s:s, s:s}}], s:[{s:s, s:{s:s, s:{s:{s:s, s:s}}}, s:o}]}",
        "metadata", "mmif", "http://mmif.clams.ai/1.1.0", "documents", "@type",
        "http://mmif.clams.ai/vocabulary/VideoDocument/v1", "properties", "id", "d1", "mime",
        "video/mp4", "location", "/x.mp4", "views", "id", "v_0", "metadata", "app",
        "http://apps.clams.ai/t/1", "contains", TP_TYPE, "timeUnit", "frames", "document", "d1",
        "annotations", anns);
    ck_assert_ptr_nonnull(j);
    clams_error_t err = {0};
    clams_mmif_t *mmif = clams_mmif_from_json_new(j, &err);
    ck_assert_msg(mmif != NULL, "%s", err.text);
    return mmif;
}

typedef struct {
    const clams_mmif_t *mmif;
    size_t count;
} seen_t;

/* Every frame is in time order and names the TimePoint at that frame. */
static int check_pairs(const clams_tf_sample_t *s, void *data)
{
    seen_t *seen = data;
    seen->count = s->count;
    for (size_t i = 0; i < s->count; i++) {
        if (i)
            ck_assert_int_lt(s->frames[i - 1], s->frames[i]);
        ck_assert_ptr_nonnull(s->timepoints[i]);
        json_t *tp = clams_mmif_lookup(seen->mmif, s->timepoints[i]);
        ck_assert_msg(tp != NULL, "frame %lld: TimePoint %.60s not found", s->frames[i],
                      s->timepoints[i]);
        json_int_t at =
            json_integer_value(json_object_get(json_object_get(tp, "properties"), "timePoint"));
        ck_assert_msg(at == s->frames[i], "frame %lld is given TimePoint %.60s (at frame %lld)",
                      s->frames[i], s->timepoints[i], (long long)at);
    }
    return 0;
}

static void sample_both(clams_mmif_t *mmif, size_t n)
{
    clams_tf_mode_t modes[] = {CLAMS_TF_REPRESENTATIVES, CLAMS_TF_ALL};
    for (size_t m = 0; m < 2; m++) {
        seen_t seen = {.mmif = mmif};
        clams_error_t err = {0};
        int rc = sample(mmif, NULL, modes[m], 25.0, NULL, check_pairs, &seen, &err);
        ck_assert_msg(rc == 0, "mode %d: %s", (int)modes[m], err.text);
        ck_assert_uint_eq(seen.count, n);
    }
}

/* Two representatives out of time order: each frame keeps its own TimePoint
 * (the OCR app aligned each text to the other one). */
START_TEST(two_out_of_order)
{
    clams_mmif_t *mmif = reversed_points(2, "tp_");
    sample_both(mmif, 2);
    clams_mmif_free(mmif);
}
END_TEST

/* More TimePoints than the first allocation (64): the picks move, and under
 * ASan the old code read freed memory. */
START_TEST(many_out_of_order)
{
    clams_mmif_t *mmif = reversed_points(1000, "tp_");
    sample_both(mmif, 1000);
    clams_mmif_free(mmif);
}
END_TEST

/* Ids far beyond 256 bytes come back whole, so they name their TimePoint. */
START_TEST(long_ids)
{
    char prefix[700];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    clams_mmif_t *mmif = reversed_points(70, prefix);
    sample_both(mmif, 70);
    clams_mmif_free(mmif);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tf_sample");
    TCase *tc = tcase_create("order");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, two_out_of_order);
    tcase_add_test(tc, many_out_of_order);
    tcase_add_test(tc, long_ids);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
