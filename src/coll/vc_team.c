/*
 * Teams and the collectives' per-worker state. A team's id is a hash of
 * its members' worker uids in rank order and the user's id, so every
 * member computes the same one without talking; creation then runs a
 * barrier (sequence number 0) so that it completes only once every member
 * has the team. Messages that arrive for a team before it exists here
 * wait on the worker (whose collectives' state is made with it, before
 * any message can arrive) and are adopted at creation.
 */
#include <stdlib.h>
#include <string.h>
#include "vc_coll.h"
#include "vc_shm.h"
#include "core/ve_layer.h"
#include "core/ve_worker.h"
#include "core/base/hash.h"
#include "core/base/log.h"

/* Rank fields of the wire header are 16 bits; rings use 2n tags. */
#define VC_TEAM_SIZE_MAX 16384

/* Every message of the team's completed collectives has been received:
 * what is left belongs to a new team with the same id (the same members
 * and user id) that a faster member already created and started using,
 * so it goes back to the worker for that team to adopt. */
static void vc_team_free(vc_team_t *team)
{
    vc_unexp_t *unexp, *tmp;

    vs_list_for_each_safe(unexp, tmp, &team->unexpected, list) {
        vs_list_del(&unexp->list);
        vs_list_add_tail(&team->vw->orphans, &unexp->list);
    }
    if (team->cache != NULL) {
        vc_coll_free(team->cache);
    }
    vc_shm_team_cleanup(team);
    vs_list_del(&team->list);
    free(team->eps);
    free(team);
}

/* The slot of the collectives' state in every worker. */
static unsigned vc_layer_slot;

/* At worker destroy the endpoints are gone: kept rendezvous descriptors
 * can no longer be answered, only freed with the rest. */
static void vc_worker_cleanup(ve_worker_t *worker)
{
    vc_worker_t *vw = vc_worker_of(worker);
    vc_unexp_t *unexp, *tmp;
    vc_team_t *team, *next;

    if (vw == NULL) {
        return;
    }
    vc_shm_poll_stop(vw);

    vs_list_for_each_safe(team, next, &vw->teams, list) {
        vs_list_for_each_safe(unexp, tmp, &team->unexpected, list) {
            vs_list_del(&unexp->list);
            free(unexp);
        }
        if (team->cache != NULL) {
            vc_coll_free(team->cache);
        }
        vc_shm_team_cleanup(team);
        vs_list_del(&team->list);
        free(team->eps);
        free(team);
    }
    vs_list_for_each_safe(unexp, tmp, &vw->orphans, list) {
        vs_list_del(&unexp->list);
        free(unexp);
    }
    worker->layer_data[vc_layer_slot] = NULL;
    free(vw);
}

vc_worker_t *vc_worker_of(const ve_worker_t *worker)
{
    return worker->layer_data[vc_layer_slot];
}

verve_status_t vc_worker_get(ve_worker_t *worker, vc_worker_t **vw_p)
{
    *vw_p = vc_worker_of(worker);
    if (*vw_p == NULL) {
        vs_error("coll: worker %016llx has no collectives state",
                 (unsigned long long)worker->uid);
        return VERVE_ERR_UNSUPPORTED;
    }
    return VERVE_OK;
}

static verve_status_t vc_worker_init(ve_worker_t *worker)
{
    verve_status_t status;
    vc_worker_t *vw;

    vw = calloc(1, sizeof(*vw));
    if (vw == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = vc_select_table_load(&vw->table);
    if (status != VERVE_OK) {
        free(vw);
        return status;
    }
    vw->worker = worker;
    vs_list_init(&vw->teams);
    vs_list_init(&vw->orphans);
    vs_list_init(&vw->polling);
    worker->layer_data[vc_layer_slot] = vw;
    ve_worker_set_chan(worker, vc_chan_recv_data, vw);
    return VERVE_OK;
}

static const ve_layer_t vc_layer = {
    .name = "coll",
    .worker_init = vc_worker_init,
    .worker_cleanup = vc_worker_cleanup,
    .ep_failed = vc_team_ep_failed,
};

static vs_constructor void vc_layer_register(void)
{
    vc_layer_slot = ve_layer_register(&vc_layer);
}

static verve_status_t vc_team_check(ve_worker_t *worker,
                                    const verve_team_params_t *params)
{
    const uint64_t need = VERVE_TEAM_PARAM_FIELD_EPS |
                          VERVE_TEAM_PARAM_FIELD_SIZE |
                          VERVE_TEAM_PARAM_FIELD_RANK;
    unsigned i;

    if (params == NULL || (params->field_mask & need) != need ||
        params->eps == NULL || params->size == 0 ||
        params->size > VC_TEAM_SIZE_MAX || params->rank >= params->size) {
        vs_error("verve_team_create_nbx: eps, size (1..%d) and rank "
                 "(< size) are required (size %u, rank %u)",
                 VC_TEAM_SIZE_MAX, params ? params->size : 0,
                 params ? params->rank : 0);
        return VERVE_ERR_INVALID_PARAM;
    }
    for (i = 0; i < params->size; ++i) {
        if (i != params->rank && (params->eps[i] == NULL ||
                                  params->eps[i]->worker != worker)) {
            vs_error("verve_team_create_nbx: endpoint of member %u is %s",
                     i, params->eps[i] ? "on another worker" : "NULL");
            return VERVE_ERR_INVALID_PARAM;
        }
    }
    return VERVE_OK;
}

VERVE_API verve_status_t verve_team_create_nbx(verve_worker_h worker,
        const verve_team_params_t *params, verve_team_h *team_p,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    verve_coll_args_t barrier = {.coll_type = VERVE_COLL_BARRIER};
    verve_status_t status;
    vc_coll_t *coll;
    vc_worker_t *vw;
    vc_team_t *team, *other;
    uint64_t id, uid;
    unsigned i;

    if (worker == NULL || team_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    status = vc_team_check(worker, params);
    if (status != VERVE_OK) {
        return status;
    }
    ve_worker_lock(worker);
    status = vc_worker_get(worker, &vw);
    if (status != VERVE_OK) {
        goto out;
    }
    id = vs_hash_u64((params->field_mask & VERVE_TEAM_PARAM_FIELD_ID) ?
                     params->id : 0);
    for (i = 0; i < params->size; ++i) {
        uid = (i == params->rank) ? worker->uid : params->eps[i]->peer->uid;
        id = vs_hash_u64(id ^ uid) + i;
    }
    vs_list_for_each(other, &vw->teams, list) {
        if (other->id == id) {
            vs_error("verve_team_create_nbx: a team over the same members "
                     "with id %llu exists: give each its own id",
                     (unsigned long long)params->id);
            status = VERVE_ERR_INVALID_PARAM;
            goto out;
        }
    }
    team = calloc(1, sizeof(*team));
    if (team == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    team->eps = calloc(params->size, sizeof(*team->eps));
    if (team->eps == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto err_free_team;
    }
    memcpy(team->eps, params->eps, params->size * sizeof(*team->eps));
    team->vw = vw;
    team->id = id;
    team->rank = params->rank;
    team->size = params->size;
    vs_list_init(&team->posted);
    vs_list_init(&team->unexpected);
    vc_team_check_members(team);
    vs_list_add_tail(&vw->teams, &team->list);
    vc_chan_adopt_orphans(team);
    /* Sequence number 0, the first collective of the team. */
    status = vc_coll_create(team, &barrier, 1, &coll);
    if (status != VERVE_OK) {
        goto err_free_eps;
    }
    status = vc_coll_run(coll, param, request_p);
    if (status == VERVE_OK || status == VERVE_INPROGRESS) {
        *team_p = team;
    } else {
        vc_team_free(team);
    }
    goto out;

err_free_eps:
    vs_list_del(&team->list);
    free(team->eps);
err_free_team:
    free(team);
out:
    ve_worker_unlock(worker);
    return status;
}

VERVE_API void verve_team_destroy(verve_team_h team)
{
    ve_worker_t *worker;

    if (team == NULL) {
        return;
    }
    worker = team->vw->worker;
    ve_worker_lock(worker);
    if (!vs_list_is_empty(&team->posted)) {
        vs_warn("verve_team_destroy: team %016llx still has collectives "
                "in progress", (unsigned long long)team->id);
    }
    vc_team_free(team);
    ve_worker_unlock(worker);
}

VERVE_API unsigned verve_team_rank(verve_team_h team)
{
    return team->rank;
}

VERVE_API unsigned verve_team_size(verve_team_h team)
{
    return team->size;
}
