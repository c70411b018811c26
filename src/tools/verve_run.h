/*
 * verve_run's shared state: the job, its ranks and options, and the
 * --netns relay (verve_run_netns.c) that the main loop drives.
 */
#ifndef VERVE_RUN_H
#define VERVE_RUN_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>
#include "core/base/auth.h"
#include "core/boot/boot_server.h"

#define RUN_MAX_RANKS 4096
/* Time the ranks get to exit after SIGTERM before SIGKILL. */
#define RUN_GRACE_SEC 2.0
/* A line longer than this is relayed in pieces. */
#define RUN_LINE_MAX (64 * 1024)
#define RUN_NETNS_MAX 64
#define RUN_NETNS_DIR "/run/netns/"
/* Bootstrap bytes in flight per direction of a relayed connection. */
#define RUN_PROXY_BUFFER (64 * 1024)

enum { RUN_EXIT_USAGE = 2, RUN_EXIT_EXEC = 127, RUN_EXIT_TIMEOUT = 124 };

/* One rank's stdout or stderr, relayed line by line with a [rank] tag. */
typedef struct run_relay {
    int fd;                 /* read end; -1 once closed */
    int out_fd;             /* where the lines go */
    char *line;
    size_t length;
} run_relay_t;

typedef struct run_rank {
    pid_t pid;
    int running;
    run_relay_t relay[2];
} run_rank_t;

/* One direction of a relayed bootstrap connection. */
typedef struct run_proxy_dir {
    char *buffer;
    size_t length;
    int eof;                /* the reading side ended */
} run_proxy_dir_t;

/* A rank's bootstrap connection, relayed to the server: fds[0] the rank,
 * fds[1] the server; dir[i] holds what fds[i] sent. */
typedef struct run_proxy {
    int fds[2];
    run_proxy_dir_t dir[2];
} run_proxy_t;

typedef struct run_options {
    unsigned np;
    int tag_output;
    char *netns_list;       /* a copy of --netns's argument, split */
    char *netns[RUN_NETNS_MAX];
    unsigned num_netns;
    double timeout;         /* seconds; 0: none */
    char **env;             /* -x VAR=VALUE */
    size_t num_env;
    char **argv;
} run_options_t;

typedef struct run_job {
    run_options_t opts;
    run_rank_t *ranks;
    unsigned num_running;
    pid_t pgid;
    vs_boot_server_t *server;
    int netns_fds[RUN_NETNS_MAX];
    char relay_dir[64];     /* "" without --netns */
    char relay_path[96];
    int relay_fd;           /* listening; -1 without --netns */
    run_proxy_t *proxies;
    size_t max_proxies;
    int signal_fd;
    int exit_code;          /* of the first rank that failed; -1: none */
    int timed_out;
    int interrupted;        /* signal forwarded to the job; 0: none */
    double start;
    double kill_deadline;   /* SIGKILL the ranks then; 0: not armed */
    int killed;
    /* Given to the ranks in their environment, which only their user
     * (and root) can read: /proc/PID/environ is mode 0400. */
    char job_key[2 * VS_AUTH_JOB_KEY_BYTES + 1];
} run_job_t;

/* --netns: opens the namespaces and the relay's listening socket; 0, or
 * -1 after saying why. */
int run_netns_setup(run_job_t *job);
/* A rank connected to the relay: open its twin connection to the server. */
void run_proxy_accept(run_job_t *job);
void run_proxy_close(run_proxy_t *proxy);
/* Adds the relayed connections' fds to a poll set; returns how many. */
size_t run_proxy_pollfds(run_job_t *job, struct pollfd *fds);
/* Handles what poll reported for them (the same walk). */
void run_proxy_handle(run_job_t *job, const struct pollfd *fds);

#endif
