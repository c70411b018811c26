/*
 * The collectives' message channel: AMs sent through va_chan_send_nbx
 * carry a vc_hdr_t and are matched on (team, sequence number, tag,
 * source) against posted receives. A message whose receive is not posted
 * yet is kept (copied, or its rendezvous descriptor held, which makes its
 * sender wait) on its team, or on the worker when the team does not exist
 * here yet. Expected messages are copied once, straight into place.
 */
#include <stdlib.h>
#include <string.h>
#include "vc_coll.h"
#include "am/va_chan.h"
#include "core/base/log.h"

static vc_team_t *vc_team_find(vc_worker_t *vw, uint64_t id)
{
    vc_team_t *team;

    vs_list_for_each(team, &vw->teams, list) {
        if (team->id == id) {
            return team;
        }
    }
    return NULL;
}

/* A message nobody will read: a rendezvous sender is let go (it
 * completes), eager data was only lent. */
static void vc_chan_drop(vc_worker_t *vw, void *data, int rndv)
{
    static char none;

    if (rndv) {
        verve_am_recv_data_nbx(vw->worker, data, &none, 0, NULL, NULL);
    }
}

/* Logs a disagreement on the size and fails the team everywhere. */
static void vc_chan_disagree(vc_team_t *team, const vc_sched_t *sched,
                             const vc_hdr_t *hdr)
{
    vs_error("coll: team %016llx: %s: rank %u contributes %llu bytes, this "
             "rank (%u) %llu (members disagree on the size)",
             (unsigned long long)team->id, verve_coll_type_name(sched->type),
             hdr->src, (unsigned long long)hdr->size, team->rank,
             (unsigned long long)sched->size);
    vc_team_disagree(team);
}

/* The run of sequence number seq, if it waits here now: for a receive,
 * or in a call step (shared memory). Members that disagree on the size
 * may have picked different algorithms, whose messages never match a
 * receive: so the size is checked as a message arrives, not as it
 * matches. */
static vc_sched_t *vc_chan_find_run(vc_team_t *team, uint32_t seq)
{
    vc_sched_t *sched;
    vc_recv_t *recv;

    vs_list_for_each(recv, &team->posted, list) {
        if (recv->sched->seq == seq) {
            return recv->sched;
        }
    }
    vs_list_for_each(sched, &team->vw->polling, poll_list) {
        if (sched->team == team && sched->seq == seq) {
            return sched;
        }
    }
    return NULL;
}

void vc_chan_check_early(vc_sched_t *sched)
{
    vc_team_t *team = sched->team;
    vc_unexp_t *unexp;

    if (team->error != VERVE_OK) {
        return;
    }
    vs_list_for_each(unexp, &team->unexpected, list) {
        if (unexp->hdr.seq == sched->seq && unexp->hdr.tag != VC_TAG_REVOKE &&
            unexp->hdr.size != sched->size) {
            vc_chan_disagree(team, sched, &unexp->hdr);
            return;
        }
    }
}

void vc_chan_drop_unexpected(vc_team_t *team)
{
    vc_unexp_t *unexp, *tmp;

    vs_list_for_each_safe(unexp, tmp, &team->unexpected, list) {
        vs_list_del(&unexp->list);
        vc_chan_drop(team->vw, unexp->data, unexp->rndv);
        free(unexp);
    }
}

void vc_chan_recv_done(vc_recv_t *recv, verve_status_t status)
{
    vc_sched_step_done(recv->sched, status);
}

static void vc_chan_rndv_done(verve_request_h request, verve_status_t status,
                              void *user_data)
{
    (void)request;
    vc_chan_recv_done(user_data, status);
}

/* The message of hdr for recv, eager data or a rendezvous descriptor. */
static void vc_chan_deliver(vc_recv_t *recv, void *data, size_t length,
                            int rndv)
{
    vc_team_t *team = recv->sched->team;
    verve_request_param_t param;
    verve_status_t status;

    if (length != recv->length) {
        /* Same sizes, other counts: the v variants. */
        vs_error("coll: team %016llx: %s: rank %u sends %zu bytes where "
                 "this rank (%u) expects %zu (members disagree on the "
                 "counts)", (unsigned long long)team->id,
                 verve_coll_type_name(recv->sched->type), recv->src, length,
                 team->rank, recv->length);
        vc_chan_drop(team->vw, data, rndv);
        vc_team_disagree(team);
        vc_chan_recv_done(recv, VERVE_ERR_INVALID_PARAM);
        return;
    }
    if (!rndv) {
        if (length > 0) {
            memcpy(recv->buffer, data, length);
        }
        vc_chan_recv_done(recv, VERVE_OK);
        return;
    }
    param.op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                         VERVE_OP_ATTR_FIELD_USER_DATA;
    param.cb = vc_chan_rndv_done;
    param.user_data = recv;
    status = verve_am_recv_data_nbx(team->vw->worker, data, recv->buffer,
                                    recv->length, &param, NULL);
    if (status != VERVE_INPROGRESS) {
        vc_chan_recv_done(recv, status);
    }
}

static int vc_hdr_match(const vc_hdr_t *hdr, const vc_recv_t *recv)
{
    return hdr->seq == recv->sched->seq && hdr->tag == recv->tag &&
           hdr->src == recv->src;
}

verve_status_t vc_chan_recv_data(void *arg, const void *header,
                                 size_t header_length, void *data,
                                 size_t length,
                                 const verve_am_recv_param_t *param)
{
    int rndv = !!(param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV);
    vc_worker_t *vw = arg;
    vc_unexp_t *unexp;
    vc_sched_t *sched;
    vc_recv_t *recv;
    vc_team_t *team;
    vc_hdr_t hdr;

    if (header_length != sizeof(hdr)) {
        vs_warn("coll: worker %016llx dropped a message with a %zu-byte "
                "header (expected %zu)", (unsigned long long)vw->worker->uid,
                header_length, sizeof(hdr));
        return VERVE_OK;
    }
    memcpy(&hdr, header, sizeof(hdr));
    team = vc_team_find(vw, hdr.team_id);
    if (team != NULL) {
        if (hdr.src >= team->size) {
            vs_warn("coll: team %016llx dropped a message from rank %u of "
                    "%u", (unsigned long long)team->id, hdr.src, team->size);
            return VERVE_OK;
        }
        if (hdr.tag == VC_TAG_REVOKE) {
            vc_team_revoked(team, hdr.src,
                            (verve_status_t)(int64_t)hdr.size);
            return VERVE_OK;
        }
        if (team->error != VERVE_OK) {
            /* Its runs post nothing more: nobody would read it. */
            vc_chan_drop(vw, data, rndv);
            return VERVE_OK;
        }
        sched = vc_chan_find_run(team, hdr.seq);
        if (sched != NULL && hdr.size != sched->size) {
            vc_chan_drop(vw, data, rndv);
            vc_chan_disagree(team, sched, &hdr);
            return VERVE_OK;
        }
        vs_list_for_each(recv, &team->posted, list) {
            if (vc_hdr_match(&hdr, recv)) {
                vs_list_del(&recv->list);
                vc_chan_deliver(recv, data, length, rndv);
                return VERVE_OK;
            }
        }
    }
    if (hdr.tag == VC_TAG_REVOKE) {
        /* For a team not created here: it will see the failure itself
         * (vc_team_check_members), and a kept revoke could fail a later
         * team with the same id. */
        return VERVE_OK;
    }
    unexp = malloc(sizeof(*unexp) + (rndv ? 0 : length));
    if (unexp == NULL) {
        vs_error("coll: worker %016llx: out of memory for a %zu-byte "
                 "message of team %016llx", (unsigned long long)
                 vw->worker->uid, length, (unsigned long long)hdr.team_id);
        return VERVE_OK;
    }
    unexp->hdr = hdr;
    unexp->length = length;
    unexp->rndv = rndv;
    if (rndv) {
        unexp->data = data;
    } else {
        unexp->data = unexp + 1;
        if (length > 0) {
            memcpy(unexp->data, data, length);
        }
    }
    vs_list_add_tail((team != NULL) ? &team->unexpected : &vw->orphans,
                     &unexp->list);
    /* A kept descriptor makes the sender wait until the receive is
     * posted. */
    return rndv ? VERVE_INPROGRESS : VERVE_OK;
}

int vc_chan_post(vc_recv_t *recv)
{
    vc_team_t *team = recv->sched->team;
    vc_unexp_t *unexp;

    vs_list_for_each(unexp, &team->unexpected, list) {
        if (vc_hdr_match(&unexp->hdr, recv)) {
            vs_list_del(&unexp->list);
            vc_chan_deliver(recv, unexp->data, unexp->length, unexp->rndv);
            free(unexp);
            return 1;
        }
    }
    vs_list_add_tail(&team->posted, &recv->list);
    return 0;
}

static void vc_chan_send_done(verve_request_h request, verve_status_t status,
                              void *user_data)
{
    (void)request;
    /* A receiver cuts a message short only to drop it (vc_chan_drop):
     * its members disagree, or its team failed and tells us so. */
    if (status == VERVE_ERR_MESSAGE_TRUNCATED) {
        status = VERVE_ERR_INVALID_PARAM;
    }
    vc_sched_step_done(user_data, status);
}

verve_status_t vc_chan_send(vc_sched_t *sched, unsigned peer, uint16_t tag,
                            const void *buffer, size_t length)
{
    vc_team_t *team = sched->team;
    verve_request_param_t param;
    vc_hdr_t hdr;

    memset(&hdr, 0, sizeof(hdr));
    hdr.team_id = team->id;
    hdr.seq = sched->seq;
    hdr.tag = tag;
    hdr.src = (uint16_t)team->rank;
    hdr.size = sched->size;
    param.op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                         VERVE_OP_ATTR_FIELD_USER_DATA;
    param.cb = vc_chan_send_done;
    param.user_data = sched;
    return va_chan_send_nbx(team->eps[peer], &hdr, sizeof(hdr), buffer,
                               length, &param, NULL);
}

void vc_chan_adopt_orphans(vc_team_t *team)
{
    vc_unexp_t *unexp, *tmp;

    vs_list_for_each_safe(unexp, tmp, &team->vw->orphans, list) {
        if (unexp->hdr.team_id == team->id) {
            vs_list_del(&unexp->list);
            vs_list_add_tail(&team->unexpected, &unexp->list);
        }
    }
}
