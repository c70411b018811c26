/*
 * Configuration tables. Each component describes its options once, as a
 * table of {name, default, doc, parser, offset}; the values come from
 * VERVE_<PREFIX><NAME> environment variables. A malformed value is an error
 * that names the variable and what it accepts, never a silent default.
 * Nothing outside this file's implementation reads the environment.
 */
#ifndef VS_CONFIG_H
#define VS_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <verve/verve_status.h>

#define VS_CONFIG_ENV_PREFIX "VERVE_"
#define VS_CONFIG_VALUE_MAX 256

/* How one option's text turns into a value and back. */
typedef struct vs_config_parser {
    /* Returns 1 and writes *dest on success, 0 when str is malformed. */
    int (*parse)(const char *str, void *dest, const void *arg);
    void (*print)(char *buffer, size_t max, const void *src,
                  const void *arg);
    /* Frees what parse allocated (strings); NULL when nothing to free. */
    void (*release)(void *dest, const void *arg);
    /* Shown when a value is rejected: "a size such as 8192, 64k, 4m". */
    const char *accepted;
    const void *arg;
    /* Writes the accepted values when they depend on arg (a range);
     * NULL: accepted says it all. */
    void (*describe)(char *buffer, size_t max, const void *arg);
} vs_config_parser_t;

/* Bounds, inclusive, of a ranged parser's values (its arg): what the code
 * needs, so that a value outside stops start-up instead of failing later.
 * uint: unsigned; size: size_t; time: double seconds. */
typedef struct vs_config_uint_range {
    unsigned min;
    unsigned max;
} vs_config_uint_range_t;

typedef struct vs_config_size_range {
    size_t min;
    size_t max;
} vs_config_size_range_t;

typedef struct vs_config_time_range {
    double min;
    double max;
} vs_config_time_range_t;

typedef struct vs_config_field {
    const char *name;            /* without VERVE_ and the table prefix */
    const char *default_value;   /* text, parsed like a user's value */
    const char *doc;             /* one line */
    vs_config_parser_t parser;
    size_t offset;               /* into the component's options struct */
} vs_config_field_t;

typedef struct vs_config_table vs_config_table_t;
struct vs_config_table {
    const char *component;       /* "shm", "log", ... */
    /* NULL: VS_CONFIG_ENV_PREFIX. A launcher's own prefix ("PMIX_") for
     * the few variables verve reads but does not define. */
    const char *env_prefix;
    const char *prefix;          /* "SHM_": variables are VERVE_SHM_* */
    const vs_config_field_t *fields;
    size_t num_fields;
    size_t struct_size;          /* size of the options struct */
    /* Checks what one field's range cannot: values that depend on each
     * other, or on the machine. Logs through vs_config_reject and returns
     * VERVE_ERR_INVALID_CONFIG; NULL when there is nothing to check. */
    verve_status_t (*check)(const void *opts);
    vs_config_table_t *next;     /* registration list */
};

/* Parsers. unsigned: unsigned int; size: size_t with k/m/g suffixes;
 * bool: int from y/yes/1/on/true and n/no/0/off/false; double: double;
 * string: char * (strdup'ed); time: double seconds from "10ms", "2s",
 * "500us", "1m"; enum: unsigned index into a NULL-terminated name list. */
int vs_config_parse_uint(const char *str, void *dest, const void *arg);
int vs_config_parse_size(const char *str, void *dest, const void *arg);
int vs_config_parse_bool(const char *str, void *dest, const void *arg);
int vs_config_parse_double(const char *str, void *dest, const void *arg);
int vs_config_parse_string(const char *str, void *dest, const void *arg);
int vs_config_parse_time(const char *str, void *dest, const void *arg);
int vs_config_parse_enum(const char *str, void *dest, const void *arg);
void vs_config_print_uint(char *buffer, size_t max, const void *src,
                          const void *arg);
void vs_config_print_size(char *buffer, size_t max, const void *src,
                          const void *arg);
void vs_config_print_bool(char *buffer, size_t max, const void *src,
                          const void *arg);
void vs_config_print_double(char *buffer, size_t max, const void *src,
                            const void *arg);
void vs_config_print_string(char *buffer, size_t max, const void *src,
                            const void *arg);
void vs_config_print_time(char *buffer, size_t max, const void *src,
                          const void *arg);
void vs_config_print_enum(char *buffer, size_t max, const void *src,
                          const void *arg);
void vs_config_release_string(void *dest, const void *arg);
void vs_config_describe_uint(char *buffer, size_t max, const void *arg);
void vs_config_describe_size(char *buffer, size_t max, const void *arg);
void vs_config_describe_time(char *buffer, size_t max, const void *arg);
/* A string never shown: verve_info prints only whether it is set. */
void vs_config_print_secret(char *buffer, size_t max, const void *src,
                            const void *arg);

#define VS_CONFIG_TYPE_UINT \
    {vs_config_parse_uint, vs_config_print_uint, NULL, \
     "a non-negative integer", NULL, NULL}
#define VS_CONFIG_TYPE_SIZE \
    {vs_config_parse_size, vs_config_print_size, NULL, \
     "a size in bytes with an optional k, m or g suffix (8192, 64k, 4m)", \
     NULL, NULL}
#define VS_CONFIG_TYPE_BOOL \
    {vs_config_parse_bool, vs_config_print_bool, NULL, \
     "y, yes, on, 1, true or n, no, off, 0, false", NULL, NULL}
#define VS_CONFIG_TYPE_DOUBLE \
    {vs_config_parse_double, vs_config_print_double, NULL, "a number", NULL, \
     NULL}
#define VS_CONFIG_TYPE_STRING \
    {vs_config_parse_string, vs_config_print_string, \
     vs_config_release_string, "any text", NULL, NULL}
#define VS_CONFIG_TYPE_SECRET \
    {vs_config_parse_string, vs_config_print_secret, \
     vs_config_release_string, "any text", NULL, NULL}
#define VS_CONFIG_TYPE_TIME \
    {vs_config_parse_time, vs_config_print_time, NULL, \
     "a time with a unit: ns, us, ms, s or m (500us, 10ms, 2s)", NULL, \
     NULL}
/* names: a NULL-terminated array of strings; accepted: their list as
 * text for error messages ("error, warn, info"). */
#define VS_CONFIG_TYPE_ENUM(names, accepted_text) \
    {vs_config_parse_enum, vs_config_print_enum, NULL, accepted_text, names, \
     NULL}
/* The same types limited to [lo, hi]; at file scope the compound literal
 * has static storage, as arg needs. */
#define VS_CONFIG_TYPE_UINT_RANGE(lo, hi) \
    {vs_config_parse_uint, vs_config_print_uint, NULL, "an integer", \
     &(const vs_config_uint_range_t){(lo), (hi)}, vs_config_describe_uint}
#define VS_CONFIG_TYPE_SIZE_RANGE(lo, hi) \
    {vs_config_parse_size, vs_config_print_size, NULL, "a size", \
     &(const vs_config_size_range_t){(lo), (hi)}, vs_config_describe_size}
#define VS_CONFIG_TYPE_TIME_RANGE(lo, hi) \
    {vs_config_parse_time, vs_config_print_time, NULL, "a time", \
     &(const vs_config_time_range_t){(lo), (hi)}, vs_config_describe_time}

/* Adds a table to the list that verve_info and vs_config_warn_unused walk;
 * components call it from a constructor. Registering twice is harmless. */
void vs_config_register(vs_config_table_t *table);
vs_config_table_t *vs_config_first(void);

/* Fills opts (table->struct_size bytes) from defaults overridden by the
 * environment, then runs the table's check. On a malformed or out-of-range
 * value logs an error naming the variable, the value and the accepted
 * values, releases what it filled and returns VERVE_ERR_INVALID_CONFIG. */
verve_status_t vs_config_read(const vs_config_table_t *table, void *opts);
/* Reads (and releases) every registered table: start-up calls it, so that
 * a bad value anywhere stops the program before anything runs, whichever
 * component it belongs to. Returns the first error. */
verve_status_t vs_config_check_all(void);
/* The one form of a rejected value's error, for table checks too:
 * "invalid value 'VALUE' for NAME: expected EXPECTED". */
void vs_config_reject(const char *name, const char *value,
                      const char *expected_format, ...)
    __attribute__((format(printf, 3, 4)));
/* The accepted values of a parser, as vs_config_read reports them. */
void vs_config_accepted(const vs_config_parser_t *parser, char *buffer,
                        size_t max);
void vs_config_release(const vs_config_table_t *table, void *opts);

/* Writes "VERVE_<PREFIX><NAME>" into buffer. */
void vs_config_env_name(const vs_config_table_t *table,
                        const vs_config_field_t *field, char *buffer,
                        size_t max);

/* Prints "VERVE_X=value" lines, with "# doc" lines before them when
 * with_doc is set. */
void vs_config_print(const vs_config_table_t *table, const void *opts,
                     FILE *stream, int with_doc);
/* Reads and prints every registered table; returns the first error. */
verve_status_t vs_config_print_all(FILE *stream, int with_doc);

/* Warns once per process about VERVE_* variables no registered table
 * reads (a typo otherwise does nothing). */
void vs_config_warn_unused(void);

#endif
