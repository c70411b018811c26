/*
 * Probes over verve's unexpected queue for Open MPI's verve components.
 */
#include "verve_ompi_probe.h"

#include "ompi/communicator/communicator.h"
#include "ompi/message/message.h"
#include "opal/util/output.h"

static verve_status_t verve_ompi_probe(const verve_ompi_prober_t *prober,
                                       struct ompi_communicator_t *comm,
                                       int src, int tag, int remove,
                                       verve_tag_recv_info_t *info,
                                       verve_tag_message_h *vmsg)
{
    verve_tag_t expect = verve_ompi_tag_expect(comm->c_contextid, src, tag);
    verve_tag_t mask = verve_ompi_tag_mask(src, tag);
    verve_ompi_endpoint_t *peer;
    verve_status_t status;

    status = verve_tag_probe_nb(prober->worker, expect, mask, remove, info,
                                vmsg);
    if (status == VERVE_ERR_NO_ELEM) {
        (void)prober->progress();
        status = verve_tag_probe_nb(prober->worker, expect, mask, remove,
                                    info, vmsg);
    }
    if (status == VERVE_ERR_NO_ELEM && src != MPI_ANY_SOURCE) {
        peer = prober->peer(comm, src);
        if (peer == NULL) {
            status = VERVE_ERR_UNREACHABLE;
        } else if (peer->failed != VERVE_OK) {
            status = (verve_status_t)peer->failed;
        }
    }
    if (OPAL_UNLIKELY(status != VERVE_OK && status != VERVE_ERR_NO_ELEM &&
                      status != VERVE_ERR_PEER_FAILED)) {
        opal_output(0, "%s: probe for rank %d tag %d of %s failed: %s",
                    prober->who, src, tag, comm->c_name,
                    verve_status_string(status));
    }
    return status;
}

int verve_ompi_iprobe(const verve_ompi_prober_t *prober,
                      struct ompi_communicator_t *comm, int src, int tag,
                      int *matched, ompi_status_public_t *status)
{
    verve_tag_recv_info_t info;
    verve_status_t vstatus;

    vstatus = verve_ompi_probe(prober, comm, src, tag, 0, &info, NULL);
    *matched = (vstatus == VERVE_OK);
    if (vstatus == VERVE_OK) {
        if (status != MPI_STATUS_IGNORE) {
            verve_ompi_status(status, tag, &info, info.length, VERVE_OK);
        }
        return OMPI_SUCCESS;
    }
    return (vstatus == VERVE_ERR_NO_ELEM) ? OMPI_SUCCESS
                                          : verve_ompi_error(vstatus);
}

int verve_ompi_improbe(const verve_ompi_prober_t *prober,
                       struct ompi_communicator_t *comm, int src, int tag,
                       int *matched, struct ompi_message_t **message,
                       ompi_status_public_t *status)
{
    /* Taken before the probe: a message removed from verve's queue must
     * have somewhere to go. */
    struct ompi_message_t *msg = ompi_message_alloc();
    verve_tag_message_h vmsg = NULL;
    verve_tag_recv_info_t info;
    verve_status_t vstatus;

    *matched = 0;
    *message = MPI_MESSAGE_NULL;
    if (OPAL_UNLIKELY(msg == NULL)) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    vstatus = verve_ompi_probe(prober, comm, src, tag, 1, &info, &vmsg);
    if (vstatus != VERVE_OK) {
        ompi_message_return(msg);
        return (vstatus == VERVE_ERR_NO_ELEM) ? OMPI_SUCCESS
                                              : verve_ompi_error(vstatus);
    }
    msg->comm = comm;
    msg->req_ptr = vmsg;
    msg->peer = verve_ompi_tag_source(info.sender_tag);
    msg->count = info.length;
    if (status != MPI_STATUS_IGNORE) {
        verve_ompi_status(status, tag, &info, info.length, VERVE_OK);
    }
    *message = msg;
    *matched = 1;
    return OMPI_SUCCESS;
}
