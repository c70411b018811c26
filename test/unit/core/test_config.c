/* Unit tests of configuration parsers, tables and the unused-variable
 * warning. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/compiler.h"
#include "core/base/config.h"
#include "core/base/log.h"
#include "stderr_capture.h"

static const char *const test_enum_names[] = {"red", "green", "blue", NULL};

static const vs_config_parser_t test_parser_uint = VS_CONFIG_TYPE_UINT;
static const vs_config_parser_t test_parser_size = VS_CONFIG_TYPE_SIZE;
static const vs_config_parser_t test_parser_bool = VS_CONFIG_TYPE_BOOL;
static const vs_config_parser_t test_parser_double = VS_CONFIG_TYPE_DOUBLE;
static const vs_config_parser_t test_parser_string = VS_CONFIG_TYPE_STRING;
static const vs_config_parser_t test_parser_time = VS_CONFIG_TYPE_TIME;
static const vs_config_parser_t test_parser_enum =
    VS_CONFIG_TYPE_ENUM(test_enum_names, "red, green, blue");

/* A value the parser must not touch when it rejects the text. */
#define TEST_POISON 0x5a

static void check_rejects(const vs_config_parser_t *parser,
                          const char *const *inputs, size_t count,
                          size_t value_size)
{
    unsigned char value[16];

    for (size_t i = 0; i < count; ++i) {
        memset(value, TEST_POISON, sizeof(value));
        if (parser->parse(inputs[i], value, parser->arg)) {
            fail_msg("accepted '%s'", inputs[i]);
        }
        for (size_t j = 0; j < value_size; ++j) {
            assert_int_equal(value[j], TEST_POISON);
        }
    }
}

static void test_parse_uint(void **state)
{
    static const char *const bad[] = {
        "", "-1", "+1", " 1", "1 ", "4294967296",
        "99999999999999999999999999", "0x10", "1k", "abc", "1.5", "1e3"
    };
    unsigned value;

    (void)state;
    assert_true(vs_config_parse_uint("0", &value, NULL));
    assert_int_equal(value, 0);
    assert_true(vs_config_parse_uint("42", &value, NULL));
    assert_int_equal(value, 42);
    assert_true(vs_config_parse_uint("007", &value, NULL));
    assert_int_equal(value, 7);
    assert_true(vs_config_parse_uint("4294967295", &value, NULL));
    assert_int_equal(value, UINT_MAX);
    check_rejects(&test_parser_uint, bad, vs_array_size(bad),
                  sizeof(unsigned));
}

static void test_parse_size(void **state)
{
    static const char *const bad[] = {
        "", "-1", "-1k", "+4", "64kb", "64 k", "k", "1t", "1.5k", " 1",
        "1k ", "18446744073709551616", "17179869184g", "infinite", "0x10"
    };
    static const struct {
        const char *text;
        size_t value;
    } good[] = {
        {"0", 0}, {"8192", 8192}, {"64k", 65536}, {"64K", 65536},
        {"4m", 4u << 20}, {"4M", 4u << 20}, {"1g", 1u << 30},
        {"3G", (size_t)3 << 30}, {"inf", SIZE_MAX}, {"INF", SIZE_MAX},
        {"unlimited", SIZE_MAX}, {"17179869183g", (size_t)17179869183 << 30},
        {"18446744073709551615", SIZE_MAX}
    };
    size_t value;

    (void)state;
    for (size_t i = 0; i < vs_array_size(good); ++i) {
        value = 1;
        if (!vs_config_parse_size(good[i].text, &value, NULL)) {
            fail_msg("rejected '%s'", good[i].text);
        }
        assert_int_equal(value, good[i].value);
    }
    check_rejects(&test_parser_size, bad, vs_array_size(bad),
                  sizeof(size_t));
}

static void test_parse_bool(void **state)
{
    static const char *const yes[] = {"y", "Y", "yes", "YES", "1", "on",
                                      "On", "true", "TRUE"};
    static const char *const no[] = {"n", "N", "no", "No", "0", "off",
                                     "OFF", "false", "False"};
    static const char *const bad[] = {"", "2", "yess", "maybe", " y",
                                      "y ", "10", "t", "f", "enable"};
    int value;

    (void)state;
    for (size_t i = 0; i < vs_array_size(yes); ++i) {
        value = 0;
        assert_true(vs_config_parse_bool(yes[i], &value, NULL));
        assert_int_equal(value, 1);
    }
    for (size_t i = 0; i < vs_array_size(no); ++i) {
        value = 1;
        assert_true(vs_config_parse_bool(no[i], &value, NULL));
        assert_int_equal(value, 0);
    }
    check_rejects(&test_parser_bool, bad, vs_array_size(bad), sizeof(int));
}

static void test_parse_double(void **state)
{
    static const char *const bad[] = {
        "", "abc", "1.5x", "nan", "NAN", "inf", "-inf", "infinity", "1e999",
        "0x10", " 1", "1 ", ".", "-", "1,5", "e5"
    };
    double value;

    (void)state;
    assert_true(vs_config_parse_double("1.5", &value, NULL));
    assert_true(value == 1.5);
    assert_true(vs_config_parse_double("-2", &value, NULL));
    assert_true(value == -2.0);
    assert_true(vs_config_parse_double("1e3", &value, NULL));
    assert_true(value == 1000.0);
    assert_true(vs_config_parse_double(".25", &value, NULL));
    assert_true(value == 0.25);
    assert_true(vs_config_parse_double("+0.5", &value, NULL));
    assert_true(value == 0.5);
    check_rejects(&test_parser_double, bad, vs_array_size(bad),
                  sizeof(double));
}

static void test_parse_string(void **state)
{
    char *value = NULL;

    (void)state;
    assert_true(vs_config_parse_string("hello world", &value, NULL));
    assert_string_equal(value, "hello world");
    vs_config_release_string(&value, NULL);
    assert_null(value);

    assert_true(vs_config_parse_string("", &value, NULL));
    assert_string_equal(value, "");
    vs_config_release_string(&value, NULL);
    assert_null(value);
}

static void test_parse_time(void **state)
{
    static const char *const bad[] = {
        "", "-1s", "+1s", "10 ms", "10sec", "ms", "10h", "10MS", "nan",
        "1e999", " 1s", "1s ", "1.5.3s", "0x10s", "10u", "s"
    };
    static const struct {
        const char *text;
        double value;
    } good[] = {
        {"2s", 2.0}, {"10ms", 0.01}, {"500us", 500e-6}, {"100ns", 100e-9},
        {"1m", 60.0}, {"3", 3.0}, {"1.5s", 1.5}, {"0", 0.0}, {"0.5m", 30.0},
        {"1e3ms", 1.0}
    };
    double value;

    (void)state;
    for (size_t i = 0; i < vs_array_size(good); ++i) {
        value = -1;
        if (!vs_config_parse_time(good[i].text, &value, NULL)) {
            fail_msg("rejected '%s'", good[i].text);
        }
        if (fabs(value - good[i].value) > good[i].value * 1e-12) {
            fail_msg("'%s' gave %.17g, expected %.17g", good[i].text, value,
                     good[i].value);
        }
    }
    assert_true(vs_config_parse_time("inf", &value, NULL));
    assert_true(isinf(value));
    check_rejects(&test_parser_time, bad, vs_array_size(bad),
                  sizeof(double));
}

static void test_parse_enum(void **state)
{
    static const char *const bad[] = {"", "gree", "greenish", "3", "0",
                                      " red", "yellow"};
    unsigned value;

    (void)state;
    assert_true(vs_config_parse_enum("red", &value, test_enum_names));
    assert_int_equal(value, 0);
    assert_true(vs_config_parse_enum("GREEN", &value, test_enum_names));
    assert_int_equal(value, 1);
    assert_true(vs_config_parse_enum("Blue", &value, test_enum_names));
    assert_int_equal(value, 2);
    check_rejects(&test_parser_enum, bad, vs_array_size(bad),
                  sizeof(unsigned));
}

/* Parses text, prints the value, parses the print and compares: what
 * verve_info -c prints must be a valid setting of the same value. */
static void check_round_trip(const vs_config_parser_t *parser,
                             const char *text, size_t value_size)
{
    char printed[VS_CONFIG_VALUE_MAX];
    unsigned char first[16] = {0};
    unsigned char second[16] = {0};

    if (!parser->parse(text, first, parser->arg)) {
        fail_msg("rejected '%s'", text);
    }
    parser->print(printed, sizeof(printed), first, parser->arg);
    if (!parser->parse(printed, second, parser->arg)) {
        fail_msg("'%s' printed as '%s', which is rejected", text, printed);
    }
    if (parser->release != NULL) {
        assert_string_equal(*(char **)first, *(char **)second);
        parser->release(first, parser->arg);
        parser->release(second, parser->arg);
    } else if (memcmp(first, second, value_size) != 0) {
        fail_msg("'%s' printed as '%s', which parses differently", text,
                 printed);
    }
}

static void test_print_round_trip(void **state)
{
    static const char *const uints[] = {"0", "1", "4294967295", "123"};
    static const char *const sizes[] = {"0", "1", "1023", "1024", "64k",
                                        "1536k", "4m", "5g", "inf",
                                        "18446744073709551614"};
    static const char *const bools[] = {"yes", "0", "TRUE", "off"};
    static const char *const doubles[] = {"0.1", "1e-300", "-3.25",
                                          "123456789.123456789", "0"};
    static const char *const strings[] = {"", "a b c", "/dev/shm/x"};
    static const char *const times[] = {"0", "1s", "10ms", "0.1", "1m",
                                        "500us", "7ns", "1.234567ms", "inf",
                                        "1e-12", "3601", "0.3333333"};
    static const char *const enums[] = {"red", "GREEN", "blue"};
    char printed[VS_CONFIG_VALUE_MAX];
    size_t size;

    (void)state;
    for (size_t i = 0; i < vs_array_size(uints); ++i) {
        check_round_trip(&test_parser_uint, uints[i], sizeof(unsigned));
    }
    for (size_t i = 0; i < vs_array_size(sizes); ++i) {
        check_round_trip(&test_parser_size, sizes[i], sizeof(size_t));
    }
    for (size_t i = 0; i < vs_array_size(bools); ++i) {
        check_round_trip(&test_parser_bool, bools[i], sizeof(int));
    }
    for (size_t i = 0; i < vs_array_size(doubles); ++i) {
        check_round_trip(&test_parser_double, doubles[i], sizeof(double));
    }
    for (size_t i = 0; i < vs_array_size(strings); ++i) {
        check_round_trip(&test_parser_string, strings[i], sizeof(char *));
    }
    for (size_t i = 0; i < vs_array_size(times); ++i) {
        check_round_trip(&test_parser_time, times[i], sizeof(double));
    }
    for (size_t i = 0; i < vs_array_size(enums); ++i) {
        check_round_trip(&test_parser_enum, enums[i], sizeof(unsigned));
    }

    /* Sizes print in the largest exact unit. */
    size = 1536 * 1024;
    vs_config_print_size(printed, sizeof(printed), &size, NULL);
    assert_string_equal(printed, "1536k");
    size = (size_t)5 << 30;
    vs_config_print_size(printed, sizeof(printed), &size, NULL);
    assert_string_equal(printed, "5g");
}

/* The options struct of the test table. */
typedef struct test_opts {
    size_t fifo_size;
    char *name;
    int enable;
    unsigned color;
    double timeout;
    unsigned count;
    char *path;
    double ratio;
} test_opts_t;

static const vs_config_field_t test_fields[] = {
    {"FIFO_SIZE", "64k", "Size of the FIFO.", VS_CONFIG_TYPE_SIZE,
     offsetof(test_opts_t, fifo_size)},
    {"NAME", "default-name", "A name.", VS_CONFIG_TYPE_STRING,
     offsetof(test_opts_t, name)},
    {"ENABLE", "yes", "Whether it is on.", VS_CONFIG_TYPE_BOOL,
     offsetof(test_opts_t, enable)},
    {"COLOR", "green", "A color.",
     VS_CONFIG_TYPE_ENUM(test_enum_names, "red, green, blue"),
     offsetof(test_opts_t, color)},
    {"TIMEOUT", "10ms", "How long to wait.", VS_CONFIG_TYPE_TIME,
     offsetof(test_opts_t, timeout)},
    {"COUNT", "4", "How many.", VS_CONFIG_TYPE_UINT,
     offsetof(test_opts_t, count)},
    {"PATH", "/tmp", "Where.", VS_CONFIG_TYPE_STRING,
     offsetof(test_opts_t, path)},
    {"RATIO", "0.5", "A fraction.", VS_CONFIG_TYPE_DOUBLE,
     offsetof(test_opts_t, ratio)}
};

static vs_config_table_t test_table = {
    .component = "test",
    .prefix = "TEST_",
    .fields = test_fields,
    .num_fields = vs_array_size(test_fields),
    .struct_size = sizeof(test_opts_t),
    .next = NULL
};

static const char *const test_env_names[] = {
    "VERVE_TEST_FIFO_SIZE", "VERVE_TEST_NAME", "VERVE_TEST_ENABLE",
    "VERVE_TEST_COLOR", "VERVE_TEST_TIMEOUT", "VERVE_TEST_COUNT",
    "VERVE_TEST_PATH", "VERVE_TEST_RATIO", "VERVE_TEST_FIFO_SIZ"
};

static int test_env_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < vs_array_size(test_env_names); ++i) {
        unsetenv(test_env_names[i]);
    }
    unsetenv("VERVE_LOG_LEVEL");
    vs_log_level = VS_LOG_WARN;
    return 0;
}

static void test_env_name(void **state)
{
    char name[64];

    (void)state;
    vs_config_env_name(&test_table, &test_fields[0], name, sizeof(name));
    assert_string_equal(name, "VERVE_TEST_FIFO_SIZE");
}

static void test_read_defaults(void **state)
{
    test_opts_t opts;

    (void)state;
    assert_int_equal(vs_config_read(&test_table, &opts), VERVE_OK);
    assert_int_equal(opts.fifo_size, 65536);
    assert_string_equal(opts.name, "default-name");
    assert_int_equal(opts.enable, 1);
    assert_int_equal(opts.color, 1);
    assert_true(fabs(opts.timeout - 0.01) < 1e-15);
    assert_int_equal(opts.count, 4);
    assert_string_equal(opts.path, "/tmp");
    assert_true(opts.ratio == 0.5);
    vs_config_release(&test_table, &opts);
    assert_null(opts.name);
    assert_null(opts.path);
}

static void test_read_env(void **state)
{
    test_opts_t opts;

    (void)state;
    setenv("VERVE_TEST_FIFO_SIZE", "4m", 1);
    setenv("VERVE_TEST_NAME", "", 1);
    setenv("VERVE_TEST_ENABLE", "off", 1);
    setenv("VERVE_TEST_COLOR", "BLUE", 1);
    setenv("VERVE_TEST_TIMEOUT", "2s", 1);
    setenv("VERVE_TEST_COUNT", "17", 1);
    setenv("VERVE_TEST_PATH", "/dev/shm", 1);
    setenv("VERVE_TEST_RATIO", "0.25", 1);
    assert_int_equal(vs_config_read(&test_table, &opts), VERVE_OK);
    assert_int_equal(opts.fifo_size, 4 << 20);
    assert_string_equal(opts.name, "");
    assert_int_equal(opts.enable, 0);
    assert_int_equal(opts.color, 2);
    assert_true(opts.timeout == 2.0);
    assert_int_equal(opts.count, 17);
    assert_string_equal(opts.path, "/dev/shm");
    assert_true(opts.ratio == 0.25);
    vs_config_release(&test_table, &opts);
}

/* One bad value after two strings were filled: the call fails, logs the
 * variable, the value and what is accepted, leaves opts untouched and
 * frees the strings (valgrind checks the last part). */
static void check_read_rejects(const char *name, const char *value,
                               const char *accepted)
{
    stderr_capture_t capture;
    unsigned char opts[sizeof(test_opts_t)];
    char expected[256];
    verve_status_t status;
    char *text;

    setenv(name, value, 1);
    memset(opts, TEST_POISON, sizeof(opts));
    stderr_capture_start(&capture);
    status = vs_config_read(&test_table, opts);
    text = stderr_capture_stop(&capture);
    unsetenv(name);

    assert_int_equal(status, VERVE_ERR_INVALID_CONFIG);
    for (size_t i = 0; i < sizeof(opts); ++i) {
        assert_int_equal(opts[i], TEST_POISON);
    }
    snprintf(expected, sizeof(expected),
             "invalid value '%s' for %s: expected %s\n", value, name,
             accepted);
    if (strstr(text, expected) == NULL) {
        fail_msg("log '%s' lacks '%s'", text, expected);
    }
    assert_non_null(strstr(text, " verve ERROR "));
    free(text);
}

static void test_read_invalid(void **state)
{
    (void)state;
    setenv("VERVE_TEST_NAME", "some-name", 1);
    check_read_rejects("VERVE_TEST_FIFO_SIZE", "abc",
                       "a size in bytes with an optional k, m or g suffix "
                       "(8192, 64k, 4m)");
    check_read_rejects("VERVE_TEST_ENABLE", "maybe",
                       "y, yes, on, 1, true or n, no, off, 0, false");
    check_read_rejects("VERVE_TEST_COLOR", "purple", "red, green, blue");
    check_read_rejects("VERVE_TEST_TIMEOUT", "10 ms",
                       "a time with a unit: ns, us, ms, s or m "
                       "(500us, 10ms, 2s)");
    check_read_rejects("VERVE_TEST_COUNT", "-1", "a non-negative integer");
    check_read_rejects("VERVE_TEST_RATIO", "", "a number");
    unsetenv("VERVE_TEST_NAME");
}

static const vs_config_parser_t test_parser_uint_range =
    VS_CONFIG_TYPE_UINT_RANGE(2, 64);
static const vs_config_parser_t test_parser_size_range =
    VS_CONFIG_TYPE_SIZE_RANGE(256, 65471);
static const vs_config_parser_t test_parser_time_range =
    VS_CONFIG_TYPE_TIME_RANGE(1e-3, 60.0);

/* Ranged parsers take their bounds and refuse what lies outside, without
 * touching the destination; describe says the range. */
static void test_parse_ranges(void **state)
{
    static const char *const uint_out[] = {"0", "1", "65", "4294967295"};
    static const char *const size_out[] = {"0", "255", "64k", "inf"};
    static const char *const time_out[] = {"0", "999us", "61s", "2m",
                                           "inf"};
    char text[VS_CONFIG_VALUE_MAX];
    unsigned u;
    size_t z;
    double t;

    (void)state;
    check_rejects(&test_parser_uint_range, uint_out,
                  vs_array_size(uint_out), sizeof(unsigned));
    check_rejects(&test_parser_size_range, size_out,
                  vs_array_size(size_out), sizeof(size_t));
    check_rejects(&test_parser_time_range, time_out,
                  vs_array_size(time_out), sizeof(double));
    assert_true(test_parser_uint_range.parse("2", &u,
                                             test_parser_uint_range.arg));
    assert_true(test_parser_uint_range.parse("64", &u,
                                             test_parser_uint_range.arg));
    assert_int_equal(u, 64);
    assert_true(test_parser_size_range.parse("256", &z,
                                             test_parser_size_range.arg));
    assert_true(test_parser_size_range.parse("65471", &z,
                                             test_parser_size_range.arg));
    assert_int_equal(z, 65471);
    assert_true(test_parser_time_range.parse("1ms", &t,
                                             test_parser_time_range.arg));
    assert_true(test_parser_time_range.parse("1m", &t,
                                             test_parser_time_range.arg));
    vs_config_accepted(&test_parser_uint_range, text, sizeof(text));
    assert_string_equal(text, "an integer from 2 to 64");
    vs_config_accepted(&test_parser_size_range, text, sizeof(text));
    assert_non_null(strstr(text, "from 256 to 65471"));
    vs_config_accepted(&test_parser_time_range, text, sizeof(text));
    assert_non_null(strstr(text, "from 1ms to 60s"));
    vs_config_accepted(&test_parser_uint, text, sizeof(text));
    assert_string_equal(text, "a non-negative integer");
}

typedef struct test_pair_opts {
    size_t small;
    size_t large;
} test_pair_opts_t;

static const vs_config_field_t test_pair_fields[] = {
    {"SMALL", "1k", "At most LARGE.", VS_CONFIG_TYPE_SIZE_RANGE(1, 1 << 20),
     offsetof(test_pair_opts_t, small)},
    {"LARGE", "4k", "At least SMALL.", VS_CONFIG_TYPE_SIZE,
     offsetof(test_pair_opts_t, large)}
};

static verve_status_t test_pair_check(const void *opts)
{
    const test_pair_opts_t *pair = opts;
    char value[32];

    if (pair->small > pair->large) {
        snprintf(value, sizeof(value), "%zu", pair->small);
        vs_config_reject("VERVE_TEST_PAIR_SMALL", value, "at most "
                         "VERVE_TEST_PAIR_LARGE=%zu", pair->large);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return VERVE_OK;
}

/* A table's check runs after its fields parse; a value out of a field's
 * range names the range; both leave the options unwritten, and
 * vs_config_check_all finds them in any registered table. */
static void test_read_range_and_check(void **state)
{
    static vs_config_table_t table = {
        .component = "pair",
        .prefix = "TEST_PAIR_",
        .fields = test_pair_fields,
        .num_fields = vs_array_size(test_pair_fields),
        .struct_size = sizeof(test_pair_opts_t),
        .check = test_pair_check,
        .next = NULL
    };
    test_pair_opts_t opts = {7, 7};
    stderr_capture_t capture;
    char *text;

    (void)state;
    vs_config_register(&table);
    assert_int_equal(vs_config_read(&table, &opts), VERVE_OK);
    assert_int_equal(opts.small, 1024);
    assert_int_equal(vs_config_check_all(), VERVE_OK);

    opts.small = opts.large = 7;
    setenv("VERVE_TEST_PAIR_SMALL", "8k", 1);
    stderr_capture_start(&capture);
    assert_int_equal(vs_config_read(&table, &opts), VERVE_ERR_INVALID_CONFIG);
    assert_int_equal(vs_config_check_all(), VERVE_ERR_INVALID_CONFIG);
    text = stderr_capture_stop(&capture);
    assert_int_equal(opts.small, 7);
    assert_non_null(strstr(text, "invalid value '8192' for "
                                 "VERVE_TEST_PAIR_SMALL: expected at most "
                                 "VERVE_TEST_PAIR_LARGE=4096"));
    free(text);

    setenv("VERVE_TEST_PAIR_SMALL", "2m", 1);
    stderr_capture_start(&capture);
    assert_int_equal(vs_config_read(&table, &opts), VERVE_ERR_INVALID_CONFIG);
    text = stderr_capture_stop(&capture);
    assert_int_equal(opts.small, 7);
    assert_non_null(strstr(text, "invalid value '2m' for "
                                 "VERVE_TEST_PAIR_SMALL: expected a size in "
                                 "bytes from 1 to 1m"));
    free(text);
    unsetenv("VERVE_TEST_PAIR_SMALL");
}

static const vs_config_field_t test_bad_default_fields[] = {
    {"FIRST", "kept", "A string filled before the bad default.",
     VS_CONFIG_TYPE_STRING, 0},
    {"BROKEN", "12q", "A default that does not parse.", VS_CONFIG_TYPE_SIZE,
     sizeof(char *)}
};

static void test_read_bad_default(void **state)
{
    vs_config_table_t table = {
        .component = "broken",
        .prefix = "TEST_BROKEN_",
        .fields = test_bad_default_fields,
        .num_fields = vs_array_size(test_bad_default_fields),
        .struct_size = sizeof(char *) + sizeof(size_t),
        .next = NULL
    };
    stderr_capture_t capture;
    char opts[sizeof(char *) + sizeof(size_t)];
    char *text;

    (void)state;
    stderr_capture_start(&capture);
    assert_int_equal(vs_config_read(&table, opts), VERVE_ERR_INVALID_CONFIG);
    text = stderr_capture_stop(&capture);
    assert_non_null(strstr(text, "invalid default '12q' for "
                                 "VERVE_TEST_BROKEN_BROKEN"));
    free(text);
}

static void test_print(void **state)
{
    test_opts_t opts;
    char *text = NULL;
    size_t length = 0;
    FILE *stream;

    (void)state;
    setenv("VERVE_TEST_FIFO_SIZE", "8192", 1);
    setenv("VERVE_TEST_TIMEOUT", "500us", 1);
    assert_int_equal(vs_config_read(&test_table, &opts), VERVE_OK);
    unsetenv("VERVE_TEST_FIFO_SIZE");
    unsetenv("VERVE_TEST_TIMEOUT");

    stream = open_memstream(&text, &length);
    assert_non_null(stream);
    vs_config_print(&test_table, &opts, stream, 0);
    fclose(stream);
    assert_string_equal(text,
                        "VERVE_TEST_FIFO_SIZE=8k\n"
                        "VERVE_TEST_NAME=default-name\n"
                        "VERVE_TEST_ENABLE=yes\n"
                        "VERVE_TEST_COLOR=green\n"
                        "VERVE_TEST_TIMEOUT=500us\n"
                        "VERVE_TEST_COUNT=4\n"
                        "VERVE_TEST_PATH=/tmp\n"
                        "VERVE_TEST_RATIO=0.5\n");
    free(text);

    text = NULL;
    stream = open_memstream(&text, &length);
    assert_non_null(stream);
    vs_config_print(&test_table, &opts, stream, 1);
    fclose(stream);
    assert_non_null(strstr(text, "# Size of the FIFO.\n"));
    assert_non_null(strstr(text, "Default: 64k."));
    assert_non_null(strstr(text, "\nVERVE_TEST_FIFO_SIZE=8k\n"));
    free(text);
    vs_config_release(&test_table, &opts);
}

static void test_register_and_print_all(void **state)
{
    vs_config_table_t *table;
    char *text = NULL;
    size_t length = 0;
    int seen_log = 0;
    int seen_test = 0;
    FILE *stream;

    (void)state;
    vs_config_register(&test_table);
    vs_config_register(&test_table);
    for (table = vs_config_first(); table != NULL; table = table->next) {
        seen_log += (strcmp(table->component, "log") == 0);
        seen_test += (table == &test_table);
    }
    /* The log table registers itself from a constructor. */
    assert_int_equal(seen_log, 1);
    assert_int_equal(seen_test, 1);

    stream = open_memstream(&text, &length);
    assert_non_null(stream);
    assert_int_equal(vs_config_print_all(stream, 0), VERVE_OK);
    fclose(stream);
    assert_non_null(strstr(text, "VERVE_LOG_LEVEL=warn\n"));
    assert_non_null(strstr(text, "VERVE_TEST_COLOR=green\n"));
    free(text);

    /* A bad value makes print_all fail but still print the other tables. */
    setenv("VERVE_TEST_COUNT", "many", 1);
    text = NULL;
    stream = open_memstream(&text, &length);
    assert_non_null(stream);
    vs_log_level = VS_LOG_FATAL;
    assert_int_equal(vs_config_print_all(stream, 0),
                     VERVE_ERR_INVALID_CONFIG);
    vs_log_level = VS_LOG_WARN;
    fclose(stream);
    unsetenv("VERVE_TEST_COUNT");
    assert_non_null(strstr(text, "VERVE_LOG_LEVEL=warn\n"));
    assert_null(strstr(text, "VERVE_TEST_COLOR"));
    free(text);
}

static int count_occurrences(const char *text, const char *word)
{
    int count = 0;

    for (const char *p = strstr(text, word); p != NULL;
         p = strstr(p + 1, word)) {
        ++count;
    }
    return count;
}

static void test_warn_unused(void **state)
{
    stderr_capture_t capture;
    char *text;

    (void)state;
    vs_config_register(&test_table);
    setenv("VERVE_TEST_FIFO_SIZ", "64k", 1);
    setenv("VERVE_TEST_ZZZZZZZZZZ", "1", 1);
    setenv("VERVE_TEST_FIFO_SIZE", "64k", 1);
    setenv("VERVE_LOG_LEVEL", "warn", 1);
    stderr_capture_start(&capture);
    vs_config_warn_unused();
    vs_config_warn_unused();
    text = stderr_capture_stop(&capture);
    unsetenv("VERVE_TEST_FIFO_SIZ");
    unsetenv("VERVE_TEST_ZZZZZZZZZZ");
    unsetenv("VERVE_TEST_FIFO_SIZE");
    unsetenv("VERVE_LOG_LEVEL");

    assert_non_null(strstr(text, "VERVE_TEST_FIFO_SIZ is set but no verve "
                                 "component reads it; did you mean "
                                 "VERVE_TEST_FIFO_SIZE?"));
    assert_non_null(strstr(text, "VERVE_TEST_ZZZZZZZZZZ is set but no verve "
                                 "component reads it ('verve_info -c'"));
    assert_null(strstr(text, "VERVE_TEST_FIFO_SIZE "));
    assert_null(strstr(text, "VERVE_LOG_LEVEL"));
    /* Once per process: the second call printed nothing more. */
    assert_int_equal(count_occurrences(text, "VERVE_TEST_FIFO_SIZ "), 1);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_parse_string),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_enum),
        cmocka_unit_test(test_parse_ranges),
        cmocka_unit_test(test_print_round_trip),
        cmocka_unit_test_setup(test_env_name, test_env_setup),
        cmocka_unit_test_setup(test_read_defaults, test_env_setup),
        cmocka_unit_test_setup(test_read_env, test_env_setup),
        cmocka_unit_test_setup(test_read_invalid, test_env_setup),
        cmocka_unit_test_setup(test_read_bad_default, test_env_setup),
        cmocka_unit_test_setup(test_read_range_and_check, test_env_setup),
        cmocka_unit_test_setup(test_print, test_env_setup),
        cmocka_unit_test_setup(test_register_and_print_all, test_env_setup),
        cmocka_unit_test_setup(test_warn_unused, test_env_setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
