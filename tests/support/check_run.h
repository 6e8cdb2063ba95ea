/* The end of every Check unit test's main(): run the suite, report, turn
 * the failure count into an exit status. Header-only so that tests which
 * link nothing but libclams and Check can use it. */
#ifndef CLAMS_TESTS_CHECK_RUN_H
#define CLAMS_TESTS_CHECK_RUN_H

#include <stdbool.h>

#include <check.h>

/* Runs s and frees it; 0 when every test passed, 1 otherwise. force_fork:
 * run each test in its own process even when CK_FORK=no is set, for tests
 * that change process-wide state (environment, mallopt, fake GPU files). */
static inline int clams_ts_run_suite(Suite *s, bool force_fork)
{
    SRunner *sr = srunner_create(s);
    if (force_fork)
        srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
