/* memfd segments and their mappings. */
#include "shm_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/base/log.h"

verve_status_t vt_shm_segment_create(const char *name, size_t length,
                                     int *fd_p)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0) {
        vs_error("shm: memfd_create(%s) failed: %s", name, strerror(errno));
        return VERVE_ERR_NO_MEMORY;
    }
    if (ftruncate(fd, (off_t)length) < 0) {
        vs_error("shm: ftruncate of memfd %s to %zu bytes failed: %s", name,
                 length, strerror(errno));
        close(fd);
        return VERVE_ERR_NO_MEMORY;
    }
    *fd_p = fd;
    return VERVE_OK;
}

verve_status_t vt_shm_segment_open_peer(pid_t pid, int peer_fd,
                                        size_t min_length, int *fd_p,
                                        unsigned long *ino_p)
{
    char path[64];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, peer_fd);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        vs_error("shm: attach to peer pid %d failed: open(%s): %s (the "
                 "peer exited or closed its segment after publishing its "
                 "address)", (int)pid, path, strerror(errno));
        return VERVE_ERR_UNREACHABLE;
    }
    if (fstat(fd, &st) < 0 || (size_t)st.st_size < min_length) {
        vs_error("shm: attach to peer pid %d: %s is %lld bytes, expected at "
                 "least %zu (not a verve segment)", (int)pid, path,
                 (long long)st.st_size, min_length);
        close(fd);
        return VERVE_ERR_UNREACHABLE;
    }
    if (ino_p != NULL) {
        *ino_p = (unsigned long)st.st_ino;
    }
    *fd_p = fd;
    return VERVE_OK;
}

verve_status_t vt_shm_segment_map_ring(int fd, size_t ctl_size,
                                       size_t ring_size, void **base_p)
{
    size_t total = ctl_size + 2 * ring_size;
    char *base, *second;

    /* Reserve the whole range first so that the second view lands right
     * after the first and nothing else can take that address. */
    base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        vs_error("shm: reserving %zu bytes of address space for a ring "
                 "failed: %s", total, strerror(errno));
        return VERVE_ERR_NO_MEMORY;
    }
    if (mmap(base, ctl_size + ring_size, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        vs_error("shm: mapping a ring of %zu bytes failed: %s", ring_size,
                 strerror(errno));
        goto err_unmap;
    }
    second = base + ctl_size + ring_size;
    if (mmap(second, ring_size, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED, fd, (off_t)ctl_size) == MAP_FAILED) {
        vs_error("shm: mapping the second view of a ring of %zu bytes "
                 "failed: %s", ring_size, strerror(errno));
        goto err_unmap;
    }
    *base_p = base;
    return VERVE_OK;

err_unmap:
    munmap(base, total);
    return VERVE_ERR_NO_MEMORY;
}

void vt_shm_segment_unmap_ring(void *base, size_t ctl_size, size_t ring_size)
{
    munmap(base, ctl_size + 2 * ring_size);
}

verve_status_t vt_shm_segment_map(int fd, size_t length, void **base_p)
{
    void *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                      0);

    if (base == MAP_FAILED) {
        vs_error("shm: mapping %zu bytes of a memfd failed: %s", length,
                 strerror(errno));
        return VERVE_ERR_NO_MEMORY;
    }
    *base_p = base;
    return VERVE_OK;
}
