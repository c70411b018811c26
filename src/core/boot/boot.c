/*
 * Public bootstrap API: picks the first backend that recognises how the
 * process was launched and forwards to it.
 */
#include "verve_config.h"
#include "boot.h"

#include "core/base/config.h"
#include "core/base/log.h"
#include <stdlib.h>
#include <string.h>

static const vs_config_field_t vs_boot_config_fields[] = {
    {"ADDR", "", "verve_run's bootstrap server socket (set by verve_run)",
     VS_CONFIG_TYPE_STRING, offsetof(vs_boot_config_t, addr)},
    {"RANK", "0", "This process's rank in the job (set by verve_run)",
     VS_CONFIG_TYPE_UINT, offsetof(vs_boot_config_t, rank)},
    {"SIZE", "1", "Number of ranks in the job (set by verve_run)",
     VS_CONFIG_TYPE_UINT, offsetof(vs_boot_config_t, size)},
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

static vs_constructor void vs_boot_config_register(void)
{
    vs_config_register(&vs_boot_config_table);
}

/* In order of preference; the PMIx backend goes before builtin when it is
 * built, single stays last because it accepts every process. */
static const vs_boot_backend_ops_t *const vs_boot_backends[] = {
    &vs_boot_builtin_ops,
    &vs_boot_single_ops,
    NULL
};

VERVE_API verve_status_t verve_boot_init(verve_boot_h *boot_p)
{
    const vs_boot_backend_ops_t *const *ops;
    vs_boot_config_t config;
    verve_status_t status;
    verve_boot_h boot;

    if (boot_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }

    status = vs_config_read(&vs_boot_config_table, &config);
    if (status != VERVE_OK) {
        return status;
    }

    boot = calloc(1, sizeof(*boot));
    if (boot == NULL) {
        vs_error("boot: allocating the bootstrap handle (%zu bytes) failed",
                 sizeof(*boot));
        status = VERVE_ERR_NO_MEMORY;
        goto err_release_config;
    }
    boot->fd = -1;

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

    vs_debug("boot: rank %d of %d (local %d of %d) through %s", boot->rank,
             boot->size, boot->local_rank, boot->local_size, boot->ops->name);
    vs_config_release(&vs_boot_config_table, &config);
    *boot_p = boot;
    return VERVE_OK;

err_free_boot:
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
    boot->ops->finalize(boot);
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
