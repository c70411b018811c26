/*
 * mtl verve: the component. Registers the priority, and at init creates
 * the verve context and worker and publishes the worker's address
 * through the PMIx modex for add_procs to read.
 */
#include "ompi_config.h"

#include "ompi/mca/mtl/base/base.h"
#include "ompi/proc/proc.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "mtl_verve.h"

/* Below ob1's 20: without --mca pml cm, ob1 stays the default; naming
 * "--mca pml cm --mca mtl verve" selects this one whatever its value. */
#define MTL_VERVE_DEFAULT_PRIORITY 15

static int ompi_mtl_verve_priority = MTL_VERVE_DEFAULT_PRIORITY;

static int ompi_mtl_verve_component_register(void);
static int ompi_mtl_verve_component_open(void);
static int ompi_mtl_verve_component_close(void);
static int ompi_mtl_verve_component_query(mca_base_module_t **module,
                                          int *priority);
static mca_mtl_base_module_t *ompi_mtl_verve_component_init(
        bool enable_progress_threads, bool enable_mpi_threads);

ompi_mtl_verve_component_t mca_mtl_verve_component = {
    .super = {
        .mtl_version = {
            MCA_MTL_BASE_VERSION_2_0_0,
            .mca_component_name = "verve",
            MCA_BASE_MAKE_VERSION(component, VERVE_VERSION_MAJOR,
                                  VERVE_VERSION_MINOR, 0),
            .mca_open_component = ompi_mtl_verve_component_open,
            .mca_close_component = ompi_mtl_verve_component_close,
            /* mca_base_select skips a component without it. */
            .mca_query_component = ompi_mtl_verve_component_query,
            .mca_register_component_params =
                    ompi_mtl_verve_component_register,
        },
        .mtl_data = {
            MCA_BASE_METADATA_PARAM_NONE
        },
        .mtl_init = ompi_mtl_verve_component_init,
    }
};

static int ompi_mtl_verve_component_register(void)
{
    ompi_mtl_verve_priority = MTL_VERVE_DEFAULT_PRIORITY;
    (void)mca_base_component_var_register(
            &mca_mtl_verve_component.super.mtl_version, "priority",
            "Priority of the verve mtl (ob1 has 20: above it, pml cm with "
            "this mtl becomes the default)",
            MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_9,
            MCA_BASE_VAR_SCOPE_READONLY, &ompi_mtl_verve_priority);
    return OMPI_SUCCESS;
}

static int ompi_mtl_verve_component_open(void)
{
    return OMPI_SUCCESS;
}

static int ompi_mtl_verve_component_close(void)
{
    return OMPI_SUCCESS;
}

/* Cheap and never failing: verve's resources are created by init, which
 * runs only for the component selected. */
static int ompi_mtl_verve_component_query(mca_base_module_t **module,
                                          int *priority)
{
    *priority = ompi_mtl_verve_priority;
    *module = (mca_base_module_t *)&ompi_mtl_verve.super;
    return OMPI_SUCCESS;
}

static mca_mtl_base_module_t *ompi_mtl_verve_component_init(
        bool enable_progress_threads, bool enable_mpi_threads)
{
    verve_context_params_t context_params;
    verve_worker_params_t worker_params = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        /* verve's lock only where MPI_THREAD_MULTIPLE may call in from
         * several threads at once. */
        .thread_mode = enable_mpi_threads ? VERVE_THREAD_MODE_MULTI
                                          : VERVE_THREAD_MODE_SINGLE
    };
    verve_status_t status;

    (void)enable_progress_threads;
    verve_ompi_context_params("mtl verve",
                              ompi_mtl_base_framework.framework_output,
                              &context_params);
    status = verve_context_create(&context_params, &ompi_mtl_verve.context);
    if (status != VERVE_OK) {
        opal_output(0, "mtl verve: verve_context_create failed: %s",
                    verve_status_string(status));
        return NULL;
    }
    status = verve_worker_create(ompi_mtl_verve.context, &worker_params,
                                 &ompi_mtl_verve.worker);
    if (status != VERVE_OK) {
        opal_output(0, "mtl verve: verve_worker_create (thread mode %s) "
                    "failed: %s", enable_mpi_threads ? "multi" : "single",
                    verve_status_string(status));
        goto err_destroy_context;
    }
    if (verve_ompi_address_publish(
                "mtl verve", ompi_mtl_verve.worker,
                &mca_mtl_verve_component.super.mtl_version) != OMPI_SUCCESS) {
        goto err_destroy_worker;
    }
    OBJ_CONSTRUCT(&ompi_mtl_verve.lock, opal_mutex_t);
    ompi_mtl_verve.peers.who = "mtl verve";
    ompi_mtl_verve.peers.output = ompi_mtl_base_framework.framework_output;
    ompi_mtl_verve.peers.slot = OMPI_PROC_ENDPOINT_TAG_MTL;
    ompi_mtl_verve.peers.worker = ompi_mtl_verve.worker;
    ompi_mtl_verve.receives = NULL;
    ompi_mtl_verve.failure_pending = 0;
    ompi_mtl_verve.super.mtl_request_size =
            sizeof(ompi_mtl_verve_request_t) - sizeof(mca_mtl_request_t);
    /* pml cm has no progress of its own. */
    opal_progress_register(ompi_mtl_verve_progress);
    opal_output_verbose(1, ompi_mtl_base_framework.framework_output,
                        "mtl verve: initialized, verve %s, thread mode %s",
                        verve_version_string(),
                        enable_mpi_threads ? "multi" : "single");
    return &ompi_mtl_verve.super;

err_destroy_worker:
    verve_worker_destroy(ompi_mtl_verve.worker);
    ompi_mtl_verve.worker = NULL;
err_destroy_context:
    verve_context_destroy(ompi_mtl_verve.context);
    ompi_mtl_verve.context = NULL;
    return NULL;
}
