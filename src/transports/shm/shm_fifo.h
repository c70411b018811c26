/*
 * The receive ring of the shared-memory transport: a multi-producer,
 * single-consumer FIFO of 64-byte slots that lives in the receiver's
 * segment. A record is a 16-byte header followed by its payload inline; a
 * record longer than one slot spans consecutive slots. The ring is mapped
 * twice back to back, so a record that wraps past the last slot is still
 * contiguous in virtual memory and neither side ever splits a copy.
 *
 * Why a producer never overwrites an unread slot, and why a stale slot is
 * never taken for a new record (the seq/ABA argument):
 *
 * 1. Positions are 64-bit counters that never wrap in practice; slot index
 *    = position mod num_slots. head is the next position to reserve, tail
 *    the next position the consumer reads; both only grow.
 * 2. A producer reserves [h, h + n) by CAS(head, h -> h + n) only after
 *    checking h + n - t <= num_slots against a tail value t it loaded with
 *    acquire (possibly cached: tail only grows, so a cached t is a lower
 *    bound and the check stays conservative). Every slot it writes thus held
 *    a position below h + n - num_slots <= t <= tail, i.e. already
 *    consumed. Two producers never get overlapping ranges because the CAS
 *    moves head from exactly the h both checked.
 * 3. The consumer reads a record at tail only when the first slot's seq
 *    equals (uint32_t)tail, loaded with acquire; the producer stores seq
 *    last, with release, so the whole record is visible.
 * 4. Before releasing a record's slots (the release store of tail), the
 *    consumer overwrites the seq word of every slot of the record with that
 *    slot's own position p. Continuation slots carry arbitrary payload, so
 *    without this a payload word could equal a later tail. Every
 *    position below tail belongs to some consumed record (padding
 *    included), so when the consumer reaches position q the slot holds
 *    q - num_slots unless the producer of q has published it; as
 *    num_slots < 2^32 the truncated values differ. Only the producer that
 *    reserved q can make seq match, and by (2) it writes only after the
 *    invalidation (which happened-before its acquire of tail).
 * 5. Initially slot i holds seq = i - num_slots (mod 2^32), which is not i.
 *
 * Multi-slot reservations of unknown final length (bcopy) reserve the
 * maximum, then give the unused tail back if no one reserved after them,
 * else fill it with a padding record the consumer skips.
 */
#ifndef VT_SHM_FIFO_H
#define VT_SHM_FIFO_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include "core/base/compiler.h"

#define VT_SHM_SLOT_SIZE 64
#define VT_SHM_HDR_SIZE 16
#define VT_SHM_FIFO_MAGIC 0x7665727665736d31ull   /* "vervesm1" */
#define VT_SHM_FIFO_MAX_SLOTS (1u << 20)
#define VT_SHM_FIFO_MIN_SLOTS 64
/* Pages before the ring: the control area. */
#define VT_SHM_CTL_SIZE 4096

enum {
    VT_SHM_REC_PAD = 1u << 0   /* filler: skip, no delivery */
};

enum {
    /* The owner uses CMA: VERVE_SHM_CMA=y and the kernel lets it make the
     * calls. A peer that sees it clear uses no CMA with the owner either,
     * so both ends of a pair agree on the protocols. */
    VT_SHM_OWNER_CMA = 1u << 0
};

typedef struct vt_shm_rec_hdr {
    _Atomic uint32_t seq;      /* position, stored last (release) */
    uint8_t am_id;
    uint8_t flags;             /* VT_SHM_REC_* */
    uint16_t length;           /* payload bytes after the header */
    uint64_t src_uid;
} vt_shm_rec_hdr_t;

/* Head and tail on separate cache lines: producers hammer head, the
 * consumer writes tail, and neither should evict the other's line. */
typedef struct vt_shm_fifo_ctl {
    uint64_t magic;
    uint32_t num_slots;
    uint32_t owner_pid;
    /* Where the owner maps this area: a peer checks that CMA reaches the
     * owner by reading magic there (shm_ep.c). */
    uint64_t owner_address;
    uint32_t owner_flags;      /* VT_SHM_OWNER_* */
    _Atomic uint64_t head vs_cache_aligned;
    _Atomic uint64_t tail vs_cache_aligned;
    /* Set by the consumer before it sleeps; a producer that sees it after
     * publishing clears it and signals the wakeup socket. */
    _Atomic uint32_t sleeping vs_cache_aligned;
} vt_shm_fifo_ctl_t;

_Static_assert(sizeof(vt_shm_rec_hdr_t) == VT_SHM_HDR_SIZE, "record hdr");
_Static_assert(sizeof(vt_shm_fifo_ctl_t) <= VT_SHM_CTL_SIZE, "ctl size");

/* A view of a ring: either the owner's or a producer's mapping. */
typedef struct vt_shm_fifo {
    vt_shm_fifo_ctl_t *ctl;
    char *ring;                /* slot 0; 2 * num_slots slots are mapped */
    uint64_t mask;             /* num_slots - 1 */
    uint64_t cached_tail;      /* producer: lower bound of ctl->tail */
} vt_shm_fifo_t;

static inline size_t vt_shm_fifo_rec_slots(size_t length)
{
    return (length + VT_SHM_HDR_SIZE + VT_SHM_SLOT_SIZE - 1) /
           VT_SHM_SLOT_SIZE;
}

/* The slots of a published record, or 0 when no record of this ring can
 * be that long: its producer corrupted the ring. The record then cannot
 * be skipped either (where the next one starts is lost), and a record of
 * at most num_slots slots always lies inside the double mapping. */
static inline uint64_t vt_shm_fifo_rec_span(const vt_shm_fifo_t *fifo,
                                            const vt_shm_rec_hdr_t *hdr)
{
    uint64_t n = vt_shm_fifo_rec_slots(hdr->length);

    return vs_likely(n <= fifo->mask + 1) ? n : 0;
}

static inline vt_shm_rec_hdr_t *vt_shm_fifo_slot(const vt_shm_fifo_t *fifo,
                                                 uint64_t pos)
{
    return (vt_shm_rec_hdr_t *)(fifo->ring +
                                (pos & fifo->mask) * VT_SHM_SLOT_SIZE);
}

/* Reserves n slots; returns 0 and the first position, or -1 when full. */
static inline int vt_shm_fifo_reserve(vt_shm_fifo_t *fifo, uint64_t n,
                                      uint64_t *pos_p)
{
    uint64_t size = fifo->mask + 1;
    uint64_t head = atomic_load_explicit(&fifo->ctl->head,
                                         memory_order_relaxed);

    for (;;) {
        if (vs_unlikely(head + n - fifo->cached_tail > size)) {
            fifo->cached_tail = atomic_load_explicit(&fifo->ctl->tail,
                                                     memory_order_acquire);
            if (head + n - fifo->cached_tail > size) {
                return -1;
            }
        }
        if (vs_likely(atomic_compare_exchange_weak_explicit(
                &fifo->ctl->head, &head, head + n, memory_order_relaxed,
                memory_order_relaxed))) {
            *pos_p = head;
            return 0;
        }
    }
}

static inline void vt_shm_fifo_publish(vt_shm_rec_hdr_t *hdr, uint64_t pos)
{
    atomic_store_explicit(&hdr->seq, (uint32_t)pos, memory_order_release);
}

/* After publishing: wakes the consumer if it went to sleep. Returns 1 when
 * the caller must signal the consumer's wakeup socket. The fence pairs with
 * the one in vt_shm_fifo_arm (store seq; fence; load sleeping against
 * store sleeping; fence; load seq): at least one side sees the other. */
static inline int vt_shm_fifo_need_wakeup(vt_shm_fifo_t *fifo)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (vs_likely(!atomic_load_explicit(&fifo->ctl->sleeping,
                                        memory_order_relaxed))) {
        return 0;
    }
    return atomic_exchange_explicit(&fifo->ctl->sleeping, 0,
                                    memory_order_relaxed) != 0;
}

/* Gives back slots [pos + used, pos + reserved) of a reservation: shrinks
 * head when nothing was reserved after it, else publishes a padding
 * record over them. */
void vt_shm_fifo_trim(vt_shm_fifo_t *fifo, uint64_t pos, uint64_t used,
                      uint64_t reserved);

/* Owner side. */
void vt_shm_fifo_init(vt_shm_fifo_t *fifo, void *ctl, void *ring,
                      uint32_t num_slots);
/* Returns whether a record is ready at the consumer's tail. */
static inline int vt_shm_fifo_ready(const vt_shm_fifo_t *fifo, uint64_t tail)
{
    return atomic_load_explicit(&vt_shm_fifo_slot(fifo, tail)->seq,
                                memory_order_acquire) == (uint32_t)tail;
}
/* Sets the sleep flag; returns 0 when armed, -1 when a record is ready
 * (flag cleared again). */
int vt_shm_fifo_arm(vt_shm_fifo_t *fifo, uint64_t tail);

#endif
