/*
 * coll verve: the collectives with a count and a displacement per member
 * (allgatherv, gatherv, scatterv, alltoallv) and reduce_scatter. verve
 * takes them in bytes: a dense datatype (contiguous, extent equal to its
 * size) in place, any other through a packed copy whose blocks lie one
 * after the other, unpacked block by block to their displacements.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "coll_verve.h"
#include "verve_ompi_datatype.h"

/* One side of a v collective in verve's terms (bytes). */
typedef struct coll_verve_vbuf {
    void *ptr;
    void *tmp;          /* the packed copy, or NULL */
    size_t *counts;     /* n counts, then n displacements */
    size_t *displs;
} coll_verve_vbuf_t;

static bool coll_verve_dense(struct ompi_datatype_t *datatype)
{
    return ompi_datatype_is_contiguous_memory_layout(datatype, 2);
}

/* The block of member i of a layout at buf. */
static char *coll_verve_block(void *buf, const int *displs, int i,
                              struct ompi_datatype_t *datatype)
{
    ptrdiff_t lb, extent;

    (void)ompi_datatype_get_extent(datatype, &lb, &extent);
    return (char *)buf + (ptrdiff_t)displs[i] * extent;
}

/* Sets v up for the n blocks counts/displs of datatype at buf; pack: the
 * blocks are an input (or in place), copied into a packed layout. */
static int coll_verve_vprepare(void *buf, const int *counts,
                               const int *displs,
                               struct ompi_datatype_t *datatype, int n,
                               bool pack, coll_verve_vbuf_t *v)
{
    size_t size = datatype->super.size, offset = 0;
    int i;

    v->tmp = NULL;
    v->counts = malloc(2 * (size_t)n * sizeof(size_t) + 1);
    if (v->counts == NULL) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    v->displs = v->counts + n;
    if (coll_verve_dense(datatype)) {
        for (i = 0; i < n; ++i) {
            v->counts[i] = (size_t)counts[i] * size;
            v->displs[i] = (size_t)displs[i] * size;
        }
        v->ptr = (char *)buf + datatype->super.true_lb;
        return OMPI_SUCCESS;
    }
    for (i = 0; i < n; ++i) {
        v->counts[i] = (size_t)counts[i] * size;
        v->displs[i] = offset;
        offset += v->counts[i];
    }
    v->tmp = malloc(offset + 1);
    if (v->tmp == NULL) {
        free(v->counts);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    v->ptr = v->tmp;
    for (i = 0; pack && i < n; ++i) {
        verve_ompi_pack_at(coll_verve_block(buf, displs, i, datatype),
                           (size_t)counts[i], datatype,
                           (char *)v->tmp + v->displs[i]);
    }
    return OMPI_SUCCESS;
}

/* Frees v; unpack (on success): its blocks go to their places at buf. */
static int coll_verve_vfinish(coll_verve_vbuf_t *v, void *buf,
                              const int *counts, const int *displs,
                              struct ompi_datatype_t *datatype, int n,
                              bool unpack, int rc)
{
    int i;

    if (v->tmp != NULL) {
        for (i = 0; unpack && rc == OMPI_SUCCESS && i < n; ++i) {
            verve_ompi_unpack_from((char *)v->tmp + v->displs[i],
                                   v->counts[i], coll_verve_block(
                                           buf, displs, i, datatype),
                                   (size_t)counts[i], datatype);
        }
        free(v->tmp);
    }
    free(v->counts);
    return rc;
}

static void coll_verve_vside(verve_coll_buffer_t *side,
                             const coll_verve_vbuf_t *v)
{
    side->buffer = v->ptr;
    side->counts = v->counts;
    side->displs = v->displs;
    side->datatype = VERVE_COLL_UINT8;
}

int coll_verve_allgatherv(const void *sbuf, int scount,
                          struct ompi_datatype_t *sdtype, void *rbuf,
                          const int *rcounts, const int *displs,
                          struct ompi_datatype_t *rdtype,
                          struct ompi_communicator_t *comm,
                          mca_coll_base_module_t *m)
{
    int size = ompi_comm_size(comm), rank = ompi_comm_rank(comm), rc;
    bool in_place = sbuf == MPI_IN_PLACE;
    verve_coll_args_t args = {.coll_type = VERVE_COLL_ALLGATHERV};
    coll_verve_buf_t in = {NULL, NULL, 0};
    coll_verve_vbuf_t out;

    rc = coll_verve_vprepare(rbuf, rcounts, displs, rdtype, size, in_place,
                             &out);
    if (rc != OMPI_SUCCESS) {
        return rc;
    }
    if (in_place) {
        args.field_mask = VERVE_COLL_ARGS_FIELD_FLAGS;
        args.flags = VERVE_COLL_FLAG_IN_PLACE;
        in.ptr = (char *)out.ptr + out.displs[rank];
        in.bytes = out.counts[rank];
    } else {
        rc = coll_verve_in(sbuf, (size_t)scount, sdtype, &in);
    }
    if (rc == OMPI_SUCCESS) {
        coll_verve_vside(&args.dst, &out);
        args.src.buffer = in.ptr;
        args.src.count = in.bytes;
        args.src.datatype = VERVE_COLL_UINT8;
        rc = coll_verve_run((coll_verve_module_t *)m, COLL_VERVE_ALLGATHERV,
                            &args);
    }
    free(in.tmp);
    return coll_verve_vfinish(&out, rbuf, rcounts, displs, rdtype, size,
                              true, rc);
}

int coll_verve_gatherv(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf,
                       const int *rcounts, const int *displs,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *m)
{
    int size = ompi_comm_size(comm), rank = ompi_comm_rank(comm), rc;
    bool is_root = rank == root, in_place = is_root && sbuf == MPI_IN_PLACE;
    verve_coll_args_t args = {
        .field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
        .coll_type = VERVE_COLL_GATHERV,
        .root = (unsigned)root
    };
    coll_verve_vbuf_t out = {NULL, NULL, NULL, NULL};
    coll_verve_buf_t in = {NULL, NULL, 0};

    if (is_root) {
        rc = coll_verve_vprepare(rbuf, rcounts, displs, rdtype, size,
                                 in_place, &out);
        if (rc != OMPI_SUCCESS) {
            return rc;
        }
        coll_verve_vside(&args.dst, &out);
    }
    if (in_place) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
        args.flags = VERVE_COLL_FLAG_IN_PLACE;
        in.ptr = (char *)out.ptr + out.displs[rank];
        in.bytes = out.counts[rank];
        rc = OMPI_SUCCESS;
    } else {
        rc = coll_verve_in(sbuf, (size_t)scount, sdtype, &in);
    }
    if (rc == OMPI_SUCCESS) {
        args.src.buffer = in.ptr;
        args.src.count = in.bytes;
        args.src.datatype = args.dst.datatype = VERVE_COLL_UINT8;
        rc = coll_verve_run((coll_verve_module_t *)m, COLL_VERVE_GATHERV,
                            &args);
    }
    free(in.tmp);
    if (!is_root) {
        return rc;
    }
    return coll_verve_vfinish(&out, rbuf, rcounts, displs, rdtype, size,
                              true, rc);
}

int coll_verve_scatterv(const void *sbuf, const int *scounts,
                        const int *displs, struct ompi_datatype_t *sdtype,
                        void *rbuf, int rcount,
                        struct ompi_datatype_t *rdtype, int root,
                        struct ompi_communicator_t *comm,
                        mca_coll_base_module_t *m)
{
    int size = ompi_comm_size(comm), rank = ompi_comm_rank(comm), rc;
    bool is_root = rank == root, in_place = is_root && rbuf == MPI_IN_PLACE;
    verve_coll_args_t args = {
        .field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
        .coll_type = VERVE_COLL_SCATTERV,
        .root = (unsigned)root
    };
    coll_verve_vbuf_t in = {NULL, NULL, NULL, NULL};
    coll_verve_buf_t out = {NULL, NULL, 0};

    if (is_root) {
        rc = coll_verve_vprepare((void *)sbuf, scounts, displs, sdtype, size,
                                 true, &in);
        if (rc != OMPI_SUCCESS) {
            return rc;
        }
        coll_verve_vside(&args.src, &in);
    }
    if (in_place) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
        args.flags = VERVE_COLL_FLAG_IN_PLACE;
        out.bytes = in.counts[rank];
        rc = OMPI_SUCCESS;
    } else {
        rc = coll_verve_out(rbuf, (size_t)rcount, rdtype, &out);
    }
    if (rc == OMPI_SUCCESS) {
        args.dst.buffer = out.ptr;
        args.dst.count = out.bytes;
        args.src.datatype = args.dst.datatype = VERVE_COLL_UINT8;
        rc = coll_verve_run((coll_verve_module_t *)m, COLL_VERVE_SCATTERV,
                            &args);
    }
    if (out.tmp != NULL) {
        if (rc == OMPI_SUCCESS) {
            verve_ompi_unpack_from(out.tmp, out.bytes, rbuf, (size_t)rcount,
                                   rdtype);
        }
        free(out.tmp);
    }
    if (!is_root) {
        return rc;
    }
    return coll_verve_vfinish(&in, NULL, scounts, displs, sdtype, size,
                              false, rc);
}

int coll_verve_alltoallv(const void *sbuf, const int *scounts,
                         const int *sdispls, struct ompi_datatype_t *sdtype,
                         void *rbuf, const int *rcounts, const int *rdispls,
                         struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = (coll_verve_module_t *)m;
    int size = ompi_comm_size(comm), rc;
    verve_coll_args_t args = {.coll_type = VERVE_COLL_ALLTOALLV};
    coll_verve_vbuf_t in, out;

    /* MPI makes every rank pass MPI_IN_PLACE alike */
    if (sbuf == MPI_IN_PLACE) {
        coll_verve_fallback(COLL_VERVE_ALLTOALLV, "MPI_IN_PLACE");
        return module->previous.coll_alltoallv(
                sbuf, scounts, sdispls, sdtype, rbuf, rcounts, rdispls,
                rdtype, comm, module->previous.coll_alltoallv_module);
    }
    rc = coll_verve_vprepare((void *)sbuf, scounts, sdispls, sdtype, size,
                             true, &in);
    if (rc != OMPI_SUCCESS) {
        return rc;
    }
    rc = coll_verve_vprepare(rbuf, rcounts, rdispls, rdtype, size, false,
                             &out);
    if (rc == OMPI_SUCCESS) {
        coll_verve_vside(&args.src, &in);
        coll_verve_vside(&args.dst, &out);
        rc = coll_verve_run(module, COLL_VERVE_ALLTOALLV, &args);
        rc = coll_verve_vfinish(&out, rbuf, rcounts, rdispls, rdtype, size,
                                true, rc);
    }
    return coll_verve_vfinish(&in, NULL, scounts, sdispls, sdtype, size,
                              false, rc);
}

int coll_verve_reduce_scatter_block(const void *sbuf, void *rbuf,
                                    int rcount,
                                    struct ompi_datatype_t *dtype,
                                    struct ompi_op_t *op,
                                    struct ompi_communicator_t *comm,
                                    mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = (coll_verve_module_t *)m;
    verve_coll_args_t args = {.coll_type = VERVE_COLL_REDUCE_SCATTER};
    verve_coll_datatype_t vtype;
    const char *why = NULL;

    if (sbuf == MPI_IN_PLACE) {
        why = "MPI_IN_PLACE";
    } else if (!coll_verve_map_datatype(dtype, &vtype)) {
        why = "a datatype verve's reductions do not take";
    } else if (!coll_verve_map_op(op, vtype, &args.op)) {
        why = "an op verve does not take for this datatype";
    }
    if (why != NULL) {
        coll_verve_fallback(COLL_VERVE_REDUCE_SCATTER_BLOCK, why);
        return module->previous.coll_reduce_scatter_block(
                sbuf, rbuf, rcount, dtype, op, comm,
                module->previous.coll_reduce_scatter_block_module);
    }
    args.src.buffer = (char *)sbuf + dtype->super.true_lb;
    args.src.count = (size_t)rcount * (size_t)ompi_comm_size(comm);
    args.dst.buffer = (char *)rbuf + dtype->super.true_lb;
    args.dst.count = (size_t)rcount;
    args.src.datatype = args.dst.datatype = vtype;
    return coll_verve_run(module, COLL_VERVE_REDUCE_SCATTER_BLOCK, &args);
}

/* verve's reduce_scatter gives every member the same count: other
 * counts (the same on every rank, as MPI requires) go to the next
 * component. */
int coll_verve_reduce_scatter(const void *sbuf, void *rbuf,
                              const int *rcounts,
                              struct ompi_datatype_t *dtype,
                              struct ompi_op_t *op,
                              struct ompi_communicator_t *comm,
                              mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = (coll_verve_module_t *)m;
    int size = ompi_comm_size(comm), i;

    for (i = 1; i < size; ++i) {
        if (rcounts[i] != rcounts[0]) {
            coll_verve_fallback(COLL_VERVE_REDUCE_SCATTER,
                                "counts that differ between members");
            return module->previous.coll_reduce_scatter(
                    sbuf, rbuf, rcounts, dtype, op, comm,
                    module->previous.coll_reduce_scatter_module);
        }
    }
    return coll_verve_reduce_scatter_block(sbuf, rbuf, rcounts[0], dtype,
                                           op, comm, m);
}
