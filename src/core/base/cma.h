/*
 * Cross-memory attach (process_vm_readv/writev) between the processes of
 * a job on one host. The kernel may refuse it: a seccomp filter (the
 * default profiles of container runtimes refuse it without
 * CAP_SYS_PTRACE), Yama's ptrace_scope (1: only an ancestor, or a process
 * the target named with PR_SET_PTRACER; 2: only CAP_SYS_PTRACE; 3:
 * nobody), a kernel built without it. Users (the shm transport, the
 * collectives' shared-memory path) ask here before they rely on it, so a
 * refusal picks a path of copies instead of failing a transfer with EIO.
 */
#ifndef VS_CMA_H
#define VS_CMA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <verve/verve_status.h>

/* Whether this process may make CMA calls at all: a read of its own
 * memory, tried once. A seccomp filter or a kernel without CMA says no;
 * Yama does not (a process may always read itself). Thread-safe. */
int vs_cma_usable(void);

/* Under Yama ptrace_scope 1, names this process's parent (the launcher:
 * verve_run, prted, slurmstepd) as its ptracer, so that every process the
 * launcher started may read it, as under scope 0, and no one else. Once
 * per process (again in a forked child, which the kernel gives no
 * ptracer); does nothing under other scopes or without Yama. It replaces
 * a ptracer the application named itself. Thread-safe. */
void vs_cma_allow_peers(void);

/* Whether pid may read this process as far as Yama is concerned: yes,
 * except under ptrace_scope 1, where pid must be an ancestor of ours, a
 * descendant of the ptracer vs_cma_allow_peers named, or hold
 * CAP_SYS_PTRACE. The wireup probe tries our direction; this answers the
 * other, so that both ends of a pair decide alike (a rank started by a
 * wrapper that forks rather than execs may read its cousins while they
 * may not read it). */
int vs_cma_peer_may_read(pid_t pid);

/* The rule of ptrace_scope 1 itself: whether reader may read target, which
 * named ptracer (0: none); from the parents in /proc. */
int vs_cma_yama_allows(pid_t reader, pid_t target, pid_t ptracer);

/* Reads length bytes at remote in pid into local, once, to learn whether
 * the kernel lets this process reach pid's memory. VERVE_OK: read;
 * VERVE_ERR_UNSUPPORTED: refused (EPERM, EACCES, ENOSYS), logged at debug
 * with the cause; VERVE_ERR_PEER_FAILED: pid is gone; VERVE_ERR_IO:
 * anything else (a bad address). */
verve_status_t vs_cma_probe(pid_t pid, uint64_t remote, void *local,
                            size_t length);

/* Moves length bytes between local and pid's memory at remote (write:
 * from local into pid), resuming partial transfers. Errors are logged,
 * naming the call, the size, the address, the pid and the cause;
 * VERVE_ERR_PEER_FAILED when pid is gone, VERVE_ERR_IO otherwise. */
verve_status_t vs_cma_copy(pid_t pid, void *local, size_t length,
                           uint64_t remote, int write);

#endif
