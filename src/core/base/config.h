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
} vs_config_parser_t;

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
/* A string never shown: verve_info prints only whether it is set. */
void vs_config_print_secret(char *buffer, size_t max, const void *src,
                            const void *arg);

#define VS_CONFIG_TYPE_UINT \
    {vs_config_parse_uint, vs_config_print_uint, NULL, \
     "a non-negative integer", NULL}
#define VS_CONFIG_TYPE_SIZE \
    {vs_config_parse_size, vs_config_print_size, NULL, \
     "a size in bytes with an optional k, m or g suffix (8192, 64k, 4m)", NULL}
#define VS_CONFIG_TYPE_BOOL \
    {vs_config_parse_bool, vs_config_print_bool, NULL, \
     "y, yes, on, 1, true or n, no, off, 0, false", NULL}
#define VS_CONFIG_TYPE_DOUBLE \
    {vs_config_parse_double, vs_config_print_double, NULL, "a number", NULL}
#define VS_CONFIG_TYPE_STRING \
    {vs_config_parse_string, vs_config_print_string, \
     vs_config_release_string, "any text", NULL}
#define VS_CONFIG_TYPE_SECRET \
    {vs_config_parse_string, vs_config_print_secret, \
     vs_config_release_string, "any text", NULL}
#define VS_CONFIG_TYPE_TIME \
    {vs_config_parse_time, vs_config_print_time, NULL, \
     "a time with a unit: ns, us, ms, s or m (500us, 10ms, 2s)", NULL}
/* names: a NULL-terminated array of strings; accepted: their list as
 * text for error messages ("error, warn, info"). */
#define VS_CONFIG_TYPE_ENUM(names, accepted_text) \
    {vs_config_parse_enum, vs_config_print_enum, NULL, accepted_text, names}

/* Adds a table to the list that verve_info and vs_config_warn_unused walk;
 * components call it from a constructor. Registering twice is harmless. */
void vs_config_register(vs_config_table_t *table);
vs_config_table_t *vs_config_first(void);

/* Fills opts (table->struct_size bytes) from defaults overridden by the
 * environment. On a malformed value logs an error naming the variable, the
 * value and the accepted values, releases what it filled and returns
 * VERVE_ERR_INVALID_CONFIG. */
verve_status_t vs_config_read(const vs_config_table_t *table, void *opts);
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
