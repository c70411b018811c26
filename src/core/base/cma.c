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
/* The kernel keeps a ptracer per process, and a forked child has none:
 * done again in a process other than the one that did it. */
static pthread_mutex_t vs_cma_allow_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t vs_cma_allowed_in;    /* the process that named it */
static int vs_cma_scope = -1;      /* Yama's ptrace_scope, -1: no Yama */
static pid_t vs_cma_ptracer;       /* the one we named, 0: none */

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

    vs_cma_scope = scope;
    vs_cma_ptracer = 0;
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
    vs_cma_ptracer = parent;
    vs_debug("cma: Yama ptrace_scope 1: named parent pid %d our ptracer, "
             "so that the processes it started may read us", (int)parent);
}

void vs_cma_allow_peers(void)
{
    pthread_mutex_lock(&vs_cma_allow_lock);
    if (vs_cma_allowed_in != getpid()) {
        vs_cma_allow_detect();
        vs_cma_allowed_in = getpid();
    }
    pthread_mutex_unlock(&vs_cma_allow_lock);
}

/* The start of /proc/<pid>/<file> into buffer; 0 when unreadable. */
static int vs_cma_read_proc(pid_t pid, const char *file, char *buffer,
                            size_t size)
{
    char path[64];
    FILE *stream;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    stream = fopen(path, "re");
    if (stream == NULL) {
        return 0;
    }
    n = fread(buffer, 1, size - 1, stream);
    fclose(stream);
    buffer[n] = '\0';
    return n > 0;
}

/* 0 when unknown. The name in stat may hold anything but ')' last. */
static pid_t vs_cma_parent_of(pid_t pid)
{
    char buffer[512], *end;
    int parent;

    if (!vs_cma_read_proc(pid, "stat", buffer, sizeof(buffer)) ||
        (end = strrchr(buffer, ')')) == NULL ||
        sscanf(end + 1, " %*c %d", &parent) != 1) {
        return 0;
    }
    return (pid_t)parent;
}

/* Whether pid is ancestor or ancestor's descendant (itself included). */
static int vs_cma_descends(pid_t pid, pid_t ancestor)
{
    /* Bounded: a chain read while processes exit could loop. */
    for (int depth = 0; pid > 0 && depth < 256; ++depth) {
        if (pid == ancestor) {
            return 1;
        }
        pid = vs_cma_parent_of(pid);
    }
    return 0;
}

int vs_cma_yama_allows(pid_t reader, pid_t target, pid_t ptracer)
{
    return vs_cma_descends(target, reader) ||
           (ptracer > 0 && vs_cma_descends(reader, ptracer));
}

/* CAP_SYS_PTRACE (bit 19) among pid's effective capabilities. */
static int vs_cma_may_ptrace_any(pid_t pid)
{
    unsigned long long caps;
    char buffer[2048], *line;

    return vs_cma_read_proc(pid, "status", buffer, sizeof(buffer)) &&
           (line = strstr(buffer, "\nCapEff:")) != NULL &&
           sscanf(line + 8, "%llx", &caps) == 1 && ((caps >> 19) & 1);
}

int vs_cma_peer_may_read(pid_t pid)
{
    vs_cma_allow_peers();
    if (vs_cma_scope != 1) {
        return 1;   /* scope 0; or 2 and 3, where the probes fail alike */
    }
    return vs_cma_yama_allows(pid, getpid(), vs_cma_ptracer) ||
           vs_cma_may_ptrace_any(pid);
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
