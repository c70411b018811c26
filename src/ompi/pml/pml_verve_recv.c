/*
 * pml verve: receives. MPI_Recv of a contiguous datatype waits on its
 * stack and checks its peer's failure as it waits; MPI_Irecv takes a
 * request, which a failure of the peer it names ends (see
 * pml_verve_fail_receives). Matched receives (MPI_Mrecv) take the
 * message a matched probe removed from verve's queue.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/datatype/ompi_datatype.h"
#include "ompi/mca/pml/base/base.h"
#include "ompi/message/message.h"
#include "opal/sys/atomic.h"
#include "opal/util/output.h"

#include "verve_ompi_probe.h"

#include "pml_verve.h"

/* Why a receive from a failed peer ended, for its status. */
static verve_status_t pml_verve_peer_status(pml_verve_endpoint_t *peer)
{
    return (peer != NULL && peer->failed != VERVE_OK)
            ? (verve_status_t)peer->failed : VERVE_ERR_PEER_FAILED;
}

/* pml_verve_recv_finish's every other case: truncation, cancel,
 * failure, unpacking. */
static void pml_verve_recv_finish_slow(pml_verve_request_t *req,
                                       verve_status_t status)
{
    ompi_status_public_t *mpi_status = &req->ompi.req_status;
    size_t delivered = 0;

    if (OPAL_LIKELY(status == VERVE_OK ||
                    status == VERVE_ERR_MESSAGE_TRUNCATED)) {
        delivered = (req->info.length < req->length) ? req->info.length
                                                     : req->length;
        verve_ompi_status(mpi_status, req->tag, &req->info, delivered,
                              status);
    } else if (status == VERVE_ERR_CANCELED &&
               !(req->flags & PML_VERVE_FLAG_PEER_FAILED)) {
        mpi_status->_cancelled = true;
        mpi_status->MPI_ERROR = MPI_SUCCESS;
    } else {
        if (status == VERVE_ERR_CANCELED) {
            status = pml_verve_peer_status(req->peer);
        }
        if (req->source != MPI_ANY_SOURCE) {
            mpi_status->MPI_SOURCE = req->source;
        }
        mpi_status->MPI_ERROR = verve_ompi_error(status);
        opal_output_verbose(1, ompi_pml_base_framework.framework_output,
                            PML_VERVE_NAME ": receive from rank %d (tag %d) "
                            "failed: %s", req->source, req->tag,
                            verve_status_string(status));
    }
    if (OPAL_UNLIKELY(req->packed != NULL)) {
        pml_verve_unpack(req, delivered);
    }
    pml_verve_request_done(req);
}

/* Runs once per nonblocking receive: from verve's callback, or in place. */
static inline void pml_verve_recv_finish(pml_verve_request_t *req,
                                         verve_status_t status)
{
    if (OPAL_LIKELY(status == VERVE_OK && req->packed == NULL)) {
        /* complete, so no longer than the buffer */
        verve_ompi_status(&req->ompi.req_status, req->tag, &req->info,
                          req->info.length, status);
        pml_verve_request_done(req);
        return;
    }
    pml_verve_recv_finish_slow(req, status);
}

static void pml_verve_recv_cb(verve_request_h vreq, verve_status_t status,
                              void *user_data)
{
    pml_verve_request_t *req = user_data;

    req->posted = 0;
    /* Single-threaded, nothing can cancel it from now on (MPI_Cancel
     * finds vreq NULL): free it here rather than at release, unless a
     * failure's cancel took it (and frees it). With threads, the request
     * keeps it until it is released. */
    if (!opal_using_threads() && req->vreq == vreq) {
        req->vreq = NULL;
        verve_request_free(vreq);
    }
    pml_verve_recv_finish(req, status);
}

static void pml_verve_recv_param(pml_verve_request_t *req,
                                 verve_request_param_t *param)
{
    param->op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                          VERVE_OP_ATTR_FIELD_USER_DATA |
                          VERVE_OP_ATTR_FIELD_RECV_INFO;
    param->cb = pml_verve_recv_cb;
    param->user_data = req;
    param->recv_info = &req->info;
}

/* A receive that verve ended in the call: matched in place, or an error
 * (which completes the request with an MPI error, MPI_Wait reports it). */
static void pml_verve_recv_ended(pml_verve_request_t *req,
                                 verve_status_t status)
{
    req->posted = 0;
    if (OPAL_UNLIKELY(status != VERVE_OK &&
                      status != VERVE_ERR_MESSAGE_TRUNCATED)) {
        opal_output(0, PML_VERVE_NAME ": receive of %zu bytes from rank %d "
                    "(tag %d) failed to start: %s", req->length, req->source,
                    req->tag, verve_status_string(status));
    }
    pml_verve_recv_finish(req, status);
}

/* What verve said to a receive call. */
static inline void pml_verve_recv_posted(pml_verve_request_t *req,
                                         verve_status_t status,
                                         verve_request_h vreq)
{
    if (OPAL_LIKELY(status == VERVE_INPROGRESS)) {
        req->vreq = vreq;
        /* A failure search that ran before vreq was here skipped it. */
        if (OPAL_UNLIKELY(req->peer != NULL &&
                          req->peer->failed != VERVE_OK)) {
            opal_atomic_wmb();
            ompi_pml_verve.failure_pending = 1;
        }
        return;
    }
    pml_verve_recv_ended(req, status);
}

/* A blocking call's wait on its own request. ompi_request_wait keeps a
 * request that ended with an error (MPI_Wait's error handler frees it):
 * here nobody else holds it. */
static int pml_verve_wait_free(ompi_request_t **request,
                               ompi_status_public_t *status)
{
    int rc = ompi_request_wait(request, status);

    if (rc != OMPI_SUCCESS && *request != MPI_REQUEST_NULL) {
        (void)ompi_request_free(request);
    }
    return rc;
}

/* Posts req's receive (its buffer, source and tag are set). */
static void pml_verve_recv_post(pml_verve_request_t *req,
                                struct ompi_communicator_t *comm)
{
    verve_request_param_t param;
    verve_request_h vreq = NULL;
    verve_status_t status;

    req->peer = NULL;
    req->info.sender_tag = 0;
    req->info.length = 0;
    if (req->source != MPI_ANY_SOURCE) {
        req->peer = pml_verve_peer(comm, req->source);
        if (OPAL_UNLIKELY(req->peer == NULL)) {
            pml_verve_recv_posted(req, VERVE_ERR_UNREACHABLE, NULL);
            return;
        }
        if (OPAL_UNLIKELY(req->peer->failed != VERVE_OK)) {
            req->flags |= PML_VERVE_FLAG_PEER_FAILED;
            pml_verve_recv_finish(req, VERVE_ERR_CANCELED);
            return;
        }
    }
    pml_verve_recv_param(req, &param);
    req->posted = 1;
    status = verve_tag_recv_nbx(ompi_pml_verve.worker, req->buffer,
                                req->length,
                                verve_ompi_tag_expect(comm->c_contextid,
                                                      req->source, req->tag),
                                verve_ompi_tag_mask(req->source, req->tag),
                                &param, &vreq);
    pml_verve_recv_posted(req, status, vreq);
}

/* Where req's receive lands; a non-contiguous datatype keeps a reference
 * for the unpacking at completion. */
static int pml_verve_recv_prepare(pml_verve_request_t *req, void *buf,
                                  size_t count,
                                  struct ompi_datatype_t *datatype)
{
    int rc;

    if (OPAL_LIKELY(verve_ompi_contig(buf, count, datatype, &req->buffer,
                                     &req->length))) {
        req->packed = NULL;
        return OMPI_SUCCESS;
    }
    rc = pml_verve_unpacked_prepare(req, buf, count, datatype);

    if (req->packed != NULL && req->datatype == NULL) {
        req->datatype = datatype;
        OBJ_RETAIN(datatype);
    }
    return rc;
}

int pml_verve_irecv(void *buf, size_t count,
                    struct ompi_datatype_t *datatype, int src, int tag,
                    struct ompi_communicator_t *comm,
                    ompi_request_t **request)
{
    pml_verve_request_t *req = pml_verve_request_get(PML_VERVE_RECV, comm);
    int rc;

    if (OPAL_UNLIKELY(req == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    req->source = src;
    req->tag = tag;
    rc = pml_verve_recv_prepare(req, buf, count, datatype);
    if (OPAL_UNLIKELY(rc != OMPI_SUCCESS)) {
        pml_verve_request_release(req);
        return rc;
    }
    pml_verve_recv_post(req, comm);
    *request = &req->ompi;
    return OMPI_SUCCESS;
}

int pml_verve_irecv_init(void *buf, size_t count,
                         struct ompi_datatype_t *datatype, int src, int tag,
                         struct ompi_communicator_t *comm,
                         ompi_request_t **request)
{
    pml_verve_request_t *req = pml_verve_request_get(PML_VERVE_RECV, comm);

    if (OPAL_UNLIKELY(req == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    pml_verve_request_persist(req, datatype, comm);
    req->user_buffer = buf;
    req->count = count;
    req->source = src;
    req->tag = tag;
    *request = &req->ompi;
    return OMPI_SUCCESS;
}

/* MPI_Start of a persistent receive: what the last round kept goes. */
int pml_verve_recv_start(pml_verve_request_t *req)
{
    int rc;

    if (req->vreq != NULL) {
        verve_request_free(req->vreq);
        req->vreq = NULL;
    }
    if (req->flags & PML_VERVE_FLAG_CONVERTOR) {
        OBJ_DESTRUCT(&req->convertor);
    }
    req->flags = 0;
    rc = pml_verve_recv_prepare(req, (void *)req->user_buffer, req->count,
                                req->datatype);
    if (OPAL_UNLIKELY(rc != OMPI_SUCCESS)) {
        req->ompi.req_status.MPI_ERROR = MPI_ERR_NO_MEM;
        pml_verve_request_done(req);
        return OMPI_SUCCESS;
    }
    pml_verve_recv_post(req, req->comm);
    return OMPI_SUCCESS;
}

/* MPI_Recv waits on its stack; its verve request lives until the wait
 * ends, so that a peer's failure can cancel it. */
typedef struct pml_verve_recv_wait {
    volatile int done;
    verve_status_t status;
    verve_tag_recv_info_t info;
} pml_verve_recv_wait_t;

static void pml_verve_recv_wait_cb(verve_request_h vreq,
                                   verve_status_t status, void *user_data)
{
    pml_verve_recv_wait_t *wait = user_data;

    (void)vreq;
    wait->status = status;
    opal_atomic_wmb();
    wait->done = 1;
}

static verve_status_t pml_verve_recv_wait(pml_verve_recv_wait_t *wait,
                                          verve_request_h vreq,
                                          pml_verve_endpoint_t *peer)
{
    unsigned idle = 0;
    bool cancelled = false;

    while (!wait->done) {
        pml_verve_wait_progress(&idle);
        if (OPAL_UNLIKELY(peer != NULL && peer->failed != VERVE_OK &&
                          !cancelled)) {
            /* VERVE_ERR_BUSY: it matched a message sent before the peer
             * failed, and completes with that. */
            (void)verve_tag_recv_cancel(ompi_pml_verve.worker, vreq);
            cancelled = true;
        }
    }
    opal_atomic_rmb();
    verve_request_free(vreq);
    return (wait->status == VERVE_ERR_CANCELED)
            ? pml_verve_peer_status(peer) : wait->status;
}

int pml_verve_recv(void *buf, size_t count, struct ompi_datatype_t *datatype,
                   int src, int tag, struct ompi_communicator_t *comm,
                   ompi_status_public_t *status)
{
    pml_verve_recv_wait_t wait = {.done = 0};
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA |
                        VERVE_OP_ATTR_FIELD_RECV_INFO,
        .cb = pml_verve_recv_wait_cb,
        .user_data = &wait,
        .recv_info = &wait.info
    };
    pml_verve_endpoint_t *peer = NULL;
    verve_request_h vreq = NULL;
    verve_status_t vstatus;
    ompi_request_t *request;
    size_t length, delivered;
    int rc;

    if (OPAL_UNLIKELY(!ompi_datatype_is_contiguous_memory_layout(
                datatype, (int32_t)count))) {
        rc = pml_verve_irecv(buf, count, datatype, src, tag, comm, &request);
        return (rc == OMPI_SUCCESS) ? pml_verve_wait_free(&request, status)
                                    : rc;
    }
    length = count * datatype->super.size;
    if (src != MPI_ANY_SOURCE) {
        peer = pml_verve_peer(comm, src);
        if (OPAL_UNLIKELY(peer == NULL)) {
            return MPI_ERR_OTHER;
        }
        if (OPAL_UNLIKELY(peer->failed != VERVE_OK)) {
            vstatus = (verve_status_t)peer->failed;
            goto out_failed;
        }
    }
    wait.info.sender_tag = 0;
    wait.info.length = 0;
    vstatus = verve_tag_recv_nbx(ompi_pml_verve.worker,
                                 (char *)buf + datatype->super.true_lb,
                                 length,
                                 verve_ompi_tag_expect(comm->c_contextid,
                                                       src, tag),
                                 verve_ompi_tag_mask(src, tag), &param,
                                 &vreq);
    if (vstatus == VERVE_INPROGRESS) {
        vstatus = pml_verve_recv_wait(&wait, vreq, peer);
    }
    if (OPAL_UNLIKELY(vstatus != VERVE_OK &&
                      vstatus != VERVE_ERR_MESSAGE_TRUNCATED)) {
        goto out_failed;
    }
    if (status != MPI_STATUS_IGNORE) {
        delivered = (wait.info.length < length) ? wait.info.length : length;
        verve_ompi_status(status, tag, &wait.info, delivered, vstatus);
    }
    return verve_ompi_error(vstatus);

out_failed:
    opal_output_verbose(1, ompi_pml_base_framework.framework_output,
                        PML_VERVE_NAME ": receive from rank %d (tag %d) "
                        "failed: %s", src, tag,
                        verve_status_string(vstatus));
    if (status != MPI_STATUS_IGNORE) {
        status->MPI_SOURCE = src;
        status->MPI_TAG = tag;
        status->_ucount = 0;
        status->MPI_ERROR = verve_ompi_error(vstatus);
    }
    return verve_ompi_error(vstatus);
}

int pml_verve_imrecv(void *buf, size_t count,
                     struct ompi_datatype_t *datatype,
                     struct ompi_message_t **message,
                     ompi_request_t **request)
{
    struct ompi_message_t *msg = *message;
    pml_verve_request_t *req = pml_verve_request_get(PML_VERVE_RECV,
                                                     msg->comm);
    verve_tag_message_h vmsg = msg->req_ptr;
    verve_request_param_t param;
    verve_request_h vreq = NULL;
    verve_status_t status;
    int rc;

    if (OPAL_UNLIKELY(req == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    /* Matched already: its tag is reported from the wire, and it cannot
     * be cancelled (peer stays NULL: no list). */
    req->source = msg->peer;
    req->tag = MPI_ANY_TAG;
    req->peer = NULL;
    rc = pml_verve_recv_prepare(req, buf, count, datatype);
    if (OPAL_UNLIKELY(rc != OMPI_SUCCESS)) {
        pml_verve_request_release(req);
        return rc;
    }
    pml_verve_recv_param(req, &param);
    req->posted = 1;
    status = verve_tag_msg_recv_nbx(ompi_pml_verve.worker, req->buffer,
                                    req->length, vmsg, &param, &vreq);
    if (OPAL_UNLIKELY(status == VERVE_ERR_NO_MEMORY)) {
        /* verve kept the message: it stays the caller's, to receive
         * again. */
        req->posted = 0;
        pml_verve_request_release(req);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    *message = MPI_MESSAGE_NULL;
    ompi_message_return(msg);
    pml_verve_recv_posted(req, status, vreq);
    *request = &req->ompi;
    return OMPI_SUCCESS;
}

int pml_verve_mrecv(void *buf, size_t count,
                    struct ompi_datatype_t *datatype,
                    struct ompi_message_t **message,
                    ompi_status_public_t *status)
{
    ompi_request_t *request;
    int rc = pml_verve_imrecv(buf, count, datatype, message, &request);

    return (rc == OMPI_SUCCESS) ? pml_verve_wait_free(&request, status) : rc;
}
