/**
 * @file verve_boot.h
 * @brief Bootstrap: rank, size, and out-of-band exchanges to swap worker
 * addresses before any endpoint exists.
 */
#ifndef VERVE_BOOT_H
#define VERVE_BOOT_H

#include <stddef.h>
#include <verve/verve_status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup verve_boot Bootstrap
 * @brief Who am I, how many are we, and exchanges through the launcher.
 *
 * Backends, tried in order:
 * - `pmix`: the process was started by a PMIx launcher (PMIX_RANK set:
 *   Open MPI's mpirun, srun); PMIx_Put/Fence/Get underneath.
 * - `builtin`: started by `verve_run` (VERVE_RUN_ADDR set): its small
 *   server.
 * - `single`: neither: a job of one.
 *
 * Two ways to exchange:
 * - allgather/barrier: every rank contributes the same number of bytes.
 * - put/fence/get: each rank publishes values under string keys, a fence
 *   (collective) makes them visible everywhere, and any rank reads any
 *   rank's value by key. `VERVE_BOOT_EXCHANGE` picks how a fence moves
 *   them under PMIx: "full" (default) collects every value into every
 *   rank, so gets are local; "lazy" only synchronises, and a get fetches
 *   the peer's values on first use (PMIx direct modex), which is cheaper
 *   when a rank talks to few peers. The builtin and single backends
 *   always work as "full".
 *
 * Every call talks only to the launcher and progresses no worker (see
 * verve_boot_barrier() for what that means for pending operations). The
 * handle is for one thread at a time; the calls are independent of any
 * context or worker, and must not be made from a verve callback (the
 * collective ones block).
 * @{
 */

/** Longest key, terminating NUL included. */
#define VERVE_BOOT_KEY_MAX 64

/** The bootstrap of this process (verve_boot_init()). */
typedef struct verve_boot *verve_boot_h;

/**
 * @brief Finds the launcher and joins the job.
 *
 * Once per process: call verve_boot_finalize() before another
 * verve_boot_init().
 *
 * @param[out] boot_p Receives the handle; untouched on failure. Must not
 *                    be NULL.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_CONFIG (a malformed `VERVE_BOOT_*`
 *         variable); #VERVE_ERR_INVALID_PARAM (boot_p NULL);
 *         #VERVE_ERR_BUSY (this process already joined and has not called
 *         verve_boot_finalize());
 *         #VERVE_ERR_NO_MEMORY; the error of the backend that recognised
 *         the process but could not join (for example
 *         #VERVE_ERR_PEER_FAILED or #VERVE_ERR_IO when the launcher cannot
 *         be reached).
 */
VERVE_API verve_status_t verve_boot_init(verve_boot_h *boot_p);

/**
 * @brief Leaves the job and frees the handle.
 *
 * Not collective.
 *
 * @param[in] boot The handle; NULL does nothing.
 */
VERVE_API void verve_boot_finalize(verve_boot_h boot);

/**
 * @brief This process's rank in the job.
 * @param[in] boot The handle.
 * @return 0 to verve_boot_size() - 1.
 */
VERVE_API int verve_boot_rank(verve_boot_h boot);

/**
 * @brief The number of ranks in the job.
 * @param[in] boot The handle.
 * @return 1 or more.
 */
VERVE_API int verve_boot_size(verve_boot_h boot);

/**
 * @brief This process's index among the ranks on this host.
 * @param[in] boot The handle.
 * @return 0 to verve_boot_local_size() - 1.
 */
VERVE_API int verve_boot_local_rank(verve_boot_h boot);

/**
 * @brief The number of ranks on this host.
 * @param[in] boot The handle.
 * @return 1 or more.
 */
VERVE_API int verve_boot_local_size(verve_boot_h boot);

/**
 * @brief Name of the backend in use.
 * @param[in] boot The handle.
 * @return The backend's name, "pmix", "builtin" or "single": a constant
 *         string.
 */
VERVE_API const char *verve_boot_backend(verve_boot_h boot);

/**
 * @brief Collective: every rank contributes length bytes and receives
 * everyone's.
 *
 * Fails (#VERVE_ERR_PEER_FAILED) rather than hangs when a rank dies.
 * Progresses no worker, as verve_boot_barrier().
 *
 * @param[in] boot   The handle.
 * @param[in] in     This rank's length bytes; NULL only when length is 0.
 * @param[in] length Bytes per rank, the same on every rank.
 * @param[out] out   Receives size * length bytes, rank r's at offset
 *                   r * length; NULL only when length is 0.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM; #VERVE_ERR_PEER_FAILED;
 *         another error of the backend.
 */
VERVE_API verve_status_t verve_boot_allgather(verve_boot_h boot,
        const void *in, size_t length, void *out);

/**
 * @brief Collective: returns once every rank has called it.
 *
 * Like every call of this header it talks only to the launcher (PMIx or
 * verve_run's server) and progresses no worker: while a rank waits here,
 * nothing it queued on a worker moves, it serves no emulated RMA, and it
 * answers no peer. So before entering it:
 * - complete verve_worker_flush_nbx() (or verve_ep_flush_nbx() on every
 *   endpoint used): once it completes, what the rank sent no longer needs
 *   this rank's progress (it may sit in the kernel, not in verve);
 * - make sure no peer still waits for this rank to progress: a flush
 *   whose messages a peer must take (a full ring, a socket buffer, a
 *   connection being set up) completes only while that peer progresses,
 *   so a peer that is itself in the barrier lets it complete only if it
 *   has no such messages to take.
 *
 * A program that cannot tell uses a collective barrier (`verve_coll.h`),
 * which progresses the worker while it waits.
 *
 * @param[in] boot The handle.
 * @return #VERVE_OK; #VERVE_ERR_PEER_FAILED when a rank died;
 *         #VERVE_ERR_INVALID_PARAM (boot NULL).
 */
VERVE_API verve_status_t verve_boot_barrier(verve_boot_h boot);

/**
 * @brief Publishes length bytes under key.
 *
 * Other ranks see it after the next fence, this rank at once. A key is
 * written once per rank: putting it again is #VERVE_ERR_INVALID_PARAM, so
 * no rank can read a stale value.
 *
 * @param[in] boot   The handle.
 * @param[in] key    1 to #VERVE_BOOT_KEY_MAX - 1 characters; copied.
 * @param[in] value  The bytes, copied; NULL only when length is 0.
 * @param[in] length Bytes.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM (a bad key, a key put
 *         before, value NULL); #VERVE_ERR_NO_MEMORY; another error of
 *         the backend.
 */
VERVE_API verve_status_t verve_boot_put(verve_boot_h boot, const char *key,
                                        const void *value, size_t length);

/**
 * @brief Collective: returns once every rank's puts made so far are
 * visible to every rank.
 *
 * Progresses no worker, as verve_boot_barrier().
 *
 * @param[in] boot The handle.
 * @return #VERVE_OK; #VERVE_ERR_PEER_FAILED when a rank died;
 *         #VERVE_ERR_INVALID_PARAM (boot NULL); another error of the
 *         backend.
 */
VERVE_API verve_status_t verve_boot_fence(verve_boot_h boot);

/**
 * @brief Reads what rank put under key before the last fence.
 *
 * @param[in] boot          The handle.
 * @param[in] rank          Any rank, this one included.
 * @param[in] key           The key.
 * @param[out] value        Receives the value; NULL only when *length_p
 *                          is 0.
 * @param[in,out] length_p  The size of value on entry; the value's length
 *                          on return. When the buffer is too small nothing
 *                          is copied and the call returns
 *                          #VERVE_ERR_MESSAGE_TRUNCATED with the length
 *                          needed (so a first call with *length_p = 0 asks
 *                          for it).
 * @return #VERVE_OK; #VERVE_ERR_MESSAGE_TRUNCATED; #VERVE_ERR_NO_ELEM
 *         (rank put no such key); #VERVE_ERR_INVALID_PARAM (no such rank,
 *         a bad key, length_p NULL); another error of the backend.
 */
VERVE_API verve_status_t verve_boot_get(verve_boot_h boot, int rank,
                                        const char *key, void *value,
                                        size_t *length_p);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
