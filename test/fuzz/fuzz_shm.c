/*
 * Fuzz target for the consumer of the shm receive ring (shm_iface.c): the
 * record headers that local peers write into our segment. Each input fills
 * a ring of 64 to 1024 slots, starting anywhere in it (records wrap past
 * the end), with records whose am id, flags (padding), length and source
 * are the input's, honest about their length or not (the next record
 * where the input says, inside or past the claimed span), then runs the
 * interface's progress until it delivers nothing more. Handlers read every
 * byte they are given, so a span that leaves the ring's double mapping
 * (allocated here to its exact size) is an ASan report.
 *
 * Not fuzzed: a length no record of the ring can have (more slots than the
 * ring). The consumer aborts on it by design, since where the next record
 * starts is lost and only a process allowed to ptrace us can write there
 * (see shm_iface.c); records are clamped below that here, with the
 * consumer's own check (vt_shm_fifo_rec_span).
 *
 * Input: byte 0: ring size (64 << (b % 5) slots) ; byte 1: where the
 * consumer starts; then records: control byte (bit 0 padding, bit 1 a
 * dishonest span: the next byte, mod 8, is the distance in slots to the
 * next record), am id, two length bytes, a source byte, then the payload
 * bytes the slots hold (as many as the length says and the input has).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "transports/shm/shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t fuzz_sum;

static void fuzz_am(void *arg, void *data, size_t length, uint64_t src_uid)
{
    uint8_t sum = (uint8_t)src_uid;

    (void)arg;
    for (size_t i = 0; i < length; ++i) {
        sum += ((const uint8_t *)data)[i];
    }
    fuzz_sum += sum;
}

typedef struct fuzz_input {
    const uint8_t *data;
    size_t left;
} fuzz_input_t;

static uint8_t fuzz_byte(fuzz_input_t *in)
{
    if (in->left == 0) {
        return 0;
    }
    --in->left;
    return *in->data++;
}

/* Writes length payload bytes after the header at pos, slot by slot with
 * the wrap (the second mapping is copied from the first at the end). The
 * seq word of each continuation slot is what the consumer left there
 * (rule 4 of shm_fifo.h): payload never looks published. */
static void fuzz_fill(vt_shm_fifo_t *fifo, uint64_t pos, size_t length,
                      fuzz_input_t *in)
{
    size_t offset = VT_SHM_HDR_SIZE;
    size_t total = VT_SHM_HDR_SIZE + length;
    char *slot;

    while (offset < total && in->left > 0) {
        slot = (char *)vt_shm_fifo_slot(fifo, pos + offset / VT_SHM_SLOT_SIZE);
        if (offset % VT_SHM_SLOT_SIZE < sizeof(uint32_t)) {
            offset += sizeof(uint32_t) - offset % VT_SHM_SLOT_SIZE;
            continue;
        }
        slot[offset % VT_SHM_SLOT_SIZE] = (char)fuzz_byte(in);
        ++offset;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {.data = data, .left = size};
    vt_shm_iface_t iface;
    uint32_t num_slots;
    uint64_t start, pos, end, span, i;
    vt_shm_rec_hdr_t *hdr;
    size_t ring_bytes;
    uint8_t control;
    char *memory;

    if (size < 2) {
        return 0;
    }
    num_slots = VT_SHM_FIFO_MIN_SLOTS << (fuzz_byte(&in) % 5);
    ring_bytes = 2 * (size_t)num_slots * VT_SHM_SLOT_SIZE;
    memory = aligned_alloc(VT_SHM_SLOT_SIZE, VT_SHM_CTL_SIZE + ring_bytes);
    if (memory == NULL) {
        abort();
    }
    memset(&iface, 0, sizeof(iface));
    iface.super.ops = &vt_shm_iface_ops;
    iface.rx_batch = 16;
    iface.pid = 1;
    for (i = 0; i < 4; ++i) {
        iface.am_handlers[i] = fuzz_am;   /* the rest: "no handler" */
    }
    vt_shm_fifo_init(&iface.rx, memory, memory + VT_SHM_CTL_SIZE, num_slots);
    /* Start anywhere: every slot holds what the consumer leaves behind
     * the position it reads next (rule 4), one lap back. */
    start = num_slots + fuzz_byte(&in) % num_slots;
    for (i = 0; i < num_slots; ++i) {
        atomic_store(&vt_shm_fifo_slot(&iface.rx, start + i)->seq,
                     (uint32_t)(start + i - num_slots));
    }
    atomic_store(&iface.rx.ctl->tail, start);
    atomic_store(&iface.rx.ctl->head, start);
    iface.rx_tail = start;

    /* A producer may write anywhere in the ring, but publishes at most a
     * lap ahead of the consumer. */
    end = start + num_slots;
    for (pos = start; pos < end && in.left > 0; pos += span) {
        control = fuzz_byte(&in);
        hdr = vt_shm_fifo_slot(&iface.rx, pos);
        hdr->am_id = fuzz_byte(&in);
        hdr->flags = (control & 1) ? VT_SHM_REC_PAD : fuzz_byte(&in) & 0xfe;
        hdr->length = (uint16_t)(fuzz_byte(&in) | fuzz_byte(&in) << 8);
        hdr->src_uid = fuzz_byte(&in);
        if (vt_shm_fifo_rec_span(&iface.rx, hdr) == 0) {
            hdr->length %= num_slots * VT_SHM_SLOT_SIZE - VT_SHM_HDR_SIZE + 1;
        }
        span = (control & 2) ? 1u + fuzz_byte(&in) % 8u
                             : vt_shm_fifo_rec_span(&iface.rx, hdr);
        if (pos + vt_shm_fifo_rec_span(&iface.rx, hdr) > end) {
            break;   /* a lap ahead: never published */
        }
        fuzz_fill(&iface.rx, pos, hdr->length, &in);
        vt_shm_fifo_publish(hdr, pos);
    }
    memcpy(iface.rx.ring + ring_bytes / 2, iface.rx.ring, ring_bytes / 2);
    while (vt_shm_iface_ops.iface_progress(&iface.super) > 0) {
    }
    free(memory);
    return 0;
}
