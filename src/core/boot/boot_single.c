/* A job of one: the process was not started by a launcher. Its fence
 * is an allgather with itself, so put/get behave as in a larger job. */
#include "verve_config.h"
#include "boot.h"

#include <string.h>

static verve_status_t vs_boot_single_init(verve_boot_h boot,
                                          const vs_boot_config_t *config)
{
    (void)config;
    boot->rank = 0;
    boot->size = 1;
    boot->local_rank = 0;
    boot->local_size = 1;
    return VERVE_OK;
}

static void vs_boot_single_finalize(verve_boot_h boot)
{
    (void)boot;
}

static verve_status_t vs_boot_single_allgather(verve_boot_h boot,
                                               const void *in, size_t length,
                                               void *out)
{
    (void)boot;
    if (length > 0) {
        memmove(out, in, length);
    }
    return VERVE_OK;
}

const vs_boot_backend_ops_t vs_boot_single_ops = {
    .name = "single",
    .init = vs_boot_single_init,
    .finalize = vs_boot_single_finalize,
    .allgather = vs_boot_single_allgather,
    .put = vs_boot_kvs_op_put,
    .fence = vs_boot_kvs_op_fence,
    .get = vs_boot_kvs_op_get,
};
