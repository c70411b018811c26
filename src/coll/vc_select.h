/*
 * Algorithm selection: a table of rules per collective, by message size
 * and team size, with defaults and VERVE_COLL_TUNE rules ahead of them.
 * Everything it reads (type, sizes, team size, commutativity) is the same
 * on every member, so every member picks the same algorithm, fallbacks
 * included.
 */
#ifndef VC_SELECT_H
#define VC_SELECT_H

#include <stddef.h>
#include <stdio.h>
#include <verve/verve_coll.h>

typedef enum vc_alg {
    VC_ALG_NONE = 0,
    VC_ALG_DISSEMINATION,
    VC_ALG_KNOMIAL,
    VC_ALG_RD,          /* recursive doubling */
    VC_ALG_RAB,         /* Rabenseifner */
    VC_ALG_RING,
    VC_ALG_BRUCK,
    VC_ALG_PAIRWISE,
    VC_ALG_LINEAR,
    VC_ALG_ALLREDUCE,   /* reduce_scatter as an allreduce */
    VC_ALG_SHM,         /* the team's shared-memory segment (vc_shm.h) */
    VC_ALG_LAST
} vc_alg_t;

typedef struct vc_select_rule {
    size_t min_size;      /* bytes, [min_size, max_size) */
    size_t max_size;      /* SIZE_MAX: no limit */
    unsigned min_team;    /* members, [min_team, max_team] */
    unsigned max_team;
    vc_alg_t alg;
    unsigned radix;       /* 0: the algorithm's default */
} vc_select_rule_t;

#define VC_SELECT_MAX_RULES 16
#define VC_RADIX_MAX 64

typedef struct vc_select_table {
    vc_select_rule_t rules[VERVE_COLL_TYPE_LAST][VC_SELECT_MAX_RULES];
    unsigned num_rules[VERVE_COLL_TYPE_LAST];
} vc_select_table_t;

/* The defaults with the rules of tune (may be NULL or "") ahead of them.
 * A malformed tune string fails with VERVE_ERR_INVALID_CONFIG after
 * logging which part is wrong. */
verve_status_t vc_select_table_init(vc_select_table_t *table,
                                    const char *tune);
/* Reads VERVE_COLL_TUNE into a table. */
verve_status_t vc_select_table_load(vc_select_table_t *table);

/* The algorithm and radix for a collective: size is the message size in
 * bytes (per member for allgather, per peer for alltoall). */
vc_alg_t vc_select(const vc_select_table_t *table, verve_coll_type_t type,
                   size_t size, unsigned team_size, int commutative,
                   unsigned *radix_p);

/* The same, for a team that has (shm != 0) or has not a shared-memory
 * segment: without one, rules naming shm are passed over. vc_select is
 * vc_select_team without a segment. */
vc_alg_t vc_select_team(const vc_select_table_t *table,
                        verve_coll_type_t type, size_t size,
                        unsigned team_size, int commutative, int shm,
                        unsigned *radix_p);

const char *vc_alg_name(vc_alg_t alg);
/* Whether type can run alg. */
int vc_alg_valid(verve_coll_type_t type, vc_alg_t alg);
void vc_select_table_print(const vc_select_table_t *table, FILE *stream);

#endif
