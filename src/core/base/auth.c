/*
 * Connection authentication (auth.h): the job key, and HMAC-SHA256 from
 * nettle for the proofs.
 */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "compiler.h"
#include "config.h"
#include "log.h"

typedef struct vs_auth_config {
    int enabled;
    char *job_key;
} vs_auth_config_t;

typedef struct vs_auth_ompi_config {
    char *precondition;
} vs_auth_ompi_config_t;

static const vs_config_field_t vs_auth_config_fields[] = {
    {"AUTH", "y",
     "Connections between processes prove they belong to the job (a "
     "challenge-response over the job key at connection setup). n is "
     "UNSAFE: any process that reaches a rank's port can send it messages",
     VS_CONFIG_TYPE_BOOL, offsetof(vs_auth_config_t, enabled)},
    {"JOB_KEY", "",
     "The secret shared by the processes of a job (set by verve_run; for a "
     "launcher of one's own: the same random text in every process, "
     "readable by the job's user only)",
     VS_CONFIG_TYPE_SECRET, offsetof(vs_auth_config_t, job_key)},
};

static vs_config_table_t vs_auth_config_table = {
    .component = "auth",
    .prefix = "",
    .fields = vs_auth_config_fields,
    .num_fields = vs_array_size(vs_auth_config_fields),
    .struct_size = sizeof(vs_auth_config_t),
};

static const vs_config_field_t vs_auth_ompi_fields[] = {
    {"precondition_transports", "",
     "The random per-job key Open MPI's mpirun gives its processes; the "
     "job key when VERVE_JOB_KEY is not set",
     VS_CONFIG_TYPE_SECRET, offsetof(vs_auth_ompi_config_t, precondition)},
};

static vs_config_table_t vs_auth_ompi_table = {
    .component = "auth",
    .env_prefix = "OMPI_MCA_",
    .prefix = "orte_",
    .fields = vs_auth_ompi_fields,
    .num_fields = vs_array_size(vs_auth_ompi_fields),
    .struct_size = sizeof(vs_auth_ompi_config_t),
};

static vs_constructor void vs_auth_config_register(void)
{
    vs_config_register(&vs_auth_config_table);
    vs_config_register(&vs_auth_ompi_table);
}

/* Ranked: a source replaces the key only if it ranks higher. */
typedef enum vs_auth_rank {
    VS_AUTH_KEY_NONE,
    VS_AUTH_KEY_RANDOM,
    VS_AUTH_KEY_BOOT,
    VS_AUTH_KEY_OMPI,       /* above BOOT: the mtl, which has no bootstrap,
                               reads it too */
    VS_AUTH_KEY_ENV
} vs_auth_rank_t;

static struct {
    pthread_mutex_t lock;
    int initialized;
    int enabled;
    vs_auth_rank_t rank;
    const char *source;
    uint8_t key[SHA256_DIGEST_SIZE];
} vs_auth = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Any text or bytes become a key of one size; the label keeps it apart
 * from other uses of the same secret (Open MPI's PSM job key). */
static void vs_auth_derive(const void *secret, size_t length,
                           uint8_t key[SHA256_DIGEST_SIZE])
{
    static const char label[] = "verve job key v1";
    struct sha256_ctx ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, sizeof(label), (const uint8_t *)label);
    sha256_update(&ctx, length, secret);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, key);
}

static void vs_auth_take(const void *secret, size_t length,
                         vs_auth_rank_t rank, const char *source)
{
    vs_auth_derive(secret, length, vs_auth.key);
    vs_auth.rank = rank;
    vs_auth.source = source;
}

static verve_status_t vs_auth_random(void *buffer, size_t length)
{
    ssize_t n;

    do {
        n = getrandom(buffer, length, 0);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)length) {
        vs_error("auth: getrandom of %zu bytes failed: %s", length,
                 (n < 0) ? strerror(errno) : "short read");
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

/* Called with the lock held. */
static verve_status_t vs_auth_init_locked(void)
{
    uint8_t secret[SHA256_DIGEST_SIZE];
    vs_auth_ompi_config_t ompi;
    vs_auth_config_t config;
    verve_status_t status;

    if (vs_auth.initialized) {
        return VERVE_OK;
    }
    status = vs_config_read(&vs_auth_config_table, &config);
    if (status != VERVE_OK) {
        return status;
    }
    status = vs_config_read(&vs_auth_ompi_table, &ompi);
    if (status != VERVE_OK) {
        goto out_release_config;
    }
    vs_auth.enabled = config.enabled;
    if (config.job_key[0] != '\0') {
        vs_auth_take(config.job_key, strlen(config.job_key),
                     VS_AUTH_KEY_ENV, "VERVE_JOB_KEY");
    } else if (ompi.precondition[0] != '\0') {
        vs_auth_take(ompi.precondition, strlen(ompi.precondition),
                     VS_AUTH_KEY_OMPI, "Open MPI's job key");
    } else {
        status = vs_auth_random(secret, sizeof(secret));
        if (status != VERVE_OK) {
            goto out_release_ompi;
        }
        vs_auth_take(secret, sizeof(secret), VS_AUTH_KEY_RANDOM,
                     "this process (no job key: none of VERVE_JOB_KEY, a "
                     "PMIx job's or Open MPI's)");
    }
    if (!vs_auth.enabled) {
        vs_warn("auth: VERVE_AUTH=n: connections are not authenticated; "
                "any process that reaches a port can inject messages");
    }
    vs_auth.initialized = 1;

out_release_ompi:
    vs_config_release(&vs_auth_ompi_table, &ompi);
out_release_config:
    vs_config_release(&vs_auth_config_table, &config);
    return status;
}

verve_status_t vs_auth_init(void)
{
    verve_status_t status;

    pthread_mutex_lock(&vs_auth.lock);
    status = vs_auth_init_locked();
    pthread_mutex_unlock(&vs_auth.lock);
    return status;
}

int vs_auth_enabled(void)
{
    int enabled;

    pthread_mutex_lock(&vs_auth.lock);
    /* Unreadable configuration: checking is the safe side. */
    enabled = (vs_auth_init_locked() != VERVE_OK) || vs_auth.enabled;
    pthread_mutex_unlock(&vs_auth.lock);
    return enabled;
}

const char *vs_auth_key_source(void)
{
    const char *source;

    pthread_mutex_lock(&vs_auth.lock);
    source = (vs_auth_init_locked() == VERVE_OK) ? vs_auth.source : "none";
    pthread_mutex_unlock(&vs_auth.lock);
    return source;
}

void vs_auth_set_job_key(const void *key, size_t length, const char *source)
{
    pthread_mutex_lock(&vs_auth.lock);
    if (vs_auth_init_locked() == VERVE_OK &&
        vs_auth.rank < VS_AUTH_KEY_BOOT) {
        vs_auth_take(key, length, VS_AUTH_KEY_BOOT, source);
        vs_debug("auth: job key from %s", source);
    }
    pthread_mutex_unlock(&vs_auth.lock);
}

verve_status_t vs_auth_nonce(uint8_t nonce[VS_AUTH_NONCE_SIZE])
{
    return vs_auth_random(nonce, VS_AUTH_NONCE_SIZE);
}

void vs_auth_proof(const vs_auth_session_t *session, vs_auth_role_t role,
                   uint8_t mac[VS_AUTH_MAC_SIZE])
{
    uint8_t key[SHA256_DIGEST_SIZE], byte = (uint8_t)role, uids[16];
    struct hmac_sha256_ctx ctx;

    pthread_mutex_lock(&vs_auth.lock);
    if (vs_auth_init_locked() == VERVE_OK) {
        memcpy(key, vs_auth.key, sizeof(key));
    } else {
        /* A key nobody else has: the proof fails, safely. */
        memset(key, 0xff, sizeof(key));
    }
    pthread_mutex_unlock(&vs_auth.lock);

    /* Fixed little-endian layout: both hosts compute the same bytes. */
    for (unsigned i = 0; i < 8; ++i) {
        uids[i] = (uint8_t)(session->connector_uid >> (8 * i));
        uids[8 + i] = (uint8_t)(session->acceptor_uid >> (8 * i));
    }
    hmac_sha256_set_key(&ctx, sizeof(key), key);
    hmac_sha256_update(&ctx, 1, &byte);
    hmac_sha256_update(&ctx, VS_AUTH_NONCE_SIZE, session->connector_nonce);
    hmac_sha256_update(&ctx, VS_AUTH_NONCE_SIZE, session->acceptor_nonce);
    hmac_sha256_update(&ctx, sizeof(uids), uids);
    hmac_sha256_digest(&ctx, VS_AUTH_MAC_SIZE, mac);
    memset(key, 0, sizeof(key));
}

int vs_auth_check(const vs_auth_session_t *session, vs_auth_role_t role,
                  const uint8_t mac[VS_AUTH_MAC_SIZE])
{
    uint8_t expect[VS_AUTH_MAC_SIZE];

    if (!vs_auth_enabled()) {
        return 1;
    }
    vs_auth_proof(session, role, expect);
    return memeql_sec(expect, mac, VS_AUTH_MAC_SIZE);
}
