/*
 * pml verve: the module. Its table, the verve worker and the request free
 * list, peers (endpoints created on first use, closed by del_procs and
 * finalize), communicators (add_comm checks that the tag layout holds
 * them) and progress.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/mca/pml/base/base.h"
#include "ompi/proc/proc.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "pml_verve.h"
#include "verve_ompi_share.h"

static int pml_verve_add_procs(struct ompi_proc_t **procs, size_t nprocs);
static int pml_verve_del_procs(struct ompi_proc_t **procs, size_t nprocs);
static int pml_verve_enable(bool enable);
static int pml_verve_add_comm(struct ompi_communicator_t *comm);
static int pml_verve_del_comm(struct ompi_communicator_t *comm);
static int pml_verve_dump(struct ompi_communicator_t *comm, int verbose);
static int pml_verve_ft_event(int state);

pml_verve_module_t ompi_pml_verve = {
    .super = {
        .pml_add_procs = pml_verve_add_procs,
        .pml_del_procs = pml_verve_del_procs,
        .pml_enable = pml_verve_enable,
        .pml_progress = pml_verve_progress,
        .pml_add_comm = pml_verve_add_comm,
        .pml_del_comm = pml_verve_del_comm,
        .pml_irecv_init = pml_verve_irecv_init,
        .pml_irecv = pml_verve_irecv,
        .pml_recv = pml_verve_recv,
        .pml_isend_init = pml_verve_isend_init,
        .pml_isend = pml_verve_isend,
        .pml_send = pml_verve_send,
        .pml_iprobe = pml_verve_iprobe,
        .pml_probe = pml_verve_probe,
        .pml_start = pml_verve_start,
        .pml_improbe = pml_verve_improbe,
        .pml_mprobe = pml_verve_mprobe,
        .pml_imrecv = pml_verve_imrecv,
        .pml_mrecv = pml_verve_mrecv,
        .pml_dump = pml_verve_dump,
        .pml_ft_event = pml_verve_ft_event,
        .pml_max_contextid = VERVE_OMPI_MAX_CID,
        .pml_max_tag = VERVE_OMPI_MAX_TAG,
        /* Endpoints come on first use: MPI_Init stays short. */
        .pml_flags = 0
    }
};

static int pml_verve_completed_free(ompi_request_t **request)
{
    *request = MPI_REQUEST_NULL;
    return OMPI_SUCCESS;
}

static int pml_verve_completed_cancel(ompi_request_t *request, int complete)
{
    (void)request;
    (void)complete;
    return OMPI_SUCCESS;
}

/* The request every send that completed in place returns. */
static void pml_verve_completed_init(ompi_request_t *req)
{
    OBJ_CONSTRUCT(req, ompi_request_t);
    OMPI_REQUEST_INIT(req, false);
    req->req_type = OMPI_REQUEST_PML;
    req->req_state = OMPI_REQUEST_ACTIVE;
    req->req_free = pml_verve_completed_free;
    req->req_cancel = pml_verve_completed_cancel;
    /* Shared by every such send: no source, and an even tag, which osc
     * pt2pt reads as "not a passive target epoch" (it never gets this
     * request: its sends are persistent). */
    req->req_status.MPI_SOURCE = MPI_ANY_SOURCE;
    req->req_status.MPI_TAG = 0;
    req->req_status._ucount = 0;
    req->req_status.MPI_ERROR = MPI_SUCCESS;
    req->req_status._cancelled = 0;
    ompi_request_complete(req, false);
}

int pml_verve_module_init(bool enable_mpi_threads)
{
    verve_context_params_t context_params;
    verve_worker_params_t worker_params = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        /* verve's lock only where MPI_THREAD_MULTIPLE may call in from
         * several threads at once. */
        .thread_mode = enable_mpi_threads ? VERVE_THREAD_MODE_MULTI
                                          : VERVE_THREAD_MODE_SINGLE
    };
    pml_verve_module_t *module = &ompi_pml_verve;
    verve_status_t status;
    int rc;

    verve_ompi_context_params(PML_VERVE_NAME,
                              ompi_pml_base_framework.framework_output,
                              &context_params);
    status = verve_context_create(&context_params, &module->context);
    if (status != VERVE_OK) {
        opal_output(0, PML_VERVE_NAME ": verve_context_create failed: %s",
                    verve_status_string(status));
        return OMPI_ERROR;
    }
    status = verve_worker_create(module->context, &worker_params,
                                 &module->worker);
    if (status != VERVE_OK) {
        opal_output(0, PML_VERVE_NAME ": verve_worker_create (thread mode "
                    "%s) failed: %s", enable_mpi_threads ? "multi" : "single",
                    verve_status_string(status));
        goto err_destroy_context;
    }
    rc = verve_ompi_address_publish(PML_VERVE_NAME, module->worker,
                                    &mca_pml_verve_component.pmlm_version);
    if (rc != OMPI_SUCCESS) {
        goto err_destroy_worker;
    }
    /* Before the free list: its first batch of requests registers. */
    OBJ_CONSTRUCT(&module->lock, opal_mutex_t);
    module->registry = NULL;
    module->num_registry = module->max_registry = 0;
    OBJ_CONSTRUCT(&module->requests, opal_free_list_t);
    rc = opal_free_list_init(&module->requests, sizeof(pml_verve_request_t),
                             opal_cache_line_size,
                             OBJ_CLASS(pml_verve_request_t), 0,
                             opal_cache_line_size, 128, -1, 128, NULL, 0,
                             NULL, NULL, NULL);
    if (rc != OMPI_SUCCESS) {
        opal_output(0, PML_VERVE_NAME ": the request free list failed: %d",
                    rc);
        OBJ_DESTRUCT(&module->requests);
        OBJ_DESTRUCT(&module->lock);
        free(module->registry);
        module->registry = NULL;
        goto err_destroy_worker;
    }
    pml_verve_completed_init(&module->completed_send);
    module->peers.who = PML_VERVE_NAME;
    module->peers.output = ompi_pml_base_framework.framework_output;
    module->peers.slot = OMPI_PROC_ENDPOINT_TAG_PML;
    module->peers.worker = module->worker;
    module->failure_pending = 0;
    opal_progress_register(pml_verve_progress);
    opal_output_verbose(1, ompi_pml_base_framework.framework_output,
                        PML_VERVE_NAME ": initialized, verve %s, thread "
                        "mode %s", verve_version_string(),
                        enable_mpi_threads ? "multi" : "single");
    return OMPI_SUCCESS;

err_destroy_worker:
    verve_worker_destroy(module->worker);
    module->worker = NULL;
err_destroy_context:
    verve_context_destroy(module->context);
    module->context = NULL;
    return OMPI_ERROR;
}

/* verve calls it under its worker lock, from progress or from a send
 * that found the peer gone: record the failure, and leave ending the
 * receives to progress, outside verve's call stack. */
static void pml_verve_ep_error(void *arg, verve_ep_h ep,
                               verve_status_t status)
{
    pml_verve_endpoint_t *endpoint = arg;

    (void)ep;
    verve_ompi_peer_report(&ompi_pml_verve.peers, endpoint->proc, status);
    pml_verve_peer_failed(endpoint, status);
}

/* The first message to or from a peer creates its endpoint; under the
 * lock, since two threads may meet the same new peer. NULL when it cannot
 * be reached (said once, here). */
pml_verve_endpoint_t *pml_verve_endpoint_add(struct ompi_proc_t *proc)
{
    pml_verve_module_t *module = &ompi_pml_verve;
    pml_verve_endpoint_t *endpoint;

    OPAL_THREAD_LOCK(&module->lock);
    endpoint = proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_PML];
    if (endpoint != NULL) {
        goto out;
    }
    endpoint = verve_ompi_peer_add(&module->peers,
                                   &mca_pml_verve_component.pmlm_version,
                                   proc, pml_verve_ep_error);
    if (endpoint == NULL) {
        goto out;
    }
    opal_output_verbose(10, ompi_pml_base_framework.framework_output,
                        PML_VERVE_NAME ": rank %d: endpoint to rank %d",
                        verve_ompi_proc_rank(ompi_proc_local()),
                        verve_ompi_proc_rank(proc));
out:
    OPAL_THREAD_UNLOCK(&module->lock);
    return endpoint;
}

static verve_ep_h pml_verve_share_ep(struct ompi_proc_t *proc)
{
    pml_verve_endpoint_t *endpoint;

    endpoint = proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_PML];
    if (endpoint == NULL) {
        endpoint = pml_verve_endpoint_add(proc);
    }
    return (endpoint != NULL) ? endpoint->ep : NULL;
}

/* coll verve's collectives run on this worker and its endpoints. */
const verve_ompi_share_t *verve_ompi_share(void)
{
    static verve_ompi_share_t share = {
        .who = PML_VERVE_NAME,
        .ep = pml_verve_share_ep
    };

    share.worker = ompi_pml_verve.worker;
    return &share;
}

/* Nothing to do until a peer is used; the line says that this pml carries
 * MPI's point-to-point (init alone does not: every pml initialises before
 * the selection). */
static int pml_verve_add_procs(struct ompi_proc_t **procs, size_t nprocs)
{
    (void)procs;
    opal_output_verbose(1, ompi_pml_base_framework.framework_output,
                        PML_VERVE_NAME ": rank %d carries point-to-point, "
                        "%zu processes known", verve_ompi_proc_rank(
                                ompi_proc_local()), nprocs);
    return OMPI_SUCCESS;
}

static int pml_verve_del_procs(struct ompi_proc_t **procs, size_t nprocs)
{
    verve_ompi_peers_close(&ompi_pml_verve.peers, nprocs, procs,
                           pml_verve_forget_closing_peers);
    return OMPI_SUCCESS;
}

void pml_verve_module_fini(void)
{
    pml_verve_module_t *module = &ompi_pml_verve;

    if (module->worker == NULL) {
        return;
    }
    opal_progress_unregister(pml_verve_progress);
    verve_ompi_peers_close(&module->peers, 0, NULL,
                           pml_verve_forget_closing_peers);
    verve_ompi_peers_fini(&module->peers);
    OBJ_DESTRUCT(&module->requests);
    OBJ_DESTRUCT(&module->completed_send);
    OBJ_DESTRUCT(&module->lock);
    free(module->registry);
    module->registry = NULL;
    module->num_registry = module->max_registry = 0;
    verve_worker_destroy(module->worker);
    module->worker = NULL;
    verve_context_destroy(module->context);
    module->context = NULL;
}

static int pml_verve_enable(bool enable)
{
    (void)enable;
    return OMPI_SUCCESS;
}

static int pml_verve_add_comm(struct ompi_communicator_t *comm)
{
    return verve_ompi_comm_check(PML_VERVE_NAME, comm);
}

static int pml_verve_del_comm(struct ompi_communicator_t *comm)
{
    (void)comm;
    return OMPI_SUCCESS;
}

static int pml_verve_dump(struct ompi_communicator_t *comm, int verbose)
{
    (void)comm;
    (void)verbose;
    return OMPI_SUCCESS;
}

static int pml_verve_ft_event(int state)
{
    (void)state;
    return OMPI_SUCCESS;
}

int pml_verve_progress(void)
{
    int count = (int)verve_worker_progress(ompi_pml_verve.worker);

    if (OPAL_UNLIKELY(ompi_pml_verve.failure_pending)) {
        pml_verve_fail_receives();
    }
    return count;
}

/* One turn of a blocking call's wait: verve first; Open MPI's whole
 * progress (other components, the event loop) now and then, as ob1 and
 * ucx give it. */
void pml_verve_wait_progress(unsigned *idle)
{
    if (verve_worker_progress(ompi_pml_verve.worker) != 0) {
        *idle = 0;
        return;
    }
    if ((++*idle & 15) == 0) {
        opal_progress();
    } else if (OPAL_UNLIKELY(ompi_pml_verve.failure_pending)) {
        pml_verve_fail_receives();
    }
}
