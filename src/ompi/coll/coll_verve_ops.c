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

/* malloc(0) may give NULL: an empty copy still needs a pointer. */
static void *coll_verve_malloc(size_t length)
{
    return malloc(length + 1);
}

int coll_verve_in(const void *buf, size_t count,
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

int coll_verve_out(void *buf, size_t count,
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

/* A call with nothing to copy. */
static void coll_verve_call_init(coll_verve_call_t *call,
                                 verve_coll_type_t type)
{
    memset(call, 0, sizeof(*call));
    call->args.coll_type = type;
}

static void coll_verve_call_root(coll_verve_call_t *call, int root)
{
    call->args.field_mask |= VERVE_COLL_ARGS_FIELD_ROOT;
    call->args.root = (unsigned)root;
}

static void coll_verve_call_in_place(coll_verve_call_t *call)
{
    call->args.field_mask |= VERVE_COLL_ARGS_FIELD_FLAGS;
    call->args.flags = VERVE_COLL_FLAG_IN_PLACE;
}

/* Output copy of count elements of datatype to unpack into buf. */
static void coll_verve_call_unpack_to(coll_verve_call_t *call, void *buf,
                                      size_t count,
                                      struct ompi_datatype_t *datatype)
{
    call->out_buf = buf;
    call->out_count = count;
    call->out_datatype = datatype;
}

static int coll_verve_barrier_x(struct ompi_communicator_t *comm,
                                coll_verve_kind_t kind,
                                ompi_request_t **request,
                                mca_coll_base_module_t *m)
{
    coll_verve_call_t call;

    (void)comm;
    coll_verve_call_init(&call, VERVE_COLL_BARRIER);
    return coll_verve_issue(coll_verve_module(m), kind, &call, request);
}

static int coll_verve_bcast_x(void *buff, int count,
                              struct ompi_datatype_t *datatype, int root,
                              struct ompi_communicator_t *comm,
                              coll_verve_kind_t kind,
                              ompi_request_t **request,
                              mca_coll_base_module_t *m)
{
    bool is_root = ompi_comm_rank(comm) == root;
    coll_verve_call_t call;
    int rc;

    coll_verve_call_init(&call, VERVE_COLL_BCAST);
    coll_verve_call_root(&call, root);
    if (is_root) {
        rc = coll_verve_in(buff, (size_t)count, datatype, &call.out);
    } else {
        rc = coll_verve_out(buff, (size_t)count, datatype, &call.out);
        coll_verve_call_unpack_to(&call, buff, (size_t)count, datatype);
    }
    if (rc != OMPI_SUCCESS) {
        return rc;
    }
    coll_verve_bytes(&call.args.dst, call.out.ptr, call.out.bytes);
    call.args.src = call.args.dst;
    return coll_verve_issue(coll_verve_module(m), kind, &call, request);
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

/* reduce (root >= 0) and allreduce (root < 0); false: fall back. */
static bool coll_verve_reduce_call(coll_verve_call_t *call,
                                   const void *sbuf, void *rbuf, int count,
                                   struct ompi_datatype_t *dtype,
                                   struct ompi_op_t *op, int root,
                                   struct ompi_communicator_t *comm,
                                   const char **why)
{
    bool gets = root < 0 || ompi_comm_rank(comm) == root;

    coll_verve_call_init(call, (root < 0) ? VERVE_COLL_ALLREDUCE
                                          : VERVE_COLL_REDUCE);
    if (root >= 0) {
        coll_verve_call_root(call, root);
    }
    if (!coll_verve_reduction(dtype, op, count, &call->args, why)) {
        return false;
    }
    if (sbuf == MPI_IN_PLACE) {
        if (gets) {
            coll_verve_call_in_place(call);
        }
        sbuf = rbuf;
    }
    call->args.src.buffer = (void *)((const char *)sbuf +
                                     dtype->super.true_lb);
    call->args.dst.buffer = gets ? (char *)rbuf + dtype->super.true_lb
                                 : NULL;
    return true;
}

/* allgather and alltoall: every member's block is rcount elements of
 * rdtype at the receiver (the same bytes as scount of sdtype at the
 * sender). In place (allgather only), the own block is already in rbuf. */
static int coll_verve_exchange_call(coll_verve_call_t *call,
                                    coll_verve_kind_t kind,
                                    const void *sbuf, int scount,
                                    struct ompi_datatype_t *sdtype,
                                    void *rbuf, int rcount,
                                    struct ompi_datatype_t *rdtype,
                                    struct ompi_communicator_t *comm)
{
    size_t size = (size_t)ompi_comm_size(comm);
    size_t total = size * (size_t)rcount;
    int rc;

    coll_verve_call_init(call, (kind == COLL_VERVE_ALLGATHER ||
                                kind == COLL_VERVE_IALLGATHER)
                               ? VERVE_COLL_ALLGATHER : VERVE_COLL_ALLTOALL);
    if (sbuf == MPI_IN_PLACE) {
        coll_verve_call_in_place(call);
        rc = coll_verve_in(rbuf, total, rdtype, &call->out);
    } else {
        rc = coll_verve_in(sbuf, (call->args.coll_type ==
                                  VERVE_COLL_ALLGATHER)
                                 ? (size_t)scount : size * (size_t)scount,
                           sdtype, &call->in);
        if (rc == OMPI_SUCCESS) {
            rc = coll_verve_out(rbuf, total, rdtype, &call->out);
        }
    }
    if (rc != OMPI_SUCCESS) {
        return coll_verve_call_end(call, rc);
    }
    coll_verve_call_unpack_to(call, rbuf, total, rdtype);
    coll_verve_bytes(&call->args.dst, call->out.ptr, call->out.bytes / size);
    coll_verve_bytes(&call->args.src, call->in.ptr, call->in.bytes);
    return OMPI_SUCCESS;
}

static int coll_verve_gather_call(coll_verve_call_t *call, const void *sbuf,
                                  int scount, struct ompi_datatype_t *sdtype,
                                  void *rbuf, int rcount,
                                  struct ompi_datatype_t *rdtype, int root,
                                  struct ompi_communicator_t *comm)
{
    size_t size = (size_t)ompi_comm_size(comm), block;
    bool is_root = ompi_comm_rank(comm) == root;
    int rc;

    coll_verve_call_init(call, VERVE_COLL_GATHER);
    coll_verve_call_root(call, root);
    if (is_root && sbuf == MPI_IN_PLACE) {
        coll_verve_call_in_place(call);
        rc = coll_verve_in(rbuf, size * (size_t)rcount, rdtype, &call->out);
        block = call->out.bytes / size;
    } else {
        rc = coll_verve_in(sbuf, (size_t)scount, sdtype, &call->in);
        block = call->in.bytes;
        if (rc == OMPI_SUCCESS && is_root) {
            rc = coll_verve_out(rbuf, size * (size_t)rcount, rdtype,
                                &call->out);
        }
    }
    if (rc != OMPI_SUCCESS) {
        return coll_verve_call_end(call, rc);
    }
    if (is_root) {
        coll_verve_call_unpack_to(call, rbuf, size * (size_t)rcount, rdtype);
    }
    coll_verve_bytes(&call->args.src, call->in.ptr, block);
    coll_verve_bytes(&call->args.dst, call->out.ptr, block);
    return OMPI_SUCCESS;
}

static int coll_verve_scatter_call(coll_verve_call_t *call, const void *sbuf,
                                   int scount,
                                   struct ompi_datatype_t *sdtype,
                                   void *rbuf, int rcount,
                                   struct ompi_datatype_t *rdtype, int root,
                                   struct ompi_communicator_t *comm)
{
    size_t size = (size_t)ompi_comm_size(comm), block;
    bool is_root = ompi_comm_rank(comm) == root;
    int rc;

    coll_verve_call_init(call, VERVE_COLL_SCATTER);
    coll_verve_call_root(call, root);
    if (is_root) {
        rc = coll_verve_in(sbuf, size * (size_t)scount, sdtype, &call->in);
        block = call->in.bytes / size;
        if (rbuf == MPI_IN_PLACE) {
            coll_verve_call_in_place(call);
        } else if (rc == OMPI_SUCCESS) {
            rc = coll_verve_out(rbuf, (size_t)rcount, rdtype, &call->out);
        }
    } else {
        rc = coll_verve_out(rbuf, (size_t)rcount, rdtype, &call->out);
        block = call->out.bytes;
    }
    if (rc != OMPI_SUCCESS) {
        return coll_verve_call_end(call, rc);
    }
    if (rbuf != MPI_IN_PLACE) {
        coll_verve_call_unpack_to(call, rbuf, (size_t)rcount, rdtype);
    }
    coll_verve_bytes(&call->args.src, call->in.ptr, block);
    coll_verve_bytes(&call->args.dst, call->out.ptr, block);
    return OMPI_SUCCESS;
}

/* Each collective once, for its blocking form (request NULL) and its
 * nonblocking one; kind says which, for the counts and the fallback. */

static int coll_verve_reduce_x(const void *sbuf, void *rbuf, int count,
                               struct ompi_datatype_t *dtype,
                               struct ompi_op_t *op, int root,
                               struct ompi_communicator_t *comm,
                               ompi_request_t **request,
                               mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = coll_verve_module(m);
    coll_verve_kind_t kind = request ? COLL_VERVE_IREDUCE : COLL_VERVE_REDUCE;
    coll_verve_call_t call;
    const char *why;

    if (coll_verve_reduce_call(&call, sbuf, rbuf, count, dtype, op, root,
                               comm, &why)) {
        return coll_verve_issue(module, kind, &call, request);
    }
    coll_verve_fallback(kind, why);
    return (request == NULL)
            ? module->previous.coll_reduce(sbuf, rbuf, count, dtype, op,
                                           root, comm,
                                           module->previous.coll_reduce_module)
            : module->previous.coll_ireduce(
                      sbuf, rbuf, count, dtype, op, root, comm, request,
                      module->previous.coll_ireduce_module);
}

static int coll_verve_allreduce_x(const void *sbuf, void *rbuf, int count,
                                  struct ompi_datatype_t *dtype,
                                  struct ompi_op_t *op,
                                  struct ompi_communicator_t *comm,
                                  ompi_request_t **request,
                                  mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = coll_verve_module(m);
    coll_verve_kind_t kind = request ? COLL_VERVE_IALLREDUCE
                                     : COLL_VERVE_ALLREDUCE;
    coll_verve_call_t call;
    const char *why;

    if (coll_verve_reduce_call(&call, sbuf, rbuf, count, dtype, op, -1, comm,
                               &why)) {
        return coll_verve_issue(module, kind, &call, request);
    }
    coll_verve_fallback(kind, why);
    return (request == NULL)
            ? module->previous.coll_allreduce(
                      sbuf, rbuf, count, dtype, op, comm,
                      module->previous.coll_allreduce_module)
            : module->previous.coll_iallreduce(
                      sbuf, rbuf, count, dtype, op, comm, request,
                      module->previous.coll_iallreduce_module);
}

static int coll_verve_allgather_x(const void *sbuf, int scount,
                                  struct ompi_datatype_t *sdtype, void *rbuf,
                                  int rcount, struct ompi_datatype_t *rdtype,
                                  struct ompi_communicator_t *comm,
                                  ompi_request_t **request,
                                  mca_coll_base_module_t *m)
{
    coll_verve_kind_t kind = request ? COLL_VERVE_IALLGATHER
                                     : COLL_VERVE_ALLGATHER;
    coll_verve_call_t call;
    int rc;

    rc = coll_verve_exchange_call(&call, kind, sbuf, scount, sdtype, rbuf,
                                  rcount, rdtype, comm);
    return (rc != OMPI_SUCCESS) ? rc
            : coll_verve_issue(coll_verve_module(m), kind, &call, request);
}

/* MPI makes every rank pass MPI_IN_PLACE alike: verve's alltoall has no
 * in-place form, the next component does it. */
static int coll_verve_alltoall_x(const void *sbuf, int scount,
                                 struct ompi_datatype_t *sdtype, void *rbuf,
                                 int rcount, struct ompi_datatype_t *rdtype,
                                 struct ompi_communicator_t *comm,
                                 ompi_request_t **request,
                                 mca_coll_base_module_t *m)
{
    coll_verve_module_t *module = coll_verve_module(m);
    coll_verve_kind_t kind = request ? COLL_VERVE_IALLTOALL
                                     : COLL_VERVE_ALLTOALL;
    coll_verve_call_t call;
    int rc;

    if (sbuf == MPI_IN_PLACE) {
        coll_verve_fallback(kind, "MPI_IN_PLACE");
        return (request == NULL)
                ? module->previous.coll_alltoall(
                          sbuf, scount, sdtype, rbuf, rcount, rdtype, comm,
                          module->previous.coll_alltoall_module)
                : module->previous.coll_ialltoall(
                          sbuf, scount, sdtype, rbuf, rcount, rdtype, comm,
                          request, module->previous.coll_ialltoall_module);
    }
    rc = coll_verve_exchange_call(&call, kind, sbuf, scount, sdtype, rbuf,
                                  rcount, rdtype, comm);
    return (rc != OMPI_SUCCESS) ? rc
            : coll_verve_issue(module, kind, &call, request);
}

static int coll_verve_gather_x(const void *sbuf, int scount,
                               struct ompi_datatype_t *sdtype, void *rbuf,
                               int rcount, struct ompi_datatype_t *rdtype,
                               int root, struct ompi_communicator_t *comm,
                               ompi_request_t **request,
                               mca_coll_base_module_t *m)
{
    coll_verve_call_t call;
    int rc;

    rc = coll_verve_gather_call(&call, sbuf, scount, sdtype, rbuf, rcount,
                                rdtype, root, comm);
    return (rc != OMPI_SUCCESS) ? rc
            : coll_verve_issue(coll_verve_module(m),
                               request ? COLL_VERVE_IGATHER
                                       : COLL_VERVE_GATHER,
                               &call, request);
}

static int coll_verve_scatter_x(const void *sbuf, int scount,
                                struct ompi_datatype_t *sdtype, void *rbuf,
                                int rcount, struct ompi_datatype_t *rdtype,
                                int root, struct ompi_communicator_t *comm,
                                ompi_request_t **request,
                                mca_coll_base_module_t *m)
{
    coll_verve_call_t call;
    int rc;

    rc = coll_verve_scatter_call(&call, sbuf, scount, sdtype, rbuf, rcount,
                                 rdtype, root, comm);
    return (rc != OMPI_SUCCESS) ? rc
            : coll_verve_issue(coll_verve_module(m),
                               request ? COLL_VERVE_ISCATTER
                                       : COLL_VERVE_SCATTER,
                               &call, request);
}

/* ---- the module's entries ---------------------------------------------- */

int coll_verve_barrier(struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *m)
{
    return coll_verve_barrier_x(comm, COLL_VERVE_BARRIER, NULL, m);
}

int coll_verve_ibarrier(struct ompi_communicator_t *comm,
                        ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_barrier_x(comm, COLL_VERVE_IBARRIER, request, m);
}

int coll_verve_bcast(void *buff, int count, struct ompi_datatype_t *datatype,
                     int root, struct ompi_communicator_t *comm,
                     mca_coll_base_module_t *m)
{
    return coll_verve_bcast_x(buff, count, datatype, root, comm,
                              COLL_VERVE_BCAST, NULL, m);
}

int coll_verve_ibcast(void *buff, int count, struct ompi_datatype_t *datatype,
                      int root, struct ompi_communicator_t *comm,
                      ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_bcast_x(buff, count, datatype, root, comm,
                              COLL_VERVE_IBCAST, request, m);
}

int coll_verve_reduce(const void *sbuf, void *rbuf, int count,
                      struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                      int root, struct ompi_communicator_t *comm,
                      mca_coll_base_module_t *m)
{
    return coll_verve_reduce_x(sbuf, rbuf, count, dtype, op, root, comm,
                               NULL, m);
}

int coll_verve_ireduce(const void *sbuf, void *rbuf, int count,
                       struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                       int root, struct ompi_communicator_t *comm,
                       ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_reduce_x(sbuf, rbuf, count, dtype, op, root, comm,
                               request, m);
}

int coll_verve_allreduce(const void *sbuf, void *rbuf, int count,
                         struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *m)
{
    return coll_verve_allreduce_x(sbuf, rbuf, count, dtype, op, comm, NULL,
                                  m);
}

int coll_verve_iallreduce(const void *sbuf, void *rbuf, int count,
                          struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                          struct ompi_communicator_t *comm,
                          ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_allreduce_x(sbuf, rbuf, count, dtype, op, comm,
                                  request, m);
}

int coll_verve_allgather(const void *sbuf, int scount,
                         struct ompi_datatype_t *sdtype, void *rbuf,
                         int rcount, struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *m)
{
    return coll_verve_allgather_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                                  comm, NULL, m);
}

int coll_verve_iallgather(const void *sbuf, int scount,
                          struct ompi_datatype_t *sdtype, void *rbuf,
                          int rcount, struct ompi_datatype_t *rdtype,
                          struct ompi_communicator_t *comm,
                          ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_allgather_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                                  comm, request, m);
}

int coll_verve_alltoall(const void *sbuf, int scount,
                        struct ompi_datatype_t *sdtype, void *rbuf,
                        int rcount, struct ompi_datatype_t *rdtype,
                        struct ompi_communicator_t *comm,
                        mca_coll_base_module_t *m)
{
    return coll_verve_alltoall_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                                 comm, NULL, m);
}

int coll_verve_ialltoall(const void *sbuf, int scount,
                         struct ompi_datatype_t *sdtype, void *rbuf,
                         int rcount, struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_alltoall_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                                 comm, request, m);
}

int coll_verve_gather(const void *sbuf, int scount,
                      struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                      struct ompi_datatype_t *rdtype, int root,
                      struct ompi_communicator_t *comm,
                      mca_coll_base_module_t *m)
{
    return coll_verve_gather_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                               root, comm, NULL, m);
}

int coll_verve_igather(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_gather_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                               root, comm, request, m);
}

int coll_verve_scatter(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *m)
{
    return coll_verve_scatter_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                                root, comm, NULL, m);
}

int coll_verve_iscatter(const void *sbuf, int scount,
                        struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                        struct ompi_datatype_t *rdtype, int root,
                        struct ompi_communicator_t *comm,
                        ompi_request_t **request, mca_coll_base_module_t *m)
{
    return coll_verve_scatter_x(sbuf, scount, sdtype, rbuf, rcount, rdtype,
                                root, comm, request, m);
}
