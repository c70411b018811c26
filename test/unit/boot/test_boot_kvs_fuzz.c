/*
 * Fuzz target for the one parser of peer bytes in the bootstrap: the
 * packed entries a builtin fence delivers (vs_boot_kvs_unpack). Built with
 * test/fuzz/fuzz_main.c, which make check runs on generated inputs (see
 * there for a libFuzzer build). Beyond "no crash": an input the parser
 * accepts must pack back to exactly the same bytes, one it refuses must
 * leave the table as it was, and well-formed entries must be accepted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "core/boot/boot_kvs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses buffer into a table that already holds one key (so duplicates
 * are refused too); checks what was accepted packs back to the same
 * bytes, and that a refusal left the table alone. */
static verve_status_t fuzz_unpack(const uint8_t *buffer, size_t size)
{
    vs_boot_kvs_t kvs = {0};
    verve_status_t status;
    uint8_t *packed;
    size_t length;

    if (vs_boot_kvs_add(&kvs, "there", "v", 1) != VERVE_OK) {
        abort();
    }
    status = vs_boot_kvs_unpack(&kvs, buffer, size);
    if (status == VERVE_OK) {
        length = vs_boot_kvs_packed_size(&kvs, 1);
        packed = malloc(length + 1);
        if ((packed == NULL) || (length != size)) {
            abort();
        }
        vs_boot_kvs_pack(&kvs, 1, packed);
        if ((size > 0) && (memcmp(packed, buffer, size) != 0)) {
            abort();
        }
        free(packed);
    } else if (kvs.count != 1) {
        abort();
    }
    vs_boot_kvs_cleanup(&kvs);
    return status;
}

/* Random bytes hardly ever form a whole entry: build well-formed entries
 * from the input, then, for half the inputs, change one byte of them as
 * the input says, so that the accepting path and every length check near
 * its edge get their turn. */
static void fuzz_built(const uint8_t *data, size_t size)
{
    vs_boot_kvs_t src = {0};
    uint8_t *packed;
    size_t i, length, offset = 0, value_length;
    char key[16];

    for (i = 0; (i < 8) && (i < size); ++i) {
        snprintf(key, sizeof(key), "k%zu%c", i, 'a' + data[i] % 26);
        value_length = vs_min((size_t)(data[i] % 24), size - offset);
        if (vs_boot_kvs_add(&src, key, data + offset, value_length) !=
            VERVE_OK) {
            abort();
        }
        offset += value_length;
    }
    length = vs_boot_kvs_packed_size(&src, 0);
    packed = malloc(length + 1);
    if (packed == NULL) {
        abort();
    }
    vs_boot_kvs_pack(&src, 0, packed);
    if ((size == 0) || (data[0] % 2 == 0)) {
        if (fuzz_unpack(packed, length) != VERVE_OK) {
            abort();
        }
    } else if (length > 0) {
        packed[data[size - 1] % length] ^= data[size / 2] | 1;
        (void)fuzz_unpack(packed, length);
    }
    free(packed);
    vs_boot_kvs_cleanup(&src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Every malformed input is logged otherwise. */
    vs_log_level = VS_LOG_FATAL;
    (void)fuzz_unpack(data, size);
    fuzz_built(data, size);
    return 0;
}
