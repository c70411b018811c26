/*
 * Connection authentication: the per-job secret and the challenge-response
 * that proves a peer holds it.
 *
 * Every process of a job holds the same job key; a transport handshake
 * swaps two fresh nonces and each side answers with
 *     HMAC-SHA256(key, role || connector nonce || acceptor nonce ||
 *                 connector uid || acceptor uid)
 * where role tells the two answers apart, so one side's answer can never
 * be replayed or reflected as the other's. A process that does not know
 * the key cannot answer, and the uids bind the answer to the workers that
 * connect: a proof for one pair is worth nothing for another.
 *
 * Where the key comes from, first found wins (doc/design.md, "Trust"):
 *   VERVE_JOB_KEY        set by verve_run for its ranks (or by a launcher
 *                        of one's own);
 *   Open MPI's mpirun    OMPI_MCA_orte_precondition_transports, the random
 *                        per-job key it gives every process (PSM's too);
 *   a bootstrap backend  PMIx: rank 0 makes one at the first fence, the
 *                        others read it (srun, other PMIx launchers);
 *   none of them         a random key of this process: its own workers
 *                        reach each other, no other process reaches them.
 *
 * VERVE_AUTH=n turns the checks off (unsafe: any process that reaches a
 * port joins the job). Thread-safe; all of it runs at connection setup
 * only.
 */
#ifndef VS_AUTH_H
#define VS_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_status.h>

/* What verve_run sets for its ranks. */
#define VS_AUTH_ENV_JOB_KEY "VERVE_JOB_KEY"
/* Random bytes in a key that a launcher makes. */
#define VS_AUTH_JOB_KEY_BYTES 32

#define VS_AUTH_NONCE_SIZE 16
#define VS_AUTH_MAC_SIZE 32

typedef enum vs_auth_role {
    VS_AUTH_ROLE_CONNECTOR = 1,
    VS_AUTH_ROLE_ACCEPTOR = 2
} vs_auth_role_t;

/* Who proves what, on one connection. */
typedef struct vs_auth_session {
    uint8_t connector_nonce[VS_AUTH_NONCE_SIZE];
    uint8_t acceptor_nonce[VS_AUTH_NONCE_SIZE];
    uint64_t connector_uid;
    uint64_t acceptor_uid;
} vs_auth_session_t;

/* Reads VERVE_AUTH and the key's sources once; a bad value is an error.
 * Every other call runs it first. */
verve_status_t vs_auth_init(void);

/* Whether handshakes check proofs (VERVE_AUTH). */
int vs_auth_enabled(void);

/* Where the key in use came from, for messages: "VERVE_JOB_KEY", ... */
const char *vs_auth_key_source(void);

/* A bootstrap backend's key for the whole job. Taken unless one of the
 * environment's is set, which every process of the job reads alike; it
 * must come before the first connection (a fence precedes any). */
void vs_auth_set_job_key(const void *key, size_t length, const char *source);

/* Fresh random bytes for a nonce (getrandom). */
verve_status_t vs_auth_nonce(uint8_t nonce[VS_AUTH_NONCE_SIZE]);

/* The answer of `role` in this session. */
void vs_auth_proof(const vs_auth_session_t *session, vs_auth_role_t role,
                   uint8_t mac[VS_AUTH_MAC_SIZE]);

/* Whether mac is the answer of `role`, compared in constant time; always
 * 1 with VERVE_AUTH=n. */
int vs_auth_check(const vs_auth_session_t *session, vs_auth_role_t role,
                  const uint8_t mac[VS_AUTH_MAC_SIZE]);

#endif
