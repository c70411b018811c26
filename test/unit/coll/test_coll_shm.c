/*
 * The shared-memory algorithms in one process: n members, each with its
 * own view of one segment, run the call steps vc_alg_shm builds, in a
 * random interleaving of starts and polls (many collectives in flight,
 * roots and sizes changing, rounds of 64-byte slots, single copies),
 * and every result is checked against the sum computed here. No fork:
 * valgrind sees it all. And the selection of shm, which needs a team with
 * segments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "coll/vc_shm.h"

#define MAX_MEMBERS 9
#define NUM_COLLS 200
#define MAX_COUNT 100

typedef struct {
    verve_coll_type_t type;
    unsigned root;
    size_t count;
} test_plan_t;

typedef struct {
    vc_coll_t coll;
    int64_t in[MAX_COUNT];
    int64_t out[MAX_COUNT];
    unsigned step;          /* next step of the schedule */
} test_member_coll_t;

static vc_worker_t test_vw;
static vc_team_t test_teams[MAX_MEMBERS];
static test_member_coll_t test_colls[MAX_MEMBERS][NUM_COLLS];
static test_plan_t test_plan[NUM_COLLS];

static int64_t test_input(unsigned member, unsigned c, size_t i)
{
    return (int64_t)(member * 1000003u + c * 7919u + i * 31u) - 5000;
}

static void test_build(unsigned n, unsigned member, unsigned c)
{
    test_member_coll_t *mc = &test_colls[member][c];
    const test_plan_t *plan = &test_plan[c];
    verve_coll_args_t *args = &mc->coll.args;

    memset(mc, 0, sizeof(*mc));
    for (size_t i = 0; i < plan->count; ++i) {
        mc->in[i] = test_input(member, c, i);
        mc->out[i] = -1;
    }
    if (plan->type == VERVE_COLL_BCAST && member == plan->root) {
        memcpy(mc->out, mc->in, plan->count * sizeof(int64_t));
    }
    mc->coll.team = &test_teams[member];
    args->coll_type = plan->type;
    args->root = plan->root;
    args->op = VERVE_COLL_OP_SUM;
    args->src.buffer = mc->in;
    args->dst.buffer = mc->out;
    args->dst.count = plan->count;
    args->dst.datatype = VERVE_COLL_INT64;
    vc_sched_init(&mc->coll.sched, &test_teams[member]);
    assert_int_equal(vc_op_init(&mc->coll.sched.op, VERVE_COLL_OP_SUM,
                                VERVE_COLL_INT64, NULL, NULL, 1), VERVE_OK);
    assert_int_equal(vc_alg_shm(&mc->coll), VERVE_OK);
    /* reserve, then the op */
    assert_int_equal(mc->coll.sched.num_steps, 2);
    (void)n;
}

/* Runs the member's current step once: 1 when the collective is done. */
static int test_step(test_member_coll_t *mc)
{
    vc_step_t *step = &mc->coll.sched.steps[mc->step];
    verve_status_t status = step->call(&mc->coll.sched, step);

    if (status == VERVE_INPROGRESS) {
        return 0;
    }
    assert_int_equal(status, VERVE_OK);
    return ++mc->step == mc->coll.sched.num_steps;
}

static void test_check(unsigned n, unsigned member, unsigned c)
{
    const test_member_coll_t *mc = &test_colls[member][c];
    const test_plan_t *plan = &test_plan[c];

    for (size_t i = 0; i < plan->count; ++i) {
        int64_t want = 0;
        switch (plan->type) {
        case VERVE_COLL_BCAST:
            want = test_input(plan->root, c, i);
            break;
        case VERVE_COLL_REDUCE:
            if (member != plan->root) {
                want = -1;
                break;
            }
            /* fall through */
        case VERVE_COLL_ALLREDUCE:
            for (unsigned r = 0; r < n; ++r) {
                want += test_input(r, c, i);
            }
            break;
        default:
            want = -1;
            break;
        }
        if (mc->out[i] != want) {
            fail_msg("%u members, collective %u (%s, root %u, count %zu): "
                     "member %u element %zu is %lld, want %lld", n, c,
                     verve_coll_type_name(plan->type), plan->root,
                     plan->count, member, i, (long long)mc->out[i],
                     (long long)want);
        }
    }
}

static void test_members(unsigned n, unsigned seed)
{
    static const size_t counts[] = {0, 1, 6, 7, 8, 9, 16, 17, 100};
    static const verve_coll_type_t types[] = {
        VERVE_COLL_BARRIER, VERVE_COLL_BCAST, VERVE_COLL_REDUCE,
        VERVE_COLL_ALLREDUCE};
    unsigned started[MAX_MEMBERS] = {0}, done[MAX_MEMBERS][NUM_COLLS];
    vc_shm_team_t *views[MAX_MEMBERS];
    unsigned finished = 0, member, c;

    srand(seed);
    memset(done, 0, sizeof(done));
    memset(&test_vw, 0, sizeof(test_vw));
    vs_list_init(&test_vw.polling);
    for (c = 0; c < NUM_COLLS; ++c) {
        test_plan[c].type = types[rand() % 4];
        test_plan[c].root = (unsigned)rand() % n;
        test_plan[c].count = counts[rand() % 9];
    }
    for (member = 0; member < n; ++member) {
        vc_team_t *team = &test_teams[member];
        memset(team, 0, sizeof(*team));
        team->vw = &test_vw;
        team->id = 42;
        team->rank = member;
        team->size = n;
        views[member] = vc_shm_view_alloc(n);
        assert_non_null(views[member]);
        views[member]->size = n;
        views[member]->num_nodes = 1;
        views[member]->local_rank = member;
        for (unsigned i = 0; i < n; ++i) {
            views[member]->local_of[i] = i;
        }
        team->shm = views[member];
    }
    assert_int_equal(vc_shm_segment_create(&test_teams[0], views[0]),
                     VERVE_OK);
    views[0]->cma = 1;     /* process_vm_readv of this very process */
    for (member = 1; member < n; ++member) {
        /* The same mapping, each member with its own counters. */
        vc_shm_team_t *view = views[member];
        view->slot_size = views[0]->slot_size;
        view->flat_max = views[0]->flat_max;
        view->radix = views[0]->radix;
        view->cma_min = views[0]->cma_min;
        view->cma = 1;
        view->arrive = views[0]->arrive;
        view->release = views[0]->release;
        view->sym = views[0]->sym;
        view->sym_max = views[0]->sym_max;
        view->done = views[0]->done;
        view->split_min = views[0]->split_min;
        view->slots = views[0]->slots;
    }
    for (member = 0; member < n; ++member) {
        for (c = 0; c < NUM_COLLS; ++c) {
            test_build(n, member, c);
        }
    }
    /* A member either starts its next collective (its first steps run at
     * once, as in vc_sched_start) or polls one it started. */
    while (finished < n * NUM_COLLS) {
        member = (unsigned)rand() % n;
        if (started[member] < NUM_COLLS && rand() % 3 == 0) {
            c = started[member]++;
        } else if (started[member] > 0) {
            c = (unsigned)rand() % started[member];
        } else {
            continue;
        }
        while (!done[member][c] && test_step(&test_colls[member][c])) {
            done[member][c] = 1;
            ++finished;
        }
    }
    for (member = 0; member < n; ++member) {
        for (c = 0; c < NUM_COLLS; ++c) {
            test_check(n, member, c);
            vc_sched_cleanup(&test_colls[member][c].coll.sched);
        }
    }
    for (member = 1; member < n; ++member) {
        views[member]->base = NULL;    /* member 0's mapping */
        vc_shm_view_free(views[member]);
    }
    vc_shm_view_free(views[0]);
}

/* shm rules apply to teams with segments only; tuning goes first. */
static void test_select(void **state)
{
    vc_select_table_t *table = malloc(sizeof(*table));
    unsigned radix;

    (void)state;
    assert_non_null(table);
    assert_int_equal(vc_select_table_init(table, NULL), VERVE_OK);
    assert_int_equal(vc_select_team(table, VERVE_COLL_ALLREDUCE, 8, 4, 1, 1,
                                    &radix), VC_ALG_SHM);
    assert_int_equal(vc_select_team(table, VERVE_COLL_ALLREDUCE, 8, 4, 1, 0,
                                    &radix), VC_ALG_RD);
    assert_int_equal(vc_select_team(table, VERVE_COLL_BARRIER, 0, 9, 1, 1,
                                    &radix), VC_ALG_SHM);
    assert_int_equal(vc_select_team(table, VERVE_COLL_ALLGATHER, 8, 4, 1, 1,
                                    &radix), VC_ALG_RD);
    assert_int_equal(vc_select_table_init(table, "allreduce:0-inf:ring;"
                                          "bcast:0-1k:shm"), VERVE_OK);
    assert_int_equal(vc_select_team(table, VERVE_COLL_ALLREDUCE, 8, 4, 1, 1,
                                    &radix), VC_ALG_RING);
    assert_int_equal(vc_select_team(table, VERVE_COLL_BCAST, 8, 4, 1, 1,
                                    &radix), VC_ALG_SHM);
    assert_int_equal(vc_select_team(table, VERVE_COLL_BCAST, 8, 4, 1, 0,
                                    &radix), VC_ALG_KNOMIAL);
    /* no radix for shm, and not for collectives it does not run */
    assert_int_equal(vc_select_table_init(table, "bcast:0-inf:shm/4"),
                     VERVE_ERR_INVALID_CONFIG);
    assert_int_equal(vc_select_table_init(table, "allgather:0-inf:shm"),
                     VERVE_ERR_INVALID_CONFIG);
    free(table);
}

static void test_members_all(void **state)
{
    (void)state;
    for (unsigned n = 1; n <= MAX_MEMBERS; ++n) {
        test_members(n, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_members_all),
    };

    /* Rounds of a few elements; flat up to 5 members, trees above; bcasts
     * of 32 elements and more as single copies; all-read-all up to 4;
     * allreduces of 64 bytes and more split on flat trees, however many
     * CPUs there are. */
    setenv("VERVE_COLL_SHM_CMA_MIN", "256", 1);
    setenv("VERVE_COLL_SHM_SYM_MAX", "4", 1);
    setenv("VERVE_COLL_SHM_SPLIT_MIN", "64", 1);
    setenv("VERVE_COLL_SHM_SPLIT_CROWDED", "y", 1);
    setenv("VERVE_COLL_SHM_SLOT", "64", 1);
    setenv("VERVE_COLL_SHM_FLAT_MAX", "5", 1);
    setenv("VERVE_COLL_SHM_RADIX", "2", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
