/*
 * Failed members. A member that dies leaves its team's collectives
 * waiting for messages that never come, at every member: not only at its
 * neighbours in the algorithm, since a neighbour that fails its own run
 * sends nothing more either. Every member has an endpoint to every other
 * and may learn of the failure from it, but not every transport notices
 * the death of a peer it never talked to (tcp without a connection): so
 * the first member to see the failure tells every other (VC_TAG_REVOKE),
 * and each fails the whole team: the receives waiting now end with the
 * error, runs polling shared-memory flags stop at their next poll, and
 * every later run posts nothing and ends with it too (vc_sched_start).
 * Members that disagree on a collective's size (vc_chan.c) fail the team
 * the same way, with VERVE_ERR_INVALID_PARAM: the members that never
 * receive from the disagreeing one would otherwise wait for ever for
 * those that stopped at the disagreement. A failed team keeps no message
 * and takes none: a rendezvous sender is let go.
 */
#include <string.h>
#include "vc_coll.h"
#include "am/va_chan.h"
#include "core/base/log.h"

static int vc_team_has_ep(const vc_team_t *team, const ve_ep_t *ep)
{
    unsigned i;

    for (i = 0; i < team->size; ++i) {
        if (i != team->rank && team->eps[i] == ep) {
            return 1;
        }
    }
    return 0;
}

void vc_team_check_members(vc_team_t *team)
{
    unsigned i;

    for (i = 0; i < team->size; ++i) {
        if (i != team->rank && (team->eps[i]->flags & VE_EP_FLAG_FAILED)) {
            team->error = team->eps[i]->error;
            return;
        }
    }
}

/* Best effort, without completion: a member that cannot be told is dead
 * or will see the failure itself. */
static void vc_team_revoke(vc_team_t *team, verve_status_t status)
{
    vc_hdr_t hdr;
    unsigned i;

    memset(&hdr, 0, sizeof(hdr));
    hdr.team_id = team->id;
    hdr.tag = VC_TAG_REVOKE;
    hdr.src = (uint16_t)team->rank;
    hdr.size = (uint64_t)(int64_t)status;
    for (i = 0; i < team->size; ++i) {
        if (i != team->rank && !(team->eps[i]->flags & VE_EP_FLAG_FAILED)) {
            (void)va_chan_send_nbx(team->eps[i], &hdr, sizeof(hdr), NULL,
                                      0, NULL, NULL);
        }
    }
}

static void vc_team_fail(vc_team_t *team, verve_status_t status)
{
    vc_sched_t *sched;
    vc_recv_t *recv;

    team->error = status;
    /* A call step is not run again once its run has failed. */
    vs_list_for_each(sched, &team->vw->polling, poll_list) {
        if (sched->team == team && sched->status == VERVE_OK) {
            sched->status = status;
        }
    }
    /* A completion may start a new run, which posts nothing now. */
    while (!vs_list_is_empty(&team->posted)) {
        recv = vs_list_entry(team->posted.next, vc_recv_t, list);
        vs_list_del(&recv->list);
        vc_chan_recv_done(recv, status);
    }
    vc_chan_drop_unexpected(team);
}

void vc_team_ep_failed(ve_ep_t *ep, verve_status_t status)
{
    vc_worker_t *vw = vc_worker_of(ep->worker);
    vc_team_t *team, *next;

    vs_list_for_each_safe(team, next, &vw->teams, list) {
        if (team->error == VERVE_OK && vc_team_has_ep(team, ep)) {
            vs_warn("coll: team %016llx rank %u: a member failed (%s): its "
                    "collectives fail", (unsigned long long)team->id,
                    team->rank, verve_status_string(status));
            vc_team_revoke(team, VERVE_ERR_PEER_FAILED);
            vc_team_fail(team, status);
        }
    }
}

void vc_team_revoked(vc_team_t *team, unsigned src, verve_status_t status)
{
    if (team->error != VERVE_OK) {
        return;
    }
    if (status == VERVE_ERR_INVALID_PARAM) {
        vs_error("coll: team %016llx rank %u: rank %u reports that members "
                 "disagree on the size of a collective: its collectives "
                 "fail", (unsigned long long)team->id, team->rank, src);
    } else {
        status = VERVE_ERR_PEER_FAILED;
        vs_warn("coll: team %016llx rank %u: rank %u reports a failed "
                "member: its collectives fail",
                (unsigned long long)team->id, team->rank, src);
    }
    vc_team_fail(team, status);
}

void vc_team_disagree(vc_team_t *team)
{
    if (team->error != VERVE_OK) {
        return;
    }
    vc_team_revoke(team, VERVE_ERR_INVALID_PARAM);
    vc_team_fail(team, VERVE_ERR_INVALID_PARAM);
}
