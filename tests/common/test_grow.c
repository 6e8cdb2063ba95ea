/* clams__grow: room for one more element, doubling from `first`, and on
 * failure (out of memory or a size that would overflow) the caller's array
 * and capacity stay as they were. */
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "common/internal.h"
#include "../support/check_run.h"

/* The out-of-memory test asks for 2^62 bytes: under ASan that must come
 * back NULL, as from glibc, instead of ending the test with a report. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

START_TEST(no_growth_while_room)
{
    int *a = malloc(4 * sizeof(*a));
    ck_assert_ptr_nonnull(a);
    int *before = a;
    size_t cap = 4;
    ck_assert_int_eq(clams__grow(&a, &cap, 3, sizeof(*a), 8), 0);
    ck_assert_ptr_eq(a, before);
    ck_assert_uint_eq(cap, 4);
    free(a);
}
END_TEST

START_TEST(first_then_doubling_keeps_contents)
{
    long *a = NULL;
    size_t cap = 0, n = 0;
    size_t seen[8], nseen = 0;
    for (long i = 0; i < 1000; i++) {
        size_t old = cap;
        ck_assert_int_eq(clams__grow(&a, &cap, n, sizeof(*a), 5), 0);
        if (cap != old && nseen < 8)
            seen[nseen++] = cap;
        ck_assert_uint_gt(cap, n);
        a[n++] = i * 3;
    }
    for (long i = 0; i < 1000; i++)
        ck_assert_int_eq(a[i], i * 3);
    ck_assert_uint_eq(seen[0], 5);
    ck_assert_uint_eq(seen[1], 10);
    ck_assert_uint_eq(seen[2], 20);
    ck_assert_uint_eq(cap, 1280);
    free(a);
}
END_TEST

START_TEST(overflow_leaves_array_alone)
{
    char *a = malloc(16);
    ck_assert_ptr_nonnull(a);
    char *before = a;
    /* Doubling this capacity would exceed SIZE_MAX bytes of 8-byte elements. */
    size_t cap = SIZE_MAX / 8 / 2 + 1;
    ck_assert_int_eq(clams__grow(&a, &cap, cap, 8, 1), -1);
    ck_assert_ptr_eq(a, before);
    ck_assert_uint_eq(cap, SIZE_MAX / 8 / 2 + 1);
    /* Doubling that wraps size_t itself. */
    size_t huge = SIZE_MAX / 2 + 1;
    ck_assert_int_eq(clams__grow(&a, &huge, huge, 1, 1), -1);
    ck_assert_uint_eq(huge, SIZE_MAX / 2 + 1);
    free(a);
}
END_TEST

START_TEST(out_of_memory_leaves_array_alone)
{
    char *a = malloc(16);
    ck_assert_ptr_nonnull(a);
    a[0] = 'x';
    char *before = a;
    /* 2^62 bytes: no size_t overflow, and no machine has the memory. */
    size_t cap = (size_t)1 << 61;
    ck_assert_int_eq(clams__grow(&a, &cap, cap, 1, 1), -1);
    ck_assert_ptr_eq(a, before);
    ck_assert_uint_eq(cap, (size_t)1 << 61);
    ck_assert_int_eq(a[0], 'x');
    free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grow");
    TCase *tc = tcase_create("grow");
    tcase_add_test(tc, no_growth_while_room);
    tcase_add_test(tc, first_then_doubling_keeps_contents);
    tcase_add_test(tc, overflow_leaves_array_alone);
    tcase_add_test(tc, out_of_memory_leaves_array_alone);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
