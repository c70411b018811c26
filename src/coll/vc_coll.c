/*
 * Collectives: argument checks, algorithm selection, persistent and
 * one-shot starts, completion through requests.
 */
#include <stdlib.h>
#include <string.h>
#include "vc_coll.h"
#include "vc_shm.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

static verve_status_t vc_coll_check(vc_coll_t *coll)
{
    return vc_coll_args_check(&coll->args, coll->team->rank,
                              coll->team->size, &coll->sched.op);
}

/* The message size the table is keyed on: identical on every member. */
static size_t vc_coll_select_size(const vc_coll_t *coll)
{
    switch (coll->args.coll_type) {
    case VERVE_COLL_BARRIER:
    case VERVE_COLL_ALLGATHERV:
    case VERVE_COLL_ALLTOALLV:
    case VERVE_COLL_GATHERV:
    case VERVE_COLL_SCATTERV:
        return 0;
    default:
        return coll->args.dst.count * vc_coll_esize(coll);
    }
}

static verve_status_t vc_coll_build(vc_coll_t *coll)
{
    verve_coll_type_t type = coll->args.coll_type;

    switch (coll->alg) {
    case VC_ALG_DISSEMINATION:
        return vc_alg_barrier_dissemination(coll);
    case VC_ALG_KNOMIAL:
        return (type == VERVE_COLL_BCAST) ? vc_alg_bcast_knomial(coll)
                                          : vc_alg_reduce_knomial(coll);
    case VC_ALG_RD:
        return (type == VERVE_COLL_ALLREDUCE) ? vc_alg_allreduce_rd(coll)
                                              : vc_alg_allgather_rd(coll);
    case VC_ALG_RAB:
        return vc_alg_allreduce_rab(coll);
    case VC_ALG_RING:
        if (type == VERVE_COLL_ALLREDUCE) {
            return vc_alg_allreduce_ring(coll);
        }
        return (type == VERVE_COLL_REDUCE_SCATTER)
                       ? vc_alg_reduce_scatter_ring(coll)
                       : vc_alg_allgather_ring(coll);
    case VC_ALG_BRUCK:
        return (type == VERVE_COLL_ALLTOALL) ? vc_alg_alltoall_bruck(coll)
                                             : vc_alg_allgather_bruck(coll);
    case VC_ALG_PAIRWISE:
        return vc_alg_alltoall_pairwise(coll);
    case VC_ALG_LINEAR:
        return (type == VERVE_COLL_GATHER || type == VERVE_COLL_GATHERV)
                       ? vc_alg_gather_linear(coll)
                       : vc_alg_scatter_linear(coll);
    case VC_ALG_ALLREDUCE:
        return vc_alg_reduce_scatter_allreduce(coll);
    case VC_ALG_SHM:
        return vc_alg_shm(coll);
    default:
        vs_error("coll: %s has no algorithm %s", verve_coll_type_name(type),
                 vc_alg_name(coll->alg));
        return VERVE_ERR_UNSUPPORTED;
    }
}

void vc_coll_free(vc_coll_t *coll)
{
    vc_sched_cleanup(&coll->sched);
    free(coll);
}

/* What vc_coll_check leaves of the user's arguments, so that two calls
 * compare equal when they describe the same collective. */
static void vc_coll_args_normalize(verve_coll_args_t *args)
{
    if (!(args->field_mask & VERVE_COLL_ARGS_FIELD_ROOT)) {
        args->root = 0;
    }
    if (!(args->field_mask & VERVE_COLL_ARGS_FIELD_FLAGS)) {
        args->flags = 0;
    }
}

static int vc_coll_buffer_equal(const verve_coll_buffer_t *a,
                                const verve_coll_buffer_t *b)
{
    return a->buffer == b->buffer && a->count == b->count &&
           a->counts == b->counts && a->displs == b->displs &&
           a->datatype == b->datatype;
}

/* Field by field: padding bytes of the user's struct mean nothing. */
static int vc_coll_args_equal(const verve_coll_args_t *a,
                              const verve_coll_args_t *b)
{
    return a->field_mask == b->field_mask && a->coll_type == b->coll_type &&
           vc_coll_buffer_equal(&a->src, &b->src) &&
           vc_coll_buffer_equal(&a->dst, &b->dst) && a->op == b->op &&
           a->root == b->root && a->flags == b->flags &&
           a->user_op == b->user_op && a->user_op_arg == b->user_op_arg &&
           a->radix == b->radix;
}

/* A finished one-shot collective: kept for reuse unless its schedule
 * holds counts the user may change (the v variants). */
static void vc_coll_retire(vc_coll_t *coll)
{
    vc_team_t *team = coll->team;

    if (coll->sched.seq == 0) {
        /* The creation barrier, which may set up the team's segment: a
         * barrier with the same arguments must not run that again. */
        vc_coll_free(coll);
        return;
    }
    switch (coll->args.coll_type) {
    case VERVE_COLL_ALLGATHERV:
    case VERVE_COLL_ALLTOALLV:
    case VERVE_COLL_GATHERV:
    case VERVE_COLL_SCATTERV:
        vc_coll_free(coll);
        return;
    default:
        break;
    }
    if (team->cache != NULL) {
        vc_coll_free(team->cache);
    }
    team->cache = coll;
}

static void vc_coll_complete(vc_sched_t *sched)
{
    vc_coll_t *coll = vs_container_of(sched, vc_coll_t, sched);
    ve_request_t *req = coll->req;

    if (coll->starting) {
        return;   /* vc_coll_run reports it */
    }
    coll->req = NULL;
    /* The user's callback may start the persistent collective again. */
    ve_request_complete(req, sched->status);
    if (coll->auto_destroy) {
        vc_coll_retire(coll);
    }
}

verve_status_t vc_coll_create(vc_team_t *team, const verve_coll_args_t *args,
                              int auto_destroy, vc_coll_t **coll_p)
{
    verve_status_t status;
    unsigned radix;
    vc_coll_t *coll;

    coll = calloc(1, sizeof(*coll));
    if (coll == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    coll->team = team;
    coll->args = *args;
    vc_coll_args_normalize(&coll->args);
    coll->auto_destroy = auto_destroy;
    vc_sched_init(&coll->sched, team);
    coll->sched.complete = vc_coll_complete;
    coll->sched.op.commutative = 1;
    status = vc_coll_check(coll);
    if (status != VERVE_OK) {
        goto err_free;
    }
    coll->sched.type = coll->args.coll_type;
    coll->sched.size = vc_coll_select_size(coll);
    coll->alg = vc_select_team(&team->vw->table, coll->args.coll_type,
                               vc_coll_select_size(coll), team->size,
                               coll->sched.op.commutative,
                               vc_shm_usable(team, coll->args.coll_type,
                                             coll->sched.op.commutative),
                               &radix);
    coll->radix = (args->field_mask & VERVE_COLL_ARGS_FIELD_RADIX) ?
                  args->radix : radix ? radix : 2;
    status = vc_coll_build(coll);
    if (status == VERVE_OK && team->next_seq == 0 &&
        coll->args.coll_type == VERVE_COLL_BARRIER) {
        status = vc_shm_team_setup(coll);
    }
    if (status == VERVE_OK) {
        status = vc_sched_ready(&coll->sched);
    }
    if (status != VERVE_OK) {
        goto err_free;
    }
    vs_debug("coll: team %016llx rank %u: %s with %s (radix %u), %u steps",
             (unsigned long long)team->id, team->rank,
             verve_coll_type_name(args->coll_type), vc_alg_name(coll->alg),
             coll->radix, coll->sched.num_steps);
    *coll_p = coll;
    return VERVE_OK;

err_free:
    vc_coll_free(coll);
    return status;
}

verve_status_t vc_coll_run(vc_coll_t *coll,
                           const verve_request_param_t *param,
                           verve_request_h *request_p)
{
    vc_team_t *team = coll->team;
    verve_status_t status;
    ve_request_t *req;

    if (coll->req != NULL) {
        vs_error("verve_coll_start: team %016llx: the previous start of "
                 "this %s has not completed",
                 (unsigned long long)team->id,
                 verve_coll_type_name(coll->args.coll_type));
        return VERVE_ERR_BUSY;
    }
    req = ve_request_get(team->vw->worker, NULL, param);
    if (req == NULL) {
        if (coll->auto_destroy) {
            vc_coll_free(coll);
        }
        return VERVE_ERR_NO_MEMORY;
    }
    coll->req = req;
    coll->starting = 1;
    vc_sched_start(&coll->sched, team->next_seq++);
    coll->starting = 0;
    if (coll->sched.active) {
        return ve_request_return(req, VERVE_INPROGRESS, request_p);
    }
    status = coll->sched.status;
    coll->req = NULL;
    if (coll->auto_destroy) {
        vc_coll_retire(coll);
    }
    return ve_request_return(req, status, request_p);
}

VERVE_API verve_status_t verve_coll_init(verve_team_h team,
        const verve_coll_args_t *args, verve_coll_h *coll_p)
{
    verve_status_t status;

    if (team == NULL || args == NULL || coll_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(team->vw->worker);
    status = vc_coll_create(team, args, 0, coll_p);
    ve_worker_unlock(team->vw->worker);
    return status;
}

VERVE_API verve_status_t verve_coll_start(verve_coll_h coll,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    ve_worker_t *worker;
    verve_status_t status;

    if (coll == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    worker = coll->team->vw->worker;
    ve_worker_lock(worker);
    status = vc_coll_run(coll, param, request_p);
    ve_worker_unlock(worker);
    return status;
}

VERVE_API void verve_coll_destroy(verve_coll_h coll)
{
    ve_worker_t *worker;

    if (coll == NULL) {
        return;
    }
    worker = coll->team->vw->worker;
    ve_worker_lock(worker);
    if (coll->req != NULL) {
        vs_error("verve_coll_destroy: a start of this %s is still running; "
                 "it is left to finish", verve_coll_type_name(
                         coll->args.coll_type));
        coll->auto_destroy = 1;
    } else {
        vc_coll_free(coll);
    }
    ve_worker_unlock(worker);
}

VERVE_API verve_status_t verve_coll_nbx(verve_team_h team,
        const verve_coll_args_t *args, const verve_request_param_t *param,
        verve_request_h *request_p)
{
    verve_coll_args_t key;
    verve_status_t status;
    vc_coll_t *coll;

    if (team == NULL || args == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(team->vw->worker);
    key = *args;
    vc_coll_args_normalize(&key);
    if (team->cache != NULL && vc_coll_args_equal(&team->cache->args, &key)) {
        coll = team->cache;
        team->cache = NULL;
        status = VERVE_OK;
    } else {
        status = vc_coll_create(team, args, 1, &coll);
    }
    if (status == VERVE_OK) {
        status = vc_coll_run(coll, param, request_p);
    }
    ve_worker_unlock(team->vw->worker);
    return status;
}

VERVE_API size_t verve_coll_datatype_size(verve_coll_datatype_t datatype)
{
    return vc_datatype_size(datatype);
}
