/*
 * spml verve's component: selection, and the verve context and worker
 * that the module (spml_verve.c) runs on.
 */
#include "oshmem_config.h"

#include "oshmem/mca/spml/base/base.h"
#include "oshmem/runtime/runtime.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "spml_verve.h"
#include "spml_verve_module.h"
#include "verve_ompi.h"

/* Below ucx's 21 and ikrit's: spml verve runs when named
 * ("--mca spml verve"). */
#define SPML_VERVE_DEFAULT_PRIORITY 5

static int spml_verve_priority = SPML_VERVE_DEFAULT_PRIORITY;

static int spml_verve_component_register(void);
static int spml_verve_component_open(void);
static int spml_verve_component_close(void);
static mca_spml_base_module_t *spml_verve_component_init(
        int *priority, bool enable_progress_threads,
        bool enable_mpi_threads);
static int spml_verve_component_fini(void);

mca_spml_base_component_2_0_0_t mca_spml_verve_component = {
    .spmlm_version = {
        MCA_SPML_BASE_VERSION_2_0_0,
        .mca_component_name = SPML_VERVE_NAME,
        MCA_BASE_MAKE_VERSION(component, VERVE_VERSION_MAJOR,
                              VERVE_VERSION_MINOR, 0),
        .mca_open_component = spml_verve_component_open,
        .mca_close_component = spml_verve_component_close,
        .mca_register_component_params = spml_verve_component_register,
    },
    .spmlm_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
    .spmlm_init = spml_verve_component_init,
    .spmlm_finalize = spml_verve_component_fini
};

static int spml_verve_component_register(void)
{
    spml_verve_priority = SPML_VERVE_DEFAULT_PRIORITY;
    (void)mca_base_component_var_register(
            &mca_spml_verve_component.spmlm_version, "priority",
            "Priority of spml verve (ucx has 21: below it, verve runs "
            "when named)", MCA_BASE_VAR_TYPE_INT, NULL, 0, 0,
            OPAL_INFO_LVL_3, MCA_BASE_VAR_SCOPE_READONLY,
            &spml_verve_priority);
    return OSHMEM_SUCCESS;
}

static int spml_verve_component_open(void)
{
    return OSHMEM_SUCCESS;
}

static int spml_verve_component_close(void)
{
    return OSHMEM_SUCCESS;
}

/* Only the selected spml's init runs when one is named; without a name
 * every init runs before the selection, so this one stays cheap to
 * undo (one context and one worker, no endpoint). */
static mca_spml_base_module_t *spml_verve_component_init(
        int *priority, bool enable_progress_threads,
        bool enable_mpi_threads)
{
    (void)enable_progress_threads;
    if (spml_verve_module_init(enable_mpi_threads) != OSHMEM_SUCCESS) {
        return NULL;
    }
    *priority = spml_verve_priority;
    return &mca_spml_verve_module;
}

static int spml_verve_component_fini(void)
{
    spml_verve_module_fini();
    return OSHMEM_SUCCESS;
}
