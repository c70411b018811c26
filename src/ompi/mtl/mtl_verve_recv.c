/*
 * mtl verve: receives, posted (irecv) or of a message a matched probe
 * took (imrecv). Contiguous data lands in the user's buffer; other
 * datatypes land in a copy, unpacked when the receive completes.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/mca/mtl/base/base.h"
#include "ompi/mca/mtl/base/mtl_base_datatype.h"
#include "ompi/message/message.h"
#include "opal/datatype/opal_convertor.h"
#include "opal/util/output.h"

#include "verve_ompi_probe.h"

#include "mtl_verve.h"

static void ompi_mtl_verve_recv_unpack(ompi_mtl_verve_request_t *req,
                                       size_t delivered)
{
    struct iovec iov = {.iov_base = req->buffer, .iov_len = delivered};
    uint32_t iov_count = 1;
    size_t length = delivered;

    if (!req->free_after) {
        return;
    }
    /* ompi_mtl_datatype_unpack would keep the copy of an empty message. */
    if (delivered > 0) {
        (void)opal_convertor_unpack(req->convertor, &iov, &iov_count,
                                    &length);
    }
    free(req->buffer);
}

/* Runs once per receive: from verve's callback, or in place. */
static void ompi_mtl_verve_recv_complete(ompi_mtl_verve_request_t *req,
                                         verve_status_t status)
{
    ompi_status_public_t *mpi_status = &req->super.ompi_req->req_status;
    size_t delivered = 0;

    if (status == VERVE_OK || status == VERVE_ERR_MESSAGE_TRUNCATED) {
        delivered = (req->info.length < req->length) ? req->info.length
                                                     : req->length;
        verve_ompi_status(mpi_status, req->tag, &req->info, delivered,
                          status);
    } else if (status == VERVE_ERR_CANCELED &&
               !(req->flags & MTL_VERVE_REQ_PEER_FAILED)) {
        mpi_status->_cancelled = true;
        mpi_status->MPI_ERROR = MPI_SUCCESS;
    } else {
        if (status == VERVE_ERR_CANCELED) {
            status = (req->peer != NULL)
                    ? (verve_status_t)req->peer->failed
                    : VERVE_ERR_PEER_FAILED;
        }
        if (req->source != MPI_ANY_SOURCE) {
            mpi_status->MPI_SOURCE = req->source;
        }
        mpi_status->MPI_ERROR = verve_ompi_error(status);
        opal_output_verbose(1, ompi_mtl_base_framework.framework_output,
                            "mtl verve: receive from rank %d (tag %d) "
                            "failed: %s", req->source, req->tag,
                            verve_status_string(status));
    }
    ompi_mtl_verve_recv_unpack(req, delivered);
    req->super.completion_callback(&req->super);
}

static void ompi_mtl_verve_recv_cb(verve_request_h request,
                                   verve_status_t status, void *user_data)
{
    ompi_mtl_verve_request_t *req = user_data;

    if (!ompi_mtl_verve_recv_finished(req)) {
        verve_request_free(request);
    }
    ompi_mtl_verve_recv_complete(req, status);
}

static int ompi_mtl_verve_recv_prepare(ompi_mtl_verve_request_t *req,
                                       struct opal_convertor_t *convertor,
                                       int source, int tag)
{
    bool free_on_error;

    req->type = MTL_VERVE_REQ_RECV;
    req->flags = 0;
    req->vreq = NULL;
    req->peer = NULL;
    req->prev = req->next = NULL;
    req->tag = tag;
    req->source = source;
    req->convertor = convertor;
    req->info.sender_tag = 0;
    req->info.length = 0;
    (void)ompi_mtl_datatype_recv_buf(convertor, &req->buffer, &req->length,
                                     &free_on_error);
    req->free_after = free_on_error;
    if (OPAL_UNLIKELY(req->buffer == NULL && req->length > 0)) {
        opal_output(0, "mtl verve: no memory to receive %zu bytes of a "
                    "non-contiguous datatype", req->length);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    return OMPI_SUCCESS;
}

static void ompi_mtl_verve_recv_param(ompi_mtl_verve_request_t *req,
                                      verve_request_param_t *param)
{
    param->op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                          VERVE_OP_ATTR_FIELD_USER_DATA |
                          VERVE_OP_ATTR_FIELD_RECV_INFO;
    param->cb = ompi_mtl_verve_recv_cb;
    param->user_data = req;
    param->recv_info = &req->info;
}

/* What verve said to a receive call. Errors complete the request with an
 * MPI error, which MPI_Wait reports: pml cm would leak a request that
 * irecv refused. */
static int ompi_mtl_verve_recv_posted(ompi_mtl_verve_request_t *req,
                                      verve_status_t status,
                                      verve_request_h vreq)
{
    if (status == VERVE_INPROGRESS) {
        ompi_mtl_verve_recv_started(req, vreq);
        return OMPI_SUCCESS;
    }
    if (OPAL_UNLIKELY(status != VERVE_OK &&
                      status != VERVE_ERR_MESSAGE_TRUNCATED)) {
        opal_output(0, "mtl verve: receive of %zu bytes from rank %d (tag "
                    "%d) failed to start: %s", req->length, req->source,
                    req->tag, verve_status_string(status));
    }
    ompi_mtl_verve_recv_complete(req, status);
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_irecv(struct mca_mtl_base_module_t *mtl,
                         struct ompi_communicator_t *comm, int src, int tag,
                         struct opal_convertor_t *convertor,
                         mca_mtl_request_t *mtl_request)
{
    ompi_mtl_verve_request_t *req = (ompi_mtl_verve_request_t *)mtl_request;
    verve_request_param_t param;
    verve_request_h vreq = NULL;
    verve_status_t status;
    verve_tag_t expect;
    int rc;

    (void)mtl;
    rc = ompi_mtl_verve_recv_prepare(req, convertor, src, tag);
    if (OPAL_UNLIKELY(rc != OMPI_SUCCESS)) {
        return rc;
    }
    if (src != MPI_ANY_SOURCE) {
        req->peer = ompi_mtl_verve_endpoint(comm, src);
        if (OPAL_UNLIKELY(req->peer == NULL)) {
            return ompi_mtl_verve_recv_posted(req, VERVE_ERR_UNREACHABLE,
                                              NULL);
        }
        if (OPAL_UNLIKELY(req->peer->failed != VERVE_OK)) {
            req->flags |= MTL_VERVE_REQ_PEER_FAILED;
            ompi_mtl_verve_recv_complete(req, VERVE_ERR_CANCELED);
            return OMPI_SUCCESS;
        }
    }
    expect = verve_ompi_tag_expect(comm->c_contextid, src, tag);
    ompi_mtl_verve_recv_param(req, &param);
    status = verve_tag_recv_nbx(ompi_mtl_verve.worker, req->buffer,
                                req->length, expect,
                                verve_ompi_tag_mask(src, tag), &param,
                                &vreq);
    return ompi_mtl_verve_recv_posted(req, status, vreq);
}

int ompi_mtl_verve_imrecv(struct mca_mtl_base_module_t *mtl,
                          struct opal_convertor_t *convertor,
                          struct ompi_message_t **message,
                          mca_mtl_request_t *mtl_request)
{
    ompi_mtl_verve_request_t *req = (ompi_mtl_verve_request_t *)mtl_request;
    struct ompi_message_t *msg = *message;
    verve_tag_message_h vmsg = msg->req_ptr;
    verve_request_param_t param;
    verve_request_h vreq = NULL;
    verve_status_t status;
    int rc;

    (void)mtl;
    /* The message is matched: its tag is reported from the wire. */
    rc = ompi_mtl_verve_recv_prepare(req, convertor, msg->peer,
                                     MPI_ANY_TAG);
    if (OPAL_UNLIKELY(rc != OMPI_SUCCESS)) {
        return rc;
    }
    req->flags |= MTL_VERVE_REQ_MATCHED;
    ompi_mtl_verve_recv_param(req, &param);
    status = verve_tag_msg_recv_nbx(ompi_mtl_verve.worker, req->buffer,
                                    req->length, vmsg, &param, &vreq);
    if (OPAL_UNLIKELY(status == VERVE_ERR_NO_MEMORY)) {
        /* verve kept the message: it stays the caller's, to receive
         * again. */
        if (req->free_after) {
            free(req->buffer);
        }
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    *message = MPI_MESSAGE_NULL;
    ompi_message_return(msg);
    return ompi_mtl_verve_recv_posted(req, status, vreq);
}
