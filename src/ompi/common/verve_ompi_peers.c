/*
 * The peer table of Open MPI's verve components: endpoints created from
 * the modex, a failure's message, and closing with a flush.
 */
#include "verve_ompi_peers.h"

#include <stdlib.h>

#include "ompi/proc/proc.h"
#include "ompi/runtime/mpiruntime.h"
#include "opal/util/output.h"

static int verve_ompi_peers_keep(verve_ompi_peers_t *peers,
                                 verve_ompi_endpoint_t *endpoint)
{
    if (peers->num_endpoints == peers->max_endpoints) {
        size_t max = (peers->max_endpoints == 0) ? 16
                                                 : 2 * peers->max_endpoints;
        void *array = realloc(peers->endpoints,
                              max * sizeof(*peers->endpoints));
        if (array == NULL) {
            return OMPI_ERR_OUT_OF_RESOURCE;
        }
        peers->endpoints = array;
        peers->max_endpoints = max;
    }
    peers->endpoints[peers->num_endpoints++] = endpoint;
    return OMPI_SUCCESS;
}

verve_ompi_endpoint_t *verve_ompi_peer_add(verve_ompi_peers_t *peers,
                                           const mca_base_component_t *version,
                                           struct ompi_proc_t *proc,
                                           verve_ep_error_cb_t err_cb)
{
    verve_ompi_endpoint_t *endpoint = calloc(1, sizeof(*endpoint));
    int rc;

    if (endpoint == NULL) {
        opal_output(0, "%s: no memory for the endpoint to rank %d",
                    peers->who, verve_ompi_proc_rank(proc));
        return NULL;
    }
    endpoint->proc = proc;
    endpoint->failed = VERVE_OK;
    rc = verve_ompi_ep_create(peers->who, peers->worker, version, proc,
                              err_cb, endpoint, &endpoint->ep);
    if (rc == OMPI_SUCCESS) {
        rc = verve_ompi_peers_keep(peers, endpoint);
        if (rc != OMPI_SUCCESS) {
            opal_output(0, "%s: no memory to keep the endpoint to rank %d",
                        peers->who, verve_ompi_proc_rank(proc));
            (void)verve_ep_close_nbx(endpoint->ep, VERVE_EP_CLOSE_FORCE,
                                     NULL, NULL);
        }
    }
    if (rc != OMPI_SUCCESS) {
        free(endpoint);
        return NULL;
    }
    opal_atomic_wmb();
    proc->proc_endpoints[peers->slot] = endpoint;
    return endpoint;
}

void verve_ompi_peer_report(const verve_ompi_peers_t *peers,
                            struct ompi_proc_t *proc, verve_status_t status)
{
    if (ompi_mpi_state >= OMPI_MPI_STATE_FINALIZE_STARTED) {
        opal_output_verbose(10, peers->output, "%s: peer rank %d gone in "
                            "finalize: %s", peers->who,
                            verve_ompi_proc_rank(proc),
                            verve_status_string(status));
        return;
    }
    opal_output(0, "%s: rank %d: peer rank %d on %s failed: %s", peers->who,
                verve_ompi_proc_rank(ompi_proc_local()),
                verve_ompi_proc_rank(proc),
                (proc->super.proc_hostname != NULL)
                        ? proc->super.proc_hostname : "unknown host",
                verve_status_string(status));
}

static void verve_ompi_close_done(verve_request_h request,
                                  verve_status_t status, void *user_data)
{
    size_t *pending = user_data;

    (void)request;
    (void)status;
    --*pending;
}

void verve_ompi_peers_close(verve_ompi_peers_t *peers, size_t nprocs,
                            struct ompi_proc_t **procs, void (*forget)(void))
{
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = verve_ompi_close_done
    };
    size_t pending = 0, i, kept = 0;
    verve_ompi_endpoint_t *endpoint;
    verve_request_h request;
    verve_status_t status;

    for (i = 0; i < nprocs; ++i) {
        endpoint = procs[i]->proc_endpoints[peers->slot];
        if (endpoint != NULL) {
            endpoint->closing = true;
        }
    }
    param.user_data = &pending;
    for (i = 0; i < peers->num_endpoints; ++i) {
        endpoint = peers->endpoints[i];
        if (procs != NULL && !endpoint->closing) {
            continue;
        }
        endpoint->closing = true;
        endpoint->proc->proc_endpoints[peers->slot] = NULL;
        status = verve_ep_close_nbx(endpoint->ep, VERVE_EP_CLOSE_FLUSH,
                                    &param, &request);
        if (status == VERVE_INPROGRESS) {
            ++pending;
            verve_request_free(request);
        } else if (status != VERVE_OK) {
            opal_output_verbose(10, peers->output, "%s: closing the endpoint "
                                "to rank %d failed: %s", peers->who,
                                verve_ompi_proc_rank(endpoint->proc),
                                verve_status_string(status));
        }
    }
    while (pending > 0) {
        verve_worker_progress(peers->worker);
    }
    forget();
    /* Freed only now: until every close is done, verve may still report
     * a failure on them. */
    for (i = 0; i < peers->num_endpoints; ++i) {
        endpoint = peers->endpoints[i];
        if (endpoint->closing) {
            free(endpoint);
        } else {
            peers->endpoints[kept++] = endpoint;
        }
    }
    peers->num_endpoints = kept;
}

void verve_ompi_fail_receives(verve_worker_h worker, opal_mutex_t *lock,
                              volatile int *pending,
                              bool (*take)(verve_request_h *vreq_p))
{
    verve_request_h vreq;
    bool found;

    OPAL_THREAD_LOCK(lock);
    *pending = 0;
    OPAL_THREAD_UNLOCK(lock);
    for (;;) {
        vreq = NULL;
        OPAL_THREAD_LOCK(lock);
        found = take(&vreq);
        OPAL_THREAD_UNLOCK(lock);
        if (!found) {
            return;
        }
        if (vreq == NULL) {
            continue;
        }
        /* VERVE_ERR_BUSY: it matched a message the peer sent before it
         * failed, and completes with that. */
        (void)verve_tag_recv_cancel(worker, vreq);
        verve_request_free(vreq);
    }
}

void verve_ompi_peers_fini(verve_ompi_peers_t *peers)
{
    free(peers->endpoints);
    peers->endpoints = NULL;
    peers->num_endpoints = peers->max_endpoints = 0;
}
