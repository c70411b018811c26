/*
 * Unit tests of the selection table and the VERVE_COLL_TUNE parser:
 * defaults, rules ahead of them, team-size ranges, radix, fallbacks for
 * non-commutative ops, and every kind of malformed string rejected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <verve/verve_coll.h>
#include "coll/vc_select.h"
#include "core/base/log.h"

static vc_select_table_t test_table;

static vc_alg_t test_pick(verve_coll_type_t type, size_t size, unsigned n,
                          int commutative, unsigned *radix_p)
{
    unsigned radix;
    return vc_select(&test_table, type, size, n, commutative,
                     radix_p ? radix_p : &radix);
}

static void test_defaults(void **state)
{
    unsigned radix;

    (void)state;
    assert_int_equal(vc_select_table_init(&test_table, NULL), VERVE_OK);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 0, 4, 1, NULL),
                     VC_ALG_RD);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 4095, 4, 1, NULL),
                     VC_ALG_RD);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 4096, 4, 1, NULL),
                     VC_ALG_RAB);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 1 << 20, 4, 1, NULL),
                     VC_ALG_RING);
    /* by team size: two members make one exchange at any size */
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 1 << 20, 2, 1, NULL),
                     VC_ALG_RD);
    assert_int_equal(test_pick(VERVE_COLL_ALLGATHER, 1 << 20, 2, 1, NULL),
                     VC_ALG_RD);
    assert_int_equal(test_pick(VERVE_COLL_ALLGATHER, 1 << 20, 3, 1, NULL),
                     VC_ALG_RING);
    /* ring reduces in ring order: not for non-commutative ops */
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 1 << 20, 4, 0, NULL),
                     VC_ALG_RD);
    assert_int_equal(test_pick(VERVE_COLL_REDUCE_SCATTER, 8, 4, 0, NULL),
                     VC_ALG_ALLREDUCE);
    assert_int_equal(test_pick(VERVE_COLL_REDUCE_SCATTER, 8, 4, 1, NULL),
                     VC_ALG_RING);
    assert_int_equal(test_pick(VERVE_COLL_BCAST, 100, 9, 1, &radix),
                     VC_ALG_KNOMIAL);
    assert_int_equal(radix, 4);
    assert_int_equal(test_pick(VERVE_COLL_BCAST, SIZE_MAX, 9, 1, &radix),
                     VC_ALG_KNOMIAL);
    assert_int_equal(radix, 2);
    assert_int_equal(test_pick(VERVE_COLL_ALLTOALL, 255, 9, 1, NULL),
                     VC_ALG_BRUCK);
    assert_int_equal(test_pick(VERVE_COLL_ALLTOALL, 256, 9, 1, NULL),
                     VC_ALG_PAIRWISE);
    assert_int_equal(test_pick(VERVE_COLL_BARRIER, 0, 9, 1, NULL),
                     VC_ALG_DISSEMINATION);
    for (int t = 0; t < VERVE_COLL_TYPE_LAST; ++t) {
        assert_true(test_table.num_rules[t] > 0);
        assert_true(vc_alg_valid((verve_coll_type_t)t,
                                 test_pick((verve_coll_type_t)t, 12345, 5, 1,
                                           NULL)));
    }
}

static void test_tune(void **state)
{
    unsigned radix;

    (void)state;
    assert_int_equal(vc_select_table_init(&test_table,
                     "allreduce:0-4K:ring,4K-inf:rd;"
                     "bcast:0-1m@2-8:knomial/7,0-inf@9-inf:knomial/3;"
                     "alltoall:0-inf:pairwise"), VERVE_OK);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 10, 3, 1, NULL),
                     VC_ALG_RING);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 4096, 3, 1, NULL),
                     VC_ALG_RD);
    assert_int_equal(test_pick(VERVE_COLL_BCAST, 10, 8, 1, &radix),
                     VC_ALG_KNOMIAL);
    assert_int_equal(radix, 7);
    assert_int_equal(test_pick(VERVE_COLL_BCAST, 10, 9, 1, &radix),
                     VC_ALG_KNOMIAL);
    assert_int_equal(radix, 3);
    /* no tune rule for one member: the defaults */
    assert_int_equal(test_pick(VERVE_COLL_BCAST, 10, 1, 1, &radix),
                     VC_ALG_KNOMIAL);
    assert_int_equal(radix, 4);
    assert_int_equal(test_pick(VERVE_COLL_ALLTOALL, 1, 5, 1, NULL),
                     VC_ALG_PAIRWISE);
    /* untouched collectives keep their defaults */
    assert_int_equal(test_pick(VERVE_COLL_ALLGATHER, 1 << 20, 5, 1, NULL),
                     VC_ALG_RING);
    /* the example of the issue, and a trailing separator */
    assert_int_equal(vc_select_table_init(&test_table,
                     "allreduce:0-4K:rd,4K-inf:ring;"), VERVE_OK);
    assert_int_equal(test_pick(VERVE_COLL_ALLREDUCE, 5000, 5, 1, NULL),
                     VC_ALG_RING);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "allreduce:0-4K:bogus", "allreduce:4K-0:rd", "allreduce:4K-4K:rd",
        "foo:0-inf:rd", "bcast:0-inf:knomial/1", "bcast:0-inf:knomial/65",
        "allreduce:0-inf:rd/4", "allreduce:", "allreduce:0-4K",
        "allreduce:0-4Q:rd", "allreduce:0-inf@0-4:rd", "allreduce",
        "allreduce:0-inf:bruck", "allreduce:-4K:rd", ";",
        "allreduce:0-inf:rd;;",
        "allreduce:0-inf:rd,", "allreduce:0-4K:rd bcast:0-inf:knomial",
        "allreduce:0-99999999999999999999999:rd", "bcast:0-inf:knomial/x",
        "Allreduce:0-inf:rd", "allreduce:0-inf@3-2:rd"};
    vc_select_table_t *table = malloc(sizeof(*table));

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        print_message("rejecting \"%s\"\n", bad[i]);
        assert_int_equal(vc_select_table_init(table, bad[i]),
                         VERVE_ERR_INVALID_CONFIG);
    }
    free(table);
}

static void test_too_many_rules(void **state)
{
    char text[2048] = "bcast:";
    size_t length = strlen(text);

    (void)state;
    for (unsigned i = 0; i <= VC_SELECT_MAX_RULES; ++i) {
        length += (size_t)snprintf(text + length, sizeof(text) - length,
                                   "%s%u-%u:knomial", i ? "," : "", i,
                                   i + 1);
    }
    assert_int_equal(vc_select_table_init(&test_table, text),
                     VERVE_ERR_INVALID_CONFIG);
}

/* Random strings from the grammar's pieces: the parser never crashes
 * (ASan and valgrind watch), answers OK or INVALID_CONFIG only, and what
 * it accepts is always a table the selector can use. */
static void test_random_strings(void **state)
{
    static const char *const pieces[] = {
        "allreduce", "bcast", "reduce", "alltoall", ":", ",", ";", "-", "@",
        "/", "0", "4k", "1m", "inf", "17", "rd", "ring", "knomial", "bruck",
        "3", "99999999999999999999", "x", "", "2g", "K"};
    uint64_t seed = 88172645463325252ull;
    unsigned accepted = 0;
    vs_log_level_t level = vs_log_level;
    char text[256];

    (void)state;
    vs_log_level = VS_LOG_FATAL;    /* thousands of expected rejections */
    for (unsigned i = 0; i < 20000; ++i) {
        size_t length = 0;
        unsigned parts;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        parts = (unsigned)(seed % 12);
        text[0] = '\0';
        for (unsigned p = 0; p < parts; ++p) {
            const char *piece = pieces[(seed >> (5 * (p % 12))) %
                                       (sizeof(pieces) / sizeof(pieces[0]))];
            length += (size_t)snprintf(text + length, sizeof(text) - length,
                                       "%s", piece);
        }
        verve_status_t status = vc_select_table_init(&test_table, text);
        assert_true(status == VERVE_OK ||
                    status == VERVE_ERR_INVALID_CONFIG);
        if (status != VERVE_OK) {
            continue;
        }
        ++accepted;
        for (int t = 0; t < VERVE_COLL_TYPE_LAST; ++t) {
            for (unsigned r = 0; r < test_table.num_rules[t]; ++r) {
                const vc_select_rule_t *rule = &test_table.rules[t][r];
                assert_true(vc_alg_valid((verve_coll_type_t)t, rule->alg));
                assert_true(rule->min_size < rule->max_size);
                assert_true(rule->min_team >= 1 &&
                            rule->min_team <= rule->max_team);
                assert_true(rule->radix == 0 ||
                            (rule->radix >= 2 &&
                             rule->radix <= VC_RADIX_MAX));
            }
        }
    }
    vs_log_level = level;
    /* the empty string at least */
    assert_true(accepted > 0);
}

/* The variable itself: read through the configuration table. */
static void test_environment(void **state)
{
    vc_select_table_t *table = malloc(sizeof(*table));

    (void)state;
    setenv("VERVE_COLL_TUNE", "allgather:0-inf:bruck", 1);
    assert_int_equal(vc_select_table_load(table), VERVE_OK);
    assert_int_equal(vc_select(table, VERVE_COLL_ALLGATHER, 1 << 20, 3, 1,
                               &(unsigned){0}), VC_ALG_BRUCK);
    setenv("VERVE_COLL_TUNE", "allgather:0-inf:pairwise", 1);
    assert_int_equal(vc_select_table_load(table), VERVE_ERR_INVALID_CONFIG);
    unsetenv("VERVE_COLL_TUNE");
    assert_int_equal(vc_select_table_load(table), VERVE_OK);
    free(table);
}

/* The rules line that follows collective name's line in info, past
 * "rules:" and its padding; fails when there is none. */
static const char *rules_of(const char *info, const char *name, char *line,
                            size_t max)
{
    char head[64];
    const char *at, *end;

    snprintf(head, sizeof(head), "#   %-15s algorithms:", name);
    at = strstr(info, head);
    if (at == NULL || (at = strchr(at, '\n')) == NULL ||
        strncmp(at + 1, "#   ", 4) != 0 ||
        (at = strstr(at + 1, "rules:")) == NULL) {
        fail_msg("no algorithms and rules lines for %s in:\n%s", name,
                 info);
    }
    at += strlen("rules:");
    at += strspn(at, " ");
    end = strchr(at, '\n');
    assert_non_null(end);
    assert_true((size_t)(end - at) < max);
    memcpy(line, at, (size_t)(end - at));
    line[end - at] = '\0';
    return line;
}

/* verve_coll_print_info: every collective with its algorithms and the
 * rules in force, VERVE_COLL_TUNE's first; a malformed VERVE_COLL_TUNE
 * fails and prints nothing. */
static void test_print_info(void **state)
{
    char *info = NULL, line[1024];
    size_t length = 0;
    FILE *stream;

    (void)state;
    setenv("VERVE_COLL_TUNE",
           "allgather:0-inf:bruck;bcast:0-64@2-4:knomial/5", 1);
    stream = open_memstream(&info, &length);
    assert_non_null(stream);
    assert_int_equal(verve_coll_print_info(stream), VERVE_OK);
    fclose(stream);
    for (int t = 0; t < VERVE_COLL_TYPE_LAST; ++t) {
        const char *name = verve_coll_type_name((verve_coll_type_t)t);
        rules_of(info, name, line, sizeof(line));
        if (line[0] == '\0') {
            fail_msg("%s has no rule", name);
        }
    }
    rules_of(info, "allgather", line, sizeof(line));
    if (strncmp(line, "0-inf:bruck,", strlen("0-inf:bruck,")) != 0) {
        fail_msg("allgather's rules do not start with VERVE_COLL_TUNE's, "
                 "then the defaults: %s", line);
    }
    rules_of(info, "bcast", line, sizeof(line));
    if (strncmp(line, "0-64@2-4:knomial/5,",
                strlen("0-64@2-4:knomial/5,")) != 0) {
        fail_msg("bcast's rules do not start with VERVE_COLL_TUNE's: %s",
                 line);
    }
    free(info);

    setenv("VERVE_COLL_TUNE", "allgather:0-inf:pairwise", 1);
    info = NULL;
    stream = open_memstream(&info, &length);
    assert_non_null(stream);
    vs_log_level_t level = vs_log_level;
    vs_log_level = VS_LOG_FATAL;
    assert_int_equal(verve_coll_print_info(stream), VERVE_ERR_INVALID_CONFIG);
    vs_log_level = level;
    fclose(stream);
    assert_int_equal(length, 0);
    free(info);
    unsetenv("VERVE_COLL_TUNE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_tune),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_many_rules),
        cmocka_unit_test(test_random_strings),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_print_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
