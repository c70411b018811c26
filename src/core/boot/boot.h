/*
 * Bootstrap internals: the options every backend reads and the ops table a
 * backend (pmix, builtin, single) plugs in through.
 */
#ifndef VS_BOOT_H
#define VS_BOOT_H

#include <verve/verve_boot.h>

#include "boot_kvs.h"

/* VERVE_BOOT_EXCHANGE: how a fence moves put values (see verve_boot.h). */
typedef enum vs_boot_exchange {
    VS_BOOT_EXCHANGE_FULL,
    VS_BOOT_EXCHANGE_LAZY
} vs_boot_exchange_t;

/* VERVE_RUN_* options, set by verve_run for each rank, and
 * VERVE_BOOT_EXCHANGE, which boot.c reads from a table of its own. */
typedef struct vs_boot_config {
    char *addr;             /* server socket; "" when not under verve_run */
    unsigned rank;
    unsigned size;
    unsigned local_rank;
    unsigned local_size;
    double timeout;         /* seconds; 0 waits forever */
    unsigned exchange;      /* vs_boot_exchange_t */
} vs_boot_config_t;

typedef struct vs_boot_backend_ops {
    const char *name;
    /* Sets up boot->rank, size, local_rank, local_size and backend state.
     * Returns VERVE_ERR_UNSUPPORTED when the process was not launched in
     * a way this backend serves, so the next backend is tried. */
    verve_status_t (*init)(verve_boot_h boot, const vs_boot_config_t *config);
    void (*finalize)(verve_boot_h boot);
    /* length 0 (in and out NULL) is a barrier. */
    verve_status_t (*allgather)(verve_boot_h boot, const void *in,
                                size_t length, void *out);
    /* Called with arguments boot.c checked: key of the right length, rank
     * within the job, length_p not NULL. */
    verve_status_t (*put)(verve_boot_h boot, const char *key,
                          const void *value, size_t length);
    verve_status_t (*fence)(verve_boot_h boot);
    verve_status_t (*get)(verve_boot_h boot, int rank, const char *key,
                          void *value, size_t *length_p);
} vs_boot_backend_ops_t;

struct verve_boot {
    const vs_boot_backend_ops_t *ops;
    int rank;
    int size;
    int local_rank;
    int local_size;
    vs_boot_exchange_t exchange;
    /* By rank, `size` of them. builtin and single: every rank's values as
     * of the last fence (this rank's as of its last put); pmix: only this
     * rank's own, to refuse a second put of a key. */
    vs_boot_kvs_t *kvs;
    size_t kvs_fenced;      /* own entries a fence already sent */
    /* Backend state. */
    int fd;
    double timeout;
    void *backend;          /* pmix: vs_boot_pmix_t */
    verve_status_t failed;  /* sticky: VERVE_OK until the job broke */
    /* In the process's list of joined handles (boot.c). */
    struct verve_boot *next_joined;
    char *addr;             /* vs_boot_config_t's addr, copied */
};

extern const vs_boot_backend_ops_t vs_boot_builtin_ops;
extern const vs_boot_backend_ops_t vs_boot_single_ops;
#ifdef HAVE_PMIX
extern const vs_boot_backend_ops_t vs_boot_pmix_ops;
#endif

/* put/fence/get over allgather, for the backends with no store of their
 * own (builtin, single): a fence is two allgathers, the lengths of what
 * each rank put since the last fence, then the entries themselves. */
verve_status_t vs_boot_kvs_op_put(verve_boot_h boot, const char *key,
                                  const void *value, size_t length);
verve_status_t vs_boot_kvs_op_fence(verve_boot_h boot);
verve_status_t vs_boot_kvs_op_get(verve_boot_h boot, int rank,
                                  const char *key, void *value,
                                  size_t *length_p);

#endif
