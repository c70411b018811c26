/*
 * mtl verve: probes. verve_tag_probe_nb looks at the unexpected queue
 * only, without progress: when it finds nothing, progress once and look
 * again, or an MPI_Iprobe loop would depend on other calls to progress.
 */
#include "ompi_config.h"

#include "ompi/communicator/communicator.h"
#include "ompi/message/message.h"
#include "opal/util/output.h"

#include "mtl_verve.h"

static verve_status_t ompi_mtl_verve_probe(struct ompi_communicator_t *comm,
                                           int src, int tag, int remove,
                                           verve_tag_recv_info_t *info,
                                           verve_tag_message_h *vmsg)
{
    verve_tag_t expect = verve_ompi_tag_expect(comm->c_contextid, src,
                                                   tag);
    verve_tag_t mask = verve_ompi_tag_mask(src, tag);
    verve_status_t status;

    status = verve_tag_probe_nb(ompi_mtl_verve.worker, expect, mask, remove,
                                info, vmsg);
    if (status == VERVE_ERR_NO_ELEM) {
        verve_worker_progress(ompi_mtl_verve.worker);
        status = verve_tag_probe_nb(ompi_mtl_verve.worker, expect, mask,
                                    remove, info, vmsg);
    }
    if (status == VERVE_ERR_NO_ELEM && src != MPI_ANY_SOURCE) {
        /* Nothing will ever come from a failed peer: an error ends an
         * MPI_Probe loop that would otherwise spin forever. */
        ompi_mtl_verve_endpoint_t *endpoint = ompi_mtl_verve_endpoint(comm,
                                                                      src);
        if (endpoint == NULL) {
            status = VERVE_ERR_UNREACHABLE;
        } else if (endpoint->failed != VERVE_OK) {
            status = (verve_status_t)endpoint->failed;
        }
    }
    if (OPAL_UNLIKELY(status != VERVE_OK && status != VERVE_ERR_NO_ELEM &&
                      status != VERVE_ERR_PEER_FAILED)) {
        opal_output(0, "mtl verve: probe for rank %d tag %d of %s failed: "
                    "%s", src, tag, comm->c_name,
                    verve_status_string(status));
    }
    return status;
}

static void ompi_mtl_verve_probe_status(const verve_tag_recv_info_t *info,
                                        int tag,
                                        struct ompi_status_public_t *status)
{
    if (status == MPI_STATUS_IGNORE) {
        return;
    }
    status->MPI_SOURCE = verve_ompi_tag_source(info->sender_tag);
    status->MPI_TAG = (tag == MPI_ANY_TAG)
            ? verve_ompi_tag_mpi(info->sender_tag) : tag;
    status->_ucount = info->length;
    status->MPI_ERROR = MPI_SUCCESS;
}

int ompi_mtl_verve_iprobe(struct mca_mtl_base_module_t *mtl,
                          struct ompi_communicator_t *comm, int src, int tag,
                          int *flag, struct ompi_status_public_t *status)
{
    verve_tag_recv_info_t info;
    verve_status_t vstatus;

    (void)mtl;
    vstatus = ompi_mtl_verve_probe(comm, src, tag, 0, &info, NULL);
    if (vstatus == VERVE_OK) {
        *flag = 1;
        ompi_mtl_verve_probe_status(&info, tag, status);
        return OMPI_SUCCESS;
    }
    *flag = 0;
    return (vstatus == VERVE_ERR_NO_ELEM) ? OMPI_SUCCESS
                                          : verve_ompi_error(vstatus);
}

int ompi_mtl_verve_improbe(struct mca_mtl_base_module_t *mtl,
                           struct ompi_communicator_t *comm, int src,
                           int tag, int *matched,
                           struct ompi_message_t **message,
                           struct ompi_status_public_t *status)
{
    /* Taken before the probe: a message removed from verve's queue must
     * have somewhere to go. */
    struct ompi_message_t *msg = ompi_message_alloc();
    verve_tag_message_h vmsg = NULL;
    verve_tag_recv_info_t info;
    verve_status_t vstatus;

    (void)mtl;
    *matched = 0;
    *message = MPI_MESSAGE_NULL;
    if (OPAL_UNLIKELY(msg == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    vstatus = ompi_mtl_verve_probe(comm, src, tag, 1, &info, &vmsg);
    if (vstatus != VERVE_OK) {
        ompi_message_return(msg);
        return (vstatus == VERVE_ERR_NO_ELEM) ? OMPI_SUCCESS
                                              : verve_ompi_error(vstatus);
    }
    msg->comm = comm;
    msg->req_ptr = vmsg;
    msg->peer = verve_ompi_tag_source(info.sender_tag);
    msg->count = info.length;
    ompi_mtl_verve_probe_status(&info, tag, status);
    *message = msg;
    *matched = 1;
    return OMPI_SUCCESS;
}
