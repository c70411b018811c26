/*
 * pml verve: probes. verve_tag_probe_nb looks at the unexpected queue
 * only, without progress: when it finds nothing, progress once and look
 * again, or an MPI_Iprobe loop would depend on other calls to progress.
 * The blocking forms repeat that until a message or the peer's failure.
 */
#include "ompi_config.h"

#include "ompi/communicator/communicator.h"
#include "ompi/message/message.h"
#include "opal/util/output.h"

#include "pml_verve.h"

static verve_status_t pml_verve_probe_once(struct ompi_communicator_t *comm,
                                           int src, int tag, int remove,
                                           verve_tag_recv_info_t *info,
                                           verve_tag_message_h *vmsg)
{
    verve_tag_t expect = verve_ompi_tag_expect(comm->c_contextid, src, tag);
    verve_tag_t mask = verve_ompi_tag_mask(src, tag);
    pml_verve_endpoint_t *peer;
    verve_status_t status;

    status = verve_tag_probe_nb(ompi_pml_verve.worker, expect, mask, remove,
                                info, vmsg);
    if (status == VERVE_ERR_NO_ELEM) {
        (void)pml_verve_progress();
        status = verve_tag_probe_nb(ompi_pml_verve.worker, expect, mask,
                                    remove, info, vmsg);
    }
    if (status == VERVE_ERR_NO_ELEM && src != MPI_ANY_SOURCE) {
        /* Nothing will ever come from a failed peer: an error ends an
         * MPI_Probe that would otherwise wait forever. */
        peer = pml_verve_peer(comm, src);
        if (peer == NULL) {
            status = VERVE_ERR_UNREACHABLE;
        } else if (peer->failed != VERVE_OK) {
            status = (verve_status_t)peer->failed;
        }
    }
    if (OPAL_UNLIKELY(status != VERVE_OK && status != VERVE_ERR_NO_ELEM &&
                      status != VERVE_ERR_PEER_FAILED)) {
        opal_output(0, PML_VERVE_NAME ": probe for rank %d tag %d of %s "
                    "failed: %s", src, tag, comm->c_name,
                    verve_status_string(status));
    }
    return status;
}

static void pml_verve_probe_status(const verve_tag_recv_info_t *info,
                                   int tag, ompi_status_public_t *status)
{
    if (status != MPI_STATUS_IGNORE) {
        pml_verve_recv_status(status, tag, info, info->length, VERVE_OK);
    }
}

int pml_verve_iprobe(int src, int tag, struct ompi_communicator_t *comm,
                     int *matched, ompi_status_public_t *status)
{
    verve_tag_recv_info_t info;
    verve_status_t vstatus;

    vstatus = pml_verve_probe_once(comm, src, tag, 0, &info, NULL);
    *matched = (vstatus == VERVE_OK);
    if (vstatus == VERVE_OK) {
        pml_verve_probe_status(&info, tag, status);
        return OMPI_SUCCESS;
    }
    return (vstatus == VERVE_ERR_NO_ELEM) ? OMPI_SUCCESS
                                          : verve_ompi_error(vstatus);
}

int pml_verve_probe(int src, int tag, struct ompi_communicator_t *comm,
                    ompi_status_public_t *status)
{
    unsigned idle = 0;
    int matched = 0, rc;

    for (;;) {
        rc = pml_verve_iprobe(src, tag, comm, &matched, status);
        if (rc != OMPI_SUCCESS || matched) {
            return rc;
        }
        pml_verve_wait_progress(&idle);
    }
}

int pml_verve_improbe(int src, int tag, struct ompi_communicator_t *comm,
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
    vstatus = pml_verve_probe_once(comm, src, tag, 1, &info, &vmsg);
    if (vstatus != VERVE_OK) {
        ompi_message_return(msg);
        return (vstatus == VERVE_ERR_NO_ELEM) ? OMPI_SUCCESS
                                              : verve_ompi_error(vstatus);
    }
    msg->comm = comm;
    msg->req_ptr = vmsg;
    msg->peer = verve_ompi_tag_source(info.sender_tag);
    msg->count = info.length;
    pml_verve_probe_status(&info, tag, status);
    *message = msg;
    *matched = 1;
    return OMPI_SUCCESS;
}

int pml_verve_mprobe(int src, int tag, struct ompi_communicator_t *comm,
                     struct ompi_message_t **message,
                     ompi_status_public_t *status)
{
    unsigned idle = 0;
    int matched = 0, rc;

    for (;;) {
        rc = pml_verve_improbe(src, tag, comm, &matched, message, status);
        if (rc != OMPI_SUCCESS || matched) {
            return rc;
        }
        pml_verve_wait_progress(&idle);
    }
}
