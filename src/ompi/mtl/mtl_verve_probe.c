/*
 * mtl verve: probes (verve_ompi_probe.c does the looking).
 */
#include "ompi_config.h"

#include "verve_ompi_probe.h"

#include "mtl_verve.h"

static verve_ompi_prober_t ompi_mtl_verve_prober(void)
{
    verve_ompi_prober_t prober = {
        .who = "mtl verve",
        .worker = ompi_mtl_verve.worker,
        .progress = ompi_mtl_verve_progress,
        .peer = ompi_mtl_verve_endpoint
    };

    return prober;
}

int ompi_mtl_verve_iprobe(struct mca_mtl_base_module_t *mtl,
                          struct ompi_communicator_t *comm, int src, int tag,
                          int *flag, struct ompi_status_public_t *status)
{
    verve_ompi_prober_t prober = ompi_mtl_verve_prober();

    (void)mtl;
    return verve_ompi_iprobe(&prober, comm, src, tag, flag, status);
}

int ompi_mtl_verve_improbe(struct mca_mtl_base_module_t *mtl,
                           struct ompi_communicator_t *comm, int src,
                           int tag, int *matched,
                           struct ompi_message_t **message,
                           struct ompi_status_public_t *status)
{
    verve_ompi_prober_t prober = ompi_mtl_verve_prober();

    (void)mtl;
    return verve_ompi_improbe(&prober, comm, src, tag, matched, message,
                              status);
}
