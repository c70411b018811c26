/*
 * pml verve: the component. Registers the priority; init creates the
 * verve context and worker (pml_verve_module_init) and the buffered-send
 * support MPI_Bsend needs.
 */
#include "ompi_config.h"

#include "ompi/mca/pml/base/base.h"
#include "ompi/mca/pml/base/pml_base_bsend.h"
#include "opal/util/output.h"

#include "pml_verve.h"

/* Below ob1's 20 and ucx's 51: chosen when named ("--mca pml verve", or
 * "pml = verve" in an MCA parameter file); above 51 it is the default. */
#define PML_VERVE_DEFAULT_PRIORITY 15

static int pml_verve_priority = PML_VERVE_DEFAULT_PRIORITY;

static int pml_verve_component_register(void);
static int pml_verve_component_open(void);
static int pml_verve_component_close(void);
static mca_pml_base_module_t *pml_verve_component_init(
        int *priority, bool enable_progress_threads,
        bool enable_mpi_threads);
static int pml_verve_component_fini(void);

mca_pml_base_component_2_0_0_t mca_pml_verve_component = {
    .pmlm_version = {
        MCA_PML_BASE_VERSION_2_0_0,
        .mca_component_name = "verve",
        MCA_BASE_MAKE_VERSION(component, VERVE_VERSION_MAJOR,
                              VERVE_VERSION_MINOR, 0),
        .mca_open_component = pml_verve_component_open,
        .mca_close_component = pml_verve_component_close,
        .mca_register_component_params = pml_verve_component_register,
    },
    .pmlm_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
    .pmlm_init = pml_verve_component_init,
    .pmlm_finalize = pml_verve_component_fini
};

static int pml_verve_component_register(void)
{
    pml_verve_priority = PML_VERVE_DEFAULT_PRIORITY;
    (void)mca_base_component_var_register(
            &mca_pml_verve_component.pmlm_version, "priority",
            "Priority of the verve pml (ob1 has 20, ucx 51: above them, "
            "verve carries MPI's point-to-point by default)",
            MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_3,
            MCA_BASE_VAR_SCOPE_READONLY, &pml_verve_priority);
    return OMPI_SUCCESS;
}

static int pml_verve_component_open(void)
{
    return OMPI_SUCCESS;
}

static int pml_verve_component_close(void)
{
    return OMPI_SUCCESS;
}

/* Every pml's init runs before the selection, so this one builds verve's
 * worker even when another pml wins: its finalize then takes it down. */
static mca_pml_base_module_t *pml_verve_component_init(
        int *priority, bool enable_progress_threads,
        bool enable_mpi_threads)
{
    (void)enable_progress_threads;
    if (mca_pml_base_bsend_init(enable_mpi_threads) != OMPI_SUCCESS) {
        return NULL;
    }
    if (pml_verve_module_init(enable_mpi_threads) != OMPI_SUCCESS) {
        (void)mca_pml_base_bsend_fini();
        return NULL;
    }
    *priority = pml_verve_priority;
    return &ompi_pml_verve.super;
}

static int pml_verve_component_fini(void)
{
    pml_verve_module_fini();
    (void)mca_pml_base_bsend_fini();
    return OMPI_SUCCESS;
}
