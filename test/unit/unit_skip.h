/*
 * cmocka's skip() is not a result automake sees: cmocka_run_group_tests()
 * returns the number of failed tests, so a program whose tests skipped
 * exits 0 and counts as PASS. unit_skip() records the skip before calling
 * skip(), and unit_exit() turns "nothing failed, something skipped" into
 * 77, automake's SKIP. Failures still win: a program with a failed test
 * fails whatever skipped.
 */
#ifndef VERVE_TEST_UNIT_SKIP_H
#define VERVE_TEST_UNIT_SKIP_H

static int unit_skipped;

#define unit_skip() \
    do { \
        unit_skipped = 1; \
        skip(); \
    } while (0)

static inline int unit_exit(int failed)
{
    if (failed != 0) {
        return failed;
    }
    return unit_skipped ? 77 : 0;
}

#endif
