/* Unit tests of runtime parameters: casting (Python int()/float()/boolean
 * rules, maps), refinement (defaults, choices, required), raw recording,
 * undefined-parameter warnings, envelope merging, and the spec checks done
 * at startup (duplicates, typed defaults). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "app/params.h"
#include "../support/check_run.h"

static const char *const labels_def[] = {"PERSON", NULL};
static const char *const map_def[] = {"B:bars", NULL};
static const char *const mode_choices[] = {"fast", "slow", NULL};
static const char *const ab_choices[] = {"A", "B", NULL};

static const clams_param_spec_t app_params[] = {
    {.name = "raise_error",
     .description = "d",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = "labels",
     .description = "d",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = labels_def},
    {.name = "labelMap", .description = "d", .type = CLAMS_PARAM_MAP, .default_values = map_def},
    {.name = "mode",
     .description = "d",
     .type = CLAMS_PARAM_STRING,
     .default_value = "fast",
     .choices = mode_choices},
    {.name = "count", .description = "d", .type = CLAMS_PARAM_INTEGER, .default_value = "3"},
    {.name = "ratio", .description = "d", .type = CLAMS_PARAM_NUMBER, .default_value = "0.5"},
    {.name = "tags",
     .description = "d",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = (const char *const[]){NULL},
     .choices = ab_choices},
    {.name = "req", .description = "d", .type = CLAMS_PARAM_STRING},
    {.name = "strnum", .description = "d", .type = CLAMS_PARAM_STRING, .default_value = "1"},
    {0},
};

static clams__pspecs_t specs;

static void setup(void)
{
    clams_error_t err = {0};
    ck_assert_int_eq(clams__pspecs_build(&specs, app_params, &err), 0);
}

static void teardown(void)
{
    clams__pspecs_free(&specs);
}

static clams__query_t query_of(const char *raw)
{
    clams__query_t q = {0};
    ck_assert_int_eq(clams__query_parse(&q, raw), 0);
    return q;
}

START_TEST(test_bool)
{
    const char *falsy[] = {"False", "false", "F", "f", "0"};
    for (size_t i = 0; i < 5; i++)
        ck_assert(!clams__cast_bool(falsy[i]));
    const char *truthy[] = {"True", "true", "", "no", "abc", "FALSE", " 0", "off"};
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(clams__cast_bool(truthy[i]), "%s should be true", truthy[i]);
}
END_TEST

START_TEST(test_int)
{
    long long v;
    ck_assert_int_eq(clams__cast_int("42", &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(clams__cast_int("  -7\n", &v), 0);
    ck_assert_int_eq(v, -7);
    ck_assert_int_eq(clams__cast_int("+8", &v), 0);
    ck_assert_int_eq(v, 8);
    ck_assert_int_eq(clams__cast_int("1_000", &v), 0);
    ck_assert_int_eq(v, 1000);
    ck_assert_int_eq(clams__cast_int("007", &v), 0);
    ck_assert_int_eq(v, 7);
    const char *bad[] = {"1.0",  "abc",  "",    " ", "_1",  "1_",
                         "1__0", "0x10", "1e3", "+", "- 1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(clams__cast_int(bad[i], &v) == CLAMS_EPARAM, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_number)
{
    double v;
    ck_assert_int_eq(clams__cast_number("1e3", &v), 0);
    ck_assert(v == 1000.0);
    ck_assert_int_eq(clams__cast_number(" .5 ", &v), 0);
    ck_assert(v == 0.5);
    ck_assert_int_eq(clams__cast_number("5.", &v), 0);
    ck_assert(v == 5.0);
    ck_assert_int_eq(clams__cast_number("-1_0.2_5", &v), 0);
    ck_assert(v == -10.25);
    ck_assert_int_eq(clams__cast_number("inf", &v), 0);
    ck_assert(isinf(v) && v > 0);
    ck_assert_int_eq(clams__cast_number("-Infinity", &v), 0);
    ck_assert(isinf(v) && v < 0);
    ck_assert_int_eq(clams__cast_number("NaN", &v), 0);
    ck_assert(isnan(v));
    const char *bad[] = {"abc", "", "0x1p3", "1e", ".", "1.2.3", "infx", "1_.5", "e5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(clams__cast_number(bad[i], &v) == CLAMS_EPARAM, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_py_float_str)
{
    const struct {
        double v;
        const char *s;
    } cases[] = {
        {1.0, "1.0"},        {0.1, "0.1"},       {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
        {1.5e-7, "1.5e-07"}, {0.0001, "0.0001"}, {-2.5, "-2.5"},  {123.456, "123.456"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[64];
        clams__py_float_str(cases[i].v, buf, sizeof(buf));
        ck_assert_str_eq(buf, cases[i].s);
    }
}
END_TEST

START_TEST(test_defaults_typed)
{
    /* Fix 4: a string default "1" stays the string "1". */
    json_t *meta = clams__pspecs_metadata(&specs);
    char *s = json_dumps(meta, JSON_COMPACT);
    ck_assert_ptr_nonnull(strstr(s, "\"name\":\"strnum\",\"description\":\"d\",\"type\":"
                                    "\"string\",\"default\":\"1\""));
    ck_assert_ptr_nonnull(strstr(s, "\"name\":\"count\",\"description\":\"d\",\"type\":"
                                    "\"integer\",\"default\":3,"));
    ck_assert_ptr_nonnull(strstr(s, "\"default\":[\"B:bars\"],\"multivalued\":true"));
    ck_assert_ptr_nonnull(strstr(s, "\"default\":[\"PERSON\"],\"multivalued\":true"));
    /* required: no default key; universal ones appended last */
    ck_assert_ptr_nonnull(strstr(s, "{\"name\":\"req\",\"description\":\"d\",\"type\":"
                                    "\"string\",\"multivalued\":false}"));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(meta, 9), "name")), "pretty");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(meta, 12), "name")),
                     "tfSamplingMode");
    ck_assert(json_is_true(json_object_get(json_array_get(meta, 10), "default")));
    free(s);
    json_decref(meta);
}
END_TEST

START_TEST(test_duplicate_rejected)
{
    const clams_param_spec_t dup[] = {
        {.name = "a", .type = CLAMS_PARAM_STRING, .default_value = "x"},
        {.name = "a", .type = CLAMS_PARAM_STRING, .default_value = "y"},
        {0}};
    const clams_param_spec_t univ[] = {
        {.name = "pretty", .type = CLAMS_PARAM_BOOLEAN, .default_value = "true"}, {0}};
    const clams_param_spec_t baddef[] = {
        {.name = "n", .type = CLAMS_PARAM_INTEGER, .default_value = "x"}, {0}};
    clams__pspecs_t s;
    clams_error_t err = {0};
    ck_assert_int_eq(clams__pspecs_build(&s, dup, &err), CLAMS_EMETADATA);
    ck_assert_ptr_nonnull(strstr(err.text, "\"a\""));
    clams_error_clear(&err);
    ck_assert_int_eq(clams__pspecs_build(&s, univ, &err), CLAMS_EMETADATA);
    ck_assert_ptr_nonnull(strstr(err.text, "pretty"));
    clams_error_clear(&err);
    ck_assert_int_eq(clams__pspecs_build(&s, baddef, &err), CLAMS_EMETADATA);
}
END_TEST

START_TEST(test_refine_defaults)
{
    clams__query_t q = query_of("req=r");
    clams_error_t err = {0};
    json_t *c = clams__params_refine(&specs, &q, &err);
    ck_assert_ptr_nonnull(c);
    char *s = json_dumps(c, JSON_COMPACT);
    ck_assert_str_eq(s, "{\"raise_error\":false,\"labels\":[\"PERSON\"],\"labelMap\":"
                        "{\"B\":\"bars\"},\"mode\":\"fast\",\"count\":3,\"ratio\":0.5,"
                        "\"tags\":[],\"req\":\"r\",\"strnum\":\"1\",\"pretty\":false,"
                        "\"runningTime\":true,\"hwFetch\":false,"
                        "\"tfSamplingMode\":\"representatives\"}");
    free(s);
    json_decref(c);
    clams__query_free(&q);
}
END_TEST

START_TEST(test_refine_values)
{
    clams__query_t q = query_of("req=&count=+1_0&count=zz&labels=A&labels=B&labels=A"
                                "&labelMap=X:y&labelMap=Z:w:v&labelMap=X:last&pretty=yes"
                                "&ratio=1e3&runningTime=f");
    clams_error_t err = {0};
    json_t *c = clams__params_refine(&specs, &q, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 10); /* first value */
    ck_assert_str_eq(json_string_value(json_object_get(c, "req")), "");
    ck_assert_int_eq(json_array_size(json_object_get(c, "labels")), 3);
    json_t *m = json_object_get(c, "labelMap");
    ck_assert_str_eq(json_string_value(json_object_get(m, "X")), "last");
    ck_assert_str_eq(json_string_value(json_object_get(m, "Z")), "w:v");
    ck_assert(json_is_true(json_object_get(c, "pretty")));
    ck_assert(json_is_false(json_object_get(c, "runningTime")));
    ck_assert(json_real_value(json_object_get(c, "ratio")) == 1000.0);
    json_decref(c);
    clams__query_free(&q);
}
END_TEST

static void expect_refine_error(const char *raw, const char *needle)
{
    clams__query_t q = query_of(raw);
    clams_error_t err = {0};
    json_t *c = clams__params_refine(&specs, &q, &err);
    ck_assert_msg(c == NULL, "'%s' refined", raw);
    ck_assert_int_eq(err.code, CLAMS_EPARAM);
    ck_assert_msg(strstr(err.text, needle) != NULL, "'%s' not in '%s'", needle, err.text);
    clams__query_free(&q);
}

START_TEST(test_refine_errors)
{
    expect_refine_error("count=3", "\"req\"");     /* required missing */
    expect_refine_error("req=r&count=abc", "abc"); /* bad cast */
    expect_refine_error("req=r&ratio=x1", "ratio");
    expect_refine_error("req=r&mode=medium", "must be one of");   /* choices */
    expect_refine_error("req=r&labelMap=nocolon", "nocolon");     /* map without colon */
    expect_refine_error("req=r&tags=A&tags=C", "must be one of"); /* element-wise */
    expect_refine_error("req=r&tfSamplingMode=some", "tfSamplingMode");
}
END_TEST

static const clams_param_spec_t ranged_params[] = {
    {.name = "gain",
     .description = "d",
     .type = CLAMS_PARAM_NUMBER,
     .default_value = "1",
     .range = CLAMS_RANGE_FINITE | CLAMS_RANGE_MIN | CLAMS_RANGE_MAX,
     .minimum = 0,
     .maximum = 10},
    {.name = "steps",
     .description = "d",
     .type = CLAMS_PARAM_INTEGER,
     .multivalued = true,
     .default_values = (const char *const[]){"1", NULL},
     .range = CLAMS_RANGE_MIN_EXCLUSIVE,
     .minimum = 0},
    {0},
};

/* Refines raw against ranged_params: the error text, or NULL when it refined. */
static char *ranged_error(const char *raw)
{
    clams__pspecs_t rs;
    clams_error_t err = {0};
    ck_assert_int_eq(clams__pspecs_build(&rs, ranged_params, &err), 0);
    clams__query_t q = query_of(raw);
    json_t *c = clams__params_refine(&rs, &q, &err);
    char *out = c ? NULL : strdup(err.text);
    ck_assert(c || err.code == CLAMS_EPARAM);
    json_decref(c);
    clams__query_free(&q);
    clams__pspecs_free(&rs);
    return out;
}

static void expect_range_error(const char *raw, const char *needle)
{
    char *e = ranged_error(raw);
    ck_assert_msg(e && strstr(e, needle), "'%s': %s", raw, e ? e : "refined");
    free(e);
}

/* Declared ranges are checked before annotate, every value of a
 * multivalued parameter, NaN and infinities included. */
START_TEST(test_ranges)
{
    expect_range_error("gain=nan", "must be a finite number >= 0 and <= 10 (got nan)");
    expect_range_error("gain=inf", "gain");
    expect_range_error("gain=-0.5", "gain");
    expect_range_error("gain=10.01", "gain");
    expect_range_error("steps=3&steps=0", "must be a number > 0");
    char *ok = ranged_error("gain=10&steps=1&steps=7");
    ck_assert_msg(ok == NULL, "in range but refused: %s", ok);
    /* A default out of range, or a range on a string, is a startup error. */
    static const clams_param_spec_t bad_default[] = {
        {.name = "x",
         .description = "d",
         .type = CLAMS_PARAM_INTEGER,
         .default_value = "-1",
         .range = CLAMS_RANGE_MIN,
         .minimum = 0},
        {0},
    };
    static const clams_param_spec_t bad_type[] = {
        {.name = "y", .description = "d", .type = CLAMS_PARAM_STRING, .range = CLAMS_RANGE_FINITE},
        {0},
    };
    clams__pspecs_t s2;
    clams_error_t e2 = {0};
    ck_assert_int_eq(clams__pspecs_build(&s2, bad_default, &e2), CLAMS_EMETADATA);
    ck_assert_msg(strstr(e2.text, "out of its range"), "%s", e2.text);
    clams_error_t e3 = {0};
    ck_assert_int_eq(clams__pspecs_build(&s2, bad_type, &e3), CLAMS_EMETADATA);
    ck_assert_msg(strstr(e3.text, "integer and number"), "%s", e3.text);
}
END_TEST

START_TEST(test_multivalued_choices_ok)
{
    /* Fix 3: multivalued parameters with choices are checked per element. */
    clams__query_t q = query_of("req=r&tags=A&tags=B");
    clams_error_t err = {0};
    json_t *c = clams__params_refine(&specs, &q, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    ck_assert_int_eq(json_array_size(json_object_get(c, "tags")), 2);
    json_decref(c);
    clams__query_free(&q);
}
END_TEST

START_TEST(test_raw_record)
{
    clams__query_t q = query_of("pretty=true&labels=A&labelMap=X:y&labels=it's&count=7"
                                "&count=8&undefinedParam=zz");
    json_t *raw = clams__params_raw(&specs, &q);
    char *s = json_dumps(raw, JSON_COMPACT);
    ck_assert_str_eq(s, "{\"pretty\":\"true\",\"labels\":\"['A', \\\"it's\\\"]\","
                        "\"labelMap\":\"['X:y']\",\"count\":\"7\",\"undefinedParam\":\"zz\"}");
    free(s);
    json_decref(raw);
    json_t *w = json_array();
    ck_assert_int_eq(clams__params_undefined_warnings(&specs, &q, w), 0);
    ck_assert_int_eq(json_array_size(w), 1);
    const char *msg = json_string_value(json_array_get(w, 0));
    ck_assert_ptr_nonnull(strstr(msg, "\"undefinedParam\""));
    ck_assert_ptr_nonnull(strstr(msg, "['zz']"));
    json_decref(w);
    clams__query_free(&q);
    clams__query_t empty = {0};
    ck_assert_ptr_null(clams__params_raw(&specs, &empty));
}
END_TEST

START_TEST(test_envelope_merge)
{
    json_t *env = json_loads("{\"count\": 9, \"labels\": [\"x\", 2], \"labelMap\": {\"k\": "
                             "\"v\"}, \"pretty\": true, \"ratio\": 1.0, \"mode\": null, "
                             "\"req\": \"e\"}",
                             0, NULL);
    ck_assert_ptr_nonnull(env);
    clams__query_t q = query_of("req=q1&req=q2&extra=1");
    clams__query_t out = {0};
    ck_assert_int_eq(clams__params_merge_envelope(env, &q, &out), 0);
    char *enc = clams__query_encode(&out);
    ck_assert_str_eq(enc, "count=9&labels=x&labels=2&labelMap=k%3Av&pretty=True&ratio=1.0"
                          "&mode=None&req=q1&req=q2&extra=1");
    free(enc);
    clams__query_free(&out);
    clams__query_free(&q);
    json_decref(env);
}
END_TEST

START_TEST(test_query_parse)
{
    clams__query_t q = query_of("a=1&b=x%20y+z&a=2&flag&=skip&c=%zz");
    ck_assert_int_eq((int)q.count, 5);
    ck_assert_str_eq(q.items[1].value, "x y z");
    ck_assert_str_eq(q.items[2].key, "a");
    ck_assert_str_eq(q.items[3].key, "flag");
    ck_assert_str_eq(q.items[3].value, "");
    ck_assert_str_eq(q.items[4].value, "%zz");
    clams__query_free(&q);
}
END_TEST

START_TEST(test_public_readers)
{
    clams__query_t q = query_of("req=r&labelMap=K:V&ratio=-inf");
    clams_error_t err = {0};
    clams_params_t p = {.config = clams__params_refine(&specs, &q, &err)};
    ck_assert_ptr_nonnull(p.config);
    ck_assert_int_eq(clams_param_int(&p, "count", -1), 3);
    ck_assert(clams_param_bool(&p, "runningTime", false));
    ck_assert_str_eq(clams_param_string(&p, "mode", "?"), "fast");
    ck_assert_str_eq(clams_param_map_get(&p, "labelMap", "K"), "V");
    ck_assert_int_eq((int)clams_param_count(&p, "labels"), 1);
    ck_assert_str_eq(clams_param_string_at(&p, "labels", 0), "PERSON");
    ck_assert(isinf(clams_param_number(&p, "ratio", 0)));
    ck_assert_int_eq(clams_param_int(&p, "nope", -5), -5);
    json_decref(p.config);
    clams__query_free(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("app_params");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_int);
    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_py_float_str);
    tcase_add_test(tc, test_defaults_typed);
    tcase_add_test(tc, test_duplicate_rejected);
    tcase_add_test(tc, test_refine_defaults);
    tcase_add_test(tc, test_refine_values);
    tcase_add_test(tc, test_refine_errors);
    tcase_add_test(tc, test_ranges);
    tcase_add_test(tc, test_multivalued_choices_ok);
    tcase_add_test(tc, test_raw_record);
    tcase_add_test(tc, test_envelope_merge);
    tcase_add_test(tc, test_query_parse);
    tcase_add_test(tc, test_public_readers);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
