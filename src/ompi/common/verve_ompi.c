/*
 * The pieces of Open MPI's verve components that do not depend on which
 * framework they serve: error mapping, communicator checks and the worker
 * address in the modex.
 */
#include "verve_ompi.h"

#include <stdlib.h>

#include "ompi/communicator/communicator.h"
#include "ompi/proc/proc.h"
#include "opal/util/proc.h"
#include "opal/mca/pmix/pmix.h"
#include "opal/util/output.h"

int verve_ompi_error(verve_status_t status)
{
    switch (status) {
    case VERVE_OK:
        return MPI_SUCCESS;
    case VERVE_ERR_MESSAGE_TRUNCATED:
        return MPI_ERR_TRUNCATE;
    case VERVE_ERR_NO_MEMORY:
        return MPI_ERR_NO_MEM;
    case VERVE_ERR_PEER_FAILED:
    case VERVE_ERR_UNREACHABLE:
    case VERVE_ERR_IO:
    case VERVE_ERR_TIMED_OUT:
        /* Open MPI 4.1 has no MPI_ERR_PROC_FAILED outside ULFM. */
        return MPI_ERR_OTHER;
    default:
        return MPI_ERR_INTERN;
    }
}

int verve_ompi_proc_rank(struct ompi_proc_t *proc)
{
    return (int)proc->super.proc_name.vpid;
}

int verve_ompi_comm_check(const char *who, struct ompi_communicator_t *comm)
{
    int size = ompi_comm_size(comm);

    if (OMPI_COMM_IS_INTER(comm) && ompi_comm_remote_size(comm) > size) {
        size = ompi_comm_remote_size(comm);
    }
    if (comm->c_contextid > VERVE_OMPI_MAX_CID) {
        opal_output(0, "%s: communicator %s has context id %u; the tag "
                    "layout holds at most %u", who, comm->c_name,
                    comm->c_contextid, VERVE_OMPI_MAX_CID);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    if (size > VERVE_OMPI_MAX_RANKS) {
        opal_output(0, "%s: communicator %s has a group of %d ranks; the "
                    "tag layout holds at most %d", who, comm->c_name, size,
                    VERVE_OMPI_MAX_RANKS);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    return OMPI_SUCCESS;
}

int verve_ompi_address_publish(const char *who, verve_worker_h worker,
                               const mca_base_component_t *version)
{
    verve_status_t status;
    void *address;
    size_t length;
    int rc;

    status = verve_worker_address_pack(worker, &address, &length);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_worker_address_pack failed: %s", who,
                    verve_status_string(status));
        return OMPI_ERROR;
    }
    OPAL_MODEX_SEND(rc, OPAL_PMIX_GLOBAL, version, address, length);
    if (rc != OMPI_SUCCESS) {
        opal_output(0, "%s: publishing the worker address (%zu bytes) in "
                    "the modex failed: %d", who, length, rc);
    }
    verve_worker_address_release(address);
    return rc;
}

int verve_ompi_ep_create(const char *who, verve_worker_h worker,
                         const mca_base_component_t *version,
                         struct ompi_proc_t *proc,
                         verve_ep_error_cb_t err_cb, void *err_arg,
                         verve_ep_h *ep_p)
{
    verve_ep_params_t params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS |
                      VERVE_EP_PARAM_FIELD_ERR_HANDLER,
        .err_cb = err_cb,
        .err_arg = err_arg
    };
    verve_status_t status;
    void *address = NULL;
    size_t length = 0;
    int rc;

    OPAL_MODEX_RECV(rc, version, &proc->super.proc_name, &address, &length);
    if (rc != OMPI_SUCCESS) {
        opal_output(0, "%s: no worker address in the modex for rank %d: %d",
                    who, verve_ompi_proc_rank(proc), rc);
        return OMPI_ERR_UNREACH;
    }
    params.address = address;
    params.address_length = length;
    status = verve_ep_create(worker, &params, ep_p);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_ep_create to rank %d (address of %zu "
                    "bytes) failed: %s", who, verve_ompi_proc_rank(proc),
                    length, verve_status_string(status));
        rc = OMPI_ERR_UNREACH;
    }
    free(address);  /* the modex hands out its own copy */
    return rc;
}

void verve_ompi_context_params(const char *who, int output,
                               verve_context_params_t *params)
{
    int world = ompi_proc_world_size();

    params->field_mask = VERVE_CONTEXT_PARAM_FIELD_NAME;
    params->name = who;

    if (opal_process_info.num_local_peers >= 0 &&
        opal_process_info.num_local_peers + 1 >= world) {
        params->field_mask |= VERVE_CONTEXT_PARAM_FIELD_TLS;
        params->tls = "shm,self";
        if (getenv("VERVE_TLS") == NULL) {
            opal_output_verbose(1, output, "%s: all %d ranks share this "
                                "node: transports shm,self (VERVE_TLS "
                                "chooses others)", who, world);
        }
    }
}
