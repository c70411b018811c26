/*
 * Payloads for the data tests: byte = f(message id, absolute offset), with
 * no period. A pattern such as (i * 13) mod 256 repeats every 256 bytes, so
 * a fragment, chunk or rendezvous half placed at the wrong multiple of 256,
 * or copied twice, still compares equal; here every 8-byte word is a hash of
 * the message id and the word's index, so the bytes at any two offsets (and
 * of any two messages) differ but by chance (2^-64 per word).
 *
 * The offset is absolute: a piece checked on its own (an RMA at +100, the
 * second half of a rendezvous) is checked against the offsets it should
 * occupy in the whole, so that it cannot stand in for another piece.
 *
 * Used by the cmocka unit tests and by the stand-alone programs, each with
 * its own assertion: pattern_check() writes why into a caller's buffer.
 */
#ifndef VERVE_TEST_PATTERN_H
#define VERVE_TEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* splitmix64's finaliser: each input bit flips about half the output. */
static inline uint64_t pattern_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* A message id from two numbers (a rank and a sequence number, say): the
 * ids of different pairs differ, so one message's bytes cannot pass for
 * another's. */
static inline uint64_t pattern_id(uint64_t a, uint64_t b)
{
    return pattern_mix(a * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) ^ b;
}

static inline uint64_t pattern_word(uint64_t id, uint64_t word)
{
    /* Mixing the id first keeps (id, word) and (id + 1, word - 1) apart. */
    return pattern_mix(pattern_mix(id) + word);
}

static inline uint8_t pattern_byte(uint64_t id, uint64_t offset)
{
    return (uint8_t)(pattern_word(id, offset >> 3) >> (8 * (offset & 7)));
}

/* Fills buffer with message id's bytes at offsets offset ... offset +
 * length - 1. */
static inline void pattern_fill(uint64_t id, uint64_t offset, void *buffer,
                                size_t length)
{
    uint8_t *p = buffer;
    uint64_t word = 0;

    for (size_t i = 0; i < length; ++i) {
        uint64_t at = offset + i;

        if (i == 0 || (at & 7) == 0) {
            word = pattern_word(id, at >> 3);
        }
        p[i] = (uint8_t)(word >> (8 * (at & 7)));
    }
}

/* 0 when buffer holds message id's bytes from offset on; otherwise 1, with
 * the first bad offset, the byte expected there, the byte found and the
 * number of bad bytes written into why (why_size bytes, may be 0). */
static inline int pattern_check(uint64_t id, uint64_t offset,
                                const void *buffer, size_t length, char *why,
                                size_t why_size)
{
    const uint8_t *p = buffer;
    size_t first = length, bad = 0;
    uint64_t word = 0;

    for (size_t i = 0; i < length; ++i) {
        uint64_t at = offset + i;

        if (i == 0 || (at & 7) == 0) {
            word = pattern_word(id, at >> 3);
        }
        if (p[i] != (uint8_t)(word >> (8 * (at & 7)))) {
            if (bad++ == 0) {
                first = i;
            }
        }
    }
    if (bad == 0) {
        return 0;
    }
    if (why_size > 0) {
        snprintf(why, why_size,
                 "message %#llx, %zu bytes from offset %llu: byte at offset "
                 "%llu is 0x%02x, expected 0x%02x (%zu bad bytes)",
                 (unsigned long long)id, length, (unsigned long long)offset,
                 (unsigned long long)(offset + first), p[first],
                 pattern_byte(id, offset + first), bad);
    }
    return 1;
}

#endif
