/*
 * coll verve: the component. Its parameters (priority, on/off, the
 * collectives to leave alone); init makes the verve context and worker
 * and publishes the worker's address, before Open MPI's modex exchange;
 * close takes them down after every communicator's module is gone.
 */
#include "ompi_config.h"

#include <string.h>

#include "ompi/mca/mtl/base/base.h"
#include "ompi/mca/mtl/mtl.h"
#include "ompi/mca/pml/base/base.h"
#include "ompi/proc/proc.h"
#include "opal/mca/pmix/pmix.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/argv.h"
#include "opal/util/output.h"

#include "coll_verve.h"

static int coll_verve_register(void);
static int coll_verve_open(void);
static int coll_verve_close(void);
static int coll_verve_init_query(bool enable_progress_threads,
                                 bool enable_mpi_threads);

coll_verve_component_t mca_coll_verve_component = {
    .super = {
        .collm_version = {
            MCA_COLL_BASE_VERSION_2_0_0,
            .mca_component_name = "verve",
            MCA_BASE_MAKE_VERSION(component, VERVE_VERSION_MAJOR,
                                  VERVE_VERSION_MINOR, 0),
            .mca_open_component = coll_verve_open,
            .mca_close_component = coll_verve_close,
            .mca_register_component_params = coll_verve_register,
        },
        .collm_data = {
            MCA_BASE_METADATA_PARAM_NONE
        },
        .collm_init_query = coll_verve_init_query,
        .collm_comm_query = coll_verve_comm_query,
    },
    .priority = 0,
    .enable = true,
};

static const char *const coll_verve_kind_names[COLL_VERVE_KIND_LAST] = {
    [COLL_VERVE_BARRIER] = "barrier",
    [COLL_VERVE_BCAST] = "bcast",
    [COLL_VERVE_REDUCE] = "reduce",
    [COLL_VERVE_ALLREDUCE] = "allreduce",
    [COLL_VERVE_ALLGATHER] = "allgather",
    [COLL_VERVE_ALLTOALL] = "alltoall",
    [COLL_VERVE_GATHER] = "gather",
    [COLL_VERVE_SCATTER] = "scatter",
    [COLL_VERVE_ALLGATHERV] = "allgatherv",
    [COLL_VERVE_GATHERV] = "gatherv",
    [COLL_VERVE_SCATTERV] = "scatterv",
    [COLL_VERVE_ALLTOALLV] = "alltoallv",
    [COLL_VERVE_REDUCE_SCATTER] = "reduce_scatter",
    [COLL_VERVE_REDUCE_SCATTER_BLOCK] = "reduce_scatter_block",
    [COLL_VERVE_IBARRIER] = "ibarrier",
    [COLL_VERVE_IBCAST] = "ibcast",
    [COLL_VERVE_IREDUCE] = "ireduce",
    [COLL_VERVE_IALLREDUCE] = "iallreduce",
    [COLL_VERVE_IALLGATHER] = "iallgather",
    [COLL_VERVE_IALLTOALL] = "ialltoall",
    [COLL_VERVE_IGATHER] = "igather",
    [COLL_VERVE_ISCATTER] = "iscatter",
};

const char *coll_verve_kind_name(coll_verve_kind_t kind)
{
    return coll_verve_kind_names[kind];
}

static int coll_verve_register(void)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    mca_base_component_t *version = &c->super.collm_version;

    c->priority = 0;
    (void)mca_base_component_var_register(version, "priority",
            "Priority of coll verve (tuned has 30: above it, MPI's "
            "collectives run on verve's; 0 leaves it unused)",
            MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_3,
            MCA_BASE_VAR_SCOPE_READONLY, &c->priority);
    c->enable = true;
    (void)mca_base_component_var_register(version, "enable",
            "Whether coll verve may serve any communicator at all (false: "
            "it makes no verve worker)",
            MCA_BASE_VAR_TYPE_BOOL, NULL, 0, 0, OPAL_INFO_LVL_3,
            MCA_BASE_VAR_SCOPE_READONLY, &c->enable);
    c->disable = "";
    (void)mca_base_component_var_register(version, "disable",
            "Comma list of the collectives coll verve leaves to the next "
            "component: barrier, bcast, reduce, allreduce, allgather, "
            "alltoall, gather, scatter, allgatherv, gatherv, scatterv, "
            "alltoallv, reduce_scatter, reduce_scatter_block, and the "
            "nonblocking ibarrier, ibcast, ireduce, iallreduce, iallgather, "
            "ialltoall, igather, iscatter",
            MCA_BASE_VAR_TYPE_STRING, NULL, 0, 0, OPAL_INFO_LVL_3,
            MCA_BASE_VAR_SCOPE_READONLY, &c->disable);
    return OMPI_SUCCESS;
}

/* Reads coll_verve_disable; an unknown name is an error, not ignored. */
static int coll_verve_parse_disable(void)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    char **names = opal_argv_split(c->disable != NULL ? c->disable : "",
                                   ',');
    int i, k, rc = OMPI_SUCCESS;

    for (i = 0; names != NULL && names[i] != NULL; ++i) {
        for (k = 0; k < COLL_VERVE_KIND_LAST; ++k) {
            if (strcmp(names[i], coll_verve_kind_names[k]) == 0) {
                c->kind_off[k] = true;
                break;
            }
        }
        if (k == COLL_VERVE_KIND_LAST) {
            opal_output(0, COLL_VERVE_NAME ": coll_verve_disable names "
                        "'%s', which is not a collective of coll verve "
                        "(see ompi_info --param coll verve --level 3)",
                        names[i]);
            rc = OMPI_ERR_BAD_PARAM;
        }
    }
    opal_argv_free(names);
    return rc;
}

static int coll_verve_open(void)
{
    return OMPI_SUCCESS;
}

/* Every communicator's module is released by now (MPI_Finalize frees
 * them before the frameworks close). */
static int coll_verve_close(void)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    uint64_t served = 0, fallbacks = 0;
    int k;

    if (c->worker == NULL) {
        return OMPI_SUCCESS;
    }
    for (k = 0; k < COLL_VERVE_KIND_LAST; ++k) {
        served += c->served[k];
        fallbacks += c->fallbacks[k];
        if (c->fallbacks[k] != 0) {
            opal_output_verbose(1, ompi_coll_base_framework.framework_output,
                                COLL_VERVE_NAME ": rank %d: %llu %s calls "
                                "went to the next component",
                                verve_ompi_proc_rank(ompi_proc_local()),
                                (unsigned long long)c->fallbacks[k],
                                coll_verve_kind_names[k]);
        }
    }
    opal_output_verbose(1, ompi_coll_base_framework.framework_output,
                        COLL_VERVE_NAME ": rank %d: %llu calls ran on "
                        "verve, %llu went to the next component",
                        verve_ompi_proc_rank(ompi_proc_local()),
                        (unsigned long long)served,
                        (unsigned long long)fallbacks);
    if (c->progress_registered) {
        (void)opal_progress_unregister(coll_verve_progress);
        c->progress_registered = false;
    }
    if (c->share != NULL) {
        c->worker = NULL;    /* the pml's or mtl's, which closes it */
        return OMPI_SUCCESS;
    }
    coll_verve_close_eps();
    OBJ_DESTRUCT(&c->eps);
    verve_worker_destroy(c->worker);
    c->worker = NULL;
    verve_context_destroy(c->context);
    c->context = NULL;
    return OMPI_SUCCESS;
}

/* verve's pml, or verve's mtl under pml cm, when selected: its share. */
static const verve_ompi_share_t *coll_verve_find_share(void)
{
    const char *pml = mca_pml_base_selected_component.pmlm_version
                              .mca_component_name;

    if (strcmp(pml, "verve") == 0) {
        return verve_ompi_share_find((const void *)mca_pml.pml_irecv);
    }
    if (strcmp(pml, "cm") == 0 && ompi_mtl_base_selected_component != NULL &&
        strcmp(ompi_mtl_base_selected_component->mtl_version
                       .mca_component_name, "verve") == 0 &&
        ompi_mtl != NULL) {
        return verve_ompi_share_find((const void *)ompi_mtl->mtl_send);
    }
    return NULL;
}

/* Runs in MPI_Init before the modex exchange: the worker's address must
 * be published by then. Nothing is made when the component is off, or
 * its priority leaves it unused. */
static int coll_verve_init_query(bool enable_progress_threads,
                                 bool enable_mpi_threads)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    verve_context_params_t context_params;
    verve_worker_params_t worker_params = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        .thread_mode = enable_mpi_threads ? VERVE_THREAD_MODE_MULTI
                                          : VERVE_THREAD_MODE_SINGLE
    };
    verve_status_t status;
    int rc;

    (void)enable_progress_threads;
    if (!c->enable || c->priority <= 0) {
        return OMPI_ERR_NOT_AVAILABLE;
    }
    rc = coll_verve_parse_disable();
    if (rc != OMPI_SUCCESS) {
        return rc;
    }
    c->share = coll_verve_find_share();
    if (c->share != NULL && c->share->worker != NULL) {
        c->worker = c->share->worker;
        opal_output_verbose(1, ompi_coll_base_framework.framework_output,
                            COLL_VERVE_NAME ": rank %d: initialized, "
                            "priority %d, on %s's worker",
                            verve_ompi_proc_rank(ompi_proc_local()),
                            c->priority, c->share->who);
        return OMPI_SUCCESS;
    }
    c->share = NULL;
    verve_ompi_context_params(COLL_VERVE_NAME,
                              ompi_coll_base_framework.framework_output,
                              &context_params);
    status = verve_context_create(&context_params, &c->context);
    if (status != VERVE_OK) {
        opal_output(0, COLL_VERVE_NAME ": verve_context_create failed: %s",
                    verve_status_string(status));
        return OMPI_ERROR;
    }
    status = verve_worker_create(c->context, &worker_params, &c->worker);
    if (status != VERVE_OK) {
        opal_output(0, COLL_VERVE_NAME ": verve_worker_create failed: %s",
                    verve_status_string(status));
        goto err_context;
    }
    rc = verve_ompi_address_publish(COLL_VERVE_NAME, c->worker,
                                    &c->super.collm_version);
    if (rc != OMPI_SUCCESS) {
        goto err_worker;
    }
    /* MPI_Init's modex exchange ran before the coll framework's init: the
     * peers fetch this address from the server on first use. */
    rc = opal_pmix.commit();
    if (rc != OPAL_SUCCESS) {
        opal_output(0, COLL_VERVE_NAME ": committing the worker address "
                    "to PMIx failed: %d", rc);
        goto err_worker;
    }
    OBJ_CONSTRUCT(&c->eps, opal_hash_table_t);
    rc = opal_hash_table_init(&c->eps, 64);
    if (rc != OPAL_SUCCESS) {
        OBJ_DESTRUCT(&c->eps);
        goto err_worker;
    }
    opal_output_verbose(1, ompi_coll_base_framework.framework_output,
                        COLL_VERVE_NAME ": rank %d: initialized, priority "
                        "%d", verve_ompi_proc_rank(ompi_proc_local()),
                        c->priority);
    return OMPI_SUCCESS;

err_worker:
    verve_worker_destroy(c->worker);
    c->worker = NULL;
err_context:
    verve_context_destroy(c->context);
    c->context = NULL;
    return OMPI_ERROR;
}
