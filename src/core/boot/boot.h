/*
 * Bootstrap internals: the options every backend reads and the ops table a
 * backend (builtin, single, later PMIx) plugs in through.
 */
#ifndef VS_BOOT_H
#define VS_BOOT_H

#include <verve/verve_boot.h>

/* VERVE_RUN_* options, set by verve_run for each rank. */
typedef struct vs_boot_config {
    char *addr;             /* server socket; "" when not under verve_run */
    unsigned rank;
    unsigned size;
    unsigned local_rank;
    unsigned local_size;
    double timeout;         /* seconds; 0 waits forever */
} vs_boot_config_t;

typedef struct vs_boot_backend_ops {
    const char *name;
    /* Sets up boot->rank, size, local_rank, local_size and backend state.
     * Returns VERVE_ERR_UNSUPPORTED when the process was not launched in
     * a way this backend serves, so the next backend is tried. */
    verve_status_t (*init)(verve_boot_h boot, const vs_boot_config_t *config);
    void (*finalize)(verve_boot_h boot);
    verve_status_t (*allgather)(verve_boot_h boot, const void *in,
                                size_t length, void *out);
} vs_boot_backend_ops_t;

struct verve_boot {
    const vs_boot_backend_ops_t *ops;
    int rank;
    int size;
    int local_rank;
    int local_size;
    /* Backend state. */
    int fd;
    double timeout;
    verve_status_t failed;  /* sticky: VERVE_OK until the job broke */
};

extern const vs_boot_backend_ops_t vs_boot_builtin_ops;
extern const vs_boot_backend_ops_t vs_boot_single_ops;

#endif
