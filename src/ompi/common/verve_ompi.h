/*
 * What Open MPI 4.1's verve components (mtl verve, pml verve) share: the
 * 64-bit tag layout that carries MPI's communicator, source and tag, the
 * mapping of verve statuses onto MPI errors, and the worker address in
 * the PMIx modex. Compiled into each component; a job uses one of them.
 *
 * Tag layout, the 64-bit verve tag of every message:
 *
 *   63        44 43        24 23 22              0
 *   | context id | src rank   | s |  MPI tag bits  |
 *      20 bits      20 bits    1      23 bits
 *
 * - context id: comm->c_contextid, at most 2^20 - 1 (max_contextid);
 *   add_comm refuses a communicator beyond it, and one with more than 2^20
 *   ranks, rather than let two alias.
 * - src rank: the sender's rank in the communicator (its local group for
 *   an intercommunicator, which is how the receiver names it).
 * - s: the MPI tag's sign. Non-negative tags (user tags, at most max_tag =
 *   2^23 - 1) are stored as they are. Negative tags belong to Open MPI's
 *   collectives (-10 down to -INT_MAX); their low 23 bits are kept under
 *   s = 1, so they never alias a user tag. Two negative tags 2^23 apart do
 *   alias each other: only collectives use them, and a receive posted with
 *   a negative tag reports that tag in its status, not the folded one.
 *
 * Masks: MPI_ANY_SOURCE clears the source bits; MPI_ANY_TAG clears the 23
 * tag bits but keeps s, expected 0, so that a wildcard receive never takes
 * a collective's message.
 */
#ifndef VERVE_OMPI_H
#define VERVE_OMPI_H

#include "ompi_config.h"
#include "mpi.h"
#include "opal/mca/mca.h"

#include <verve/verve.h>
#include <verve/verve_tag.h>

BEGIN_C_DECLS

struct ompi_communicator_t;
struct ompi_proc_t;

#define VERVE_OMPI_TAG_BITS 24
#define VERVE_OMPI_SOURCE_BITS 20
#define VERVE_OMPI_CID_BITS 20
#define VERVE_OMPI_SOURCE_SHIFT VERVE_OMPI_TAG_BITS
#define VERVE_OMPI_CID_SHIFT (VERVE_OMPI_TAG_BITS + VERVE_OMPI_SOURCE_BITS)

#define VERVE_OMPI_MAX_TAG ((1 << (VERVE_OMPI_TAG_BITS - 1)) - 1)
#define VERVE_OMPI_MAX_CID ((1u << VERVE_OMPI_CID_BITS) - 1)
#define VERVE_OMPI_MAX_RANKS (1 << VERVE_OMPI_SOURCE_BITS)

#define VERVE_OMPI_TAG_FIELD ((UINT64_C(1) << VERVE_OMPI_TAG_BITS) - 1)
#define VERVE_OMPI_TAG_SIGN (UINT64_C(1) << (VERVE_OMPI_TAG_BITS - 1))
#define VERVE_OMPI_SOURCE_FIELD \
    (((UINT64_C(1) << VERVE_OMPI_SOURCE_BITS) - 1) << VERVE_OMPI_SOURCE_SHIFT)

static inline verve_tag_t verve_ompi_tag_make(uint32_t cid, int source,
                                              int tag)
{
    uint64_t tag_bits = (tag >= 0)
            ? (uint64_t)tag
            : (VERVE_OMPI_TAG_SIGN | ((uint64_t)(uint32_t)tag &
                                      (VERVE_OMPI_TAG_SIGN - 1)));

    return ((uint64_t)cid << VERVE_OMPI_CID_SHIFT) |
           ((uint64_t)(uint32_t)source << VERVE_OMPI_SOURCE_SHIFT) |
           tag_bits;
}

/* The mask that goes with a receive or probe for (source, tag), either
 * of which may be a wildcard. */
static inline verve_tag_t verve_ompi_tag_mask(int source, int tag)
{
    verve_tag_t mask = ~UINT64_C(0);

    if (source == MPI_ANY_SOURCE) {
        mask &= ~VERVE_OMPI_SOURCE_FIELD;
    }
    if (tag == MPI_ANY_TAG) {
        mask &= ~(VERVE_OMPI_TAG_FIELD & ~VERVE_OMPI_TAG_SIGN);
    }
    return mask;
}

/* A wildcard's expected value: the wildcard's own bits are masked out,
 * and MPI_ANY_TAG's expected sign must be 0. */
static inline verve_tag_t verve_ompi_tag_expect(uint32_t cid, int source,
                                                int tag)
{
    return verve_ompi_tag_make(cid, (source == MPI_ANY_SOURCE) ? 0 : source,
                               (tag == MPI_ANY_TAG) ? 0 : tag);
}

static inline int verve_ompi_tag_source(verve_tag_t tag)
{
    return (int)((tag & VERVE_OMPI_SOURCE_FIELD) >> VERVE_OMPI_SOURCE_SHIFT);
}

/* Exact for tags >= -2^23 (every user tag); see the layout above. */
static inline int verve_ompi_tag_mpi(verve_tag_t tag)
{
    uint64_t bits = tag & VERVE_OMPI_TAG_FIELD;

    if (bits & VERVE_OMPI_TAG_SIGN) {
        return (int)(int32_t)(uint32_t)(bits | ~VERVE_OMPI_TAG_FIELD);
    }
    return (int)bits;
}

/* The MPI error class of a verve status. */
int verve_ompi_error(verve_status_t status);

/* The process's rank in MPI_COMM_WORLD's job, for messages. */
int verve_ompi_proc_rank(struct ompi_proc_t *proc);

/* Checks that comm fits the tag layout; who names the component in the
 * message. */
int verve_ompi_comm_check(const char *who, struct ompi_communicator_t *comm);

/* Fills the context parameters both components pass: their name, and
 * "shm,self" as the transports when every rank of the job shares this
 * node (no tcp listener, no device probe, nothing but shm to poll; a
 * VERVE_TLS in the environment still wins, else a line at verbosity 1
 * on output says so). */
void verve_ompi_context_params(const char *who, int output,
                               verve_context_params_t *params);

/* Publishes worker's address in the modex under version's key. */
int verve_ompi_address_publish(const char *who, verve_worker_h worker,
                               const mca_base_component_t *version);

/* Creates an endpoint of worker to proc from its address in the modex
 * (published under version's key), with err_cb(err_arg, ...) as its error
 * handler. */
int verve_ompi_ep_create(const char *who, verve_worker_h worker,
                         const mca_base_component_t *version,
                         struct ompi_proc_t *proc,
                         verve_ep_error_cb_t err_cb, void *err_arg,
                         verve_ep_h *ep_p);

END_C_DECLS

#endif
