/* Cross-memory attach: whether the kernel allows it, and the copy loop
 * (see cma.h). */
#include "cma.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include "compiler.h"
#include "log.h"

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61    /* "Yama", <linux/prctl.h> */
#endif

/* One call moves at most this much: the kernel caps a call anyway, and
 * partial transfers are resumed. */
#define VS_CMA_CHUNK (1ul << 30)

static pthread_once_t vs_cma_usable_once = PTHREAD_ONCE_INIT;
static int vs_cma_usable_result;
static pthread_once_t vs_cma_allow_once = PTHREAD_ONCE_INIT;

static int vs_cma_refusal(int error)
{
    return error == EPERM || error == EACCES || error == ENOSYS;
}

static void vs_cma_usable_detect(void)
{
    uint64_t word = 0x636d612070726f62ull, copy = 0;
    struct iovec local = {&copy, sizeof(copy)};
    struct iovec remote = {&word, sizeof(word)};
    ssize_t ret;

    ret = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    vs_cma_usable_result = ret == (ssize_t)sizeof(word) && copy == word;
    if (!vs_cma_usable_result) {
        vs_debug("cma: process_vm_readv of this process (pid %d) failed: "
                 "%s", (int)getpid(),
                 ret < 0 ? strerror(errno) : "a short read");
    }
}

int vs_cma_usable(void)
{
    pthread_once(&vs_cma_usable_once, vs_cma_usable_detect);
    return vs_cma_usable_result;
}

/* -1 when there is no Yama. */
static int vs_cma_ptrace_scope(void)
{
    FILE *file = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int scope = -1;

    if (file == NULL) {
        return -1;
    }
    if (fscanf(file, "%d", &scope) != 1) {
        scope = -1;
    }
    fclose(file);
    return scope;
}

static void vs_cma_allow_detect(void)
{
    int scope = vs_cma_ptrace_scope();
    pid_t parent = getppid();

    if (scope != 1) {
        vs_debug("cma: Yama ptrace_scope %d: %s", scope,
                 scope <= 0 ? "peers of the same user may read us"
                            : "no PR_SET_PTRACER lets peers read us");
        return;
    }
    if (prctl(PR_SET_PTRACER, (unsigned long)parent, 0, 0, 0) != 0) {
        vs_debug("cma: prctl(PR_SET_PTRACER, %d) failed: %s", (int)parent,
                 strerror(errno));
        return;
    }
    vs_debug("cma: Yama ptrace_scope 1: named parent pid %d our ptracer, "
             "so that the processes it started may read us", (int)parent);
}

void vs_cma_allow_peers(void)
{
    pthread_once(&vs_cma_allow_once, vs_cma_allow_detect);
}

verve_status_t vs_cma_probe(pid_t pid, uint64_t remote, void *local,
                            size_t length)
{
    struct iovec liov = {local, length};
    struct iovec riov = {(void *)(uintptr_t)remote, length};
    ssize_t ret;
    int error;

    do {
        ret = process_vm_readv(pid, &liov, 1, &riov, 1, 0);
    } while (ret < 0 && errno == EINTR);
    if (ret == (ssize_t)length) {
        return VERVE_OK;
    }
    if (ret >= 0) {
        vs_debug("cma: probe of %zu bytes at 0x%llx in pid %d read %zd",
                 length, (unsigned long long)remote, (int)pid, ret);
        return VERVE_ERR_IO;
    }
    error = errno;
    vs_debug("cma: probe of %zu bytes at 0x%llx in pid %d failed: %s",
             length, (unsigned long long)remote, (int)pid, strerror(error));
    if (vs_cma_refusal(error)) {
        return VERVE_ERR_UNSUPPORTED;
    }
    return error == ESRCH ? VERVE_ERR_PEER_FAILED : VERVE_ERR_IO;
}

verve_status_t vs_cma_copy(pid_t pid, void *local, size_t length,
                           uint64_t remote, int write)
{
    struct iovec liov, riov;
    size_t done = 0, chunk;
    ssize_t ret;

    while (done < length) {
        chunk = vs_min(length - done, VS_CMA_CHUNK);
        liov.iov_base = (char *)local + done;
        liov.iov_len = chunk;
        riov.iov_base = (void *)(uintptr_t)(remote + done);
        riov.iov_len = chunk;
        ret = write ? process_vm_writev(pid, &liov, 1, &riov, 1, 0)
                    : process_vm_readv(pid, &liov, 1, &riov, 1, 0);
        if (ret <= 0) {
            if (ret < 0 && errno == EINTR) {
                continue;
            }
            vs_error("cma: %s of %zu bytes at 0x%llx in pid %d failed: %s",
                     write ? "process_vm_writev" : "process_vm_readv", chunk,
                     (unsigned long long)(remote + done), (int)pid,
                     ret == 0 ? "no progress" : strerror(errno));
            return (ret < 0 && errno == ESRCH) ? VERVE_ERR_PEER_FAILED
                                               : VERVE_ERR_IO;
        }
        done += (size_t)ret;
    }
    return VERVE_OK;
}
