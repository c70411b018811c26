/*
 * Fuzz target for the configuration value parsers: the text of every
 * VERVE_* variable. Built like the others (test/fuzz/local.mk: the plain
 * driver in every build, libFuzzer under make fuzz).
 *
 * Besides memory errors it checks two properties of every parser: a
 * rejected text leaves the destination untouched, and an accepted value
 * prints as text that parses back to the same value (what verve_info -c
 * prints must be a valid setting).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/compiler.h"
#include "core/base/config.h"

#define FUZZ_POISON 0xa5

static const char *const fuzz_enum_names[] = {"fatal", "error", "warn",
                                              "info", NULL};

static const vs_config_parser_t fuzz_parsers[] = {
    VS_CONFIG_TYPE_UINT,
    VS_CONFIG_TYPE_SIZE,
    VS_CONFIG_TYPE_BOOL,
    VS_CONFIG_TYPE_DOUBLE,
    VS_CONFIG_TYPE_STRING,
    VS_CONFIG_TYPE_TIME,
    VS_CONFIG_TYPE_ENUM(fuzz_enum_names, "fatal, error, warn, info"),
    VS_CONFIG_TYPE_UINT_RANGE(2, 64),
    VS_CONFIG_TYPE_SIZE_RANGE(256, 65471),
    VS_CONFIG_TYPE_TIME_RANGE(1e-3, 60.0)
};

static void fuzz_check_parser(const vs_config_parser_t *parser,
                              const char *text)
{
    char printed[VS_CONFIG_VALUE_MAX];
    unsigned char first[16];
    unsigned char second[16];

    memset(first, FUZZ_POISON, sizeof(first));
    if (!parser->parse(text, first, parser->arg)) {
        for (size_t i = 0; i < sizeof(first); ++i) {
            if (first[i] != FUZZ_POISON) {
                abort();  /* a rejected value was half-written */
            }
        }
        return;
    }

    parser->print(printed, sizeof(printed), first, parser->arg);
    memset(second, FUZZ_POISON, sizeof(second));
    if (!parser->parse(printed, second, parser->arg)) {
        abort();  /* printed text is not a valid setting */
    }
    if (parser->release != NULL) {
        /* Long strings are cut by the print buffer: compare the prefix. */
        if (strncmp(*(char **)first, *(char **)second,
                    sizeof(printed) - 1) != 0) {
            abort();
        }
        parser->release(first, parser->arg);
        parser->release(second, parser->arg);
    } else if (memcmp(first, second, sizeof(first)) != 0) {
        /* The parsers write only their type's bytes; both buffers were
         * poisoned alike, so the whole buffers must match. */
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);

    if (text == NULL) {
        return 0;
    }
    /* Environment values are NUL-terminated: an embedded NUL just ends
     * the text, as it would in getenv(). */
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < vs_array_size(fuzz_parsers); ++i) {
        fuzz_check_parser(&fuzz_parsers[i], text);
    }
    free(text);
    return 0;
}
