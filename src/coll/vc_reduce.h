/* Reduction kernels: every datatype x op, value-index pairs, user ops. */
#ifndef VC_REDUCE_H
#define VC_REDUCE_H

#include <stddef.h>
#include <verve/verve_coll.h>

/* What a collective reduces with. */
typedef struct vc_op {
    verve_coll_op_t op;
    verve_coll_datatype_t datatype;
    verve_coll_user_op_t user_op;
    void *user_op_arg;
    int commutative;
} vc_op_t;

/* VERVE_OK when the op applies to the datatype (bitwise and logical ops
 * to integers, MINLOC/MAXLOC to pairs, USER with a callback), else
 * VERVE_ERR_INVALID_PARAM (logged). Fills op. */
verve_status_t vc_op_init(vc_op_t *op, verve_coll_op_t type,
                          verve_coll_datatype_t datatype,
                          verve_coll_user_op_t user_op, void *user_op_arg,
                          int user_commutative);

/* out[i] = in1[i] (+) in2[i] for count elements, in1 the lower ranks'
 * part; out may be in1 or in2. */
void vc_reduce(const vc_op_t *op, const void *in1, const void *in2,
               void *out, size_t count);

/* Element size of a datatype (0 when out of range). */
size_t vc_datatype_size(verve_coll_datatype_t datatype);
const char *vc_datatype_name(verve_coll_datatype_t datatype);
const char *vc_op_name(verve_coll_op_t op);

#endif
