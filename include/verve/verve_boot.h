/*
 * Bootstrap: who am I, how many are we, and out-of-band exchanges to swap
 * worker addresses before any endpoint exists. Backends, tried in order:
 *
 *   pmix     the process was started by a PMIx launcher (PMIX_RANK set:
 *            Open MPI's mpirun, srun); PMIx_Put/Fence/Get underneath.
 *   builtin  started by verve_run (VERVE_RUN_ADDR set): its small server.
 *   single   neither: a job of one.
 *
 * Two ways to exchange:
 *
 *   - allgather/barrier: every rank contributes the same number of bytes.
 *   - put/fence/get: each rank publishes values under string keys, a fence
 *     (collective) makes them visible everywhere, and any rank reads any
 *     rank's value by key. VERVE_BOOT_EXCHANGE picks how a fence moves
 *     them under PMIx: "full" (default) collects every value into every
 *     rank, so gets are local; "lazy" only synchronises, and a get fetches
 *     the peer's values on first use (PMIx direct modex), which is cheaper
 *     when a rank talks to few peers. The builtin and single backends
 *     always work as "full".
 */
#ifndef VERVE_BOOT_H
#define VERVE_BOOT_H

#include <stddef.h>
#include <verve/verve_status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest key, terminating NUL included. */
#define VERVE_BOOT_KEY_MAX 64

typedef struct verve_boot *verve_boot_h;

VERVE_API verve_status_t verve_boot_init(verve_boot_h *boot_p);
VERVE_API void verve_boot_finalize(verve_boot_h boot);

VERVE_API int verve_boot_rank(verve_boot_h boot);
VERVE_API int verve_boot_size(verve_boot_h boot);
/* Ranks on this host: this process's index among them and their count. */
VERVE_API int verve_boot_local_rank(verve_boot_h boot);
VERVE_API int verve_boot_local_size(verve_boot_h boot);
/* Name of the backend in use: "pmix", "builtin" or "single". */
VERVE_API const char *verve_boot_backend(verve_boot_h boot);

/* Every rank contributes `length` bytes (the same length on every rank);
 * out receives size * length bytes, rank r's at offset r * length.
 * Fails (VERVE_ERR_PEER_FAILED) rather than hangs when a rank dies. */
VERVE_API verve_status_t verve_boot_allgather(verve_boot_h boot,
        const void *in, size_t length, void *out);
/* Returns once every rank has called it. Like every call of this header
 * it talks only to the launcher (PMIx or verve_run's server) and
 * progresses no worker: while a rank waits here, nothing it queued on a
 * worker moves, and it answers no peer. So before entering it:
 *   - complete verve_worker_flush_nbx (or verve_ep_flush_nbx on every
 *     endpoint used): once it completes, what the rank sent no longer
 *     needs this rank's progress (it may sit in the kernel, not in verve);
 *   - make sure no peer still waits for this rank to progress: a flush
 *     whose messages a peer must take (a full ring, a socket buffer, a
 *     connection being set up) completes only while that peer progresses,
 *     so a peer that is itself in the barrier lets it complete only if
 *     it has no such messages to take.
 * A program that cannot tell uses a collective barrier (verve_coll.h),
 * which progresses the worker while it waits. */
VERVE_API verve_status_t verve_boot_barrier(verve_boot_h boot);

/* Publishes `length` bytes under `key` (1 to VERVE_BOOT_KEY_MAX - 1
 * characters). Other ranks see it after the next fence, this rank at
 * once. A key is written once per rank: putting it again is
 * VERVE_ERR_INVALID_PARAM, so no rank can read a stale value. */
VERVE_API verve_status_t verve_boot_put(verve_boot_h boot, const char *key,
                                        const void *value, size_t length);
/* Collective: returns once every rank's puts made so far are visible to
 * every rank. VERVE_ERR_PEER_FAILED when a rank died. Progresses no
 * worker, as verve_boot_barrier. */
VERVE_API verve_status_t verve_boot_fence(verve_boot_h boot);
/* Reads what `rank` put under `key` before the last fence. *length_p
 * holds the size of `value` on entry and the value's length on return;
 * when the buffer is too small nothing is copied and the call returns
 * VERVE_ERR_MESSAGE_TRUNCATED with the length needed (so a first call
 * with *length_p = 0 asks for it). VERVE_ERR_NO_ELEM: rank put no such
 * key; VERVE_ERR_INVALID_PARAM: no such rank. */
VERVE_API verve_status_t verve_boot_get(verve_boot_h boot, int rank,
                                        const char *key, void *value,
                                        size_t *length_p);

#ifdef __cplusplus
}
#endif

#endif
