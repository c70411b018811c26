/*
 * Memory events: the kernel tells us when the process gives memory back
 * (munmap, mremap, madvise(MADV_DONTNEED/MADV_FREE), brk shrinking),
 * through userfaultfd. shmdt raises no event: SysV segments are never
 * watched (the kernel refuses plain ones, vs_mem_event_watch huge page
 * ones), so they are registered per use, never cached. Ranges are watched
 * in write-protect mode, which never makes a page fault: only the unmap,
 * remove and remap events are used. A thread reads them and calls the
 * subscribers.
 *
 * Ordering: the kernel holds the thread that unmaps until the event is
 * read, and vs_mem_event_sync() waits until every event read so far has
 * been handled, so a caller that syncs before looking at its cache never
 * sees a range that the kernel has already taken back. Subscribers run
 * on the event thread: they must not free memory (a heap trim there
 * would wait on the event thread itself) or block on the unmapping
 * thread.
 */
#ifndef VS_MEM_EVENT_H
#define VS_MEM_EVENT_H

#include <stdint.h>
#include <verve/verve_status.h>

/* [start, end) of the process's memory is gone or has new contents. */
typedef void (*vs_mem_event_cb_t)(void *arg, uintptr_t start, uintptr_t end);

/* VERVE_OK, or VERVE_ERR_UNSUPPORTED when the kernel does not offer the
 * events (then nothing may be cached). Starts the thread on first use. */
verve_status_t vs_mem_event_subscribe(vs_mem_event_cb_t cb, void *arg);
void vs_mem_event_unsubscribe(vs_mem_event_cb_t cb, void *arg);
/* Asks for events on [start, end) (page aligned). Fails for memory the
 * kernel cannot watch (file mappings on older kernels): do not cache it. */
verve_status_t vs_mem_event_watch(uintptr_t start, uintptr_t end);
/* Whether events flow (false after fork in the child). */
int vs_mem_event_available(void);
/* Returns once every event the kernel has delivered is handled. */
void vs_mem_event_sync(void);

#endif
