/*
 * coll verve: the collectives. Reductions pass MPI's datatype and op to
 * verve when they map (coll_verve_map.c), else the call goes to the next
 * component; the others move bytes, so any datatype works: contiguous in
 * place, others through a packed copy (a rank's own datatype may differ
 * from its peers' with the same type signature, so no rank may decide
 * alone to fall back for one).
 */
#include "ompi_config.h"

#include <stdlib.h>
#include <string.h>

#include "coll_verve.h"
#include "verve_ompi_datatype.h"

/* Where verve reads or writes count elements of a datatype at buf: the
 * bytes in place, or a packed copy (tmp). */
typedef struct coll_verve_buf {
    void *ptr;
    void *tmp;
    size_t bytes;
} coll_verve_buf_t;

/* malloc(0) may give NULL: an empty copy still needs a pointer. */
static void *coll_verve_malloc(size_t length)
{
    return malloc(length + 1);
}

/* An input: packed when not contiguous. */
static int coll_verve_in(const void *buf, size_t count,
                         struct ompi_datatype_t *datatype,
                         coll_verve_buf_t *b)
{
    b->tmp = NULL;
    if (verve_ompi_contig(buf, count, datatype, &b->ptr, &b->bytes)) {
        return OMPI_SUCCESS;
    }
    if (verve_ompi_pack_into(buf, count, datatype, coll_verve_malloc,
                             &b->tmp, &b->bytes) != OMPI_SUCCESS) {
        opal_output(0, COLL_VERVE_NAME ": no memory to pack %zu bytes",
                    b->bytes);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    b->ptr = b->tmp;
    return OMPI_SUCCESS;
}

/* An output: a copy to unpack when not contiguous. */
static int coll_verve_out(void *buf, size_t count,
                          struct ompi_datatype_t *datatype,
                          coll_verve_buf_t *b)
{
    b->tmp = NULL;
    if (verve_ompi_contig(buf, count, datatype, &b->ptr, &b->bytes)) {
        return OMPI_SUCCESS;
    }
    b->bytes = count * datatype->super.size;
    b->tmp = coll_verve_malloc(b->bytes);
    if (b->tmp == NULL) {
        opal_output(0, COLL_VERVE_NAME ": no memory for %zu bytes",
                    b->bytes);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    b->ptr = b->tmp;
    return OMPI_SUCCESS;
}

/* After the collective: an output copy goes into place when it
 * succeeded; every copy is freed. */
static int coll_verve_done(coll_verve_buf_t *b, void *buf, size_t count,
                           struct ompi_datatype_t *datatype, int rc)
{
    if (b->tmp != NULL) {
        if (buf != NULL && rc == OMPI_SUCCESS) {
            verve_ompi_unpack_from(b->tmp, b->bytes, buf, count, datatype);
        }
        free(b->tmp);
        b->tmp = NULL;
    }
    return rc;
}

static coll_verve_module_t *coll_verve_module(mca_coll_base_module_t *m)
{
    return (coll_verve_module_t *)m;
}

/* One side's bytes for verve: count bytes of UINT8. */
static void coll_verve_bytes(verve_coll_buffer_t *side, void *ptr,
                             size_t bytes)
{
    side->buffer = ptr;
    side->count = bytes;
    side->datatype = VERVE_COLL_UINT8;
}

int coll_verve_barrier(struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *m)
{
    verve_coll_args_t args = {.coll_type = VERVE_COLL_BARRIER};

    (void)comm;
    return coll_verve_run(coll_verve_module(m), COLL_VERVE_BARRIER, &args);
}

int coll_verve_bcast(void *buff, int count, struct ompi_datatype_t *datatype,
                     int root, struct ompi_communicator_t *comm,
                     mca_coll_base_module_t *m)
{
    verve_coll_args_t args = {
        .field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
        .coll_type = VERVE_COLL_BCAST,
        .root = (unsigned)root
    };
    bool is_root = ompi_comm_rank(comm) == root;
    coll_verve_buf_t b;
    int rc;

    rc = is_root ? coll_verve_in(buff, (size_t)count, datatype, &b)
                 : coll_verve_out(buff, (size_t)count, datatype, &b);
    if (rc != OMPI_SUCCESS) {
        return rc;
    }
    coll_verve_bytes(&args.dst, b.ptr, b.bytes);
    args.src = args.dst;
    rc = coll_verve_run(coll_verve_module(m), COLL_VERVE_BCAST, &args);
    return coll_verve_done(&b, is_root ? NULL : buff, (size_t)count,
                           datatype, rc);
}

/* A reduction's datatype and op in verve's terms; false: fall back. */
static bool coll_verve_reduction(struct ompi_datatype_t *dtype,
                                 struct ompi_op_t *op, int count,
                                 verve_coll_args_t *args, const char **why)
{
    verve_coll_datatype_t vtype;

    if (!coll_verve_map_datatype(dtype, &vtype)) {
        *why = "a datatype verve's reductions do not take";
        return false;
    }
    if (!coll_verve_map_op(op, vtype, &args->op)) {
        *why = "an op verve does not take for this datatype";
        return false;
    }
    args->src.datatype = args->dst.datatype = vtype;
    args->dst.count = args->src.count = (size_t)count;
    return true;
}

int coll_verve_reduce(const void *sbuf, void *rbuf, int count,
                      struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                      int root, struct ompi_communicator_t *comm,
                      mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = coll_verve_module(m);
    verve_coll_args_t args = {
        .field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
        .coll_type = VERVE_COLL_REDUCE,
        .root = (unsigned)root
    };
    const char *why;

    if (!coll_verve_reduction(dtype, op, count, &args, &why)) {
        coll_verve_fallback(COLL_VERVE_REDUCE, why);
        return module->previous.coll_reduce(sbuf, rbuf, count, dtype, op,
                                            root, comm,
                                            module->previous.coll_reduce_module);
    }
    if (sbuf == MPI_IN_PLACE) {
        if (ompi_comm_rank(comm) == root) {
            args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
            args.flags = VERVE_COLL_FLAG_IN_PLACE;
        }
        sbuf = rbuf;
    }
    args.src.buffer = (void *)((const char *)sbuf + dtype->super.true_lb);
    args.dst.buffer = (ompi_comm_rank(comm) == root)
            ? (char *)rbuf + dtype->super.true_lb : NULL;
    return coll_verve_run(module, COLL_VERVE_REDUCE, &args);
}

int coll_verve_allreduce(const void *sbuf, void *rbuf, int count,
                         struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = coll_verve_module(m);
    verve_coll_args_t args = {.coll_type = VERVE_COLL_ALLREDUCE};
    const char *why;

    if (!coll_verve_reduction(dtype, op, count, &args, &why)) {
        coll_verve_fallback(COLL_VERVE_ALLREDUCE, why);
        return module->previous.coll_allreduce(
                sbuf, rbuf, count, dtype, op, comm,
                module->previous.coll_allreduce_module);
    }
    if (sbuf == MPI_IN_PLACE) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
        args.flags = VERVE_COLL_FLAG_IN_PLACE;
        sbuf = rbuf;
    }
    args.src.buffer = (void *)((const char *)sbuf + dtype->super.true_lb);
    args.dst.buffer = (char *)rbuf + dtype->super.true_lb;
    return coll_verve_run(module, COLL_VERVE_ALLREDUCE, &args);
}

/* allgather and alltoall: every member's block is rcount elements of
 * rdtype at the receiver (the same bytes as scount of sdtype at the
 * sender). In place (allgather only), the own block is already in rbuf. */
static int coll_verve_exchange(coll_verve_kind_t kind, const void *sbuf,
                               int scount, struct ompi_datatype_t *sdtype,
                               void *rbuf, int rcount,
                               struct ompi_datatype_t *rdtype,
                               struct ompi_communicator_t *comm,
                               coll_verve_module_t *module)
{
    size_t size = (size_t)ompi_comm_size(comm);
    size_t total = size * (size_t)rcount;
    verve_coll_args_t args = {
        .coll_type = (kind == COLL_VERVE_ALLGATHER) ? VERVE_COLL_ALLGATHER
                                                    : VERVE_COLL_ALLTOALL
    };
    coll_verve_buf_t in = {NULL, NULL, 0}, out;
    int rc;

    if (sbuf == MPI_IN_PLACE) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
        args.flags = VERVE_COLL_FLAG_IN_PLACE;
        rc = coll_verve_in(rbuf, total, rdtype, &out);
    } else {
        rc = coll_verve_in(sbuf, (kind == COLL_VERVE_ALLGATHER)
                                 ? (size_t)scount : size * (size_t)scount,
                           sdtype, &in);
        if (rc == OMPI_SUCCESS) {
            rc = coll_verve_out(rbuf, total, rdtype, &out);
        }
    }
    if (rc != OMPI_SUCCESS) {
        (void)coll_verve_done(&in, NULL, 0, sdtype, rc);
        return rc;
    }
    coll_verve_bytes(&args.dst, out.ptr, out.bytes / size);
    coll_verve_bytes(&args.src, in.ptr, in.bytes);
    rc = coll_verve_run(module, kind, &args);
    (void)coll_verve_done(&in, NULL, 0, sdtype, rc);
    return coll_verve_done(&out, rbuf, total, rdtype, rc);
}

int coll_verve_allgather(const void *sbuf, int scount,
                         struct ompi_datatype_t *sdtype, void *rbuf,
                         int rcount, struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *m)
{
    return coll_verve_exchange(COLL_VERVE_ALLGATHER, sbuf, scount, sdtype,
                               rbuf, rcount, rdtype, comm,
                               coll_verve_module(m));
}

int coll_verve_alltoall(const void *sbuf, int scount,
                        struct ompi_datatype_t *sdtype, void *rbuf,
                        int rcount, struct ompi_datatype_t *rdtype,
                        struct ompi_communicator_t *comm,
                        mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = coll_verve_module(m);

    /* MPI makes every rank pass MPI_IN_PLACE alike */
    if (sbuf == MPI_IN_PLACE) {
        coll_verve_fallback(COLL_VERVE_ALLTOALL, "MPI_IN_PLACE");
        return module->previous.coll_alltoall(
                sbuf, scount, sdtype, rbuf, rcount, rdtype, comm,
                module->previous.coll_alltoall_module);
    }
    return coll_verve_exchange(COLL_VERVE_ALLTOALL, sbuf, scount, sdtype,
                               rbuf, rcount, rdtype, comm, module);
}

int coll_verve_gather(const void *sbuf, int scount,
                      struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                      struct ompi_datatype_t *rdtype, int root,
                      struct ompi_communicator_t *comm,
                      mca_coll_base_module_t *m)
{
    size_t size = (size_t)ompi_comm_size(comm);
    bool is_root = ompi_comm_rank(comm) == root;
    verve_coll_args_t args = {
        .field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
        .coll_type = VERVE_COLL_GATHER,
        .root = (unsigned)root
    };
    coll_verve_buf_t in = {NULL, NULL, 0}, out = {NULL, NULL, 0};
    size_t block;
    int rc = OMPI_SUCCESS;

    if (is_root && sbuf == MPI_IN_PLACE) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
        args.flags = VERVE_COLL_FLAG_IN_PLACE;
        rc = coll_verve_in(rbuf, size * (size_t)rcount, rdtype, &out);
        block = out.bytes / size;
    } else {
        rc = coll_verve_in(sbuf, (size_t)scount, sdtype, &in);
        block = in.bytes;
        if (rc == OMPI_SUCCESS && is_root) {
            rc = coll_verve_out(rbuf, size * (size_t)rcount, rdtype, &out);
        }
    }
    if (rc != OMPI_SUCCESS) {
        (void)coll_verve_done(&in, NULL, 0, sdtype, rc);
        return rc;
    }
    coll_verve_bytes(&args.src, in.ptr, block);
    coll_verve_bytes(&args.dst, out.ptr, block);
    rc = coll_verve_run(coll_verve_module(m), COLL_VERVE_GATHER, &args);
    (void)coll_verve_done(&in, NULL, 0, sdtype, rc);
    return coll_verve_done(&out, is_root ? rbuf : NULL,
                           size * (size_t)rcount, rdtype, rc);
}

int coll_verve_scatter(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *m)
{
    size_t size = (size_t)ompi_comm_size(comm);
    bool is_root = ompi_comm_rank(comm) == root;
    verve_coll_args_t args = {
        .field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
        .coll_type = VERVE_COLL_SCATTER,
        .root = (unsigned)root
    };
    coll_verve_buf_t in = {NULL, NULL, 0}, out = {NULL, NULL, 0};
    size_t block;
    int rc = OMPI_SUCCESS;

    if (is_root) {
        rc = coll_verve_in(sbuf, size * (size_t)scount, sdtype, &in);
        block = in.bytes / size;
        if (rbuf == MPI_IN_PLACE) {
            args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
            args.flags = VERVE_COLL_FLAG_IN_PLACE;
        } else if (rc == OMPI_SUCCESS) {
            rc = coll_verve_out(rbuf, (size_t)rcount, rdtype, &out);
        }
    } else {
        rc = coll_verve_out(rbuf, (size_t)rcount, rdtype, &out);
        block = out.bytes;
    }
    if (rc != OMPI_SUCCESS) {
        (void)coll_verve_done(&in, NULL, 0, sdtype, rc);
        return rc;
    }
    coll_verve_bytes(&args.src, in.ptr, block);
    coll_verve_bytes(&args.dst, out.ptr, block);
    rc = coll_verve_run(coll_verve_module(m), COLL_VERVE_SCATTER, &args);
    (void)coll_verve_done(&in, NULL, 0, sdtype, rc);
    return coll_verve_done(&out, (rbuf == MPI_IN_PLACE) ? NULL : rbuf,
                           (size_t)rcount, rdtype, rc);
}
