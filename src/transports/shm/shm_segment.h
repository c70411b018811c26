/*
 * memfd segments: created by their owner, attached by peers through
 * /proc/<pid>/fd/<fd> (same user, same host), so a crash leaves nothing
 * behind in /dev/shm.
 */
#ifndef VT_SHM_SEGMENT_H
#define VT_SHM_SEGMENT_H

#include <stddef.h>
#include <sys/types.h>
#include <verve/verve_status.h>

/* A new memfd of length bytes (close-on-exec). */
verve_status_t vt_shm_segment_create(const char *name, size_t length,
                                     int *fd_p);
/* Opens a peer's fd; VERVE_ERR_UNREACHABLE when the peer is gone. When
 * min_length is not 0, a shorter file is VERVE_ERR_UNREACHABLE too. The
 * inode is returned in *ino_p when ino_p is not NULL. */
verve_status_t vt_shm_segment_open_peer(pid_t pid, int peer_fd,
                                        size_t min_length, int *fd_p,
                                        unsigned long *ino_p);
/* Maps [0, ctl_size + ring_size) of fd and then the ring again right
 * after it, so that ring wrap-around is contiguous. */
verve_status_t vt_shm_segment_map_ring(int fd, size_t ctl_size,
                                       size_t ring_size, void **base_p);
void vt_shm_segment_unmap_ring(void *base, size_t ctl_size,
                               size_t ring_size);
/* A plain shared mapping of [0, length). */
verve_status_t vt_shm_segment_map(int fd, size_t length, void **base_p);

#endif
