/*
 * What verve's point-to-point component (pml verve, or the verve mtl
 * under pml cm) lends coll verve: its worker and its endpoints, so that
 * the collectives need no worker, address or connections of their own.
 * Each of those components exports verve_ompi_share(); coll verve finds
 * the selected one's through the address of one of its functions
 * (dladdr, then dlsym on that object), as Open MPI loads components with
 * local symbols.
 */
#ifndef VERVE_OMPI_SHARE_H
#define VERVE_OMPI_SHARE_H

#include "verve_ompi.h"

BEGIN_C_DECLS

typedef struct verve_ompi_share {
    const char *who;                 /* "pml verve", "mtl verve" */
    verve_worker_h worker;
    /* The endpoint to proc, made when missing; NULL: unreachable. */
    verve_ep_h (*ep)(struct ompi_proc_t *proc);
} verve_ompi_share_t;

#define VERVE_OMPI_SHARE_SYMBOL "verve_ompi_share"
#define VERVE_OMPI_SHARE_EXPORT __attribute__((visibility("default")))

/* Defined by the lending component. */
VERVE_OMPI_SHARE_EXPORT const verve_ompi_share_t *verve_ompi_share(void);

/* The share of the component holding function, or NULL (not one of
 * verve's, or not loaded). */
const verve_ompi_share_t *verve_ompi_share_find(const void *function);

END_C_DECLS

#endif
