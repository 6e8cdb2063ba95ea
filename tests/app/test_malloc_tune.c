/* clams__malloc_tune: the servers' heap thresholds are applied unless the
 * operator chose glibc malloc settings, and once applied a block between
 * 256 KiB (an arena chunk) and 1 MiB comes from the heap and stays there
 * when freed. Each test runs in its own forked process (Check's default),
 * so the environment and mallopt changes do not leak between them. */
#include <malloc.h>
#include <stdlib.h>

#include <check.h>

#include "common/internal.h"
#include "../support/check_run.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void clear_env(void)
{
    unsetenv("GLIBC_TUNABLES");
    unsetenv("MALLOC_TRIM_THRESHOLD_");
    unsetenv("MALLOC_MMAP_THRESHOLD_");
    unsetenv("MALLOC_TOP_PAD_");
}

START_TEST(operator_tunables_win)
{
    clear_env();
    setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000", 1);
    ck_assert_int_eq(clams__malloc_tune(), 0);
}
END_TEST

START_TEST(operator_malloc_env_wins)
{
    const char *names[] = {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"};
    for (size_t i = 0; i < 3; i++) {
        clear_env();
        setenv(names[i], "4096", 1);
        ck_assert_msg(clams__malloc_tune() == 0, "%s was not respected", names[i]);
    }
}
END_TEST

START_TEST(other_tunables_do_not_count)
{
    clear_env();
    setenv("GLIBC_TUNABLES", "glibc.rtld.nns=2", 1);
#ifdef UNDER_ASAN
    /* ASan's allocator answers mallopt with 0: reported as refused. */
    ck_assert_int_eq(clams__malloc_tune(), -1);
#else
    ck_assert_int_eq(clams__malloc_tune(), 1);
#endif
}
END_TEST

START_TEST(applied_keeps_chunks_on_heap)
{
#ifdef UNDER_ASAN
    return; /* mallinfo2 describes glibc's heap, not ASan's */
#else
    clear_env();
    ck_assert_int_eq(clams__malloc_tune(), 1);
    struct mallinfo2 before = mallinfo2();
    /* 600 KiB: above glibc's default 128 KiB mmap threshold, below ours. */
    char *p = malloc(600 << 10);
    ck_assert_ptr_nonnull(p);
    p[0] = 1;
    struct mallinfo2 during = mallinfo2();
    ck_assert_uint_eq(during.hblkhd, before.hblkhd); /* not an mmap */
    free(p);
    struct mallinfo2 after = mallinfo2();
    /* Not trimmed: the freed block is still part of the heap. */
    ck_assert_uint_ge(after.arena, (size_t)600 << 10);
    ck_assert_uint_ge(after.fordblks, (size_t)600 << 10);
#endif
}
END_TEST

int main(void)
{
    Suite *s = suite_create("malloc_tune");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, operator_tunables_win);
    tcase_add_test(tc, operator_malloc_env_wins);
    tcase_add_test(tc, other_tunables_do_not_count);
    tcase_add_test(tc, applied_keeps_chunks_on_heap);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, true);
}
