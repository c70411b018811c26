/*
 * mtl verve: the module. Its table, the peers (add_procs, del_procs),
 * communicators (add_comm checks that the tag layout holds them),
 * progress and finalize.
 */
#include "ompi_config.h"

#include "ompi/communicator/communicator.h"
#include "ompi/mca/mtl/base/base.h"
#include "ompi/proc/proc.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "mtl_verve.h"
#include "verve_ompi_share.h"

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

static verve_ep_h ompi_mtl_verve_share_ep(struct ompi_proc_t *proc)
{
    ompi_mtl_verve_endpoint_t *endpoint;

    endpoint = proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL];
    return (endpoint != NULL) ? endpoint->ep : NULL;
}

/* coll verve's collectives run on this worker and the endpoints pml cm
 * had this mtl make (to every process it knows). */
const verve_ompi_share_t *verve_ompi_share(void)
{
    static verve_ompi_share_t share = {
        .who = "mtl verve",
        .ep = ompi_mtl_verve_share_ep
    };

    share.worker = ompi_mtl_verve.worker;
    return &share;
}

/* verve calls it under its worker lock, from progress or from a send
 * that found the peer gone: record the failure, and leave cancelling the
 * receives to ompi_mtl_verve_progress, outside verve's call stack. */
static void ompi_mtl_verve_ep_error(void *arg, verve_ep_h ep,
                                    verve_status_t status)
{
    ompi_mtl_verve_endpoint_t *endpoint = arg;

    (void)ep;
    verve_ompi_peer_report(&ompi_mtl_verve.peers, endpoint->proc, status);
    ompi_mtl_verve_peer_failed(endpoint, status);
}

int ompi_mtl_verve_add_procs(struct mca_mtl_base_module_t *mtl,
                             size_t nprocs, struct ompi_proc_t **procs)
{
    size_t i;

    (void)mtl;
    for (i = 0; i < nprocs; ++i) {
        if (procs[i]->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL] != NULL) {
            continue;
        }
        if (verve_ompi_peer_add(&ompi_mtl_verve.peers,
                                &mca_mtl_verve_component.super.mtl_version,
                                procs[i], ompi_mtl_verve_ep_error) == NULL) {
            return OMPI_ERR_UNREACH;
        }
    }
    /* Only pml cm, once selected, adds processes: this line says the
     * verve mtl carries MPI's point-to-point (init alone does not: cm
     * initialises its mtl before the pml selection). */
    opal_output_verbose(1, ompi_mtl_base_framework.framework_output,
                        "mtl verve: rank %d has endpoints to %zu processes",
                        verve_ompi_proc_rank(ompi_proc_local()),
                        ompi_mtl_verve.peers.num_endpoints);
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_del_procs(struct mca_mtl_base_module_t *mtl,
                             size_t nprocs, struct ompi_proc_t **procs)
{
    (void)mtl;
    verve_ompi_peers_close(&ompi_mtl_verve.peers, nprocs, procs,
                           ompi_mtl_verve_forget_closing_peers);
    return OMPI_SUCCESS;
}

int ompi_mtl_verve_finalize(struct mca_mtl_base_module_t *mtl)
{
    ompi_mtl_verve_module_t *module = &ompi_mtl_verve;

    (void)mtl;
    opal_progress_unregister(ompi_mtl_verve_progress);
    verve_ompi_peers_close(&module->peers, 0, NULL,
                           ompi_mtl_verve_forget_closing_peers);
    verve_ompi_peers_fini(&module->peers);
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
