/* Unit tests of verve_perf's command line: parsing, defaults, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "verve_perf.h"

#define ARGC(argv) ((int)(sizeof(argv) / sizeof((argv)[0])) - 1)

static int test_parse(int argc, char **argv, perf_options_t *opts,
                      char *errbuf, size_t errlen)
{
    errbuf[0] = '\0';
    return perf_options_parse(argc, argv, opts, errbuf, errlen);
}

static void test_defaults(void **state)
{
    char *argv[] = {"verve_perf", NULL};
    size_t sizes[PERF_SIZES_MAX];
    perf_options_t opts;
    char err[256];
    size_t count;

    (void)state;
    assert_int_equal(test_parse(ARGC(argv), argv, &opts, err, sizeof(err)),
                     0);
    assert_int_equal(opts.tests, 1u << PERF_TEST_AM_LAT);
    assert_int_equal(opts.window, 32);
    assert_int_equal(opts.json, 0);
    count = perf_options_sizes(&opts, PERF_TEST_AM_LAT, sizes,
                               PERF_SIZES_MAX);
    assert_int_equal(count, 8);
    assert_int_equal(sizes[0], 8);
    assert_int_equal(sizes[3], 4096);
    assert_int_equal(sizes[7], 4u << 20);
    count = perf_options_sizes(&opts, PERF_TEST_PUT_LAT, sizes,
                               PERF_SIZES_MAX);
    assert_int_equal(count, 12); /* 1, 4, ..., 4 MiB */
    assert_int_equal(sizes[0], 1);
    assert_int_equal(sizes[11], 4u << 20);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_AM_LAT, 8), 100000);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_AM_LAT, 65536), 10000);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_AM_LAT,
                                        1u << 20), 1000);
    assert_int_equal(perf_options_warmup(&opts, 100000), 10000);
    assert_int_equal(perf_options_warmup(&opts, 50), 10);
}

static void test_flags(void **state)
{
    char *argv[] = {"verve_perf", "-t", "put_lat,get_bw", "-s", "8,64k,1m",
                    "-n", "500", "-w", "0", "-W", "7", "--json", "-c",
                    "1,0", NULL};
    size_t sizes[PERF_SIZES_MAX];
    perf_options_t opts;
    char err[256];

    (void)state;
    assert_int_equal(test_parse(ARGC(argv), argv, &opts, err, sizeof(err)),
                     0);
    assert_int_equal(opts.tests, (1u << PERF_TEST_PUT_LAT) |
                                 (1u << PERF_TEST_GET_BW));
    assert_int_equal(opts.num_sizes, 3);
    assert_int_equal(opts.sizes[1], 65536);
    assert_int_equal(opts.sizes[2], 1048576);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_PUT_LAT,
                                        1048576), 500);
    assert_int_equal(perf_options_warmup(&opts, 500), 0);
    assert_int_equal(opts.window, 7);
    assert_int_equal(opts.json, 1);
    assert_int_equal(opts.num_cpus, 2);
    assert_int_equal(opts.cpus[0], 1);
    assert_int_equal(opts.cpus[1], 0);
    /* Atomics ignore -s: they are 8 bytes. */
    assert_int_equal(perf_options_sizes(&opts, PERF_TEST_FADD_LAT, sizes,
                                        PERF_SIZES_MAX), 1);
    assert_int_equal(sizes[0], 8);
}

static void test_all(void **state)
{
    char *argv[] = {"verve_perf", "-t", "all", NULL};
    perf_options_t opts;
    char err[256];

    (void)state;
    assert_int_equal(test_parse(ARGC(argv), argv, &opts, err, sizeof(err)),
                     0);
    assert_int_equal(opts.tests, PERF_TESTS_P2P);
    assert_int_equal(opts.tests & PERF_TESTS_COLL, 0);
    assert_string_equal(perf_test_name(PERF_TEST_SWAP_LAT), "swap_lat");
}

static void test_coll(void **state)
{
    char *argv[] = {"verve_perf", "-t", "allreduce,barrier", "--algo",
                    "knomial/4", NULL};
    char *every[] = {"verve_perf", "-t", "coll", NULL};
    size_t sizes[PERF_SIZES_MAX];
    perf_options_t opts;
    char err[256], tune[256];
    size_t count;

    (void)state;
    assert_int_equal(test_parse(ARGC(argv), argv, &opts, err, sizeof(err)),
                     0);
    assert_int_equal(opts.tests, (1u << PERF_TEST_ALLREDUCE) |
                                 (1u << PERF_TEST_BARRIER));
    assert_string_equal(opts.algo, "knomial/4");
    assert_true(perf_test_is_coll(PERF_TEST_ALLREDUCE));
    assert_false(perf_test_is_coll(PERF_TEST_SWAP_LAT));
    /* every selected collective gets one rule, in test order */
    assert_int_equal(perf_options_tune(&opts, tune, sizeof(tune)), 0);
    assert_string_equal(tune, "barrier:0-inf:knomial/4;"
                              "allreduce:0-inf:knomial/4");
    assert_int_equal(perf_options_tune(&opts, tune, 10), -1);
    /* barrier has no size; the others sweep 8 B to 1 MiB */
    count = perf_options_sizes(&opts, PERF_TEST_BARRIER, sizes,
                               PERF_SIZES_MAX);
    assert_int_equal(count, 1);
    assert_int_equal(sizes[0], 0);
    count = perf_options_sizes(&opts, PERF_TEST_ALLREDUCE, sizes,
                               PERF_SIZES_MAX);
    assert_int_equal(count, 7);
    assert_int_equal(sizes[0], 8);
    assert_int_equal(sizes[6], 1u << 20);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_ALLREDUCE, 8),
                     20000);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_ALLREDUCE, 4096),
                     20000);
    assert_int_equal(perf_options_iters(&opts, PERF_TEST_ALLREDUCE,
                                        1u << 20), 1000);

    assert_int_equal(test_parse(ARGC(every), every, &opts, err,
                                sizeof(err)), 0);
    assert_int_equal(opts.tests, PERF_TESTS_COLL);
    assert_int_equal(__builtin_popcount(opts.tests), 6);
    assert_string_equal(opts.algo, "");
    assert_int_equal(perf_options_tune(&opts, tune, sizeof(tune)), 0);
    assert_string_equal(tune, "");
}

static void test_size_ranges(void **state)
{
    char *argv[] = {"verve_perf", "-t", "bcast", "-s", "4,8-64,1m-1m",
                    NULL};
    char *uneven[] = {"verve_perf", "-s", "3-20", NULL};
    char *reversed[] = {"verve_perf", "-s", "64-8", NULL};
    char *zero[] = {"verve_perf", "-s", "0-8", NULL};
    char *open_end[] = {"verve_perf", "-s", "8-", NULL};
    char *too_many[] = {"verve_perf", "-s", "1-1g,1-1g,1-1g", NULL};
    perf_options_t opts;
    char err[256];

    (void)state;
    assert_int_equal(test_parse(ARGC(argv), argv, &opts, err, sizeof(err)),
                     0);
    assert_int_equal(opts.num_sizes, 6);
    assert_int_equal(opts.sizes[0], 4);
    assert_int_equal(opts.sizes[1], 8);
    assert_int_equal(opts.sizes[2], 16);
    assert_int_equal(opts.sizes[4], 64);
    assert_int_equal(opts.sizes[5], 1u << 20);
    assert_int_equal(test_parse(ARGC(uneven), uneven, &opts, err,
                                sizeof(err)), 0);
    assert_int_equal(opts.num_sizes, 3); /* 3, 6, 12 */
    assert_int_equal(opts.sizes[2], 12);
    assert_int_equal(test_parse(ARGC(reversed), reversed, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "64-8"));
    assert_int_equal(test_parse(ARGC(zero), zero, &opts, err, sizeof(err)),
                     -1);
    assert_int_equal(test_parse(ARGC(open_end), open_end, &opts, err,
                                sizeof(err)), -1);
    assert_int_equal(test_parse(ARGC(too_many), too_many, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "more than"));
}

static void test_coll_errors(void **state)
{
    char *mixed[] = {"verve_perf", "-t", "am_lat,allreduce", NULL};
    char *algo_p2p[] = {"verve_perf", "-t", "am_lat", "--algo", "rd", NULL};
    char *algo_bad[] = {"verve_perf", "-t", "bcast", "--algo", "rd;x", NULL};
    char *algo_empty[] = {"verve_perf", "-t", "bcast", "--algo", "", NULL};
    char *algo_none[] = {"verve_perf", "-t", "bcast", "--algo", NULL};
    perf_options_t opts;
    char err[256];

    (void)state;
    assert_int_equal(test_parse(ARGC(mixed), mixed, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot run in one run"));
    assert_int_equal(test_parse(ARGC(algo_p2p), algo_p2p, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "--algo"));
    /* nothing but a name reaches VERVE_COLL_TUNE */
    assert_int_equal(test_parse(ARGC(algo_bad), algo_bad, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "rd;x"));
    assert_int_equal(test_parse(ARGC(algo_empty), algo_empty, &opts, err,
                                sizeof(err)), -1);
    assert_int_equal(test_parse(ARGC(algo_none), algo_none, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "needs a value"));
}

static void test_errors(void **state)
{
    char *bad_test[] = {"verve_perf", "-t", "am_latt", NULL};
    char *bad_size[] = {"verve_perf", "-s", "8,12q", NULL};
    char *zero_size[] = {"verve_perf", "-s", "0", NULL};
    char *huge_size[] = {"verve_perf", "-s", "2g", NULL};
    char *bad_iters[] = {"verve_perf", "-n", "0", NULL};
    char *bad_window[] = {"verve_perf", "-W", "5000", NULL};
    char *no_value[] = {"verve_perf", "-n", NULL};
    char *unknown[] = {"verve_perf", "--fast", NULL};
    char *extra[] = {"verve_perf", "stray", NULL};
    char *one_cpu[] = {"verve_perf", "-c", "3", NULL};
    char *bad_cpu[] = {"verve_perf", "-c", "0,x", NULL};
    perf_options_t opts;
    char err[256];

    (void)state;
    assert_int_equal(test_parse(ARGC(bad_test), bad_test, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "am_latt"));
    assert_int_equal(test_parse(ARGC(bad_size), bad_size, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "12q"));
    assert_int_equal(test_parse(ARGC(zero_size), zero_size, &opts, err,
                                sizeof(err)), -1);
    assert_int_equal(test_parse(ARGC(huge_size), huge_size, &opts, err,
                                sizeof(err)), -1);
    assert_int_equal(test_parse(ARGC(bad_iters), bad_iters, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "-n"));
    assert_int_equal(test_parse(ARGC(bad_window), bad_window, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "-W"));
    assert_int_equal(test_parse(ARGC(no_value), no_value, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(test_parse(ARGC(unknown), unknown, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "--fast"));
    assert_int_equal(test_parse(ARGC(extra), extra, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "stray"));
    assert_int_equal(test_parse(ARGC(one_cpu), one_cpu, &opts, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "-c"));
    assert_int_equal(test_parse(ARGC(bad_cpu), bad_cpu, &opts, err,
                                sizeof(err)), -1);
}

static void test_report(void **state)
{
    double samples[] = {5000, 1000, 3000, 2000, 4000};
    double batch_samples[40];
    size_t i;
    perf_result_t result = {.test = PERF_TEST_AM_LAT, .size = 1048576,
                            .iters = 5};

    (void)state;
    perf_report_latency(&result, samples, 5);
    assert_true(result.lat_us_min == 1.0);
    assert_true(result.lat_us_median == 3.0);
    assert_true(result.lat_us_p99 == 5.0);
    assert_true(result.lat_us_avg > 2.999 && result.lat_us_avg < 3.001);
    /* mean 3 us: 1 MiB per 3 us */
    assert_true(result.bw_MBps > 333333.0 && result.bw_MBps < 333334.0);
    assert_true(result.msg_rate > 333333.0 && result.msg_rate < 333334.0);

    /* batches of 1/20 of the run: 20 iterations in 2 batches of 1 us and
     * 18 of 3 us, the batch median 3 us whatever the single samples */
    memset(&result, 0, sizeof(result));
    for (i = 0; i < 40; ++i) {
        batch_samples[i] = (i < 4) ? 1000.0 : (i % 2) ? 5000.0 : 1000.0;
    }
    assert_int_equal(perf_report_batch_length(40), 2);
    assert_int_equal(perf_report_batch_length(10), 1);
    assert_int_equal(perf_report_batch_length(100000), 100);
    perf_report_batches(&result, batch_samples, 40);
    assert_true(result.lat_us_batch > 2.999 && result.lat_us_batch < 3.001);

    memset(&result, 0, sizeof(result));
    result.size = 8;
    result.iters = 1000;
    perf_report_total(&result, 2000000); /* 2 ms */
    assert_true(result.lat_us_median == 2.0);
    assert_true(result.lat_us_avg == 2.0);
    assert_true(result.msg_rate == 500000.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_all),
        cmocka_unit_test(test_coll),
        cmocka_unit_test(test_size_ranges),
        cmocka_unit_test(test_coll_errors),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_report),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
