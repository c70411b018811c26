/*
 * Parsers and printers for configuration values. Parsers are strict: a
 * value is accepted only when all of it is understood, so that a typo
 * ("64kb", "1O", "-1") is an error rather than a quiet surprise. They write
 * *dest only on success.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compiler.h"

/* Decimal digits only: strtoull alone would accept leading blanks, a sign
 * (and negate "-1" into a huge value) and a "0x" prefix. */
static int vs_config_parse_digits(const char *str, const char **end_p,
                                  unsigned long long *value_p)
{
    unsigned long long value;
    char *end;

    if (!isdigit((unsigned char)str[0])) {
        return 0;
    }
    errno = 0;
    value = strtoull(str, &end, 10);
    if (errno != 0) {
        return 0;
    }
    *end_p = end;
    *value_p = value;
    return 1;
}

int vs_config_parse_uint(const char *str, void *dest, const void *arg)
{
    const vs_config_uint_range_t *range = arg;
    unsigned long long value;
    const char *end;

    if (!vs_config_parse_digits(str, &end, &value) || (*end != '\0') ||
        (value > UINT_MAX)) {
        return 0;
    }
    if ((range != NULL) && ((value < range->min) || (value > range->max))) {
        return 0;
    }
    *(unsigned *)dest = (unsigned)value;
    return 1;
}

void vs_config_print_uint(char *buffer, size_t max, const void *src,
                          const void *arg)
{
    (void)arg;
    snprintf(buffer, max, "%u", *(const unsigned *)src);
}

static const struct {
    char suffix;
    unsigned shift;
} vs_config_size_units[] = {{'g', 30}, {'m', 20}, {'k', 10}};

static int vs_config_size_in_range(size_t value, const void *arg)
{
    const vs_config_size_range_t *range = arg;

    return (range == NULL) || ((value >= range->min) &&
                               (value <= range->max));
}

int vs_config_parse_size(const char *str, void *dest, const void *arg)
{
    unsigned long long value;
    unsigned shift = 0;
    const char *end;

    if (!strcasecmp(str, "inf") || !strcasecmp(str, "unlimited")) {
        if (!vs_config_size_in_range(SIZE_MAX, arg)) {
            return 0;
        }
        *(size_t *)dest = SIZE_MAX;
        return 1;
    }
    if (!vs_config_parse_digits(str, &end, &value)) {
        return 0;
    }
    if (*end != '\0') {
        if (end[1] != '\0') {
            return 0;
        }
        for (size_t i = 0; i < vs_array_size(vs_config_size_units); ++i) {
            if (tolower((unsigned char)*end) ==
                vs_config_size_units[i].suffix) {
                shift = vs_config_size_units[i].shift;
                break;
            }
        }
        if (shift == 0) {
            return 0;
        }
    }
    if ((value > ((unsigned long long)SIZE_MAX >> shift)) ||
        !vs_config_size_in_range((size_t)value << shift, arg)) {
        return 0;
    }
    *(size_t *)dest = (size_t)value << shift;
    return 1;
}

void vs_config_print_size(char *buffer, size_t max, const void *src,
                          const void *arg)
{
    size_t value = *(const size_t *)src;

    (void)arg;
    if (value == SIZE_MAX) {
        snprintf(buffer, max, "inf");
        return;
    }
    /* The largest unit that divides exactly, so the text parses back to
     * the same number. */
    for (size_t i = 0; i < vs_array_size(vs_config_size_units); ++i) {
        size_t unit = (size_t)1 << vs_config_size_units[i].shift;
        if ((value != 0) && (value % unit == 0)) {
            snprintf(buffer, max, "%zu%c", value / unit,
                     vs_config_size_units[i].suffix);
            return;
        }
    }
    snprintf(buffer, max, "%zu", value);
}

int vs_config_parse_bool(const char *str, void *dest, const void *arg)
{
    static const char *const yes[] = {"y", "yes", "1", "on", "true"};
    static const char *const no[] = {"n", "no", "0", "off", "false"};

    (void)arg;
    for (size_t i = 0; i < vs_array_size(yes); ++i) {
        if (!strcasecmp(str, yes[i])) {
            *(int *)dest = 1;
            return 1;
        }
        if (!strcasecmp(str, no[i])) {
            *(int *)dest = 0;
            return 1;
        }
    }
    return 0;
}

void vs_config_print_bool(char *buffer, size_t max, const void *src,
                          const void *arg)
{
    (void)arg;
    snprintf(buffer, max, "%s", *(const int *)src ? "yes" : "no");
}

/* A finite number that fills the whole string up to end_p (NULL: to the
 * end). Rejects blanks, "nan", "inf" and hex floats, which strtod accepts
 * but nobody means in a configuration value. */
static int vs_config_parse_number(const char *str, const char **end_p,
                                  double *value_p)
{
    const char *digits = str;
    double value;
    char *end;

    if ((*digits == '-') || (*digits == '+')) {
        ++digits;
    }
    if (!isdigit((unsigned char)digits[0]) &&
        !((digits[0] == '.') && isdigit((unsigned char)digits[1]))) {
        return 0;
    }
    if ((digits[0] == '0') && (tolower((unsigned char)digits[1]) == 'x')) {
        return 0;
    }
    errno = 0;
    value = strtod(str, &end);
    if ((errno == ERANGE) || !isfinite(value)) {
        return 0;
    }
    if (end_p != NULL) {
        *end_p = end;
    } else if (*end != '\0') {
        return 0;
    }
    *value_p = value;
    return 1;
}

int vs_config_parse_double(const char *str, void *dest, const void *arg)
{
    double value;

    (void)arg;
    if (!vs_config_parse_number(str, NULL, &value)) {
        return 0;
    }
    *(double *)dest = value;
    return 1;
}

/* The shortest "%.*g" text that reads back as exactly value, preferring
 * one without an exponent ("500" rather than "5e+02"). */
static void vs_config_format_double(char *buffer, size_t max, double value,
                                    const char *suffix)
{
    for (int allow_exponent = 0; allow_exponent <= 1; ++allow_exponent) {
        for (int precision = 1; precision <= 17; ++precision) {
            snprintf(buffer, max, "%.*g%s", precision, value, suffix);
            if ((allow_exponent || (strchr(buffer, 'e') == NULL)) &&
                (strtod(buffer, NULL) == value)) {
                return;
            }
        }
    }
}

void vs_config_print_double(char *buffer, size_t max, const void *src,
                            const void *arg)
{
    (void)arg;
    vs_config_format_double(buffer, max, *(const double *)src, "");
}

int vs_config_parse_string(const char *str, void *dest, const void *arg)
{
    char *copy;

    (void)arg;
    copy = strdup(str);
    if (copy == NULL) {
        return 0;
    }
    *(char **)dest = copy;
    return 1;
}

void vs_config_print_string(char *buffer, size_t max, const void *src,
                            const void *arg)
{
    const char *str = *(char *const *)src;

    (void)arg;
    snprintf(buffer, max, "%s", (str != NULL) ? str : "");
}

void vs_config_print_secret(char *buffer, size_t max, const void *src,
                            const void *arg)
{
    const char *str = *(char *const *)src;

    (void)arg;
    snprintf(buffer, max, "%s",
             (str != NULL && str[0] != '\0') ? "(set, hidden)" : "");
}

void vs_config_release_string(void *dest, const void *arg)
{
    (void)arg;
    free(*(char **)dest);
    *(char **)dest = NULL;
}

/* Ordered from the largest unit down, as vs_config_print_time wants. A
 * unit is a divisor or a multiplier of seconds, so that "10ms" is computed
 * as 10 / 1e3 (correctly rounded) rather than 10 * 1e-3 (twice rounded). */
static const struct {
    const char *name;
    double per_second;  /* units in one second */
} vs_config_time_units[] = {
    {"m", 1.0 / 60.0}, {"s", 1.0}, {"ms", 1e3}, {"us", 1e6}, {"ns", 1e9}
};

/* Seconds from text, unbounded. */
static int vs_config_parse_seconds(const char *str, double *value_p)
{
    const char *unit;
    double value;

    if (!strcasecmp(str, "inf") || !strcasecmp(str, "infinity")) {
        *value_p = INFINITY;
        return 1;
    }
    if ((str[0] == '-') || (str[0] == '+') ||
        !vs_config_parse_number(str, &unit, &value)) {
        return 0;
    }
    if (*unit == '\0') {
        *value_p = value;
        return 1;
    }
    if (!strcmp(unit, "m")) {
        *value_p = value * 60.0;
        return 1;
    }
    for (size_t i = 1; i < vs_array_size(vs_config_time_units); ++i) {
        if (!strcmp(unit, vs_config_time_units[i].name)) {
            *value_p = value / vs_config_time_units[i].per_second;
            return 1;
        }
    }
    return 0;
}

int vs_config_parse_time(const char *str, void *dest, const void *arg)
{
    const vs_config_time_range_t *range = arg;
    double value;

    if (!vs_config_parse_seconds(str, &value)) {
        return 0;
    }
    if ((range != NULL) && ((value < range->min) || (value > range->max))) {
        return 0;
    }
    *(double *)dest = value;
    return 1;
}

void vs_config_print_time(char *buffer, size_t max, const void *src,
                          const void *arg)
{
    double value = *(const double *)src;
    double parsed;

    (void)arg;
    if (isinf(value)) {
        snprintf(buffer, max, "inf");
        return;
    }
    /* The largest unit below a minute that gives a number >= 1, checked to
     * parse back exactly; seconds with full precision otherwise. */
    for (size_t i = 1; i < vs_array_size(vs_config_time_units); ++i) {
        double scaled = value * vs_config_time_units[i].per_second;
        if ((value == 0) || (scaled >= 1.0) ||
            (i == vs_array_size(vs_config_time_units) - 1)) {
            vs_config_format_double(buffer, max, scaled,
                                    vs_config_time_units[i].name);
            if (vs_config_parse_seconds(buffer, &parsed) &&
                (parsed == value)) {
                return;
            }
            break;
        }
    }
    snprintf(buffer, max, "%.17gs", value);
}

int vs_config_parse_enum(const char *str, void *dest, const void *arg)
{
    const char *const *names = arg;

    for (unsigned i = 0; names[i] != NULL; ++i) {
        if (!strcasecmp(str, names[i])) {
            *(unsigned *)dest = i;
            return 1;
        }
    }
    return 0;
}

void vs_config_print_enum(char *buffer, size_t max, const void *src,
                          const void *arg)
{
    const char *const *names = arg;
    unsigned value = *(const unsigned *)src;

    for (unsigned i = 0; names[i] != NULL; ++i) {
        if (i == value) {
            snprintf(buffer, max, "%s", names[i]);
            return;
        }
    }
    snprintf(buffer, max, "<invalid %u>", value);
}

void vs_config_describe_uint(char *buffer, size_t max, const void *arg)
{
    const vs_config_uint_range_t *range = arg;

    snprintf(buffer, max, "an integer from %u to %u", range->min,
             range->max);
}

void vs_config_describe_size(char *buffer, size_t max, const void *arg)
{
    const vs_config_size_range_t *range = arg;
    char low[32], high[32];

    vs_config_print_size(low, sizeof(low), &range->min, NULL);
    vs_config_print_size(high, sizeof(high), &range->max, NULL);
    snprintf(buffer, max, "a size in bytes from %s to %s, with an optional "
             "k, m or g suffix", low, high);
}

void vs_config_describe_time(char *buffer, size_t max, const void *arg)
{
    const vs_config_time_range_t *range = arg;
    char low[32], high[32];

    vs_config_print_time(low, sizeof(low), &range->min, NULL);
    vs_config_print_time(high, sizeof(high), &range->max, NULL);
    snprintf(buffer, max, "a time from %s to %s, with a unit: ns, us, ms, "
             "s or m", low, high);
}
