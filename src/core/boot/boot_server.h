/*
 * verve_run's bootstrap server: accepts one connection per rank and runs
 * their allgathers. It has no loop of its own: the launcher polls the
 * descriptors it hands out together with its own and calls progress, so
 * one thread serves ranks, output pipes and signals.
 */
#ifndef VS_BOOT_SERVER_H
#define VS_BOOT_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <verve/verve_status.h>

typedef struct vs_boot_server vs_boot_server_t;

/* Listens on a fresh abstract unix socket for a job of `size` ranks. */
verve_status_t vs_boot_server_create(unsigned size,
                                     vs_boot_server_t **server_p);
void vs_boot_server_destroy(vs_boot_server_t *server);

/* The address ranks connect to, for VERVE_RUN_ADDR. */
const char *vs_boot_server_address(const vs_boot_server_t *server);

/* Upper bound on the descriptors vs_boot_server_pollfds fills. */
size_t vs_boot_server_pollfd_count(const vs_boot_server_t *server);
/* Fills fds with what to poll; returns how many. Between this call and
 * progress the set does not change. */
size_t vs_boot_server_pollfds(const vs_boot_server_t *server,
                              struct pollfd *fds, size_t max);
/* Handles the events poll reported on the fds filled above. */
void vs_boot_server_progress(vs_boot_server_t *server,
                             const struct pollfd *fds, size_t count);

/* The launcher reaped rank's process: if it had not said goodbye, the
 * others must stop waiting for it. */
void vs_boot_server_rank_exited(vs_boot_server_t *server, unsigned rank);

#endif
