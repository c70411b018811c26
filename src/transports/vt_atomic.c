/* Atomics on memory this process can address directly. */
#include "vt_iface.h"

static uint64_t vt_atomic_apply64(vt_atomic_op_t op, uint64_t *target,
                                  uint64_t value, uint64_t compare)
{
    switch (op) {
    case VT_ATOMIC_ADD:
    case VT_ATOMIC_FADD:
        return __atomic_fetch_add(target, value, __ATOMIC_SEQ_CST);
    case VT_ATOMIC_SWAP:
        return __atomic_exchange_n(target, value, __ATOMIC_SEQ_CST);
    case VT_ATOMIC_CSWAP:
        /* On failure the builtin writes the current value into compare. */
        __atomic_compare_exchange_n(target, &compare, value, 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        return compare;
    }
    return 0;
}

static uint32_t vt_atomic_apply32(vt_atomic_op_t op, uint32_t *target,
                                  uint32_t value, uint32_t compare)
{
    switch (op) {
    case VT_ATOMIC_ADD:
    case VT_ATOMIC_FADD:
        return __atomic_fetch_add(target, value, __ATOMIC_SEQ_CST);
    case VT_ATOMIC_SWAP:
        return __atomic_exchange_n(target, value, __ATOMIC_SEQ_CST);
    case VT_ATOMIC_CSWAP:
        __atomic_compare_exchange_n(target, &compare, value, 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        return compare;
    }
    return 0;
}

void vt_atomic_apply(vt_atomic_op_t op, size_t op_size, void *target,
                     uint64_t value, uint64_t compare, void *result)
{
    if (op_size == 4) {
        uint32_t old = vt_atomic_apply32(op, target, (uint32_t)value,
                                         (uint32_t)compare);
        if (result != NULL) {
            *(uint32_t *)result = old;
        }
    } else {
        uint64_t old = vt_atomic_apply64(op, target, value, compare);
        if (result != NULL) {
            *(uint64_t *)result = old;
        }
    }
}
