/*
 * pml verve: sends. MPI_Send waits on its stack; MPI_Isend takes a
 * request, and gives it straight back when verve completed the send in
 * place (most eager sends), returning the shared completed request.
 * MPI_Ssend is verve_tag_send_sync_nbx; MPI_Bsend copies into the buffer
 * MPI_Buffer_attach gave and completes at once.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/datatype/ompi_datatype.h"
#include "ompi/mca/pml/base/pml_base_bsend.h"
#include "opal/sys/atomic.h"
#include "opal/util/output.h"

#include "pml_verve.h"

typedef struct pml_verve_send_wait {
    volatile int done;
    verve_status_t status;
} pml_verve_send_wait_t;

static void pml_verve_send_wait_cb(verve_request_h vreq,
                                   verve_status_t status, void *user_data)
{
    pml_verve_send_wait_t *wait = user_data;

    (void)vreq;  /* freed by its sender */
    wait->status = status;
    opal_atomic_wmb();
    wait->done = 1;
}

static void pml_verve_send_copy_free(pml_verve_request_t *req)
{
    free(req->packed);
    req->packed = NULL;
}

/* VERVE_ERR_NO_RESOURCE is MPI_Bsend's: the attached buffer is full. */
static int pml_verve_send_error(verve_status_t status)
{
    return (status == VERVE_ERR_NO_RESOURCE) ? MPI_ERR_BUFFER
                                             : verve_ompi_error(status);
}

/* A send's status says who sent what, as ob1's does: osc pt2pt's
 * callbacks read the tag of their sends (its low bit names a passive
 * target epoch). */
static void pml_verve_send_finish(pml_verve_request_t *req,
                                  verve_status_t status)
{
    ompi_status_public_t *mpi_status = &req->ompi.req_status;

    pml_verve_send_copy_free(req);
    mpi_status->MPI_SOURCE = req->source;
    mpi_status->MPI_TAG = req->tag;
    mpi_status->_ucount = req->length;
    mpi_status->MPI_ERROR = pml_verve_send_error(status);
    pml_verve_request_done(req);
}

static void pml_verve_send_cb(verve_request_h vreq, verve_status_t status,
                              void *user_data)
{
    (void)vreq;  /* freed by its sender */
    pml_verve_send_finish(user_data, status);
}

static verve_status_t pml_verve_send_post(pml_verve_endpoint_t *endpoint,
                                          const void *buffer, size_t length,
                                          verve_tag_t vtag,
                                          mca_pml_base_send_mode_t mode,
                                          const verve_request_param_t *param,
                                          verve_request_h *vreq)
{
    if (OPAL_UNLIKELY(endpoint->failed != VERVE_OK)) {
        return (verve_status_t)endpoint->failed;
    }
    if (mode == MCA_PML_BASE_SEND_SYNCHRONOUS) {
        return verve_tag_send_sync_nbx(endpoint->ep, buffer, length, vtag,
                                       param, vreq);
    }
    return verve_tag_send_nbx(endpoint->ep, buffer, length, vtag, param,
                              vreq);
}

static void pml_verve_send_failed(struct ompi_communicator_t *comm, int dst,
                                  int tag, size_t length,
                                  verve_status_t status)
{
    if (status != VERVE_ERR_PEER_FAILED) {
        opal_output(0, PML_VERVE_NAME ": send of %zu bytes to rank %d of %s "
                    "(tag %d) failed: %s", length, dst, comm->c_name, tag,
                    verve_status_string(status));
    }
}

static void pml_verve_bsend_cb(verve_request_h vreq, verve_status_t status,
                               void *user_data)
{
    (void)vreq;  /* freed by its sender */
    (void)status;  /* reported by verve's endpoint error, if any */
    mca_pml_base_bsend_request_free(user_data);
}

/* MPI_Bsend and MPI_Ibsend: complete for MPI once copied into the space
 * MPI_Buffer_attach gave; the copy goes when verve is done with it. */
static verve_status_t pml_verve_bsend(const void *buf, size_t count,
                                      struct ompi_datatype_t *datatype,
                                      int dst, int tag,
                                      struct ompi_communicator_t *comm)
{
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = pml_verve_bsend_cb
    };
    pml_verve_endpoint_t *endpoint = pml_verve_peer(comm, dst);
    verve_request_h vreq = NULL;
    verve_status_t status;
    size_t length;
    void *copy;

    /* A copy in the space of MPI_Buffer_attach; none left is
     * MPI_ERR_BUFFER. */
    if (verve_ompi_pack_into(buf, count, datatype,
                            mca_pml_base_bsend_request_alloc_buf, &copy,
                            &length) != OMPI_SUCCESS) {
        return VERVE_ERR_NO_RESOURCE;
    }
    param.user_data = copy;
    status = (endpoint == NULL) ? VERVE_ERR_UNREACHABLE
            : pml_verve_send_post(endpoint, copy, length,
                                  verve_ompi_tag_make(comm->c_contextid,
                                                      comm->c_my_rank, tag),
                                  MCA_PML_BASE_SEND_STANDARD, &param, &vreq);
    if (status == VERVE_INPROGRESS) {
        verve_request_free(vreq);
        return VERVE_OK;
    }
    mca_pml_base_bsend_request_free(copy);
    if (status != VERVE_OK) {
        pml_verve_send_failed(comm, dst, tag, length, status);
    }
    return status;
}

/* Starts req's send of req->count items of datatype at req->user_buffer.
 * VERVE_INPROGRESS: verve took it, and its callback finishes req; any
 * other status: the caller finishes req (or recycles it on VERVE_OK). */
static verve_status_t pml_verve_send_request(pml_verve_request_t *req,
                                             struct ompi_datatype_t *datatype)
{
    struct ompi_communicator_t *comm = req->ompi.req_mpi_object.comm;
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = pml_verve_send_cb,
        .user_data = req
    };
    pml_verve_endpoint_t *endpoint;
    verve_request_h vreq = NULL;
    verve_status_t status;
    void *buffer;
    size_t length = 0;
    int rc;

    req->length = 0;
    /* Kept for the status: MPI_Comm_free may come before completion. */
    req->source = comm->c_my_rank;
    if (OPAL_UNLIKELY(req->mode == MCA_PML_BASE_SEND_BUFFERED)) {
        return pml_verve_bsend(req->user_buffer, req->count, datatype,
                               req->peer_rank, req->tag, comm);
    }
    if (OPAL_LIKELY(verve_ompi_contig(req->user_buffer, req->count,
                                     datatype, &buffer, &length))) {
        req->packed = NULL;
    } else {
        rc = pml_verve_pack(req->user_buffer, req->count, datatype, &buffer,
                            &length, &req->packed);
        if (OPAL_UNLIKELY(rc != OMPI_SUCCESS)) {
            return VERVE_ERR_NO_MEMORY;
        }
    }
    req->length = length;
    endpoint = pml_verve_peer(comm, req->peer_rank);
    status = (endpoint == NULL) ? VERVE_ERR_UNREACHABLE
            : pml_verve_send_post(endpoint, buffer, length,
                                  verve_ompi_tag_make(comm->c_contextid,
                                                      comm->c_my_rank,
                                                      req->tag),
                                  req->mode, &param, &vreq);
    if (status == VERVE_INPROGRESS) {
        /* Released when it completes; its callback still runs. */
        verve_request_free(vreq);
    } else if (OPAL_UNLIKELY(status != VERVE_OK)) {
        pml_verve_send_failed(comm, req->peer_rank, req->tag, length,
                              status);
    }
    return status;
}

int pml_verve_send_start(pml_verve_request_t *req)
{
    verve_status_t status = pml_verve_send_request(req, req->datatype);

    if (status != VERVE_INPROGRESS) {
        pml_verve_send_finish(req, status);
    }
    return OMPI_SUCCESS;
}

int pml_verve_isend(const void *buf, size_t count,
                    struct ompi_datatype_t *datatype, int dst, int tag,
                    mca_pml_base_send_mode_t mode,
                    struct ompi_communicator_t *comm,
                    ompi_request_t **request)
{
    pml_verve_request_t *req = pml_verve_request_get(PML_VERVE_SEND, comm);
    verve_status_t status;

    if (OPAL_UNLIKELY(req == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    req->user_buffer = buf;
    req->count = count;
    req->peer_rank = dst;
    req->tag = tag;
    req->mode = mode;
    status = pml_verve_send_request(req, datatype);
    if (OPAL_LIKELY(status == VERVE_OK)) {
        /* Done in place: nobody else holds req. */
        pml_verve_send_copy_free(req);
        pml_verve_request_recycle(req);
        *request = &ompi_pml_verve.completed_send;
        return OMPI_SUCCESS;
    }
    if (status != VERVE_INPROGRESS) {
        /* MPI_Wait reports the error. */
        pml_verve_send_finish(req, status);
    }
    *request = &req->ompi;
    return OMPI_SUCCESS;
}

int pml_verve_isend_init(const void *buf, size_t count,
                         struct ompi_datatype_t *datatype, int dst, int tag,
                         mca_pml_base_send_mode_t mode,
                         struct ompi_communicator_t *comm,
                         ompi_request_t **request)
{
    pml_verve_request_t *req = pml_verve_request_get(PML_VERVE_SEND, comm);

    if (OPAL_UNLIKELY(req == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    pml_verve_request_persist(req, datatype, comm);
    req->user_buffer = buf;
    req->count = count;
    req->peer_rank = dst;
    req->tag = tag;
    req->mode = mode;
    *request = &req->ompi;
    return OMPI_SUCCESS;
}

int pml_verve_send(const void *buf, size_t count,
                   struct ompi_datatype_t *datatype, int dst, int tag,
                   mca_pml_base_send_mode_t mode,
                   struct ompi_communicator_t *comm)
{
    pml_verve_send_wait_t wait = {.done = 0};
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = pml_verve_send_wait_cb,
        .user_data = &wait
    };
    pml_verve_endpoint_t *endpoint;
    verve_request_h vreq = NULL;
    verve_status_t status;
    void *buffer, *packed;
    size_t length;
    unsigned idle = 0;

    if (OPAL_UNLIKELY(mode == MCA_PML_BASE_SEND_BUFFERED)) {
        return pml_verve_send_error(pml_verve_bsend(buf, count, datatype,
                                                    dst, tag, comm));
    }
    packed = NULL;
    if (OPAL_UNLIKELY(!verve_ompi_contig(buf, count, datatype, &buffer,
                                        &length) &&
                      pml_verve_pack(buf, count, datatype, &buffer, &length,
                                     &packed) != OMPI_SUCCESS)) {
        return MPI_ERR_NO_MEM;
    }
    endpoint = pml_verve_peer(comm, dst);
    status = (endpoint == NULL) ? VERVE_ERR_UNREACHABLE
            : pml_verve_send_post(endpoint, buffer, length,
                                  verve_ompi_tag_make(comm->c_contextid,
                                                      comm->c_my_rank, tag),
                                  mode, &param, &vreq);
    if (status == VERVE_INPROGRESS) {
        verve_request_free(vreq);  /* its callback still runs */
        while (!wait.done) {
            pml_verve_wait_progress(&idle);
        }
        opal_atomic_rmb();
        status = wait.status;
    }
    free(packed);
    if (OPAL_UNLIKELY(status != VERVE_OK)) {
        pml_verve_send_failed(comm, dst, tag, length, status);
    }
    return pml_verve_send_error(status);
}
