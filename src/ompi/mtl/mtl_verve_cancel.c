/*
 * mtl verve: who may touch a receive's verve request, MPI_Cancel, and the
 * receives of a peer that failed.
 *
 * A posted receive's verve request is needed until it completes, to
 * cancel it. Its callback frees it (verve allows that in a callback);
 * whoever cancels first takes it (MTL_VERVE_REQ_TAKEN) and frees it
 * instead, so that it stays valid across the cancel call even when the
 * receive completes in another thread meanwhile. After the cancel call
 * the taker touches the verve request only, never the mtl request, which
 * pml cm may have given back by then (a blocking receive's is on the
 * stack).
 *
 * Receives from one source are kept on a list: when that peer fails, no
 * message can ever match them, so they are cancelled and complete with
 * an error rather than hang.
 */
#include "ompi_config.h"

#include "mtl_verve.h"

static void ompi_mtl_verve_unlink(ompi_mtl_verve_request_t *req)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;

    if (req->prev != NULL) {
        req->prev->next = req->next;
    } else {
        module->receives = req->next;
    }
    if (req->next != NULL) {
        req->next->prev = req->prev;
    }
    req->prev = req->next = NULL;
    req->flags &= ~MTL_VERVE_REQ_LINKED;
}

static verve_request_h ompi_mtl_verve_take(ompi_mtl_verve_request_t *req)
{
    verve_request_h vreq = req->vreq;

    if (vreq == NULL || (req->flags & MTL_VERVE_REQ_DONE)) {
        return NULL;
    }
    req->vreq = NULL;
    req->flags |= MTL_VERVE_REQ_TAKEN;
    if (req->flags & MTL_VERVE_REQ_LINKED) {
        ompi_mtl_verve_unlink(req);
    }
    return vreq;
}

/* After verve took the receive (VERVE_INPROGRESS). Its callback may have
 * run already in another thread: then it is DONE and vreq is freed. */
void ompi_mtl_verve_recv_started(ompi_mtl_verve_request_t *req,
                                 verve_request_h vreq)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;

    OPAL_THREAD_LOCK(&module->lock);
    /* A matched receive cannot be cancelled: its callback frees vreq. */
    if (!(req->flags & (MTL_VERVE_REQ_DONE | MTL_VERVE_REQ_MATCHED))) {
        req->vreq = vreq;
        if (req->peer != NULL) {
            req->prev = NULL;
            req->next = module->receives;
            if (module->receives != NULL) {
                module->receives->prev = req;
            }
            module->receives = req;
            req->flags |= MTL_VERVE_REQ_LINKED;
            /* The peer may have failed since irecv looked. */
            if (req->peer->failed != VERVE_OK) {
                module->failure_pending = 1;
            }
        }
    }
    OPAL_THREAD_UNLOCK(&module->lock);
}

/* From the receive's verve callback: true when a taker owns vreq. */
bool ompi_mtl_verve_recv_finished(ompi_mtl_verve_request_t *req)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;
    bool taken;

    OPAL_THREAD_LOCK(&module->lock);
    req->flags |= MTL_VERVE_REQ_DONE;
    req->vreq = NULL;
    if (req->flags & MTL_VERVE_REQ_LINKED) {
        ompi_mtl_verve_unlink(req);
    }
    taken = (req->flags & MTL_VERVE_REQ_TAKEN) != 0;
    OPAL_THREAD_UNLOCK(&module->lock);
    return taken;
}

/* Sends are not cancellable (as in the other mtls): they complete. A
 * receive that matched already completes as it would have. */
int ompi_mtl_verve_cancel(struct mca_mtl_base_module_t *mtl,
                          mca_mtl_request_t *mtl_request, int flag)
{
    ompi_mtl_verve_request_t *req = (ompi_mtl_verve_request_t *)mtl_request;
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;
    verve_request_h vreq;
    verve_status_t status;

    (void)mtl;
    (void)flag;
    if (req->type != MTL_VERVE_REQ_RECV) {
        return OMPI_SUCCESS;
    }
    OPAL_THREAD_LOCK(&module->lock);
    vreq = ompi_mtl_verve_take(req);
    OPAL_THREAD_UNLOCK(&module->lock);
    if (vreq == NULL) {
        return OMPI_SUCCESS;
    }
    /* VERVE_OK: the callback ran in the call, with VERVE_ERR_CANCELED,
     * which marked the request cancelled. VERVE_ERR_BUSY: it matched. */
    status = verve_tag_recv_cancel(module->worker, vreq);
    verve_request_free(vreq);
    if (status != VERVE_OK && status != VERVE_ERR_BUSY) {
        opal_output(0, "mtl verve: verve_tag_recv_cancel failed: %s",
                    verve_status_string(status));
        return OMPI_ERROR;
    }
    return OMPI_SUCCESS;
}

/* From the endpoint's error callback, inside verve. */
void ompi_mtl_verve_peer_failed(ompi_mtl_verve_endpoint_t *endpoint,
                                verve_status_t status)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;

    OPAL_THREAD_LOCK(&module->lock);
    endpoint->failed = (status == VERVE_OK) ? VERVE_ERR_PEER_FAILED : status;
    module->failure_pending = 1;
    OPAL_THREAD_UNLOCK(&module->lock);
}

/* For verve_ompi_fail_receives, under the lock: a receive posted for a
 * peer that failed, off the list and marked, with its verve request if
 * nobody took it yet. */
static bool ompi_mtl_verve_take_failed(verve_request_h *vreq_p)
{
    ompi_mtl_verve_request_t *req;

    for (req = ompi_mtl_verve.receives; req != NULL; req = req->next) {
        if (req->peer->failed != VERVE_OK) {
            req->flags |= MTL_VERVE_REQ_PEER_FAILED;
            *vreq_p = ompi_mtl_verve_take(req);
            if (req->flags & MTL_VERVE_REQ_LINKED) {
                ompi_mtl_verve_unlink(req); /* linked means not taken */
            }
            return true;
        }
    }
    return false;
}

/* From progress: each cancel may complete a receive, and its mtl request
 * is then gone. */
void ompi_mtl_verve_fail_receives(void)
{
    verve_ompi_fail_receives(ompi_mtl_verve.worker, &ompi_mtl_verve.lock,
                             &ompi_mtl_verve.failure_pending,
                             ompi_mtl_verve_take_failed);
}

/* Before their endpoints are freed: a receive still posted from a peer
 * being closed is no longer failed with it. */
void ompi_mtl_verve_forget_closing_peers(void)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;
    ompi_mtl_verve_request_t *req, *next;

    OPAL_THREAD_LOCK(&module->lock);
    for (req = module->receives; req != NULL; req = next) {
        next = req->next;
        if (req->peer->closing) {
            ompi_mtl_verve_unlink(req);
            req->peer = NULL;
        }
    }
    OPAL_THREAD_UNLOCK(&module->lock);
}
