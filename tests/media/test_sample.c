/* TimeFrame sampling on hostile and unusual MMIF: many TimePoints out of
 * time order, long ids, and (tests below) the request limits. Each frame
 * handed to the callback must come with the TimePoint it was taken from.
 * usage: test_sample */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <clams/limits.h>
#include <clams/media.h>

#include "check_run.h"
#include "sample_positional.h"

#define TP_TYPE "http://mmif.clams.ai/vocabulary/TimePoint/v4"
#define TF_TYPE "http://mmif.clams.ai/vocabulary/TimeFrame/v6"

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

/* A MMIF whose only view holds `anns` (a JSON array, stolen). */
static clams_mmif_t *with_annotations(json_t *anns)
{
    json_t *j =
        json_pack("{s:{s:s}, s:[], s:[{s:s, s:{s:s, s:{s:{s:s}, s:{s:s}}}, s:o}]}", "metadata",
                  "mmif", "http://mmif.clams.ai/1.1.0", "documents", "views", "id", "v_0",
                  "metadata", "app", "http://apps.clams.ai/t/1", "contains", TP_TYPE, "timeUnit",
                  "frames", TF_TYPE, "timeUnit", "frames", "annotations", anns);
    clams_error_t err = {0};
    clams_mmif_t *mmif = clams_mmif_from_json_new(j, &err);
    ck_assert_msg(mmif != NULL, "%s", err.text);
    return mmif;
}

static int count_frames(const clams_tf_sample_t *s, void *data)
{
    *(size_t *)data += s->count;
    return 0;
}

/* tfSamplingMode=all over 1e8 frames asks for more than the limit: refused
 * before anything is allocated, naming the flag that raises it. */
START_TEST(frame_limit)
{
    clams_mmif_t *mmif =
        with_annotations(json_pack("[{s:s, s:{s:s, s:f, s:f}}]", "@type", TF_TYPE, "properties",
                                   "id", "tf_1", "start", 0.0, "end", 1e8));
    size_t n = 0;
    clams_error_t err = {0};
    ck_assert_int_eq(sample(mmif, NULL, CLAMS_TF_ALL, 25.0, NULL, count_frames, &n, &err),
                     CLAMS_ETOOBIG);
    ck_assert_msg(strstr(err.text, "--max-frames") && strstr(err.text, "v_0:tf_1"), "%s", err.text);
    /* An operator can raise it (and lower it). */
    ck_assert_int_eq(clams_limit_set(CLAMS_LIMIT_FRAMES, 10), 0);
    clams_mmif_free(mmif);
    mmif = with_annotations(json_pack("[{s:s, s:{s:s, s:i, s:i}}]", "@type", TF_TYPE, "properties",
                                      "id", "tf_1", "start", 0, "end", 11));
    clams_error_clear(&err);
    ck_assert_int_eq(sample(mmif, NULL, CLAMS_TF_ALL, 25.0, NULL, count_frames, &n, &err),
                     CLAMS_ETOOBIG);
    clams_mmif_free(mmif);
}
END_TEST

/* start=-9e18, end=9e18: no signed overflow (UBSan), an error naming it. */
START_TEST(frame_overflow)
{
    clams_mmif_t *mmif =
        with_annotations(json_pack("[{s:s, s:{s:s, s:f, s:f}}]", "@type", TF_TYPE, "properties",
                                   "id", "tf_1", "start", -9e18, "end", 9e18));
    clams_tf_mode_t modes[] = {CLAMS_TF_ALL, CLAMS_TF_SINGLE};
    for (int m = 0; m < 2; m++) {
        size_t n = 0;
        clams_error_t err = {0};
        ck_assert_int_eq(sample(mmif, NULL, modes[m], 25.0, NULL, count_frames, &n, &err),
                         CLAMS_EINVAL);
        ck_assert_msg(strstr(err.text, "out of range"), "%s", err.text);
    }
    clams_mmif_free(mmif);
}
END_TEST

/* Eight levels of TimeFrames, each targeting all 20 of the level below
 * (20^8 paths, 3 KB of ids): memoised, it takes milliseconds. */
static clams_mmif_t *fan_out(void)
{
    json_t *anns = json_array();
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%d", i); /* level 0: TimePoints p0..p19 */
        json_array_append_new(anns, json_pack("{s:s, s:{s:s, s:i}}", "@type", TP_TYPE, "properties",
                                              "id", id, "timePoint", i));
    }
    for (int k = 1; k <= 8; k++) {
        json_t *below = json_array();
        for (int i = 0; i < 20; i++) {
            char id[16];
            if (k == 1)
                snprintf(id, sizeof id, "p%d", i);
            else
                snprintf(id, sizeof id, "f%d_%d", k - 1, i);
            json_array_append_new(below, json_string(id));
        }
        for (int i = 0; i < 20; i++) {
            char id[16];
            snprintf(id, sizeof id, "f%d_%d", k, i);
            json_array_append_new(anns, json_pack("{s:s, s:{s:s, s:O}}", "@type", TF_TYPE,
                                                  "properties", "id", id, "targets", below));
        }
        json_decref(below);
    }
    return with_annotations(anns);
}

START_TEST(nested_targets_memoised)
{
    clams_mmif_t *mmif = fan_out();
    size_t n = 0;
    clams_error_t err = {0};
    /* single: no representatives, so the midpoint of the targets' span. */
    ck_assert_msg(sample(mmif, NULL, CLAMS_TF_SINGLE, 25.0, NULL, count_frames, &n, &err) == 0,
                  "%s", err.text);
    ck_assert_uint_eq(n, 160);
    clams_mmif_free(mmif);
}
END_TEST

START_TEST(time_work_limit)
{
    ck_assert_int_eq(clams_limit_set(CLAMS_LIMIT_TIME_WORK, 500), 0);
    clams_mmif_t *mmif = fan_out();
    size_t n = 0;
    clams_error_t err = {0};
    ck_assert_int_eq(sample(mmif, NULL, CLAMS_TF_SINGLE, 25.0, NULL, count_frames, &n, &err),
                     CLAMS_ETOOBIG);
    ck_assert_msg(strstr(err.text, "--max-time-work"), "%s", err.text);
    clams_mmif_free(mmif);
}
END_TEST

/* Two TimeFrames targeting each other: an error naming the cycle. */
START_TEST(target_cycle)
{
    clams_mmif_t *mmif = with_annotations(json_pack(
        "[{s:s, s:{s:s, s:[s]}}, {s:s, s:{s:s, s:[s]}}]", "@type", TF_TYPE, "properties", "id", "a",
        "targets", "b", "@type", TF_TYPE, "properties", "id", "b", "targets", "a"));
    size_t n = 0;
    clams_error_t err = {0};
    ck_assert_int_eq(sample(mmif, NULL, CLAMS_TF_SINGLE, 25.0, NULL, count_frames, &n, &err),
                     CLAMS_EINVAL);
    ck_assert_msg(strstr(err.text, "cycle"), "%s", err.text);
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
    /* Each test runs in its own process (Check's fork mode): limits set in
     * one do not reach the next. */
    TCase *tl = tcase_create("limits");
    tcase_set_timeout(tl, 20);
    tcase_add_test(tl, frame_limit);
    tcase_add_test(tl, frame_overflow);
    tcase_add_test(tl, nested_targets_memoised);
    tcase_add_test(tl, time_work_limit);
    tcase_add_test(tl, target_cycle);
    suite_add_tcase(s, tl);
    return clams_ts_run_suite(s, false);
}
