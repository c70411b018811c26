/*
 * MPI_Iprobe and MPI_Improbe over verve's unexpected queue, for both of
 * Open MPI's verve components. verve_tag_probe_nb looks without
 * progress: when it finds nothing, the component's progress runs once and
 * it looks again, or an MPI_Iprobe loop would depend on other calls to
 * progress. A probe for a failed peer fails rather than find nothing
 * forever.
 */
#ifndef VERVE_OMPI_PROBE_H
#define VERVE_OMPI_PROBE_H

#include "verve_ompi_peers.h"

BEGIN_C_DECLS

struct ompi_message_t;

typedef struct verve_ompi_prober {
    const char *who;
    verve_worker_h worker;
    int (*progress)(void);
    /* The endpoint of rank in comm, or NULL when it cannot be reached. */
    verve_ompi_endpoint_t *(*peer)(struct ompi_communicator_t *comm,
                                   int rank);
} verve_ompi_prober_t;

/* A received message's status: who sent it, its tag (the posted one
 * unless that was MPI_ANY_TAG), the bytes delivered (a truncated receive
 * counts its buffer), the error. In line: once per message. */
static inline void verve_ompi_status(ompi_status_public_t *status, int tag,
                                     const verve_tag_recv_info_t *info,
                                     size_t delivered,
                                     verve_status_t vstatus)
{
    status->MPI_SOURCE = verve_ompi_tag_source(info->sender_tag);
    status->MPI_TAG = (tag == MPI_ANY_TAG)
            ? verve_ompi_tag_mpi(info->sender_tag) : tag;
    status->_ucount = delivered;
    status->MPI_ERROR = (vstatus == VERVE_OK) ? MPI_SUCCESS
                                              : verve_ompi_error(vstatus);
}

int verve_ompi_iprobe(const verve_ompi_prober_t *prober,
                      struct ompi_communicator_t *comm, int src, int tag,
                      int *matched, ompi_status_public_t *status);

/* A matched message leaves verve's queue as message->req_ptr (a
 * verve_tag_message_h), for the component's imrecv. */
int verve_ompi_improbe(const verve_ompi_prober_t *prober,
                       struct ompi_communicator_t *comm, int src, int tag,
                       int *matched, struct ompi_message_t **message,
                       ompi_status_public_t *status);

END_C_DECLS

#endif
