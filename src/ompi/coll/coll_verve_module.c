/*
 * coll verve: one module per intra-communicator. enable keeps what the
 * components below offered (the fallback of each collective); the verve
 * team is made on the first collective that reaches verve, over endpoints
 * the component keeps per process, and destroyed with the module.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/proc/proc.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "coll_verve.h"

static int coll_verve_module_enable(mca_coll_base_module_t *module,
                                    struct ompi_communicator_t *comm);

static void coll_verve_module_construct(coll_verve_module_t *module)
{
    module->comm = NULL;
    module->team = NULL;
    module->team_status = OMPI_SUCCESS;
    memset(&module->previous, 0, sizeof(module->previous));
    memset(module->previous_modules, 0, sizeof(module->previous_modules));
    memset(module->last_coll, 0, sizeof(module->last_coll));
}

/* The team's members agreed on nothing after MPI_Comm_free but that the
 * communicator is gone; every collective on it has completed (MPI). */
static void coll_verve_module_destruct(coll_verve_module_t *module)
{
    int k;

    for (k = 0; k < COLL_VERVE_KIND_LAST; ++k) {
        if (module->last_coll[k] != NULL) {
            verve_coll_destroy(module->last_coll[k]);
        }
    }
    if (module->team != NULL) {
        verve_team_destroy(module->team);
        module->team = NULL;
    }
    for (k = 0; k < COLL_VERVE_KIND_LAST; ++k) {
        if (module->previous_modules[k] != NULL) {
            OBJ_RELEASE(module->previous_modules[k]);
        }
    }
}

OBJ_CLASS_INSTANCE(coll_verve_module_t, mca_coll_base_module_t,
                   coll_verve_module_construct, coll_verve_module_destruct);

/* A collective the module offers, unless coll_verve_disable names it. */
#define COLL_VERVE_OFFER(m, kind, name)                                      \
    ((m)->coll_##name = mca_coll_verve_component.kind_off[COLL_VERVE_##kind] \
                                ? NULL : coll_verve_##name)

mca_coll_base_module_t *coll_verve_comm_query(struct ompi_communicator_t *comm,
                                              int *priority)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    coll_verve_module_t *module;
    mca_coll_base_module_t *m;

    if (c->worker == NULL || OMPI_COMM_IS_INTER(comm) ||
        ompi_comm_size(comm) < 2) {
        return NULL;
    }
    module = OBJ_NEW(coll_verve_module_t);
    if (module == NULL) {
        return NULL;
    }
    module->comm = comm;
    m = &module->super;
    m->coll_module_enable = coll_verve_module_enable;
    COLL_VERVE_OFFER(m, BARRIER, barrier);
    COLL_VERVE_OFFER(m, BCAST, bcast);
    COLL_VERVE_OFFER(m, REDUCE, reduce);
    COLL_VERVE_OFFER(m, ALLREDUCE, allreduce);
    COLL_VERVE_OFFER(m, ALLGATHER, allgather);
    COLL_VERVE_OFFER(m, ALLTOALL, alltoall);
    COLL_VERVE_OFFER(m, GATHER, gather);
    COLL_VERVE_OFFER(m, SCATTER, scatter);
    COLL_VERVE_OFFER(m, ALLGATHERV, allgatherv);
    COLL_VERVE_OFFER(m, GATHERV, gatherv);
    COLL_VERVE_OFFER(m, SCATTERV, scatterv);
    COLL_VERVE_OFFER(m, ALLTOALLV, alltoallv);
    COLL_VERVE_OFFER(m, REDUCE_SCATTER, reduce_scatter);
    COLL_VERVE_OFFER(m, REDUCE_SCATTER_BLOCK, reduce_scatter_block);
    COLL_VERVE_OFFER(m, IBARRIER, ibarrier);
    COLL_VERVE_OFFER(m, IBCAST, ibcast);
    COLL_VERVE_OFFER(m, IREDUCE, ireduce);
    COLL_VERVE_OFFER(m, IALLREDUCE, iallreduce);
    COLL_VERVE_OFFER(m, IALLGATHER, iallgather);
    COLL_VERVE_OFFER(m, IALLTOALL, ialltoall);
    COLL_VERVE_OFFER(m, IGATHER, igather);
    COLL_VERVE_OFFER(m, ISCATTER, iscatter);
    *priority = c->priority;
    return m;
}

/* Keeps one collective of the components below; every fallback needs
 * one (the basic component always offers them). */
#define COLL_VERVE_SAVE(module, comm, kind, name)                            \
    do {                                                                     \
        (module)->previous.coll_##name = (comm)->c_coll->coll_##name;        \
        (module)->previous.coll_##name##_module =                            \
                (comm)->c_coll->coll_##name##_module;                        \
        if ((module)->previous.coll_##name == NULL) {                        \
            opal_output(0, COLL_VERVE_NAME ": no other component offers "    \
                        #name " on communicator %s",                         \
                        (comm)->c_name);                                     \
            return OMPI_ERROR;                                               \
        }                                                                    \
        (module)->previous_modules[kind] =                                   \
                (comm)->c_coll->coll_##name##_module;                        \
        OBJ_RETAIN((module)->previous_modules[kind]);                        \
    } while (0)

/* Called after the lower-priority modules put theirs in comm->c_coll. */
static int coll_verve_module_enable(mca_coll_base_module_t *m,
                                    struct ompi_communicator_t *comm)
{
    coll_verve_module_t *module = (coll_verve_module_t *)m;

    COLL_VERVE_SAVE(module, comm, COLL_VERVE_BARRIER, barrier);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_BCAST, bcast);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_REDUCE, reduce);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_ALLREDUCE, allreduce);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_ALLGATHER, allgather);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_ALLTOALL, alltoall);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_GATHER, gather);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_SCATTER, scatter);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_ALLGATHERV, allgatherv);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_GATHERV, gatherv);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_SCATTERV, scatterv);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_ALLTOALLV, alltoallv);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_REDUCE_SCATTER, reduce_scatter);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_REDUCE_SCATTER_BLOCK,
                    reduce_scatter_block);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_IREDUCE, ireduce);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_IALLREDUCE, iallreduce);
    COLL_VERVE_SAVE(module, comm, COLL_VERVE_IALLTOALL, ialltoall);
    opal_output_verbose(10, ompi_coll_base_framework.framework_output,
                        COLL_VERVE_NAME ": rank %d: serves communicator %s "
                        "(%d ranks)", ompi_comm_rank(comm), comm->c_name,
                        ompi_comm_size(comm));
    return OMPI_SUCCESS;
}

static void coll_verve_ep_error(void *arg, verve_ep_h ep,
                                verve_status_t status)
{
    struct ompi_proc_t *proc = arg;

    (void)ep;
    opal_output_verbose(1, ompi_coll_base_framework.framework_output,
                        COLL_VERVE_NAME ": rank %d: peer rank %d failed: %s",
                        verve_ompi_proc_rank(ompi_proc_local()),
                        verve_ompi_proc_rank(proc),
                        verve_status_string(status));
}

/* The endpoint to proc, made on first use. */
static int coll_verve_ep(struct ompi_proc_t *proc, verve_ep_h *ep_p)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    uint64_t key = (uint64_t)(uintptr_t)proc;
    void *value;
    int rc;

    if (c->share != NULL) {
        *ep_p = c->share->ep(proc);
        return (*ep_p != NULL) ? OMPI_SUCCESS : OMPI_ERR_UNREACH;
    }
    if (opal_hash_table_get_value_uint64(&c->eps, key, &value) ==
        OPAL_SUCCESS) {
        *ep_p = value;
        return OMPI_SUCCESS;
    }
    rc = verve_ompi_ep_create(COLL_VERVE_NAME, c->worker,
                              &c->super.collm_version, proc,
                              coll_verve_ep_error, proc, ep_p);
    if (rc != OMPI_SUCCESS) {
        return rc;
    }
    OBJ_RETAIN(proc);
    return opal_hash_table_set_value_uint64(&c->eps, key, *ep_p);
}

/* Flushes and closes every endpoint at finalize. */
void coll_verve_close_eps(void)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h request;
    verve_status_t status;
    struct ompi_proc_t *proc;
    uint64_t key;
    void *value, *node = NULL;

    while (opal_hash_table_get_first_key_uint64(&c->eps, &key, &value,
                                                &node) == OPAL_SUCCESS) {
        request = NULL;
        status = verve_ep_close_nbx(value, VERVE_EP_CLOSE_FLUSH, &param,
                                    &request);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(c->worker, request);
            verve_request_free(request);
        }
        (void)opal_hash_table_remove_value_uint64(&c->eps, key);
        proc = (struct ompi_proc_t *)(uintptr_t)key;
        OBJ_RELEASE(proc);
        node = NULL;
    }
}

static void coll_verve_done_cb(verve_request_h request,
                               verve_status_t status, void *user_data)
{
    (void)request;
    *(volatile verve_status_t *)user_data = status;
}

/* The parameters that make a call's completion land in *status_p. */
static void coll_verve_param(verve_request_param_t *param,
                             volatile verve_status_t *status_p)
{
    *status_p = VERVE_INPROGRESS;
    param->op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                          VERVE_OP_ATTR_FIELD_USER_DATA;
    param->cb = coll_verve_done_cb;
    param->user_data = (void *)status_p;
}

/* Progresses until the request behind *status_p completes: verve's
 * worker, and Open MPI's progress when verve's has been idle a while (the
 * pml's traffic; a yield when the cores are oversubscribed). */
static verve_status_t coll_verve_wait(verve_request_h request,
                                      volatile verve_status_t *status_p)
{
    verve_worker_h worker = mca_coll_verve_component.worker;
    unsigned idle = 0;

    while (*status_p == VERVE_INPROGRESS) {
        if (verve_worker_progress(worker) != 0) {
            idle = 0;
        } else if ((++idle & 255) == 0) {
            opal_progress();
        }
    }
    verve_request_free(request);
    return *status_p;
}

verve_team_h coll_verve_team_make(coll_verve_module_t *module, int *rc)
{
    struct ompi_communicator_t *comm = module->comm;
    int size = ompi_comm_size(comm), rank = ompi_comm_rank(comm), i;
    verve_team_params_t params = {
        .field_mask = VERVE_TEAM_PARAM_FIELD_EPS |
                      VERVE_TEAM_PARAM_FIELD_SIZE |
                      VERVE_TEAM_PARAM_FIELD_RANK |
                      VERVE_TEAM_PARAM_FIELD_ID,
        .size = (unsigned)size,
        .rank = (unsigned)rank,
        .id = comm->c_contextid
    };
    verve_request_param_t param;
    volatile verve_status_t done;
    verve_request_h request = NULL;
    verve_status_t status;
    verve_ep_h *eps;

    *rc = module->team_status;
    if (module->team != NULL || *rc != OMPI_SUCCESS) {
        return module->team;
    }
    eps = calloc((size_t)size, sizeof(*eps));
    if (eps == NULL) {
        *rc = module->team_status = OMPI_ERR_OUT_OF_RESOURCE;
        return NULL;
    }
    for (i = 0; i < size && *rc == OMPI_SUCCESS; ++i) {
        if (i != rank) {
            *rc = coll_verve_ep(ompi_comm_peer_lookup(comm, i), &eps[i]);
        }
    }
    if (*rc == OMPI_SUCCESS) {
        params.eps = eps;
        coll_verve_param(&param, &done);
        status = verve_team_create_nbx(mca_coll_verve_component.worker,
                                       &params, &module->team, &param,
                                       &request);
        if (status == VERVE_INPROGRESS) {
            status = coll_verve_wait(request, &done);
        }
        if (status != VERVE_OK) {
            opal_output(0, COLL_VERVE_NAME ": rank %d: the team of "
                        "communicator %s (%d ranks) failed: %s", rank,
                        comm->c_name, size, verve_status_string(status));
            if (module->team != NULL) {
                verve_team_destroy(module->team);
                module->team = NULL;
            }
            *rc = verve_ompi_error(status);
        }
    }
    free(eps);
    module->team_status = *rc;
    return module->team;
}

static bool coll_verve_side_equal(const verve_coll_buffer_t *a,
                                  const verve_coll_buffer_t *b)
{
    return a->buffer == b->buffer && a->count == b->count &&
           a->counts == b->counts && a->displs == b->displs &&
           a->datatype == b->datatype;
}

/* Field by field: the structures' padding is not ours to compare. */
static bool coll_verve_args_equal(const verve_coll_args_t *a,
                                  const verve_coll_args_t *b)
{
    return a->field_mask == b->field_mask && a->coll_type == b->coll_type &&
           coll_verve_side_equal(&a->src, &b->src) &&
           coll_verve_side_equal(&a->dst, &b->dst) && a->op == b->op &&
           a->root == b->root && a->flags == b->flags &&
           a->user_op == b->user_op && a->user_op_arg == b->user_op_arg &&
           a->radix == b->radix;
}

/* Starts args on team: as the kind's persistent collective when args
 * repeat the last call's (or become it), else as a one-off call. */
static verve_status_t coll_verve_start(coll_verve_module_t *module,
                                       verve_team_h team,
                                       coll_verve_kind_t kind,
                                       const verve_coll_args_t *args,
                                       const verve_request_param_t *param,
                                       verve_request_h *request_p)
{
    verve_coll_h coll = module->last_coll[kind];

    /* the counts of the v variants live in a copy of this call's */
    if (args->src.counts != NULL || args->dst.counts != NULL) {
        return verve_coll_nbx(team, args, param, request_p);
    }
    if (coll == NULL || !coll_verve_args_equal(&module->last_args[kind],
                                               args)) {
        if (coll != NULL) {
            verve_coll_destroy(coll);
            module->last_coll[kind] = NULL;
        }
        if (verve_coll_init(team, args, &coll) != VERVE_OK) {
            /* the one-off call reports what is wrong */
            return verve_coll_nbx(team, args, param, request_p);
        }
        module->last_coll[kind] = coll;
        module->last_args[kind] = *args;
    }
    return verve_coll_start(coll, param, request_p);
}

int coll_verve_run(coll_verve_module_t *module, coll_verve_kind_t kind,
                   const verve_coll_args_t *args)
{
    verve_request_param_t param;
    volatile verve_status_t done;
    verve_request_h request = NULL;
    verve_status_t status;
    verve_team_h team;
    int rc;

    team = module->team;
    if (OPAL_UNLIKELY(team == NULL)) {
        team = coll_verve_team_make(module, &rc);
        if (team == NULL) {
            return rc;
        }
    }
    ++mca_coll_verve_component.served[kind];
    coll_verve_param(&param, &done);
    status = coll_verve_start(module, team, kind, args, &param, &request);
    if (status == VERVE_INPROGRESS) {
        status = coll_verve_wait(request, &done);
    }
    if (status != VERVE_OK) {
        opal_output_verbose(1, ompi_coll_base_framework.framework_output,
                            COLL_VERVE_NAME ": rank %d: %s on communicator "
                            "%s failed: %s", ompi_comm_rank(module->comm),
                            coll_verve_kind_name(kind), module->comm->c_name,
                            verve_status_string(status));
        return verve_ompi_error(status);
    }
    return OMPI_SUCCESS;
}

void coll_verve_fallback(coll_verve_kind_t kind, const char *why)
{
    ++mca_coll_verve_component.fallbacks[kind];
    opal_output_verbose(10, ompi_coll_base_framework.framework_output,
                        COLL_VERVE_NAME ": %s goes to the next component: "
                        "%s", coll_verve_kind_name(kind), why);
}
