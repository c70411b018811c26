/*
 * pml verve: probes (verve_ompi_probe.c does the looking). The blocking
 * forms repeat the nonblocking ones until a message or the peer's
 * failure, progressing between tries.
 */
#include "ompi_config.h"

#include "verve_ompi_probe.h"

#include "pml_verve.h"

static verve_ompi_endpoint_t *pml_verve_probe_peer(
        struct ompi_communicator_t *comm, int rank)
{
    return pml_verve_peer(comm, rank);
}

static verve_ompi_prober_t pml_verve_prober(void)
{
    verve_ompi_prober_t prober = {
        .who = PML_VERVE_NAME,
        .worker = ompi_pml_verve.worker,
        .progress = pml_verve_progress,
        .peer = pml_verve_probe_peer
    };

    return prober;
}

int pml_verve_iprobe(int src, int tag, struct ompi_communicator_t *comm,
                     int *matched, ompi_status_public_t *status)
{
    verve_ompi_prober_t prober = pml_verve_prober();

    return verve_ompi_iprobe(&prober, comm, src, tag, matched, status);
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
    verve_ompi_prober_t prober = pml_verve_prober();

    return verve_ompi_improbe(&prober, comm, src, tag, matched, message,
                              status);
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
