/*
 * pml verve: the requests of nonblocking calls. Their free list, their
 * completion (from verve's callbacks), MPI_Request_free, MPI_Cancel,
 * MPI_Start of persistent ones, and the receives of a peer that failed.
 *
 * A receive's verve request stays with it until the request goes back to
 * the free list, so that MPI_Cancel can always name it; a cancel that
 * races its completion is told VERVE_ERR_BUSY and changes nothing. When a
 * peer fails, progress searches the registry (every request the free list
 * ever made) for receives posted for that peer, takes the verve request
 * of each (vreq = NULL under the lock) and cancels it outside the lock;
 * whoever takes it frees it. A search costs nothing until a peer fails,
 * where a list of posted receives would cost every receive two updates.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/datatype/ompi_datatype.h"
#include "opal/sys/atomic.h"
#include "opal/util/output.h"

#include "pml_verve.h"

static int pml_verve_request_free(ompi_request_t **request);
static int pml_verve_request_cancel(ompi_request_t *request, int complete);

/* The free list makes requests in batches, under its own lock; the
 * registry keeps them all. A request that cannot be registered still
 * works, but a failure of its peer does not end it: said once. */
static void pml_verve_request_register(pml_verve_request_t *req)
{
    pml_verve_module_t *module = &ompi_pml_verve;
    static bool warned;

    OPAL_THREAD_LOCK(&module->lock);
    if (module->num_registry == module->max_registry) {
        size_t max = (module->max_registry == 0) ? 256
                                                 : 2 * module->max_registry;
        void *array = realloc(module->registry,
                              max * sizeof(*module->registry));
        if (array == NULL) {
            if (!warned) {
                opal_output(0, PML_VERVE_NAME ": no memory to register "
                            "request %zu: a failure of its peer will not "
                            "end it", module->num_registry);
                warned = true;
            }
            goto out;
        }
        module->registry = array;
        module->max_registry = max;
    }
    module->registry[module->num_registry++] = req;
out:
    OPAL_THREAD_UNLOCK(&module->lock);
}

static void pml_verve_request_construct(pml_verve_request_t *req)
{
    req->ompi.req_type = OMPI_REQUEST_PML;
    req->ompi.req_free = pml_verve_request_free;
    req->ompi.req_cancel = pml_verve_request_cancel;
    req->ompi.req_start = pml_verve_start;
    req->vreq = NULL;
    req->packed = NULL;
    req->flags = 0;
    req->datatype = NULL;
    req->comm = NULL;
    req->posted = 0;
    req->peer = NULL;
    pml_verve_request_register(req);
}

OBJ_CLASS_INSTANCE(pml_verve_request_t, ompi_request_t,
                   pml_verve_request_construct, NULL);

/* What a request holds beyond itself: none of it on the common path
 * (a contiguous receive or send, its verve request freed at completion). */
static void pml_verve_request_drop_refs(pml_verve_request_t *req)
{
    verve_request_h vreq;

    OPAL_THREAD_LOCK(&ompi_pml_verve.lock);
    vreq = req->vreq;
    req->vreq = NULL;
    OPAL_THREAD_UNLOCK(&ompi_pml_verve.lock);
    if (vreq != NULL) {
        verve_request_free(vreq);
    }
    if (OPAL_UNLIKELY(req->packed != NULL)) {
        free(req->packed);
        req->packed = NULL;
    }
    if (req->flags & PML_VERVE_FLAG_CONVERTOR) {
        OBJ_DESTRUCT(&req->convertor);
    }
    if (req->datatype != NULL) {
        OBJ_RELEASE(req->datatype);
        req->datatype = NULL;
    }
    if (req->comm != NULL) {
        OBJ_RELEASE(req->comm);
        req->comm = NULL;
    }
    req->flags = 0;
}

/* The last of verve and MPI to let go returns it to the list. A vreq
 * seen NULL without the lock stays NULL: only posting sets it, before
 * the request can be released. */
void pml_verve_request_release(pml_verve_request_t *req)
{
    if (OPAL_UNLIKELY(req->vreq != NULL || req->packed != NULL ||
                      req->flags != 0 || req->datatype != NULL ||
                      req->comm != NULL)) {
        pml_verve_request_drop_refs(req);
    }
    opal_free_list_return(&ompi_pml_verve.requests, &req->ompi.super);
}

/* A send that verve completed in place, which MPI never saw. */
void pml_verve_request_recycle(pml_verve_request_t *req)
{
    opal_free_list_return(&ompi_pml_verve.requests, &req->ompi.super);
}

/* MPI_Send_init and MPI_Recv_init: inactive until MPI_Start; they keep
 * the datatype and communicator they repeat. */
void pml_verve_request_persist(pml_verve_request_t *req,
                               struct ompi_datatype_t *datatype,
                               struct ompi_communicator_t *comm)
{
    OMPI_REQUEST_INIT(&req->ompi, true);
    req->state = PML_VERVE_REQ_DONE;
    req->datatype = datatype;
    OBJ_RETAIN(datatype);
    req->comm = comm;
    OBJ_RETAIN(comm);
}

static int pml_verve_request_free(ompi_request_t **request)
{
    pml_verve_request_t *req = (pml_verve_request_t *)*request;

    *request = MPI_REQUEST_NULL;
    if (req->ompi.req_persistent) {
        req->ompi.req_state = OMPI_REQUEST_INVALID;
    }
    if (pml_verve_state_add(req, PML_VERVE_REQ_RELEASED) &
        PML_VERVE_REQ_DONE) {
        pml_verve_request_release(req);
    }
    return OMPI_SUCCESS;
}

/* Sends are not cancellable (as in Open MPI's other pmls): they
 * complete. A receive that matched already completes as it would have. */
static int pml_verve_request_cancel(ompi_request_t *request, int complete)
{
    pml_verve_request_t *req = (pml_verve_request_t *)request;
    verve_request_h vreq;
    verve_status_t status;

    (void)complete;
    if (req->kind != PML_VERVE_RECV) {
        return OMPI_SUCCESS;
    }
    /* Taken, as the failure search and the release take it: whoever
     * holds vreq frees it, so none of them uses one another freed. */
    OPAL_THREAD_LOCK(&ompi_pml_verve.lock);
    vreq = req->vreq;
    req->vreq = NULL;
    OPAL_THREAD_UNLOCK(&ompi_pml_verve.lock);
    if (vreq == NULL) {
        return OMPI_SUCCESS;
    }
    /* VERVE_OK: the callback ran in the call, with VERVE_ERR_CANCELED,
     * which marked the request cancelled. VERVE_ERR_BUSY: it matched, and
     * completes as it would have (the free waits for that). */
    status = verve_tag_recv_cancel(ompi_pml_verve.worker, vreq);
    verve_request_free(vreq);
    if (status != VERVE_OK && status != VERVE_ERR_BUSY) {
        opal_output(0, PML_VERVE_NAME ": verve_tag_recv_cancel failed: %s",
                    verve_status_string(status));
        return OMPI_ERROR;
    }
    return OMPI_SUCCESS;
}

int pml_verve_start(size_t count, ompi_request_t **requests)
{
    pml_verve_request_t *req;
    size_t i;
    int rc;

    for (i = 0; i < count; ++i) {
        req = (pml_verve_request_t *)requests[i];
        if (req == NULL || req->ompi.req_type != OMPI_REQUEST_PML) {
            continue;
        }
        /* Still running: MPI_Start of an active request is the caller's
         * error, not a reason to wait forever. */
        if (OPAL_UNLIKELY(!(req->state & PML_VERVE_REQ_DONE) &&
                          req->ompi.req_complete != REQUEST_COMPLETED)) {
            opal_output(0, PML_VERVE_NAME ": MPI_Start of a request that "
                        "is still active");
            return MPI_ERR_REQUEST;
        }
        /* Its last completion may still be finishing in another thread:
         * the DONE bit comes just after MPI saw it complete. */
        while (!(req->state & PML_VERVE_REQ_DONE)) {
            opal_atomic_rmb();
        }
        req->state = 0;
        req->ompi.req_complete = REQUEST_PENDING;
        req->ompi.req_state = OMPI_REQUEST_ACTIVE;
        req->ompi.req_status._cancelled = 0;
        rc = (req->kind == PML_VERVE_SEND) ? pml_verve_send_start(req)
                                           : pml_verve_recv_start(req);
        if (rc != OMPI_SUCCESS) {
            return rc;
        }
    }
    return OMPI_SUCCESS;
}

/* From the endpoint's error callback, inside verve. */
void pml_verve_peer_failed(pml_verve_endpoint_t *endpoint,
                           verve_status_t status)
{
    OPAL_THREAD_LOCK(&ompi_pml_verve.lock);
    endpoint->failed = (status == VERVE_OK) ? VERVE_ERR_PEER_FAILED : status;
    ompi_pml_verve.failure_pending = 1;
    OPAL_THREAD_UNLOCK(&ompi_pml_verve.lock);
}

/* For verve_ompi_fail_receives, under the lock: the verve request of a
 * receive still posted for a peer that failed, taken from it. */
static bool pml_verve_take_failed(verve_request_h *vreq_p)
{
    pml_verve_module_t *module = &ompi_pml_verve;
    pml_verve_request_t *req;
    size_t i;

    for (i = 0; i < module->num_registry; ++i) {
        req = module->registry[i];
        if (req->kind == PML_VERVE_RECV && req->posted &&
            req->vreq != NULL && req->peer != NULL &&
            req->peer->failed != VERVE_OK) {
            req->flags |= PML_VERVE_FLAG_PEER_FAILED;
            *vreq_p = req->vreq;
            req->vreq = NULL;
            return true;
        }
    }
    return false;
}

/* From progress: each cancel completes one receive, which MPI may free
 * at once. */
void pml_verve_fail_receives(void)
{
    verve_ompi_fail_receives(ompi_pml_verve.worker, &ompi_pml_verve.lock,
                             &ompi_pml_verve.failure_pending,
                             pml_verve_take_failed);
}

/* Before their endpoints are freed: a receive still posted from a peer
 * being closed no longer names it. */
void pml_verve_forget_closing_peers(void)
{
    pml_verve_module_t *module = &ompi_pml_verve;
    pml_verve_request_t *req;
    size_t i;

    OPAL_THREAD_LOCK(&module->lock);
    for (i = 0; i < module->num_registry; ++i) {
        req = module->registry[i];
        if (req->peer != NULL && req->peer->closing) {
            req->peer = NULL;
        }
    }
    OPAL_THREAD_UNLOCK(&module->lock);
}
