/*
 * Configuration tables: registration, reading VERVE_* variables, printing,
 * and the warning about variables nothing reads. The only file besides
 * config_parsers.c that looks at the environment.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "log.h"

#define VS_CONFIG_NAME_MAX 128

extern char **environ;

/* Tables register from constructors, which run one at a time before
 * main(), so the list needs no lock. */
static vs_config_table_t *vs_config_tables;

void vs_config_register(vs_config_table_t *table)
{
    vs_config_table_t **link;

    for (link = &vs_config_tables; *link != NULL; link = &(*link)->next) {
        if (*link == table) {
            return;
        }
    }
    /* Appended, so verve_info prints tables in registration order. */
    table->next = NULL;
    *link = table;
}

vs_config_table_t *vs_config_first(void)
{
    return vs_config_tables;
}

void vs_config_env_name(const vs_config_table_t *table,
                        const vs_config_field_t *field, char *buffer,
                        size_t max)
{
    snprintf(buffer, max, "%s%s%s",
             (table->env_prefix != NULL) ? table->env_prefix :
             VS_CONFIG_ENV_PREFIX, table->prefix, field->name);
}

static void *vs_config_field_ptr(const vs_config_field_t *field, void *opts)
{
    return (char *)opts + field->offset;
}

static void vs_config_release_fields(const vs_config_table_t *table,
                                     void *opts, size_t num_fields)
{
    const vs_config_field_t *field;

    for (size_t i = 0; i < num_fields; ++i) {
        field = &table->fields[i];
        if (field->parser.release != NULL) {
            field->parser.release(vs_config_field_ptr(field, opts),
                                  field->parser.arg);
        }
    }
}

void vs_config_release(const vs_config_table_t *table, void *opts)
{
    vs_config_release_fields(table, opts, table->num_fields);
}

void vs_config_accepted(const vs_config_parser_t *parser, char *buffer,
                        size_t max)
{
    if (parser->describe != NULL) {
        parser->describe(buffer, max, parser->arg);
    } else {
        snprintf(buffer, max, "%s", parser->accepted);
    }
}

void vs_config_reject(const char *name, const char *value,
                      const char *expected_format, ...)
{
    char expected[VS_CONFIG_VALUE_MAX];
    va_list ap;

    va_start(ap, expected_format);
    vsnprintf(expected, sizeof(expected), expected_format, ap);
    va_end(ap);
    vs_error("invalid value '%s' for %s: expected %s", value, name,
             expected);
}

verve_status_t vs_config_read(const vs_config_table_t *table, void *opts)
{
    char name[VS_CONFIG_NAME_MAX];
    char accepted[VS_CONFIG_VALUE_MAX];
    const vs_config_field_t *field;
    const char *value;
    verve_status_t status;
    void *tmp;
    size_t i;

    /* Filled aside and copied at the end, so that opts is written only on
     * success. */
    tmp = calloc(1, table->struct_size);
    if (tmp == NULL) {
        vs_error("config %s: failed to allocate %zu bytes of options",
                 table->component, table->struct_size);
        return VERVE_ERR_NO_MEMORY;
    }

    for (i = 0; i < table->num_fields; ++i) {
        field = &table->fields[i];
        vs_config_env_name(table, field, name, sizeof(name));
        value = getenv(name);
        if (value != NULL) {
            if (!field->parser.parse(value, vs_config_field_ptr(field, tmp),
                                     field->parser.arg)) {
                vs_config_accepted(&field->parser, accepted,
                                   sizeof(accepted));
                vs_config_reject(name, value, "%s", accepted);
                status = VERVE_ERR_INVALID_CONFIG;
                goto err_release;
            }
        } else if (!field->parser.parse(field->default_value,
                                        vs_config_field_ptr(field, tmp),
                                        field->parser.arg)) {
            /* A bug in the table, not in the user's environment. */
            vs_config_accepted(&field->parser, accepted, sizeof(accepted));
            vs_error("config %s: invalid default '%s' for %s: expected %s",
                     table->component, field->default_value, name,
                     accepted);
            status = VERVE_ERR_INVALID_CONFIG;
            goto err_release;
        }
    }

    if ((table->check != NULL) && (table->check(tmp) != VERVE_OK)) {
        status = VERVE_ERR_INVALID_CONFIG;
        goto err_release;
    }
    memcpy(opts, tmp, table->struct_size);
    free(tmp);
    return VERVE_OK;

err_release:
    vs_config_release_fields(table, tmp, i);
    free(tmp);
    return status;
}

void vs_config_print(const vs_config_table_t *table, const void *opts,
                     FILE *stream, int with_doc)
{
    char name[VS_CONFIG_NAME_MAX];
    char value[VS_CONFIG_VALUE_MAX];
    char accepted[VS_CONFIG_VALUE_MAX];
    const vs_config_field_t *field;

    for (size_t i = 0; i < table->num_fields; ++i) {
        field = &table->fields[i];
        vs_config_env_name(table, field, name, sizeof(name));
        field->parser.print(value, sizeof(value),
                            (const char *)opts + field->offset,
                            field->parser.arg);
        if (with_doc) {
            vs_config_accepted(&field->parser, accepted, sizeof(accepted));
            fprintf(stream, "#\n# %s\n# Accepts %s. Default: %s.\n#\n",
                    field->doc, accepted, field->default_value);
        }
        fprintf(stream, "%s=%s\n", name, value);
    }
}

verve_status_t vs_config_print_all(FILE *stream, int with_doc)
{
    verve_status_t first_error = VERVE_OK;
    verve_status_t status;
    vs_config_table_t *table;
    void *opts;

    for (table = vs_config_tables; table != NULL; table = table->next) {
        opts = malloc(table->struct_size);
        if (opts == NULL) {
            vs_error("config %s: failed to allocate %zu bytes of options",
                     table->component, table->struct_size);
            status = VERVE_ERR_NO_MEMORY;
        } else {
            status = vs_config_read(table, opts);
            if (status == VERVE_OK) {
                vs_config_print(table, opts, stream, with_doc);
                vs_config_release(table, opts);
            }
            free(opts);
        }
        if ((status != VERVE_OK) && (first_error == VERVE_OK)) {
            first_error = status;
        }
    }
    return first_error;
}

verve_status_t vs_config_check_all(void)
{
    verve_status_t first_error = VERVE_OK;
    verve_status_t status;
    vs_config_table_t *table;
    void *opts;

    for (table = vs_config_tables; table != NULL; table = table->next) {
        opts = malloc(table->struct_size);
        if (opts == NULL) {
            vs_error("config %s: failed to allocate %zu bytes of options",
                     table->component, table->struct_size);
            return VERVE_ERR_NO_MEMORY;
        }
        status = vs_config_read(table, opts);
        if (status == VERVE_OK) {
            vs_config_release(table, opts);
        } else if (first_error == VERVE_OK) {
            first_error = status;
        }
        free(opts);
    }
    return first_error;
}

/* Edit distance between a and b (a of a_length characters), stopping
 * early past limit: only "close enough to be a typo" matters. */
static size_t vs_config_distance(const char *a, size_t a_length,
                                 const char *b, size_t limit)
{
    size_t row[VS_CONFIG_NAME_MAX + 1];
    size_t b_length = strlen(b);
    size_t diagonal, above, best;

    if ((a_length > VS_CONFIG_NAME_MAX) || (b_length > VS_CONFIG_NAME_MAX)) {
        return limit + 1;
    }
    for (size_t j = 0; j <= b_length; ++j) {
        row[j] = j;
    }
    for (size_t i = 1; i <= a_length; ++i) {
        diagonal = row[0];
        row[0] = i;
        best = row[0];
        for (size_t j = 1; j <= b_length; ++j) {
            above = row[j];
            row[j] = vs_min(vs_min(row[j] + 1, row[j - 1] + 1),
                            diagonal + (a[i - 1] != b[j - 1]));
            diagonal = above;
            best = vs_min(best, row[j]);
        }
        if (best > limit) {
            return limit + 1;
        }
    }
    return row[b_length];
}

/* Looks the first name_length characters of name up among the variables
 * registered tables read. Returns 1 when found; otherwise 0, with the
 * closest name (if any is a likely typo of it) in suggestion. */
static int vs_config_lookup(const char *name, size_t name_length,
                            char *suggestion, size_t max)
{
    char known[VS_CONFIG_NAME_MAX];
    const vs_config_table_t *table;
    size_t best = 3;  /* further than 2 edits is not a typo */
    size_t distance;

    suggestion[0] = '\0';
    for (table = vs_config_tables; table != NULL; table = table->next) {
        for (size_t i = 0; i < table->num_fields; ++i) {
            vs_config_env_name(table, &table->fields[i], known,
                               sizeof(known));
            if ((strlen(known) == name_length) &&
                (memcmp(known, name, name_length) == 0)) {
                return 1;
            }
            distance = vs_config_distance(name, name_length, known,
                                          best - 1);
            if (distance < best) {
                best = distance;
                snprintf(suggestion, max, "%s", known);
            }
        }
    }
    return 0;
}

void vs_config_warn_unused(void)
{
    static int warned;
    char suggestion[VS_CONFIG_NAME_MAX];
    const size_t prefix_length = strlen(VS_CONFIG_ENV_PREFIX);
    const char *entry;
    const char *equals;
    size_t name_length;

    /* Every context creation calls this; the warning is worth seeing once,
     * not once per context. */
    if (__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED)) {
        return;
    }

    for (char **env = environ; (env != NULL) && (*env != NULL); ++env) {
        entry = *env;
        if (strncmp(entry, VS_CONFIG_ENV_PREFIX, prefix_length) != 0) {
            continue;
        }
        equals = strchr(entry, '=');
        name_length = (equals != NULL) ? (size_t)(equals - entry)
                                       : strlen(entry);
        if (vs_config_lookup(entry, name_length, suggestion,
                             sizeof(suggestion))) {
            continue;
        }
        if (suggestion[0] != '\0') {
            vs_warn("%.*s is set but no verve component reads it; did you "
                    "mean %s?", (int)name_length, entry, suggestion);
        } else {
            vs_warn("%.*s is set but no verve component reads it "
                    "('verve_info -c' lists the variables)",
                    (int)name_length, entry);
        }
    }
}
