/* The shared-memory ring: the parts off the fast path (see shm_fifo.h for
 * the protocol and its proof). */
#include "shm_fifo.h"

void vt_shm_fifo_init(vt_shm_fifo_t *fifo, void *ctl, void *ring,
                      uint32_t num_slots)
{
    vt_shm_fifo_ctl_t *c = ctl;

    c->magic = VT_SHM_FIFO_MAGIC;
    c->num_slots = num_slots;
    atomic_init(&c->head, 0);
    atomic_init(&c->tail, 0);
    atomic_init(&c->sleeping, 0);
    fifo->ctl = c;
    fifo->ring = ring;
    fifo->mask = num_slots - 1;
    fifo->cached_tail = 0;
    /* Rule 5 of the proof: no slot starts out looking published. */
    for (uint32_t i = 0; i < num_slots; ++i) {
        atomic_init(&vt_shm_fifo_slot(fifo, i)->seq, i - num_slots);
    }
}

void vt_shm_fifo_trim(vt_shm_fifo_t *fifo, uint64_t pos, uint64_t used,
                      uint64_t reserved)
{
    uint64_t end = pos + reserved;
    vt_shm_rec_hdr_t *pad;

    if (used == reserved) {
        return;
    }
    if (atomic_compare_exchange_strong_explicit(&fifo->ctl->head, &end,
                                                pos + used,
                                                memory_order_relaxed,
                                                memory_order_relaxed)) {
        return;
    }
    /* Someone reserved after us: the hole must be consumed in order. */
    pad = vt_shm_fifo_slot(fifo, pos + used);
    pad->am_id = 0;
    pad->flags = VT_SHM_REC_PAD;
    pad->length = (uint16_t)((reserved - used) * VT_SHM_SLOT_SIZE -
                             VT_SHM_HDR_SIZE);
    pad->src_uid = 0;
    vt_shm_fifo_publish(pad, pos + used);
}

int vt_shm_fifo_arm(vt_shm_fifo_t *fifo, uint64_t tail)
{
    atomic_store_explicit(&fifo->ctl->sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (vt_shm_fifo_ready(fifo, tail)) {
        atomic_store_explicit(&fifo->ctl->sleeping, 0, memory_order_relaxed);
        return -1;
    }
    return 0;
}
