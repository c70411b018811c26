/*
 * coll verve: MPI's predefined datatypes and ops onto verve's. Only what
 * maps exactly: a reduction whose datatype or op is not here goes to the
 * next component (MPI makes every rank pass the same ones, so every rank
 * decides alike).
 */
#include "ompi_config.h"

#include "coll_verve.h"

typedef struct coll_verve_type_map {
    struct ompi_datatype_t *mpi;
    verve_coll_datatype_t verve;
} coll_verve_type_map_t;

bool coll_verve_map_datatype(struct ompi_datatype_t *datatype,
                             verve_coll_datatype_t *vtype_p)
{
    /* sizes as in C on this ABI: long is 64 bits (checked below) */
    static const coll_verve_type_map_t map[] = {
        {MPI_CHAR, VERVE_COLL_INT8},
        {MPI_SIGNED_CHAR, VERVE_COLL_INT8},
        {MPI_INT8_T, VERVE_COLL_INT8},
        {MPI_UNSIGNED_CHAR, VERVE_COLL_UINT8},
        {MPI_UINT8_T, VERVE_COLL_UINT8},
        {MPI_BYTE, VERVE_COLL_UINT8},
        {MPI_SHORT, VERVE_COLL_INT16},
        {MPI_INT16_T, VERVE_COLL_INT16},
        {MPI_UNSIGNED_SHORT, VERVE_COLL_UINT16},
        {MPI_UINT16_T, VERVE_COLL_UINT16},
        {MPI_INT, VERVE_COLL_INT32},
        {MPI_INT32_T, VERVE_COLL_INT32},
        {MPI_UNSIGNED, VERVE_COLL_UINT32},
        {MPI_UINT32_T, VERVE_COLL_UINT32},
        {MPI_LONG, VERVE_COLL_INT64},
        {MPI_LONG_LONG, VERVE_COLL_INT64},
        {MPI_INT64_T, VERVE_COLL_INT64},
        {MPI_UNSIGNED_LONG, VERVE_COLL_UINT64},
        {MPI_UNSIGNED_LONG_LONG, VERVE_COLL_UINT64},
        {MPI_UINT64_T, VERVE_COLL_UINT64},
        {MPI_FLOAT, VERVE_COLL_FLOAT},
        {MPI_DOUBLE, VERVE_COLL_DOUBLE},
        {MPI_FLOAT_INT, VERVE_COLL_FLOAT_INT},
        {MPI_DOUBLE_INT, VERVE_COLL_DOUBLE_INT},
        {MPI_2INT, VERVE_COLL_INT32_INT},
        {MPI_LONG_INT, VERVE_COLL_INT64_INT},
    };
    /* a program reduces one or two datatypes over and over */
    static const coll_verve_type_map_t *last = &map[0];
    size_t i;

    _Static_assert(sizeof(long) == 8, "MPI_LONG is mapped to 64 bits");
    if (last->mpi == datatype) {
        *vtype_p = last->verve;
        return true;
    }
    for (i = 0; i < sizeof(map) / sizeof(map[0]); ++i) {
        if (map[i].mpi == datatype) {
            last = &map[i];
            *vtype_p = map[i].verve;
            return true;
        }
    }
    return false;
}

/* The ops verve's reduction takes for vtype (verve_coll.h): bitwise and
 * logical ones on integers, MINLOC/MAXLOC on pairs. */
bool coll_verve_map_op(struct ompi_op_t *op, verve_coll_datatype_t vtype,
                       verve_coll_op_t *vop_p)
{
    const bool integer = vtype <= VERVE_COLL_UINT64;
    const bool pair = vtype >= VERVE_COLL_FLOAT_INT;

    if (op == MPI_SUM || op == MPI_PROD || op == MPI_MIN || op == MPI_MAX) {
        if (pair) {
            return false;
        }
        *vop_p = (op == MPI_SUM) ? VERVE_COLL_OP_SUM
                 : (op == MPI_PROD) ? VERVE_COLL_OP_PROD
                 : (op == MPI_MIN) ? VERVE_COLL_OP_MIN : VERVE_COLL_OP_MAX;
        return true;
    }
    if (op == MPI_BAND || op == MPI_BOR || op == MPI_BXOR ||
        op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR) {
        if (!integer) {
            return false;
        }
        *vop_p = (op == MPI_BAND) ? VERVE_COLL_OP_BAND
                 : (op == MPI_BOR) ? VERVE_COLL_OP_BOR
                 : (op == MPI_BXOR) ? VERVE_COLL_OP_BXOR
                 : (op == MPI_LAND) ? VERVE_COLL_OP_LAND
                 : (op == MPI_LOR) ? VERVE_COLL_OP_LOR : VERVE_COLL_OP_LXOR;
        return true;
    }
    if (op == MPI_MINLOC || op == MPI_MAXLOC) {
        if (!pair) {
            return false;
        }
        *vop_p = (op == MPI_MINLOC) ? VERVE_COLL_OP_MINLOC
                                    : VERVE_COLL_OP_MAXLOC;
        return true;
    }
    return false;
}
