/*
 * Deterministic inputs and the sequential reference of it_coll: element
 * values by (salt, rank, index), stored as the library's datatypes, and
 * reductions folded in rank order on values widened to 64 bits.
 */
#ifndef IT_COLL_H
#define IT_COLL_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_coll.h>

typedef union {
    int64_t i;
    uint64_t u;
    double d;
    struct {
        double value;
        int64_t index;
    } pair;
} it_elem_t;

uint64_t it_gen(unsigned salt, unsigned rank, size_t index);
int it_is_signed(verve_coll_datatype_t dt);
int it_is_float(verve_coll_datatype_t dt);
int it_is_pair(verve_coll_datatype_t dt);
/* The element of rank at index, as the generator defines it. */
it_elem_t it_value(verve_coll_datatype_t dt, verve_coll_op_t op,
                   unsigned salt, unsigned rank, size_t index);
void it_store(verve_coll_datatype_t dt, void *buffer, size_t i,
              it_elem_t e);
/* Sign- or zero-extends what it_store truncated. */
it_elem_t it_narrow(verve_coll_datatype_t dt, it_elem_t e);
/* The non-commutative user op: 2x2 matrices mod 2^16 in a uint64. */
uint64_t it_matmul(uint64_t a, uint64_t b);
void it_user_op(const void *in1, const void *in2, void *out, size_t count,
                void *arg);
/* acc (+) e, acc holding the lower ranks. */
it_elem_t it_fold(verve_coll_datatype_t dt, verve_coll_op_t op,
                  it_elem_t acc, it_elem_t e);

#endif
