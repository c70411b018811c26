/*
 * Public bootstrap API: picks the first backend that recognises how the
 * process was launched (pmix when built, then builtin, then single) and
 * forwards to it, after checking the arguments once for every backend.
 *
 * Variables: VERVE_RUN_* (set by verve_run, see boot_wire.h), of which
 * VERVE_RUN_TIMEOUT also bounds PMIx fences and gets, and
 * VERVE_BOOT_EXCHANGE=full|lazy (see verve_boot.h).
 */
#include "verve_config.h"
#include "boot.h"

#include "core/base/config.h"
#include "core/base/log.h"
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const vs_config_field_t vs_boot_config_fields[] = {
    {"ADDR", "", "verve_run's bootstrap server socket (set by verve_run)",
     VS_CONFIG_TYPE_STRING, offsetof(vs_boot_config_t, addr)},
    {"RANK", "0", "This process's rank in the job (set by verve_run)",
     VS_CONFIG_TYPE_UINT, offsetof(vs_boot_config_t, rank)},
    {"SIZE", "1", "Number of ranks in the job (set by verve_run)",
     VS_CONFIG_TYPE_UINT_RANGE(1, INT_MAX),
     offsetof(vs_boot_config_t, size)},
    {"LOCAL_RANK", "0", "This process's index among the ranks on its host",
     VS_CONFIG_TYPE_UINT, offsetof(vs_boot_config_t, local_rank)},
    {"LOCAL_SIZE", "1", "Number of ranks on this host",
     VS_CONFIG_TYPE_UINT, offsetof(vs_boot_config_t, local_size)},
    {"TIMEOUT", "0s", "Longest wait for the server in a bootstrap exchange; "
     "0s waits forever (a rank that dies is reported anyway)",
     VS_CONFIG_TYPE_TIME, offsetof(vs_boot_config_t, timeout)},
};

static vs_config_table_t vs_boot_config_table = {
    .component = "boot",
    .prefix = "RUN_",
    .fields = vs_boot_config_fields,
    .num_fields = vs_array_size(vs_boot_config_fields),
    .struct_size = sizeof(vs_boot_config_t),
};

typedef struct vs_boot_options {
    unsigned exchange;      /* vs_boot_exchange_t */
} vs_boot_options_t;

static const char *const vs_boot_exchange_names[] = {"full", "lazy", NULL};

static const vs_config_field_t vs_boot_options_fields[] = {
    {"EXCHANGE", "full", "How a bootstrap fence moves put values under "
     "PMIx: full sends every value to every rank, lazy fetches a peer's "
     "values on its first get (builtin and single always work as full)",
     VS_CONFIG_TYPE_ENUM(vs_boot_exchange_names, "full, lazy"),
     offsetof(vs_boot_options_t, exchange)},
};

static vs_config_table_t vs_boot_options_table = {
    .component = "boot",
    .prefix = "BOOT_",
    .fields = vs_boot_options_fields,
    .num_fields = vs_array_size(vs_boot_options_fields),
    .struct_size = sizeof(vs_boot_options_t),
};

static vs_constructor void vs_boot_config_register(void)
{
    vs_config_register(&vs_boot_config_table);
    vs_config_register(&vs_boot_options_table);
}

/* In order of preference: a process that PMIx launched may still have
 * inherited VERVE_RUN_* from a verve_run further up, while verve_run
 * always sets them for its own ranks; single stays last because it
 * accepts every process. */
static const vs_boot_backend_ops_t *const vs_boot_backends[] = {
#ifdef HAVE_PMIX
    &vs_boot_pmix_ops,
#endif
    &vs_boot_builtin_ops,
    &vs_boot_single_ops,
    NULL
};

/* The handles this process holds. A rank joins a job once: a second
 * join reached verve_run's server as a rank already there, which failed
 * the job, and the caller read "peer failed". Ranks run as threads of one
 * process (the unit tests) join once each. */
static pthread_mutex_t vs_boot_joined_lock = PTHREAD_MUTEX_INITIALIZER;
static verve_boot_h vs_boot_joined;

/* A handle of this process for `rank` of the job at `addr` (through
 * `ops`, unless NULL); called with the lock held. */
static verve_boot_h vs_boot_find_joined(const vs_boot_backend_ops_t *ops,
                                        const char *addr, int rank)
{
    verve_boot_h boot;

    for (boot = vs_boot_joined; boot != NULL; boot = boot->next_joined) {
        if ((ops == NULL || boot->ops == ops) && boot->rank == rank &&
            strcmp(boot->addr, addr) == 0) {
            return boot;
        }
    }
    return NULL;
}

static verve_status_t vs_boot_joined_twice(verve_boot_h boot)
{
    vs_error("verve_boot_init: this process already joined the job as rank "
             "%d of %d (through %s): call verve_boot_finalize() on that "
             "handle before joining again", boot->rank, boot->size,
             boot->ops->name);
    return VERVE_ERR_BUSY;
}

/* Adds boot to the list, unless its rank joined already (pmix, single:
 * known only once the backend ran). */
static verve_status_t vs_boot_join(verve_boot_h boot)
{
    verve_status_t status = VERVE_OK;
    verve_boot_h other;

    pthread_mutex_lock(&vs_boot_joined_lock);
    other = vs_boot_find_joined(boot->ops, boot->addr, boot->rank);
    if (other != NULL) {
        status = vs_boot_joined_twice(other);
    } else {
        boot->next_joined = vs_boot_joined;
        vs_boot_joined = boot;
    }
    pthread_mutex_unlock(&vs_boot_joined_lock);
    return status;
}

static void vs_boot_leave(verve_boot_h boot)
{
    verve_boot_h *link;

    pthread_mutex_lock(&vs_boot_joined_lock);
    for (link = &vs_boot_joined; *link != NULL;
         link = &(*link)->next_joined) {
        if (*link == boot) {
            *link = boot->next_joined;
            break;
        }
    }
    pthread_mutex_unlock(&vs_boot_joined_lock);
}

VERVE_API verve_status_t verve_boot_init(verve_boot_h *boot_p)
{
    const vs_boot_backend_ops_t *const *ops;
    vs_boot_options_t options;
    vs_boot_config_t config;
    verve_status_t status;
    verve_boot_h boot;

    if (boot_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }

    status = vs_config_read(&vs_boot_options_table, &options);
    if (status != VERVE_OK) {
        return status;
    }
    status = vs_config_read(&vs_boot_config_table, &config);
    if (status != VERVE_OK) {
        return status;
    }
    config.exchange = options.exchange;

    /* Under verve_run the rank is known before the backend connects: a
     * second connection as that rank would break the job. */
    if (config.addr[0] != '\0') {
        pthread_mutex_lock(&vs_boot_joined_lock);
        boot = vs_boot_find_joined(NULL, config.addr, (int)config.rank);
        status = (boot != NULL) ? vs_boot_joined_twice(boot) : VERVE_OK;
        pthread_mutex_unlock(&vs_boot_joined_lock);
        if (status != VERVE_OK) {
            goto err_release_config;
        }
    }

    boot = calloc(1, sizeof(*boot));
    if (boot == NULL) {
        vs_error("boot: allocating the bootstrap handle (%zu bytes) failed",
                 sizeof(*boot));
        status = VERVE_ERR_NO_MEMORY;
        goto err_release_config;
    }
    boot->fd = -1;
    boot->exchange = (vs_boot_exchange_t)config.exchange;
    boot->addr = strdup(config.addr);
    if (boot->addr == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto err_free_boot;
    }

    for (ops = vs_boot_backends; *ops != NULL; ++ops) {
        status = (*ops)->init(boot, &config);
        if (status == VERVE_OK) {
            boot->ops = *ops;
            break;
        }
        if (status != VERVE_ERR_UNSUPPORTED) {
            goto err_free_boot;
        }
    }
    if (boot->ops == NULL) {
        vs_error("boot: no bootstrap backend accepted this process");
        status = VERVE_ERR_UNSUPPORTED;
        goto err_free_boot;
    }

    boot->kvs = calloc((size_t)boot->size, sizeof(*boot->kvs));
    if (boot->kvs == NULL) {
        vs_error("boot: allocating key tables for %d ranks failed",
                 boot->size);
        status = VERVE_ERR_NO_MEMORY;
        goto err_finalize;
    }

    status = vs_boot_join(boot);
    if (status != VERVE_OK) {
        goto err_free_kvs;
    }
    vs_debug("boot: rank %d of %d (local %d of %d) through %s", boot->rank,
             boot->size, boot->local_rank, boot->local_size, boot->ops->name);
    vs_config_release(&vs_boot_config_table, &config);
    *boot_p = boot;
    return VERVE_OK;

err_free_kvs:
    free(boot->kvs);
err_finalize:
    boot->ops->finalize(boot);
err_free_boot:
    free(boot->addr);
    free(boot);
err_release_config:
    vs_config_release(&vs_boot_config_table, &config);
    return status;
}

VERVE_API void verve_boot_finalize(verve_boot_h boot)
{
    if (boot == NULL) {
        return;
    }
    vs_boot_leave(boot);
    boot->ops->finalize(boot);
    for (int r = 0; r < boot->size; ++r) {
        vs_boot_kvs_cleanup(&boot->kvs[r]);
    }
    free(boot->kvs);
    free(boot->addr);
    free(boot);
}

VERVE_API int verve_boot_rank(verve_boot_h boot)
{
    return boot->rank;
}

VERVE_API int verve_boot_size(verve_boot_h boot)
{
    return boot->size;
}

VERVE_API int verve_boot_local_rank(verve_boot_h boot)
{
    return boot->local_rank;
}

VERVE_API int verve_boot_local_size(verve_boot_h boot)
{
    return boot->local_size;
}

VERVE_API const char *verve_boot_backend(verve_boot_h boot)
{
    return boot->ops->name;
}

VERVE_API verve_status_t verve_boot_allgather(verve_boot_h boot,
                                              const void *in, size_t length,
                                              void *out)
{
    if ((boot == NULL) || ((length > 0) && ((in == NULL) || (out == NULL)))) {
        return VERVE_ERR_INVALID_PARAM;
    }
    return boot->ops->allgather(boot, in, length, out);
}

VERVE_API verve_status_t verve_boot_barrier(verve_boot_h boot)
{
    if (boot == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    return boot->ops->allgather(boot, NULL, 0, NULL);
}

VERVE_API verve_status_t verve_boot_put(verve_boot_h boot, const char *key,
                                        const void *value, size_t length)
{
    if ((boot == NULL) || !vs_boot_kvs_key_valid(key) ||
        ((length > 0) && (value == NULL))) {
        return VERVE_ERR_INVALID_PARAM;
    }
    if (vs_boot_kvs_find(&boot->kvs[boot->rank], key) != NULL) {
        vs_error("boot: rank %d: put of key '%s' refused: it was put "
                 "already, and keys are written once", boot->rank, key);
        return VERVE_ERR_INVALID_PARAM;
    }
    return boot->ops->put(boot, key, value, length);
}

VERVE_API verve_status_t verve_boot_fence(verve_boot_h boot)
{
    if (boot == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    return boot->ops->fence(boot);
}

VERVE_API verve_status_t verve_boot_get(verve_boot_h boot, int rank,
                                        const char *key, void *value,
                                        size_t *length_p)
{
    if ((boot == NULL) || !vs_boot_kvs_key_valid(key) ||
        (length_p == NULL) || ((*length_p > 0) && (value == NULL))) {
        return VERVE_ERR_INVALID_PARAM;
    }
    if ((rank < 0) || (rank >= boot->size)) {
        vs_error("boot: rank %d: get of key '%s' from rank %d: no such "
                 "rank in a job of %d", boot->rank, key, rank, boot->size);
        return VERVE_ERR_INVALID_PARAM;
    }
    return boot->ops->get(boot, rank, key, value, length_p);
}
