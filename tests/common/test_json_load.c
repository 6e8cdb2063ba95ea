/* clams__json_failed_for_memory: the non-allocating scanner that tells a
 * failed allocation inside jansson from a real syntax error. A real syntax
 * error must never be taken for memory (the client would get a 500 where a
 * 400 is due), and a well-formed text that jansson refused with a syntax
 * verdict must be (jansson 2.14 reports some failed allocations so). */
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "common/internal.h"
#include "../support/check_run.h"

static const char *const broken[] = {"",
                                     " ",
                                     "null",
                                     "123",
                                     "\"str\"",
                                     "true",
                                     "{",
                                     "[",
                                     "}",
                                     "]",
                                     "{]",
                                     "[}",
                                     "[1,]",
                                     "{\"a\":1,}",
                                     "{\"a\" 1}",
                                     "{\"a\":}",
                                     "{1:2}",
                                     "[1 2]",
                                     "[01]",
                                     "[1.]",
                                     "[.5]",
                                     "[-]",
                                     "[1e]",
                                     "[1e+]",
                                     "[+1]",
                                     "[\"\\x\"]",
                                     "[\"\\u12\"]",
                                     "[\"\\uD800\"]",
                                     "[\"\\uDC00\"]",
                                     "[\"\\uD800\\u0041\"]",
                                     "[\"a\nb\"]",
                                     "[tru]",
                                     "[nul]",
                                     "[falsey]",
                                     "{} {}",
                                     "[] x",
                                     "[\"unterminated]",
                                     "{\"a\":[1,{\"b\":2]}",
                                     NULL};

static const char *const fine[] = {"{}",
                                   "[]",
                                   " [ 1 , -2.5e+3 , 0 , \"x\\u00e9\\n\" , true , false , null ] ",
                                   "{\"a\":{\"b\":[[],{}]},\"c\":\"\\uD83D\\uDE00\"}",
                                   "[\"\\\\\\\"\\/\\b\\f\\r\\t\"]",
                                   NULL};

START_TEST(test_real_syntax_errors_are_not_memory)
{
    for (size_t i = 0; broken[i]; i++) {
        json_error_t jerr = {0};
        json_t *v = json_loadb(broken[i], strlen(broken[i]), JSON_REJECT_DUPLICATES, &jerr);
        ck_assert_msg(v == NULL, "jansson accepted '%s'", broken[i]);
        ck_assert_msg(!clams__json_failed_for_memory(&jerr, broken[i], strlen(broken[i])),
                      "'%s' (%s) was taken for a memory failure", broken[i], jerr.text);
    }
}
END_TEST

START_TEST(test_well_formed_text_with_a_syntax_verdict_is_memory)
{
    for (size_t i = 0; fine[i]; i++) {
        json_error_t jerr = {0};
        json_t *v = json_loadb(fine[i], strlen(fine[i]), 0, &jerr);
        ck_assert_msg(v != NULL, "jansson refused '%s': %s", fine[i], jerr.text);
        json_decref(v);
        /* What jansson 2.14 leaves when its lexer's allocation failed. */
        json_error_t unknown = {0};
        ck_assert(clams__json_failed_for_memory(&unknown, fine[i], strlen(fine[i])));
    }
}
END_TEST

START_TEST(test_deep_nesting_never_overflows)
{
    static char deep[200001];
    memset(deep, '[', sizeof(deep) - 1);
    json_error_t unknown = {0};
    ck_assert(!clams__json_failed_for_memory(&unknown, deep, sizeof(deep) - 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_load");
    TCase *tc = tcase_create("scanner");
    tcase_add_test(tc, test_real_syntax_errors_are_not_memory);
    tcase_add_test(tc, test_well_formed_text_with_a_syntax_verdict_is_memory);
    tcase_add_test(tc, test_deep_nesting_never_overflows);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
