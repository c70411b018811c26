/* The reference side of it_coll (see it_coll.h). */
#include <stdlib.h>
#include <string.h>
#include "it_coll.h"

static uint64_t it_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t it_gen(unsigned salt, unsigned rank, size_t index)
{
    return it_mix(((uint64_t)salt << 48) ^ ((uint64_t)rank << 36) ^ index);
}


int it_is_signed(verve_coll_datatype_t dt)
{
    return dt <= VERVE_COLL_INT64;
}

int it_is_float(verve_coll_datatype_t dt)
{
    return dt == VERVE_COLL_FLOAT || dt == VERVE_COLL_DOUBLE;
}

int it_is_pair(verve_coll_datatype_t dt)
{
    return dt >= VERVE_COLL_FLOAT_INT;
}

/* The element of rank at index, as the generator defines it. */
it_elem_t it_value(verve_coll_datatype_t dt, verve_coll_op_t op,
                          unsigned salt, unsigned rank, size_t index)
{
    uint64_t h = it_gen(salt, rank, index);
    it_elem_t e;

    memset(&e, 0, sizeof(e));
    if (it_is_pair(dt)) {
        e.pair.value = (double)(h % 5);            /* ties on purpose */
        e.pair.index = (int64_t)((h >> 8) % 1000);
    } else if (it_is_float(dt)) {
        double u = (double)(h >> 11) / 9007199254740992.0;
        e.d = (op == VERVE_COLL_OP_PROD) ? 0.5 + 1.5 * u : 100.0 * u - 30.0;
        if (dt == VERVE_COLL_FLOAT) {
            e.d = (float)e.d;
        }
    } else {
        e.u = (h % 4 == 0) ? 0 : h >> 8;   /* zeros for the logical ops */
        if (op == VERVE_COLL_OP_USER) {
            e.u = h;
        }
    }
    return e;
}

void it_store(verve_coll_datatype_t dt, void *buffer, size_t i,
                     it_elem_t e)
{
    size_t esize = verve_coll_datatype_size(dt);

    /* Padding of the pair types zeroed, so whole elements compare. */
    memset((uint8_t *)buffer + i * esize, 0, esize);
    switch (dt) {
    case VERVE_COLL_INT8: case VERVE_COLL_UINT8:
        ((uint8_t *)buffer)[i] = (uint8_t)e.u; break;
    case VERVE_COLL_INT16: case VERVE_COLL_UINT16:
        ((uint16_t *)buffer)[i] = (uint16_t)e.u; break;
    case VERVE_COLL_INT32: case VERVE_COLL_UINT32:
        ((uint32_t *)buffer)[i] = (uint32_t)e.u; break;
    case VERVE_COLL_INT64: case VERVE_COLL_UINT64:
        ((uint64_t *)buffer)[i] = e.u; break;
    case VERVE_COLL_FLOAT: ((float *)buffer)[i] = (float)e.d; break;
    case VERVE_COLL_DOUBLE: ((double *)buffer)[i] = e.d; break;
    case VERVE_COLL_FLOAT_INT: {
        struct { float v; int32_t i; } *p = buffer;
        p[i].v = (float)e.pair.value; p[i].i = (int32_t)e.pair.index; break;
    }
    case VERVE_COLL_DOUBLE_INT: {
        struct { double v; int32_t i; } *p = buffer;
        p[i].v = e.pair.value; p[i].i = (int32_t)e.pair.index; break;
    }
    case VERVE_COLL_INT32_INT: {
        struct { int32_t v; int32_t i; } *p = buffer;
        p[i].v = (int32_t)e.pair.value; p[i].i = (int32_t)e.pair.index;
        break;
    }
    case VERVE_COLL_INT64_INT: {
        struct { int64_t v; int32_t i; } *p = buffer;
        p[i].v = (int64_t)e.pair.value; p[i].i = (int32_t)e.pair.index;
        break;
    }
    default: break;
    }
}

/* Sign- or zero-extends what it_store truncated, so the reference works
 * on the values the library sees. */
it_elem_t it_narrow(verve_coll_datatype_t dt, it_elem_t e)
{
    void *tmp = calloc(1, 16);
    it_elem_t out = e;

    it_store(dt, tmp, 0, e);
    switch (dt) {
    case VERVE_COLL_INT8: out.i = *(int8_t *)tmp; break;
    case VERVE_COLL_INT16: out.i = *(int16_t *)tmp; break;
    case VERVE_COLL_INT32: out.i = *(int32_t *)tmp; break;
    case VERVE_COLL_INT64: out.i = *(int64_t *)tmp; break;
    case VERVE_COLL_UINT8: out.u = *(uint8_t *)tmp; break;
    case VERVE_COLL_UINT16: out.u = *(uint16_t *)tmp; break;
    case VERVE_COLL_UINT32: out.u = *(uint32_t *)tmp; break;
    default: break;
    }
    free(tmp);
    return out;
}

/* A non-commutative user op: 2x2 matrices of 16-bit entries mod 2^16,
 * packed in a uint64, multiplied in rank order. */
uint64_t it_matmul(uint64_t a, uint64_t b)
{
    uint64_t a00 = a & 0xffff, a01 = (a >> 16) & 0xffff;
    uint64_t a10 = (a >> 32) & 0xffff, a11 = a >> 48;
    uint64_t b00 = b & 0xffff, b01 = (b >> 16) & 0xffff;
    uint64_t b10 = (b >> 32) & 0xffff, b11 = b >> 48;

    return ((a00 * b00 + a01 * b10) & 0xffff) |
           (((a00 * b01 + a01 * b11) & 0xffff) << 16) |
           (((a10 * b00 + a11 * b10) & 0xffff) << 32) |
           (((a10 * b01 + a11 * b11) & 0xffff) << 48);
}

void it_user_op(const void *in1, const void *in2, void *out,
                       size_t count, void *arg)
{
    const uint64_t *a = in1, *b = in2;
    uint64_t *o = out;

    (void)arg;
    for (size_t i = 0; i < count; ++i) {
        o[i] = it_matmul(a[i], b[i]);
    }
}

/* acc = acc (+) e, acc holding lower ranks. */
it_elem_t it_fold(verve_coll_datatype_t dt, verve_coll_op_t op,
                         it_elem_t acc, it_elem_t e)
{
    int s = it_is_signed(dt);

    if (it_is_pair(dt)) {
        int take = (op == VERVE_COLL_OP_MINLOC) ?
                   e.pair.value < acc.pair.value :
                   e.pair.value > acc.pair.value;
        if (take || (e.pair.value == acc.pair.value &&
                     e.pair.index < acc.pair.index)) {
            acc = e;
        }
        return acc;
    }
    if (it_is_float(dt)) {
        switch (op) {
        case VERVE_COLL_OP_SUM: acc.d += e.d; break;
        case VERVE_COLL_OP_PROD: acc.d *= e.d; break;
        case VERVE_COLL_OP_MIN: acc.d = (e.d < acc.d) ? e.d : acc.d; break;
        default: acc.d = (e.d > acc.d) ? e.d : acc.d; break;
        }
        return acc;
    }
    switch (op) {
    case VERVE_COLL_OP_SUM: acc.u += e.u; break;
    case VERVE_COLL_OP_PROD: acc.u *= e.u; break;
    case VERVE_COLL_OP_MIN:
        acc = (s ? e.i < acc.i : e.u < acc.u) ? e : acc; break;
    case VERVE_COLL_OP_MAX:
        acc = (s ? e.i > acc.i : e.u > acc.u) ? e : acc; break;
    case VERVE_COLL_OP_BAND: acc.u &= e.u; break;
    case VERVE_COLL_OP_BOR: acc.u |= e.u; break;
    case VERVE_COLL_OP_BXOR: acc.u ^= e.u; break;
    case VERVE_COLL_OP_LAND: acc.u = acc.u && e.u; break;
    case VERVE_COLL_OP_LOR: acc.u = acc.u || e.u; break;
    case VERVE_COLL_OP_LXOR: acc.u = !acc.u != !e.u; break;
    case VERVE_COLL_OP_USER: acc.u = it_matmul(acc.u, e.u); break;
    default: break;
    }
    return acc;
}
