/*
 * mtl verve: sends. Contiguous data goes straight from the user's buffer;
 * other datatypes are packed into a copy, freed when the send completes.
 * MPI_Ssend is verve_tag_send_sync_nbx, which completes once a receive
 * matched.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/mca/mtl/base/base.h"
#include "ompi/mca/mtl/base/mtl_base_datatype.h"
#include "opal/runtime/opal_progress.h"
#include "opal/sys/atomic.h"
#include "opal/util/output.h"

#include "mtl_verve.h"

/* Runs once per send: from verve's callback, or in isend when the send
 * completed in place or failed to start. */
static void ompi_mtl_verve_send_complete(ompi_mtl_verve_request_t *req,
                                         verve_status_t status)
{
    int error = verve_ompi_error(status);

    if (req->free_after) {
        free(req->buffer);
    }
    /* Always written: pml cm does not reset it when it starts a send, so
     * a request from its free list holds what its last user left. */
    if (req->super.ompi_req != NULL) {
        req->super.ompi_req->req_status.MPI_ERROR = error;
    }
    if (req->super.completion_callback != NULL) {
        req->super.completion_callback(&req->super);
        return;
    }
    /* mtl_send waits for done on its stack: nothing may touch req after
     * it is set. */
    req->mpi_error = error;
    opal_atomic_wmb();
    req->done = 1;
}

static void ompi_mtl_verve_send_cb(verve_request_h request,
                                   verve_status_t status, void *user_data)
{
    (void)request;  /* freed by its sender */
    ompi_mtl_verve_send_complete(user_data, status);
}

/* Returns VERVE_INPROGRESS when req completes later, through its
 * callback; anything else means it completed already. */
static verve_status_t ompi_mtl_verve_send_start(
        struct ompi_communicator_t *comm, int dest, int tag,
        struct opal_convertor_t *convertor, mca_pml_base_send_mode_t mode,
        ompi_mtl_verve_request_t *req)
{
    ompi_mtl_verve_endpoint_t *endpoint = ompi_mtl_verve_endpoint(comm,
                                                                  dest);
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = ompi_mtl_verve_send_cb,
        .user_data = req
    };
    verve_tag_t vtag = verve_ompi_tag_make(comm->c_contextid,
                                               comm->c_my_rank, tag);
    verve_request_h vreq = NULL;
    verve_status_t status;

    req->type = MTL_VERVE_REQ_SEND;
    req->free_after = false;
    req->convertor = convertor;
    if (OPAL_UNLIKELY(endpoint == NULL)) {
        opal_output(0, "mtl verve: no endpoint to rank %d of "
                    "communicator %s", dest, comm->c_name);
        status = VERVE_ERR_UNREACHABLE;
        goto out_complete;
    }
    if (OPAL_UNLIKELY(endpoint->failed != VERVE_OK)) {
        status = (verve_status_t)endpoint->failed;
        goto out_complete;
    }
    if (OPAL_UNLIKELY(ompi_mtl_datatype_pack(convertor, &req->buffer,
                                             &req->length,
                                             &req->free_after) !=
                      OMPI_SUCCESS)) {
        status = VERVE_ERR_NO_MEMORY;
        goto out_complete;
    }
    if (mode == MCA_PML_BASE_SEND_SYNCHRONOUS) {
        status = verve_tag_send_sync_nbx(endpoint->ep, req->buffer,
                                         req->length, vtag, &param, &vreq);
    } else {
        status = verve_tag_send_nbx(endpoint->ep, req->buffer, req->length,
                                    vtag, &param, &vreq);
    }
    if (status == VERVE_INPROGRESS) {
        /* Released when it completes; its callback still runs. */
        verve_request_free(vreq);
        return status;
    }
    if (OPAL_UNLIKELY(status != VERVE_OK &&
                      status != VERVE_ERR_PEER_FAILED)) {
        opal_output(0, "mtl verve: send of %zu bytes to rank %d of %s "
                    "(tag %d) failed: %s", req->length, dest, comm->c_name,
                    tag, verve_status_string(status));
    }
out_complete:
    ompi_mtl_verve_send_complete(req, status);
    return status;
}

int ompi_mtl_verve_isend(struct mca_mtl_base_module_t *mtl,
                         struct ompi_communicator_t *comm, int dest, int tag,
                         struct opal_convertor_t *convertor,
                         mca_pml_base_send_mode_t mode, bool blocking,
                         mca_mtl_request_t *mtl_request)
{
    (void)mtl;
    (void)blocking;
    /* A failure completes the request with an MPI error, which MPI_Wait
     * reports: pml cm would leak a request that isend refused. */
    (void)ompi_mtl_verve_send_start(comm, dest, tag, convertor, mode,
                                    (ompi_mtl_verve_request_t *)mtl_request);
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_send(struct mca_mtl_base_module_t *mtl,
                        struct ompi_communicator_t *comm, int dest, int tag,
                        struct opal_convertor_t *convertor,
                        mca_pml_base_send_mode_t mode)
{
    ompi_mtl_verve_request_t req;

    (void)mtl;
    req.super.ompi_req = NULL;
    req.super.completion_callback = NULL;
    req.done = 0;
    req.mpi_error = MPI_SUCCESS;
    if (ompi_mtl_verve_send_start(comm, dest, tag, convertor, mode, &req) ==
        VERVE_INPROGRESS) {
        while (!req.done) {
            opal_progress();
        }
        opal_atomic_rmb();
    }
    return req.mpi_error;
}
