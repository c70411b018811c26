/*
 * mtl verve: the module. Its table, the peers (add_procs, del_procs),
 * communicators (add_comm checks that the tag layout holds them),
 * progress and finalize.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/mca/mtl/base/base.h"
#include "ompi/proc/proc.h"
#include "ompi/runtime/mpiruntime.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "mtl_verve.h"

ompi_mtl_verve_module_t ompi_mtl_verve = {
    .super = {
        .mtl_max_contextid = (int)VERVE_OMPI_MAX_CID,
        .mtl_max_tag = VERVE_OMPI_MAX_TAG,
        /* cm then adds every process at init. */
        .mtl_flags = MCA_MTL_BASE_FLAG_REQUIRE_WORLD,
        .mtl_add_procs = ompi_mtl_verve_add_procs,
        .mtl_del_procs = ompi_mtl_verve_del_procs,
        .mtl_finalize = ompi_mtl_verve_finalize,
        .mtl_send = ompi_mtl_verve_send,
        .mtl_isend = ompi_mtl_verve_isend,
        .mtl_irecv = ompi_mtl_verve_irecv,
        .mtl_iprobe = ompi_mtl_verve_iprobe,
        .mtl_imrecv = ompi_mtl_verve_imrecv,
        .mtl_improbe = ompi_mtl_verve_improbe,
        .mtl_cancel = ompi_mtl_verve_cancel,
        /* The header calls these optional; pml cm 4.1 calls them all. */
        .mtl_add_comm = ompi_mtl_verve_add_comm,
        .mtl_del_comm = ompi_mtl_verve_del_comm
    }
};

ompi_mtl_verve_endpoint_t *ompi_mtl_verve_endpoint(
        struct ompi_communicator_t *comm, int rank)
{
    struct ompi_proc_t *proc = ompi_comm_peer_lookup(comm, rank);

    return (proc == NULL) ? NULL
                          : proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL];
}

/* verve calls it under its worker lock, from progress or from a send
 * that found the peer gone: record the failure, and leave cancelling the
 * receives to ompi_mtl_verve_progress, outside verve's call stack. */
static void ompi_mtl_verve_ep_error(void *arg, verve_ep_h ep,
                                    verve_status_t status)
{
    ompi_mtl_verve_endpoint_t *endpoint = arg;
    struct ompi_proc_t *proc = endpoint->proc;

    (void)ep;
    /* Peers close their endpoints in MPI_Finalize: not an error then. */
    if (ompi_mpi_state >= OMPI_MPI_STATE_FINALIZE_STARTED) {
        opal_output_verbose(10, ompi_mtl_base_framework.framework_output,
                            "mtl verve: peer rank %d gone in finalize: %s",
                            verve_ompi_proc_rank(proc),
                            verve_status_string(status));
    } else {
        opal_output(0, "mtl verve: rank %d: peer rank %d on %s failed: %s",
                    verve_ompi_proc_rank(ompi_proc_local()),
                    verve_ompi_proc_rank(proc),
                    (proc->super.proc_hostname != NULL)
                            ? proc->super.proc_hostname : "unknown host",
                    verve_status_string(status));
    }
    ompi_mtl_verve_peer_failed(endpoint, status);
}

static int ompi_mtl_verve_endpoint_keep(ompi_mtl_verve_endpoint_t *endpoint)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;

    if (module->num_endpoints == module->max_endpoints) {
        size_t max = (module->max_endpoints == 0) ? 16
                                                  : 2 * module->max_endpoints;
        void *array = realloc(module->endpoints,
                              max * sizeof(*module->endpoints));
        if (array == NULL) {
            return OMPI_ERR_OUT_OF_RESOURCE;
        }
        module->endpoints = array;
        module->max_endpoints = max;
    }
    module->endpoints[module->num_endpoints++] = endpoint;
    return OMPI_SUCCESS;
}

static int ompi_mtl_verve_endpoint_create(struct ompi_proc_t *proc)
{
    ompi_mtl_verve_endpoint_t *endpoint;
    int rc;

    endpoint = calloc(1, sizeof(*endpoint));
    if (endpoint == NULL) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    endpoint->proc = proc;
    endpoint->failed = VERVE_OK;
    rc = verve_ompi_ep_create("mtl verve", ompi_mtl_verve.worker,
                              &mca_mtl_verve_component.super.mtl_version,
                              proc, ompi_mtl_verve_ep_error, endpoint,
                              &endpoint->ep);
    if (rc != OMPI_SUCCESS) {
        free(endpoint);
        return rc;
    }
    rc = ompi_mtl_verve_endpoint_keep(endpoint);
    if (rc != OMPI_SUCCESS) {
        (void)verve_ep_close_nbx(endpoint->ep, VERVE_EP_CLOSE_FORCE, NULL,
                                 NULL);
        free(endpoint);
        return rc;
    }
    proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL] = endpoint;
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_add_procs(struct mca_mtl_base_module_t *mtl,
                             size_t nprocs, struct ompi_proc_t **procs)
{
    size_t i;
    int rc;

    (void)mtl;
    for (i = 0; i < nprocs; ++i) {
        if (procs[i]->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL] != NULL) {
            continue;
        }
        rc = ompi_mtl_verve_endpoint_create(procs[i]);
        if (rc != OMPI_SUCCESS) {
            return rc;
        }
    }
    /* Only pml cm, once selected, adds processes: this line says the
     * verve mtl carries MPI's point-to-point (init alone does not: cm
     * initialises its mtl before the pml selection). */
    opal_output_verbose(1, ompi_mtl_base_framework.framework_output,
                        "mtl verve: rank %d has endpoints to %zu processes",
                        verve_ompi_proc_rank(ompi_proc_local()),
                        ompi_mtl_verve.num_endpoints);
    return OMPI_SUCCESS;
}

static void ompi_mtl_verve_close_done(verve_request_h request,
                                      verve_status_t status, void *user_data)
{
    size_t *pending = user_data;

    (void)request;
    (void)status;
    --*pending;
}

/* Closes the endpoints of every proc in procs (or every endpoint when
 * procs is NULL) with a flush, so that sends that completed in place are
 * delivered before the peer goes; a peer that is gone fails its flush,
 * which ends the wait as well. The endpoints are freed once every close
 * is done: until then verve may still report a failure on them. */
static void ompi_mtl_verve_close_endpoints(size_t nprocs,
                                           struct ompi_proc_t **procs)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = ompi_mtl_verve_close_done
    };
    size_t pending = 0, i, kept = 0;
    ompi_mtl_verve_endpoint_t *endpoint;
    verve_request_h request;
    verve_status_t status;

    for (i = 0; i < nprocs; ++i) {
        endpoint = procs[i]->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL];
        if (endpoint != NULL) {
            endpoint->closing = true;
        }
    }
    param.user_data = &pending;
    for (i = 0; i < module->num_endpoints; ++i) {
        endpoint = module->endpoints[i];
        if (procs != NULL && !endpoint->closing) {
            continue;
        }
        endpoint->closing = true;
        endpoint->proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL] = NULL;
        status = verve_ep_close_nbx(endpoint->ep, VERVE_EP_CLOSE_FLUSH,
                                    &param, &request);
        if (status == VERVE_INPROGRESS) {
            ++pending;
            verve_request_free(request);
        } else if (status != VERVE_OK) {
            opal_output_verbose(10, ompi_mtl_base_framework.framework_output,
                                "mtl verve: closing the endpoint to rank %d "
                                "failed: %s",
                                verve_ompi_proc_rank(endpoint->proc),
                                verve_status_string(status));
        }
    }
    while (pending > 0) {
        verve_worker_progress(module->worker);
    }
    ompi_mtl_verve_forget_closing_peers();
    for (i = 0; i < module->num_endpoints; ++i) {
        endpoint = module->endpoints[i];
        if (endpoint->closing) {
            free(endpoint);
        } else {
            module->endpoints[kept++] = endpoint;
        }
    }
    module->num_endpoints = kept;
}

int ompi_mtl_verve_del_procs(struct mca_mtl_base_module_t *mtl,
                             size_t nprocs, struct ompi_proc_t **procs)
{
    (void)mtl;
    ompi_mtl_verve_close_endpoints(nprocs, procs);
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_finalize(struct mca_mtl_base_module_t *mtl)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;

    (void)mtl;
    opal_progress_unregister(ompi_mtl_verve_progress);
    ompi_mtl_verve_close_endpoints(0, NULL);
    free(module->endpoints);
    module->endpoints = NULL;
    module->max_endpoints = 0;
    verve_worker_destroy(module->worker);
    module->worker = NULL;
    verve_context_destroy(module->context);
    module->context = NULL;
    OBJ_DESTRUCT(&module->lock);
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_add_comm(struct mca_mtl_base_module_t *mtl,
                            struct ompi_communicator_t *comm)
{
    (void)mtl;
    return verve_ompi_comm_check("mtl verve", comm);
}

int ompi_mtl_verve_del_comm(struct mca_mtl_base_module_t *mtl,
                            struct ompi_communicator_t *comm)
{
    (void)mtl;
    (void)comm;
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_progress(void)
{
    int count = (int)verve_worker_progress(ompi_mtl_verve.worker);

    if (OPAL_UNLIKELY(ompi_mtl_verve.failure_pending)) {
        ompi_mtl_verve_fail_receives();
    }
    return count;
}
