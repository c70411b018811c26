/*
 * PMIx backend: serves processes that a PMIx launcher started (Open MPI's
 * mpirun, srun), recognised by PMIX_RANK, which the launcher sets and
 * which is read through a config table like every other variable.
 *
 * Keys in PMIx's store, all under "verve." so they cannot meet PMIx's own
 * ("pmix.") or another library's:
 *   verve.u.<key>   a verve_boot_put value
 *   verve.ag.<n>    this rank's part of its n-th allgather (a fresh key
 *                   each time: PMIx has no delete, and reusing a key could
 *                   let a peer read the previous round's bytes)
 *   verve.f.<n>     lazy mode: put by every rank at its n-th fence, so
 *                   that a get knows it asks for data that exists
 *
 * Full exchange: a fence is PMIx_Fence with PMIX_COLLECT_DATA, which
 * leaves every value on each node's server, and a get asks with
 * PMIX_IMMEDIATE (this process's store, then its server, never the
 * launcher), so that a key never put is VERVE_ERR_NO_ELEM at once instead
 * of a wait for it to appear, PMIx_Get's default. Lazy exchange: the fence
 * only synchronises; a get looks in this process's store (PMIX_OPTIONAL:
 * node-local peers' values are often in shared memory), and otherwise,
 * the first time after a fence, asks for the peer's verve.f.<n> (a direct
 * modex, which brings the peer's committed values to this node's server)
 * before the same PMIX_IMMEDIATE get.
 *
 * VERVE_RUN_TIMEOUT, when set, becomes PMIX_TIMEOUT on fences and gets. A
 * rank that dies makes the fence in progress end with an error (Open MPI
 * then takes the job down); any failure is sticky, as in the builtin
 * backend, so no later collective waits for the dead.
 */
#include "verve_config.h"
#include "boot.h"

#include "core/base/auth.h"
#include "core/base/config.h"
#include "core/base/log.h"
#include <errno.h>
#include <limits.h>
#include <pmix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define VS_BOOT_PMIX_USER_PREFIX "verve.u."
#define VS_BOOT_PMIX_KEY_MAX (sizeof(VS_BOOT_PMIX_USER_PREFIX) + \
                              VERVE_BOOT_KEY_MAX)

typedef struct vs_boot_pmix {
    pmix_proc_t proc;           /* this rank */
    unsigned allgathers;        /* allgathers so far */
    unsigned epoch;             /* fences so far */
    unsigned *fetched;          /* lazy: by rank, the epoch last fetched */
    int timeout;                /* PMIX_TIMEOUT seconds; 0: none */
} vs_boot_pmix_t;

/* The launcher's variable, read (never owned) by verve. */
typedef struct vs_boot_pmix_env {
    char *rank;
} vs_boot_pmix_env_t;

static const vs_config_field_t vs_boot_pmix_env_fields[] = {
    {"RANK", "", "Set by a PMIx launcher (mpirun, srun); when it is, verve "
     "bootstraps through PMIx", VS_CONFIG_TYPE_STRING,
     offsetof(vs_boot_pmix_env_t, rank)},
};

static vs_config_table_t vs_boot_pmix_env_table = {
    .component = "boot_pmix",
    .env_prefix = "PMIX_",
    .prefix = "",
    .fields = vs_boot_pmix_env_fields,
    .num_fields = vs_array_size(vs_boot_pmix_env_fields),
    .struct_size = sizeof(vs_boot_pmix_env_t),
};

static vs_constructor void vs_boot_pmix_config_register(void)
{
    vs_config_register(&vs_boot_pmix_env_table);
}

/* Whether a PMIx launcher started this process. */
static verve_status_t vs_boot_pmix_launched(int *launched_p)
{
    vs_boot_pmix_env_t env;
    verve_status_t status;

    status = vs_config_read(&vs_boot_pmix_env_table, &env);
    if (status != VERVE_OK) {
        return status;
    }
    *launched_p = (env.rank[0] != '\0');
    vs_config_release(&vs_boot_pmix_env_table, &env);
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_status(pmix_status_t rc)
{
    switch (rc) {
    case PMIX_SUCCESS:
        return VERVE_OK;
    case PMIX_ERR_NOT_FOUND:
        return VERVE_ERR_NO_ELEM;
    case PMIX_ERR_TIMEOUT:
        return VERVE_ERR_TIMED_OUT;
    case PMIX_ERR_NOMEM:
        return VERVE_ERR_NO_MEMORY;
    /* A fence that a dead rank cut short ends in PARTIAL_SUCCESS. */
    case PMIX_ERR_PARTIAL_SUCCESS:
    case PMIX_ERR_PROC_ABORTED:
    case PMIX_ERR_PROC_ABORTING:
    case PMIX_ERR_PROC_TERM_WO_SYNC:
    case PMIX_ERR_PROC_ABORTED_BY_SIG:
    case PMIX_ERR_PROC_KILLED_BY_CMD:
    case PMIX_ERR_PROC_REQUESTED_ABORT:
    case PMIX_PROC_TERMINATED:
    case PMIX_ERR_LOST_CONNECTION:
    case PMIX_ERR_UNREACH:
    case PMIX_ERR_COMM_FAILURE:
        return VERVE_ERR_PEER_FAILED;
    default:
        return VERVE_ERR_IO;
    }
}

/* Logs a failed PMIx call and, unless only a key was missing, makes the
 * failure sticky. */
static verve_status_t vs_boot_pmix_fail(verve_boot_h boot, pmix_status_t rc,
                                        const char *call,
                                        const char *operation)
{
    verve_status_t status = vs_boot_pmix_status(rc);

    if (status == VERVE_ERR_TIMED_OUT) {
        vs_error("boot: rank %d: %s: %s gave no answer within %g s "
                 "(VERVE_RUN_TIMEOUT)", boot->rank, operation, call,
                 boot->timeout);
    } else {
        vs_error("boot: rank %d: %s: %s failed: %s (%d)%s", boot->rank,
                 operation, call, PMIx_Error_string(rc), (int)rc,
                 (rc == PMIX_ERR_PARTIAL_SUCCESS) ?
                 ": a rank of the job died during it" :
                 (status == VERVE_ERR_PEER_FAILED) ?
                 ": a rank of the job or the PMIx server is gone" : "");
    }
    if (status != VERVE_ERR_NO_ELEM) {
        boot->failed = status;
    }
    return status;
}

static verve_status_t vs_boot_pmix_get_number(verve_boot_h boot,
                                              const pmix_proc_t *proc,
                                              const char *key,
                                              unsigned *value_p)
{
    vs_boot_pmix_t *pmix = boot->backend;
    pmix_value_t *value = NULL;
    pmix_status_t rc;
    uint64_t number;

    rc = PMIx_Get(proc, key, NULL, 0, &value);
    if (rc != PMIX_SUCCESS) {
        vs_error("boot: PMIx rank %u: PMIx_Get of %s failed: %s (%d)",
                 (unsigned)pmix->proc.rank, key, PMIx_Error_string(rc),
                 (int)rc);
        return vs_boot_pmix_status(rc);
    }
    switch (value->type) {
    case PMIX_UINT16:
        number = value->data.uint16;
        break;
    case PMIX_UINT32:
        number = value->data.uint32;
        break;
    case PMIX_UINT64:
        number = value->data.uint64;
        break;
    case PMIX_UINT:
        number = value->data.uint;
        break;
    default:
        vs_error("boot: PMIx rank %u: %s has type %s, not a number",
                 (unsigned)pmix->proc.rank, key,
                 PMIx_Data_type_string(value->type));
        PMIX_VALUE_RELEASE(value);
        return VERVE_ERR_IO;
    }
    PMIX_VALUE_RELEASE(value);
    if (number > INT_MAX) {
        vs_error("boot: PMIx rank %u: %s is %llu, out of range",
                 (unsigned)pmix->proc.rank, key,
                 (unsigned long long)number);
        return VERVE_ERR_IO;
    }
    *value_p = (unsigned)number;
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_job_info(verve_boot_h boot)
{
    vs_boot_pmix_t *pmix = boot->backend;
    unsigned size, local_rank, local_size;
    verve_status_t status;
    pmix_proc_t job;

    PMIX_LOAD_PROCID(&job, pmix->proc.nspace, PMIX_RANK_WILDCARD);
    status = vs_boot_pmix_get_number(boot, &job, PMIX_JOB_SIZE, &size);
    if (status == VERVE_OK) {
        status = vs_boot_pmix_get_number(boot, &pmix->proc,
                                         PMIX_LOCAL_RANK, &local_rank);
    }
    if (status == VERVE_OK) {
        status = vs_boot_pmix_get_number(boot, &job, PMIX_LOCAL_SIZE,
                                         &local_size);
    }
    if (status != VERVE_OK) {
        return status;
    }
    if ((size == 0) || (pmix->proc.rank >= size) || (local_size == 0) ||
        (local_rank >= local_size) || (local_size > size)) {
        vs_error("boot: PMIx describes no rank of a job: rank %u, job size "
                 "%u, local rank %u, local size %u",
                 (unsigned)pmix->proc.rank, size, local_rank, local_size);
        return VERVE_ERR_IO;
    }
    boot->rank = (int)pmix->proc.rank;
    boot->size = (int)size;
    boot->local_rank = (int)local_rank;
    boot->local_size = (int)local_size;
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_init(verve_boot_h boot,
                                        const vs_boot_config_t *config)
{
    vs_boot_pmix_t *pmix;
    verve_status_t status;
    pmix_status_t rc;
    int launched;

    status = vs_boot_pmix_launched(&launched);
    if (status != VERVE_OK) {
        return status;
    }
    if (!launched) {
        return VERVE_ERR_UNSUPPORTED;
    }

    pmix = calloc(1, sizeof(*pmix));
    if (pmix == NULL) {
        vs_error("boot: allocating the PMIx state failed");
        return VERVE_ERR_NO_MEMORY;
    }
    /* PMIX_TIMEOUT counts whole seconds: round up, so that a short
     * timeout does not become none. */
    if (config->timeout > 0) {
        pmix->timeout = (config->timeout >= INT_MAX) ? INT_MAX :
                        (int)config->timeout;
        if (pmix->timeout < config->timeout) {
            ++pmix->timeout;
        }
    }
    boot->timeout = config->timeout;
    boot->backend = pmix;

    rc = PMIx_Init(&pmix->proc, NULL, 0);
    if (rc != PMIX_SUCCESS) {
        /* PMIX_RANK says a launcher is there: falling back to a job of
         * one would run N jobs of one without a word. */
        vs_error("boot: PMIX_RANK is set but PMIx_Init failed: %s (%d); "
                 "is the launcher's PMIx server still running?",
                 PMIx_Error_string(rc), (int)rc);
        status = VERVE_ERR_UNREACHABLE;
        goto err_free;
    }

    status = vs_boot_pmix_job_info(boot);
    if (status != VERVE_OK) {
        goto err_finalize;
    }
    pmix->fetched = calloc((size_t)boot->size, sizeof(*pmix->fetched));
    if (pmix->fetched == NULL) {
        vs_error("boot: allocating PMIx state for %d ranks failed",
                 boot->size);
        status = VERVE_ERR_NO_MEMORY;
        goto err_finalize;
    }
    vs_debug("boot: PMIx namespace %s rank %d of %d, %s exchange",
             pmix->proc.nspace, boot->rank, boot->size,
             (boot->exchange == VS_BOOT_EXCHANGE_LAZY) ? "lazy" : "full");
    return VERVE_OK;

err_finalize:
    PMIx_Finalize(NULL, 0);
err_free:
    free(pmix);
    boot->backend = NULL;
    return status;
}

static void vs_boot_pmix_finalize(verve_boot_h boot)
{
    vs_boot_pmix_t *pmix = boot->backend;
    pmix_status_t rc;

    rc = PMIx_Finalize(NULL, 0);
    if ((rc != PMIX_SUCCESS) && (boot->failed == VERVE_OK)) {
        vs_warn("boot: rank %d: PMIx_Finalize failed: %s (%d)", boot->rank,
                PMIx_Error_string(rc), (int)rc);
    }
    free(pmix->fetched);
    free(pmix);
    boot->backend = NULL;
}

/* Fills info with PMIX_TIMEOUT when one is set; returns the count. */
static size_t vs_boot_pmix_info_timeout(vs_boot_pmix_t *pmix,
                                        pmix_info_t *info)
{
    if (pmix->timeout == 0) {
        return 0;
    }
    PMIX_INFO_LOAD(info, PMIX_TIMEOUT, &pmix->timeout, PMIX_INT);
    return 1;
}

static verve_status_t vs_boot_pmix_fence_collect(verve_boot_h boot,
                                                 int collect,
                                                 const char *operation)
{
    vs_boot_pmix_t *pmix = boot->backend;
    bool flag = collect;
    pmix_info_t info[2];
    pmix_status_t rc;
    size_t count = 0;

    rc = PMIx_Commit();
    if (rc != PMIX_SUCCESS) {
        return vs_boot_pmix_fail(boot, rc, "PMIx_Commit", operation);
    }
    if (collect) {
        PMIX_INFO_LOAD(&info[count++], PMIX_COLLECT_DATA, &flag, PMIX_BOOL);
    }
    count += vs_boot_pmix_info_timeout(pmix, &info[count]);
    rc = PMIx_Fence(NULL, 0, (count > 0) ? info : NULL, count);
    if (rc != PMIX_SUCCESS) {
        return vs_boot_pmix_fail(boot, rc, "PMIx_Fence", operation);
    }
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_put_bytes(verve_boot_h boot,
                                             const char *key,
                                             const void *value,
                                             size_t length,
                                             const char *operation)
{
    pmix_value_t pvalue;
    pmix_status_t rc;

    /* PMIx copies the bytes; it only reads them through this pointer. */
    PMIX_VALUE_CONSTRUCT(&pvalue);
    pvalue.type = PMIX_BYTE_OBJECT;
    pvalue.data.bo.bytes = (char *)(uintptr_t)value;
    pvalue.data.bo.size = length;
    rc = PMIx_Put(PMIX_GLOBAL, key, &pvalue);
    if (rc != PMIX_SUCCESS) {
        return vs_boot_pmix_fail(boot, rc, "PMIx_Put", operation);
    }
    return VERVE_OK;
}

/* Reads rank's byte object under key into value (verve_boot_get's length
 * contract). */
static verve_status_t vs_boot_pmix_get_bytes(verve_boot_h boot, int rank,
                                             const char *key,
                                             const pmix_info_t *info,
                                             size_t count, void *value,
                                             size_t *length_p,
                                             const char *operation)
{
    vs_boot_pmix_t *pmix = boot->backend;
    pmix_value_t *pvalue = NULL;
    verve_status_t status;
    pmix_status_t rc;
    pmix_proc_t proc;

    PMIX_LOAD_PROCID(&proc, pmix->proc.nspace, (pmix_rank_t)rank);
    rc = PMIx_Get(&proc, key, info, count, &pvalue);
    if (rc == PMIX_ERR_NOT_FOUND) {
        return VERVE_ERR_NO_ELEM;
    }
    if (rc != PMIX_SUCCESS) {
        return vs_boot_pmix_fail(boot, rc, "PMIx_Get", operation);
    }
    if (pvalue->type != PMIX_BYTE_OBJECT) {
        vs_error("boot: rank %d: %s: rank %d's %s has type %s, not the "
                 "bytes verve put", boot->rank, operation, rank, key,
                 PMIx_Data_type_string(pvalue->type));
        status = VERVE_ERR_IO;
    } else {
        status = vs_boot_kvs_copy_out(pvalue->data.bo.bytes,
                                      pvalue->data.bo.size, value, length_p);
    }
    PMIX_VALUE_RELEASE(pvalue);
    return status;
}

static verve_status_t vs_boot_pmix_allgather(verve_boot_h boot,
                                             const void *in, size_t length,
                                             void *out)
{
    vs_boot_pmix_t *pmix = boot->backend;
    char key[32];
    pmix_info_t info[2];
    verve_status_t status;
    size_t count = 0, got;
    bool immediate = true;
    int r;

    if (boot->failed != VERVE_OK) {
        return boot->failed;
    }
    if (length == 0) {
        return vs_boot_pmix_fence_collect(boot, 0, "barrier");
    }

    snprintf(key, sizeof(key), "verve.ag.%u", pmix->allgathers++);
    status = vs_boot_pmix_put_bytes(boot, key, in, length, "allgather");
    if (status == VERVE_OK) {
        status = vs_boot_pmix_fence_collect(boot, 1, "allgather");
    }
    if (status != VERVE_OK) {
        return status;
    }

    /* Collected: every part is on this node's server now, if not in this
     * process's own store already (PMIX_OPTIONAL would look only there,
     * and misses whatever the server did not put in shared memory). */
    PMIX_INFO_LOAD(&info[count++], PMIX_IMMEDIATE, &immediate, PMIX_BOOL);
    count += vs_boot_pmix_info_timeout(pmix, &info[count]);
    for (r = 0; r < boot->size; ++r) {
        if (r == boot->rank) {
            memcpy((char *)out + (size_t)r * length, in, length);
            continue;
        }
        got = length;
        status = vs_boot_pmix_get_bytes(boot, r, key, info, count,
                                        (char *)out + (size_t)r * length,
                                        &got, "allgather");
        if (((status == VERVE_OK) && (got != length)) ||
            (status == VERVE_ERR_MESSAGE_TRUNCATED)) {
            vs_error("boot: rank %d: allgather of %zu bytes: rank %d "
                     "contributed %zu", boot->rank, length, r, got);
            status = VERVE_ERR_INVALID_PARAM;
        } else if (status == VERVE_ERR_NO_ELEM) {
            /* Seen when the launcher lets a job outlive a dead rank
             * (mpirun --enable-recovery): the fence completes without
             * it. */
            vs_error("boot: rank %d: allgather %s: rank %d's part is "
                     "missing after the fence: it died or left",
                     boot->rank, key, r);
            status = VERVE_ERR_PEER_FAILED;
        }
        if (status != VERVE_OK) {
            boot->failed = status;
            return status;
        }
    }
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_put(verve_boot_h boot, const char *key,
                                       const void *value, size_t length)
{
    char pkey[VS_BOOT_PMIX_KEY_MAX];
    verve_status_t status;

    if (boot->failed != VERVE_OK) {
        return boot->failed;
    }
    /* Kept here too: a second put of the key is refused, and this rank's
     * own gets need no server. */
    status = vs_boot_kvs_op_put(boot, key, value, length);
    if (status != VERVE_OK) {
        return status;
    }
    snprintf(pkey, sizeof(pkey), VS_BOOT_PMIX_USER_PREFIX "%s", key);
    return vs_boot_pmix_put_bytes(boot, pkey, value, length, "put");
}

/* The job key for connections (core/base/auth.h) when the launcher gave
 * none: rank 0 makes it and puts it before the first fence, every rank
 * reads it after. Under PMIx the server keeps it from other users. */
#define VS_BOOT_PMIX_JOB_KEY "verve.jobkey"

static verve_status_t vs_boot_pmix_job_key_put(verve_boot_h boot)
{
    uint8_t key[VS_AUTH_JOB_KEY_BYTES];
    ssize_t n;

    do {
        n = getrandom(key, sizeof(key), 0);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(key)) {
        vs_error("boot: rank 0: getrandom for the job key failed: %s",
                 (n < 0) ? strerror(errno) : "short read");
        return VERVE_ERR_IO;
    }
    return vs_boot_pmix_put_bytes(boot, VS_BOOT_PMIX_JOB_KEY, key,
                                  sizeof(key), "fence");
}

static verve_status_t vs_boot_pmix_job_key_get(verve_boot_h boot)
{
    uint8_t key[VS_AUTH_JOB_KEY_BYTES];
    size_t length = sizeof(key);
    verve_status_t status;

    status = vs_boot_pmix_get_bytes(boot, 0, VS_BOOT_PMIX_JOB_KEY, NULL, 0,
                                    key, &length, "fence");
    if (status != VERVE_OK) {
        return status;
    }
    vs_auth_set_job_key(key, length, "rank 0 through PMIx");
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_fence(verve_boot_h boot)
{
    vs_boot_pmix_t *pmix = boot->backend;
    pmix_value_t marker;
    verve_status_t status;
    pmix_status_t rc;
    char key[32];

    if (boot->failed != VERVE_OK) {
        return boot->failed;
    }
    if (pmix->epoch == 0 && boot->rank == 0) {
        status = vs_boot_pmix_job_key_put(boot);
        if (status != VERVE_OK) {
            return status;
        }
    }
    if (boot->exchange == VS_BOOT_EXCHANGE_LAZY) {
        snprintf(key, sizeof(key), "verve.f.%u", pmix->epoch + 1);
        PMIX_VALUE_LOAD(&marker, &pmix->epoch, PMIX_UINT32);
        rc = PMIx_Put(PMIX_GLOBAL, key, &marker);
        PMIX_VALUE_DESTRUCT(&marker);
        if (rc != PMIX_SUCCESS) {
            return vs_boot_pmix_fail(boot, rc, "PMIx_Put", "fence");
        }
    }
    status = vs_boot_pmix_fence_collect(boot,
            boot->exchange == VS_BOOT_EXCHANGE_FULL, "fence");
    if (status == VERVE_OK && pmix->epoch == 0) {
        status = vs_boot_pmix_job_key_get(boot);
    }
    if (status == VERVE_OK) {
        ++pmix->epoch;
    }
    return status;
}

/* Lazy mode: makes sure this rank's server holds rank's values as of the
 * last fence, by asking for the marker rank put at that fence. */
static verve_status_t vs_boot_pmix_fetch(verve_boot_h boot, int rank)
{
    vs_boot_pmix_t *pmix = boot->backend;
    pmix_value_t *value = NULL;
    pmix_info_t info[1];
    pmix_status_t rc;
    pmix_proc_t proc;
    size_t count;
    char key[32];

    if (pmix->fetched[rank] == pmix->epoch) {
        return VERVE_OK;
    }
    snprintf(key, sizeof(key), "verve.f.%u", pmix->epoch);
    count = vs_boot_pmix_info_timeout(pmix, info);
    PMIX_LOAD_PROCID(&proc, pmix->proc.nspace, (pmix_rank_t)rank);
    rc = PMIx_Get(&proc, key, (count > 0) ? info : NULL, count, &value);
    if (rc != PMIX_SUCCESS) {
        /* It exists, the fence proved it: missing is an error too. */
        return vs_boot_pmix_fail(boot, (rc == PMIX_ERR_NOT_FOUND) ?
                                 PMIX_ERR_UNREACH : rc, "PMIx_Get", "get");
    }
    PMIX_VALUE_RELEASE(value);
    pmix->fetched[rank] = pmix->epoch;
    return VERVE_OK;
}

static verve_status_t vs_boot_pmix_get(verve_boot_h boot, int rank,
                                       const char *key, void *value,
                                       size_t *length_p)
{
    vs_boot_pmix_t *pmix = boot->backend;
    char pkey[VS_BOOT_PMIX_KEY_MAX];
    bool optional = true, immediate = true;
    verve_status_t status;
    pmix_info_t info[2];
    size_t count;

    if (rank == boot->rank) {
        return vs_boot_kvs_op_get(boot, rank, key, value, length_p);
    }
    if (boot->failed != VERVE_OK) {
        return boot->failed;
    }
    if (pmix->epoch == 0) {
        return VERVE_ERR_NO_ELEM;   /* nothing is visible before a fence */
    }
    snprintf(pkey, sizeof(pkey), VS_BOOT_PMIX_USER_PREFIX "%s", key);

    if (boot->exchange == VS_BOOT_EXCHANGE_LAZY) {
        /* Node-local peers' values are often in shared memory already. */
        PMIX_INFO_LOAD(&info[0], PMIX_OPTIONAL, &optional, PMIX_BOOL);
        status = vs_boot_pmix_get_bytes(boot, rank, pkey, info, 1, value,
                                        length_p, "get");
        if (status != VERVE_ERR_NO_ELEM) {
            return status;
        }
        status = vs_boot_pmix_fetch(boot, rank);
        if (status != VERVE_OK) {
            return status;
        }
    }
    /* Full: the collecting fence left every value on this node's server.
     * Lazy: the fetch above brought rank's there. Either way the server
     * holds all there is, so a key it lacks is missing, not late. */
    PMIX_INFO_LOAD(&info[0], PMIX_IMMEDIATE, &immediate, PMIX_BOOL);
    count = 1 + vs_boot_pmix_info_timeout(pmix, &info[1]);
    return vs_boot_pmix_get_bytes(boot, rank, pkey, info, count, value,
                                  length_p, "get");
}

const vs_boot_backend_ops_t vs_boot_pmix_ops = {
    .name = "pmix",
    .init = vs_boot_pmix_init,
    .finalize = vs_boot_pmix_finalize,
    .allgather = vs_boot_pmix_allgather,
    .put = vs_boot_pmix_put,
    .fence = vs_boot_pmix_fence,
    .get = vs_boot_pmix_get,
};
