/*
 * it_no_cma [--peers] PROGRAM [ARG...]: runs PROGRAM where the kernel
 * refuses cross-memory attach, as a container's seccomp profile or Yama
 * does, so the tests see the refusal itself rather than a setting that
 * imitates it. A seccomp filter (plain BPF, no libseccomp) makes
 * process_vm_readv and process_vm_writev fail with EPERM:
 *   default   every call, as a seccomp profile does (vs_cma_usable says
 *             no);
 *   --peers   calls on any process but this one, as Yama ptrace_scope 1
 *             does between processes that are not ancestor and
 *             descendant (a process may still read itself, so only the
 *             probe at wireup finds it out). Start one per rank, under
 *             verve_run: the filter names this process's pid.
 * The filter stays on the process and its children across exec.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define IT_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define IT_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IT_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#else
#error "it_no_cma: add this architecture's AUDIT_ARCH_*"
#endif

/* The low 32 bits of the first argument, a pid_t. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IT_ARG0_LOW offsetof(struct seccomp_data, args[0])
#else
#define IT_ARG0_LOW (offsetof(struct seccomp_data, args[0]) + 4)
#endif

static int it_install_filter(int peers_only)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IT_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_writev, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* A CMA call: with --peers, on ourselves it goes through. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IT_ARG0_LOW),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                 peers_only ? (unsigned)getpid() : 0u, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, peers_only ? SECCOMP_RET_ALLOW
                                             : SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
    };
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof(filter) / sizeof(filter[0])),
        .filter = filter
    };

    /* Without privileges a filter needs no_new_privs. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "it_no_cma: prctl(PR_SET_NO_NEW_PRIVS) failed: %s\n",
                strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
        fprintf(stderr, "it_no_cma: prctl(PR_SET_SECCOMP) failed: %s\n",
                strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int peers_only = 0, first = 1;

    if (argc > 1 && strcmp(argv[1], "--peers") == 0) {
        peers_only = 1;
        first = 2;
    }
    if (first >= argc || argv[first][0] == '-') {
        fprintf(stderr, "usage: it_no_cma [--peers] PROGRAM [ARG...]\n");
        return 2;
    }
    if (it_install_filter(peers_only) != 0) {
        return 77;      /* automake's skip: no seccomp here */
    }
    execvp(argv[first], argv + first);
    fprintf(stderr, "it_no_cma: exec of %s failed: %s\n", argv[first],
            strerror(errno));
    return 127;
}
