/*
 * Bootstrap: who am I, how many are we, and an out-of-band allgather and
 * barrier to exchange worker addresses. Backed by verve_run's built-in
 * server, by PMIx under mpirun (later), or a job of one when neither
 * launched the process.
 */
#ifndef VERVE_BOOT_H
#define VERVE_BOOT_H

#include <stddef.h>
#include <verve/verve_status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct verve_boot *verve_boot_h;

VERVE_API verve_status_t verve_boot_init(verve_boot_h *boot_p);
VERVE_API void verve_boot_finalize(verve_boot_h boot);

VERVE_API int verve_boot_rank(verve_boot_h boot);
VERVE_API int verve_boot_size(verve_boot_h boot);
/* Ranks on this host: this process's index among them and their count. */
VERVE_API int verve_boot_local_rank(verve_boot_h boot);
VERVE_API int verve_boot_local_size(verve_boot_h boot);
/* Name of the backend in use: "builtin", "pmix" or "single". */
VERVE_API const char *verve_boot_backend(verve_boot_h boot);

/* Every rank contributes `length` bytes (the same length on every rank);
 * out receives size * length bytes, rank r's at offset r * length.
 * Fails (VERVE_ERR_PEER_FAILED) rather than hangs when a rank dies. */
VERVE_API verve_status_t verve_boot_allgather(verve_boot_h boot,
        const void *in, size_t length, void *out);
VERVE_API verve_status_t verve_boot_barrier(verve_boot_h boot);

#ifdef __cplusplus
}
#endif

#endif
