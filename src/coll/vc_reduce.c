/*
 * Reduction kernels. Integer sums and products are computed in uint64_t
 * and truncated: the result is the wrapped one the tests expect, with no
 * signed overflow (undefined in C). Every kernel reads in1[i] and in2[i]
 * before writing out[i], so out may alias either input.
 */
#include <stdint.h>
#include "vc_reduce.h"
#include "core/base/log.h"

typedef void (*vc_reduce_fn_t)(const void *in1, const void *in2, void *out,
                               size_t count);

#define VC_KERNEL(_name, _type, _expr) \
    static void vc_reduce_##_name(const void *in1, const void *in2, \
                                  void *out, size_t count) \
    { \
        const _type *a = in1; \
        const _type *b = in2; \
        _type *o = out; \
        size_t i; \
        for (i = 0; i < count; ++i) { \
            _type x = a[i]; \
            _type y = b[i]; \
            o[i] = (_type)(_expr); \
        } \
    }

#define VC_KERNELS_INT(_n, _t) \
    VC_KERNEL(_n##_sum, _t, (uint64_t)x + (uint64_t)y) \
    VC_KERNEL(_n##_prod, _t, (uint64_t)x * (uint64_t)y) \
    VC_KERNEL(_n##_min, _t, (y < x) ? y : x) \
    VC_KERNEL(_n##_max, _t, (y > x) ? y : x) \
    VC_KERNEL(_n##_band, _t, x & y) \
    VC_KERNEL(_n##_bor, _t, x | y) \
    VC_KERNEL(_n##_bxor, _t, x ^ y) \
    VC_KERNEL(_n##_land, _t, x && y) \
    VC_KERNEL(_n##_lor, _t, x || y) \
    VC_KERNEL(_n##_lxor, _t, !x != !y)

#define VC_KERNELS_FLOAT(_n, _t) \
    VC_KERNEL(_n##_sum, _t, x + y) \
    VC_KERNEL(_n##_prod, _t, x * y) \
    VC_KERNEL(_n##_min, _t, (y < x) ? y : x) \
    VC_KERNEL(_n##_max, _t, (y > x) ? y : x)

VC_KERNELS_INT(int8, int8_t)
VC_KERNELS_INT(int16, int16_t)
VC_KERNELS_INT(int32, int32_t)
VC_KERNELS_INT(int64, int64_t)
VC_KERNELS_INT(uint8, uint8_t)
VC_KERNELS_INT(uint16, uint16_t)
VC_KERNELS_INT(uint32, uint32_t)
VC_KERNELS_INT(uint64, uint64_t)
VC_KERNELS_FLOAT(float, float)
VC_KERNELS_FLOAT(double, double)

/* Pairs as C lays out struct { T value; int32_t index; }. On equal values
 * the smaller index wins, which makes the result independent of order. */
#define VC_KERNELS_PAIR(_n, _type) \
    typedef struct { _type value; int32_t index; } vc_pair_##_n##_t; \
    static void vc_reduce_##_n##_minloc(const void *in1, const void *in2, \
                                        void *out, size_t count) \
    { \
        const vc_pair_##_n##_t *a = in1; \
        const vc_pair_##_n##_t *b = in2; \
        vc_pair_##_n##_t *o = out; \
        size_t i; \
        for (i = 0; i < count; ++i) { \
            vc_pair_##_n##_t x = a[i], y = b[i]; \
            o[i] = (y.value < x.value || \
                    (y.value == x.value && y.index < x.index)) ? y : x; \
        } \
    } \
    static void vc_reduce_##_n##_maxloc(const void *in1, const void *in2, \
                                        void *out, size_t count) \
    { \
        const vc_pair_##_n##_t *a = in1; \
        const vc_pair_##_n##_t *b = in2; \
        vc_pair_##_n##_t *o = out; \
        size_t i; \
        for (i = 0; i < count; ++i) { \
            vc_pair_##_n##_t x = a[i], y = b[i]; \
            o[i] = (y.value > x.value || \
                    (y.value == x.value && y.index < x.index)) ? y : x; \
        } \
    }

VC_KERNELS_PAIR(float, float)
VC_KERNELS_PAIR(double, double)
VC_KERNELS_PAIR(int32, int32_t)
VC_KERNELS_PAIR(int64, int64_t)

#define VC_ROW_INT(_n) \
    { \
        [VERVE_COLL_OP_SUM] = vc_reduce_##_n##_sum, \
        [VERVE_COLL_OP_PROD] = vc_reduce_##_n##_prod, \
        [VERVE_COLL_OP_MIN] = vc_reduce_##_n##_min, \
        [VERVE_COLL_OP_MAX] = vc_reduce_##_n##_max, \
        [VERVE_COLL_OP_BAND] = vc_reduce_##_n##_band, \
        [VERVE_COLL_OP_BOR] = vc_reduce_##_n##_bor, \
        [VERVE_COLL_OP_BXOR] = vc_reduce_##_n##_bxor, \
        [VERVE_COLL_OP_LAND] = vc_reduce_##_n##_land, \
        [VERVE_COLL_OP_LOR] = vc_reduce_##_n##_lor, \
        [VERVE_COLL_OP_LXOR] = vc_reduce_##_n##_lxor \
    }
#define VC_ROW_FLOAT(_n) \
    { \
        [VERVE_COLL_OP_SUM] = vc_reduce_##_n##_sum, \
        [VERVE_COLL_OP_PROD] = vc_reduce_##_n##_prod, \
        [VERVE_COLL_OP_MIN] = vc_reduce_##_n##_min, \
        [VERVE_COLL_OP_MAX] = vc_reduce_##_n##_max \
    }
#define VC_ROW_PAIR(_n) \
    { \
        [VERVE_COLL_OP_MINLOC] = vc_reduce_##_n##_minloc, \
        [VERVE_COLL_OP_MAXLOC] = vc_reduce_##_n##_maxloc \
    }

/* NULL: the op does not apply to the datatype. */
static const vc_reduce_fn_t
vc_reduce_table[VERVE_COLL_DATATYPE_LAST][VERVE_COLL_OP_LAST] = {
    [VERVE_COLL_INT8] = VC_ROW_INT(int8),
    [VERVE_COLL_INT16] = VC_ROW_INT(int16),
    [VERVE_COLL_INT32] = VC_ROW_INT(int32),
    [VERVE_COLL_INT64] = VC_ROW_INT(int64),
    [VERVE_COLL_UINT8] = VC_ROW_INT(uint8),
    [VERVE_COLL_UINT16] = VC_ROW_INT(uint16),
    [VERVE_COLL_UINT32] = VC_ROW_INT(uint32),
    [VERVE_COLL_UINT64] = VC_ROW_INT(uint64),
    [VERVE_COLL_FLOAT] = VC_ROW_FLOAT(float),
    [VERVE_COLL_DOUBLE] = VC_ROW_FLOAT(double),
    [VERVE_COLL_FLOAT_INT] = VC_ROW_PAIR(float),
    [VERVE_COLL_DOUBLE_INT] = VC_ROW_PAIR(double),
    [VERVE_COLL_INT32_INT] = VC_ROW_PAIR(int32),
    [VERVE_COLL_INT64_INT] = VC_ROW_PAIR(int64),
};

static const struct {
    const char *name;
    size_t size;
} vc_datatypes[VERVE_COLL_DATATYPE_LAST] = {
    [VERVE_COLL_INT8] = {"int8", 1},
    [VERVE_COLL_INT16] = {"int16", 2},
    [VERVE_COLL_INT32] = {"int32", 4},
    [VERVE_COLL_INT64] = {"int64", 8},
    [VERVE_COLL_UINT8] = {"uint8", 1},
    [VERVE_COLL_UINT16] = {"uint16", 2},
    [VERVE_COLL_UINT32] = {"uint32", 4},
    [VERVE_COLL_UINT64] = {"uint64", 8},
    [VERVE_COLL_FLOAT] = {"float", sizeof(float)},
    [VERVE_COLL_DOUBLE] = {"double", sizeof(double)},
    [VERVE_COLL_FLOAT_INT] = {"float_int", sizeof(vc_pair_float_t)},
    [VERVE_COLL_DOUBLE_INT] = {"double_int", sizeof(vc_pair_double_t)},
    [VERVE_COLL_INT32_INT] = {"int32_int", sizeof(vc_pair_int32_t)},
    [VERVE_COLL_INT64_INT] = {"int64_int", sizeof(vc_pair_int64_t)},
};

static const char *const vc_op_names[VERVE_COLL_OP_LAST] = {
    [VERVE_COLL_OP_SUM] = "sum", [VERVE_COLL_OP_PROD] = "prod",
    [VERVE_COLL_OP_MIN] = "min", [VERVE_COLL_OP_MAX] = "max",
    [VERVE_COLL_OP_BAND] = "band", [VERVE_COLL_OP_BOR] = "bor",
    [VERVE_COLL_OP_BXOR] = "bxor", [VERVE_COLL_OP_LAND] = "land",
    [VERVE_COLL_OP_LOR] = "lor", [VERVE_COLL_OP_LXOR] = "lxor",
    [VERVE_COLL_OP_MINLOC] = "minloc", [VERVE_COLL_OP_MAXLOC] = "maxloc",
    [VERVE_COLL_OP_USER] = "user",
};

size_t vc_datatype_size(verve_coll_datatype_t datatype)
{
    return ((unsigned)datatype < VERVE_COLL_DATATYPE_LAST) ?
           vc_datatypes[datatype].size : 0;
}

const char *vc_datatype_name(verve_coll_datatype_t datatype)
{
    return ((unsigned)datatype < VERVE_COLL_DATATYPE_LAST) ?
           vc_datatypes[datatype].name : "invalid";
}

const char *vc_op_name(verve_coll_op_t op)
{
    return ((unsigned)op < VERVE_COLL_OP_LAST) ? vc_op_names[op] : "invalid";
}

verve_status_t vc_op_init(vc_op_t *op, verve_coll_op_t type,
                          verve_coll_datatype_t datatype,
                          verve_coll_user_op_t user_op, void *user_op_arg,
                          int user_commutative)
{
    if ((unsigned)datatype >= VERVE_COLL_DATATYPE_LAST ||
        (unsigned)type >= VERVE_COLL_OP_LAST) {
        vs_error("coll: reduction op %d on datatype %d: out of range",
                 (int)type, (int)datatype);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (type == VERVE_COLL_OP_USER ? (user_op == NULL)
                                   : (vc_reduce_table[datatype][type] ==
                                      NULL)) {
        vs_error("coll: reduction op %s does not apply to datatype %s%s",
                 vc_op_name(type), vc_datatype_name(datatype),
                 (type == VERVE_COLL_OP_USER) ? " (no user_op given)" : "");
        return VERVE_ERR_INVALID_PARAM;
    }
    op->op = type;
    op->datatype = datatype;
    op->user_op = user_op;
    op->user_op_arg = user_op_arg;
    op->commutative = (type != VERVE_COLL_OP_USER) || user_commutative;
    return VERVE_OK;
}

void vc_reduce(const vc_op_t *op, const void *in1, const void *in2,
               void *out, size_t count)
{
    if (count == 0) {
        return;
    }
    if (op->op == VERVE_COLL_OP_USER) {
        op->user_op(in1, in2, out, count, op->user_op_arg);
        return;
    }
    vc_reduce_table[op->datatype][op->op](in1, in2, out, count);
}
