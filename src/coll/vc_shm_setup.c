/*
 * Agreement on the shared-memory segments at team creation.
 *
 * Members could see differently which of them share a host (lanes are
 * chosen per endpoint, VERVE_TLS may differ), and making or mapping a
 * segment can fail on one member only. So the creation barrier of every
 * team of 2 to VC_SHM_MAX_MEMBERS members carries three exchanges through
 * member 0, whose peers are known when the steps are built:
 *   1. each member sends whether the path is on and which members it
 *      reaches through shared memory; member 0 checks that these views
 *      split the team into hosts (every member sees exactly its host) and
 *      sends back each member's host leader (its lowest member);
 *   2. each leader makes its host's segment and sends {pid, fd}; member 0
 *      passes each member its leader's;
 *   3. each member maps it, tries a read of its leader's memory with
 *      process_vm_readv (single copies of large bcasts need it; the
 *      kernel may refuse it, see core/base/cma.h), and answers; member 0
 *      sends the verdict.
 * Everyone then uses the segments, or everyone falls back to the network
 * algorithms, with a warning when the cause was a failure rather than a
 * team without two members on one host.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vc_shm.h"
#include "core/base/cma.h"
#include "core/base/log.h"

/* Tags of the setup messages: apart from the barrier's rounds. */
enum {
    VC_SHM_TAG_VIEW = 0x7f00,
    VC_SHM_TAG_HOSTS,
    VC_SHM_TAG_RECORD,
    VC_SHM_TAG_LEADER_RECORD,
    VC_SHM_TAG_OK,
    VC_SHM_TAG_VERDICT
};

enum {
    VC_SHM_NO = 0,        /* not for this team (no host with two members) */
    VC_SHM_YES = 1,
    VC_SHM_FAILED = 2,    /* should have worked, did not: warn */
    VC_SHM_STATE = 0x0f,
    VC_SHM_CMA = 0x10     /* flag: process_vm_readv of the leader works */
};

/* A host leader's segment. */
typedef struct vc_shm_record {
    uint32_t ok;
    int32_t pid;
    int32_t fd;
    uint32_t reserved;
    uint64_t length;
    uint64_t probe;       /* address of `length` in the leader */
} vc_shm_record_t;

typedef struct vc_shm_setup {
    vc_shm_team_t *view;
    size_t view_length;            /* of a view message */
    uint8_t *view_out;             /* [0] path on, then a bitmap */
    uint16_t *hosts;               /* [0] go on, then each leader */
    vc_shm_record_t record_out;
    vc_shm_record_t record_in;
    uint8_t ok;
    uint8_t verdict;
    /* member 0 */
    uint8_t *views;                /* [size][view_length] */
    vc_shm_record_t *records;      /* [size] as received */
    vc_shm_record_t *leader_records; /* [size] to send */
    uint8_t *oks;                  /* [size] */
} vc_shm_setup_t;

static int vc_shm_bit(const uint8_t *bits, unsigned i)
{
    return (bits[i / 8] >> (i % 8)) & 1;
}

static verve_status_t vc_shm_setup_view(vc_sched_t *sched, vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    vc_team_t *team = sched->team;
    unsigned i;

    memset(setup->view_out, 0, setup->view_length);
    setup->view_out[0] = (uint8_t)vc_shm_enabled(team);
    for (i = 0; i < team->size; ++i) {
        if (vc_shm_member_local(team, i)) {
            setup->view_out[1 + i / 8] |= (uint8_t)(1u << (i % 8));
        }
    }
    return VERVE_OK;
}

/* Member 0: every view must say exactly "the members with my leader". */
static verve_status_t vc_shm_setup_hosts(vc_sched_t *sched, vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    vc_team_t *team = sched->team;
    unsigned n = team->size, i, j, leader, shared = 0;
    const uint8_t *view;

    memcpy(setup->views, setup->view_out, setup->view_length);
    setup->hosts[0] = VC_SHM_YES;
    for (i = 0; i < n; ++i) {
        view = setup->views + i * setup->view_length;
        if (!view[0]) {
            setup->hosts[0] = VC_SHM_NO;
        }
        for (leader = 0; leader < n && !vc_shm_bit(view + 1, leader);
             ++leader) {
        }
        setup->hosts[1 + i] = (uint16_t)((leader < n) ? leader : i);
        shared += (leader < i);
    }
    for (i = 0; i < n && setup->hosts[0] == VC_SHM_YES; ++i) {
        view = setup->views + i * setup->view_length;
        for (j = 0; j < n; ++j) {
            if (vc_shm_bit(view + 1, j) !=
                (setup->hosts[1 + i] == setup->hosts[1 + j])) {
                vs_warn("coll: team %016llx: members %u and %u disagree on "
                        "sharing a host: the team's collectives use the "
                        "network algorithms", (unsigned long long)team->id,
                        i, j);
                setup->hosts[0] = VC_SHM_FAILED;
                break;
            }
        }
    }
    if (setup->hosts[0] == VC_SHM_YES && shared == 0) {
        setup->hosts[0] = VC_SHM_NO;    /* one member per host */
    }
    return VERVE_OK;
}

/* Fills the view's host tables from the leaders; a leader makes its
 * host's segment. */
static verve_status_t vc_shm_setup_group(vc_sched_t *sched, vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    vc_team_t *team = sched->team;
    unsigned n = team->size, i, j, me = team->rank;
    const uint16_t *leader = setup->hosts + 1;
    vc_shm_team_t *view;

    memset(&setup->record_out, 0, sizeof(setup->record_out));
    if (setup->hosts[0] != VC_SHM_YES) {
        return VERVE_OK;
    }
    view = vc_shm_view_alloc(n);
    if (view == NULL) {
        setup->record_out.ok = VC_SHM_FAILED;
        return VERVE_OK;
    }
    setup->view = view;
    for (i = 0; i < n; ++i) {
        if (leader[i] == i) {
            view->leaders[view->num_nodes++] = i;
        }
    }
    for (i = 0; i < n; ++i) {
        for (j = 0; view->leaders[j] != leader[i]; ++j) {
        }
        view->node_of[i] = j;
        view->local_of[i] = 0;
        for (j = 0; j < i; ++j) {
            view->local_of[i] += (leader[j] == leader[i]);
        }
        view->size += (leader[i] == leader[me]);
    }
    view->node = view->node_of[me];
    view->local_rank = view->local_of[me];
    if (leader[me] != me) {
        return VERVE_OK;
    }
    if (vc_shm_config()->fail_member == me + 1 ||
        vc_shm_segment_create(team, view) != VERVE_OK) {
        setup->record_out.ok = VC_SHM_FAILED;
        return VERVE_OK;
    }
    /* Before the record leaves: members probe us with it. */
    if (vc_shm_config()->cma_min != 0) {
        vs_cma_allow_peers();
    }
    setup->record_out.ok = VC_SHM_YES;
    setup->record_out.pid = (int32_t)getpid();
    setup->record_out.fd = view->fd;
    setup->record_out.length = view->length;
    setup->record_out.probe = (uint64_t)(uintptr_t)&setup->record_out.length;
    return VERVE_OK;
}

/* Member 0: each member gets its leader's record. */
static verve_status_t vc_shm_setup_relay(vc_sched_t *sched, vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    unsigned i;

    setup->records[0] = setup->record_out;
    for (i = 0; i < sched->team->size; ++i) {
        setup->leader_records[i] = setup->records[setup->hosts[1 + i]];
    }
    setup->record_in = setup->leader_records[0];
    return VERVE_OK;
}

static verve_status_t vc_shm_setup_attach(vc_sched_t *sched,
                                          vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    vc_team_t *team = sched->team;
    uint64_t length = 0;

    setup->ok = VC_SHM_NO;
    if (setup->view == NULL) {
        setup->ok = (uint8_t)setup->record_out.ok;
        return VERVE_OK;
    }
    if (setup->hosts[1 + team->rank] == team->rank) {
        setup->ok = (uint8_t)(setup->record_out.ok | VC_SHM_CMA);
        return VERVE_OK;
    }
    if (setup->record_in.ok != VC_SHM_YES) {
        return VERVE_OK;    /* the leader reports its own failure */
    }
    if (vc_shm_config()->fail_member == team->rank + 1 ||
        vc_shm_segment_attach(team, setup->view, setup->record_in.pid,
                              setup->record_in.fd,
                              setup->record_in.length) != VERVE_OK) {
        setup->ok = VC_SHM_FAILED;
        return VERVE_OK;
    }
    setup->ok = VC_SHM_YES;
    if (vc_shm_config()->cma_min != 0 &&
        vs_cma_probe(setup->record_in.pid, setup->record_in.probe, &length,
                     sizeof(length)) == VERVE_OK &&
        length == setup->record_in.length) {
        setup->ok |= VC_SHM_CMA;
    }
    return VERVE_OK;
}

/* Member 0: yes when everyone mapped its host's segment. */
static verve_status_t vc_shm_setup_decide(vc_sched_t *sched,
                                          vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    vc_team_t *team = sched->team;
    unsigned i, failed = team->size;

    setup->oks[0] = setup->ok;
    setup->verdict = (setup->hosts[0] == VC_SHM_YES) ? VC_SHM_YES
                                                     : VC_SHM_NO;
    for (i = 0; i < team->size && setup->verdict == VC_SHM_YES; ++i) {
        if ((setup->oks[i] & VC_SHM_STATE) != VC_SHM_YES) {
            setup->verdict = VC_SHM_FAILED;
            failed = i;
        }
    }
    if (setup->verdict == VC_SHM_YES) {
        setup->verdict |= VC_SHM_CMA;
        for (i = 0; i < team->size; ++i) {
            setup->verdict &= (uint8_t)(setup->oks[i] | VC_SHM_STATE);
        }
    }
    if (setup->verdict == VC_SHM_FAILED) {
        vs_warn("coll: team %016llx: a shared-memory segment could not be "
                "%s by member %u: the team's collectives use the network "
                "algorithms", (unsigned long long)team->id,
                ((setup->oks[failed] & VC_SHM_STATE) == VC_SHM_FAILED &&
                 setup->hosts[1 + failed] != failed) ? "mapped" : "made",
                ((setup->oks[failed] & VC_SHM_STATE) == VC_SHM_FAILED)
                        ? failed : setup->hosts[1 + failed]);
    }
    return VERVE_OK;
}

static verve_status_t vc_shm_setup_finish(vc_sched_t *sched,
                                          vc_step_t *step)
{
    vc_shm_setup_t *setup = step->dst;
    vc_team_t *team = sched->team;
    vc_shm_team_t *view = setup->view;

    if (view == NULL) {
        return VERVE_OK;
    }
    setup->view = NULL;
    if (view->fd >= 0) {
        close(view->fd);    /* every member of the host has mapped it */
        view->fd = -1;
    }
    if ((setup->verdict & VC_SHM_STATE) != VC_SHM_YES || team->shm != NULL) {
        vc_shm_view_free(view);
        return VERVE_OK;
    }
    view->cma = !!(setup->verdict & VC_SHM_CMA);
    team->shm = view;
    if (vc_shm_crowded(view)) {
        team->vw->crowded = 1;
    }
    vs_debug("coll: team %016llx rank %u: shared segment of %zu bytes "
             "in use, %u members on this host of %u hosts, %s",
             (unsigned long long)team->id, team->rank, view->length,
             view->size, view->num_nodes,
             view->cma ? "single copies" : "no single copies");
    return VERVE_OK;
}

/* Carves the setup's state out of the schedule's scratch memory. */
static vc_shm_setup_t *vc_shm_setup_alloc(vc_sched_t *sched, unsigned n)
{
    size_t view_length = 1 + (n + 7) / 8, hosts = 2 * ((size_t)n + 1);
    size_t length = sizeof(vc_shm_setup_t) + vs_align_up(hosts, 8) +
                    vs_align_up(view_length, 8);
    vc_shm_setup_t *setup;
    uint8_t *p;

    if (sched->team->rank == 0) {
        length += n * (2 * sizeof(vc_shm_record_t) + view_length + 1);
    }
    setup = vc_sched_scratch(sched, length);
    if (setup == NULL) {
        return NULL;
    }
    memset(setup, 0, length);
    p = (uint8_t *)(setup + 1);
    setup->hosts = (uint16_t *)p;
    p += vs_align_up(hosts, 8);
    setup->view_out = p;
    setup->view_length = view_length;
    p += vs_align_up(view_length, 8);
    if (sched->team->rank == 0) {
        setup->records = (vc_shm_record_t *)p;
        setup->leader_records = setup->records + n;
        p = (uint8_t *)(setup->leader_records + n);
        setup->views = p;
        setup->oks = p + n * view_length;
    }
    return setup;
}

verve_status_t vc_shm_team_setup(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    vc_team_t *team = coll->team;
    unsigned n = team->size, i;
    vc_shm_setup_t *setup;
    size_t hosts = 2 * ((size_t)n + 1);

    if (!vc_shm_possible(n)) {
        return VERVE_OK;
    }
    if (sched->scratch != NULL) {
        vs_error("coll: team %016llx: the creation barrier uses scratch "
                 "memory, the segment's setup cannot add its own",
                 (unsigned long long)team->id);
        return VERVE_ERR_UNSUPPORTED;
    }
    setup = vc_shm_setup_alloc(sched, n);
    if (setup == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    VC_TRY(vc_sched_call(sched, vc_shm_setup_view, setup));
    if (team->rank != 0) {
        VC_TRY(vc_sched_send(sched, 0, VC_SHM_TAG_VIEW, setup->view_out,
                             setup->view_length));
        VC_TRY(vc_sched_recv(sched, 0, VC_SHM_TAG_HOSTS, setup->hosts,
                             hosts));
        VC_TRY(vc_sched_fence(sched));
        VC_TRY(vc_sched_call(sched, vc_shm_setup_group, setup));
        VC_TRY(vc_sched_send(sched, 0, VC_SHM_TAG_RECORD,
                             &setup->record_out, sizeof(vc_shm_record_t)));
        VC_TRY(vc_sched_recv(sched, 0, VC_SHM_TAG_LEADER_RECORD,
                             &setup->record_in, sizeof(vc_shm_record_t)));
        VC_TRY(vc_sched_fence(sched));
        VC_TRY(vc_sched_call(sched, vc_shm_setup_attach, setup));
        VC_TRY(vc_sched_send(sched, 0, VC_SHM_TAG_OK, &setup->ok, 1));
        VC_TRY(vc_sched_recv(sched, 0, VC_SHM_TAG_VERDICT, &setup->verdict,
                             1));
        VC_TRY(vc_sched_fence(sched));
        return vc_sched_call(sched, vc_shm_setup_finish, setup);
    }
    for (i = 1; i < n; ++i) {
        VC_TRY(vc_sched_recv(sched, i, VC_SHM_TAG_VIEW,
                             setup->views + i * setup->view_length,
                             setup->view_length));
    }
    VC_TRY(vc_sched_fence(sched));
    VC_TRY(vc_sched_call(sched, vc_shm_setup_hosts, setup));
    for (i = 1; i < n; ++i) {
        VC_TRY(vc_sched_send(sched, i, VC_SHM_TAG_HOSTS, setup->hosts,
                             hosts));
    }
    VC_TRY(vc_sched_call(sched, vc_shm_setup_group, setup));
    for (i = 1; i < n; ++i) {
        VC_TRY(vc_sched_recv(sched, i, VC_SHM_TAG_RECORD,
                             &setup->records[i], sizeof(vc_shm_record_t)));
    }
    VC_TRY(vc_sched_fence(sched));
    VC_TRY(vc_sched_call(sched, vc_shm_setup_relay, setup));
    for (i = 1; i < n; ++i) {
        VC_TRY(vc_sched_send(sched, i, VC_SHM_TAG_LEADER_RECORD,
                             &setup->leader_records[i],
                             sizeof(vc_shm_record_t)));
    }
    VC_TRY(vc_sched_call(sched, vc_shm_setup_attach, setup));
    for (i = 1; i < n; ++i) {
        VC_TRY(vc_sched_recv(sched, i, VC_SHM_TAG_OK, &setup->oks[i], 1));
    }
    VC_TRY(vc_sched_fence(sched));
    VC_TRY(vc_sched_call(sched, vc_shm_setup_decide, setup));
    for (i = 1; i < n; ++i) {
        VC_TRY(vc_sched_send(sched, i, VC_SHM_TAG_VERDICT, &setup->verdict,
                             1));
    }
    VC_TRY(vc_sched_fence(sched));
    return vc_sched_call(sched, vc_shm_setup_finish, setup);
}
