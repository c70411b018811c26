/*
 * Tag matching between every pair of ranks (each rank to itself too),
 * with tags laid out as MPI's are: source rank in bits 32-47, a message
 * tag below. Checks:
 * - every size boundary of the protocols, received from a named source
 *   and, posted before or after arrival, with the data checked byte by
 *   byte (a pattern of source, sequence and offset);
 * - a stream from every rank received with the source wildcarded: the
 *   messages of each source match in the order sent (no overtaking),
 *   eager and rendezvous mixed, thousands in flight;
 * - synchronous sends that stay incomplete until the receiver posts;
 * - probe and matched receive of messages from any source;
 * - a rendezvous waiting unexpected until its receive, and a short
 *   buffer that gets a truncation error with the sender unharmed.
 *
 * Usage: it_tag [--stream N]: N messages per pair in the stream (default
 * 3000; fewer on slow emulated devices).
 */
#include <string.h>
#include <verve/verve_tag.h>
#include "it_common.h"

#define SRC_SHIFT 32
#define SRC_MASK (0xffffULL << SRC_SHIFT)
#define ANY_SOURCE_MASK (~SRC_MASK)
#define FULL_MASK UINT64_MAX

/* Phases use distinct tags; the sizes take TAG_SIZES up to +2*64. */
enum { TAG_STREAM = 1, TAG_SYNC, TAG_PROBE, TAG_LATE, TAG_TRUNC,
       TAG_SIZES = 1000 };

static const size_t sizes[] = {
    0, 1, 7, 8, 16, 20, 28, 36, 44, 48, 63, 64, 65, 127, 128, 129, 1000,
    4095, 4096, 4097, 8164, 8180, 8192, 8193, 16384, 65535, 65536, 65537,
    1 << 20, (4 << 20) + 1};
#define NUM_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint64_t make_tag(int src, uint32_t tag)
{
    return ((uint64_t)(uint32_t)src << SRC_SHIFT) | tag;
}

static int tag_source(uint64_t tag)
{
    return (int)((tag & SRC_MASK) >> SRC_SHIFT);
}

static uint8_t pattern(uint32_t src, uint32_t seq, size_t i)
{
    return (uint8_t)(src * 31 + seq * 7 + i * 13 + (i >> 10) + 5);
}

static uint8_t *make_payload(uint32_t src, uint32_t seq, size_t length)
{
    uint8_t *buf = malloc(length ? length : 1);

    for (size_t i = 0; i < length; ++i) {
        buf[i] = pattern(src, seq, i);
    }
    return buf;
}

static void check_data(it_job_t *job, const uint8_t *buf, uint32_t src,
                       uint32_t seq, size_t length, const char *what)
{
    for (size_t i = 0; i < length; ++i) {
        it_check(job, buf[i] == pattern(src, seq, i),
                 "%s: message %u from %u: byte %zu of %zu is 0x%02x, not "
                 "0x%02x", what, seq, src, i, length, buf[i],
                 pattern(src, seq, i));
    }
}

static void wait_recv(it_job_t *job, verve_status_t status,
                      verve_request_h req, verve_status_t expect,
                      const char *what)
{
    it_wait(job, status, &req, expect, what);
}

/* Sizes from a named source: the first half posted before the peers
 * send, the second after a barrier that lets them arrive first. */
static void test_sizes(it_job_t *job)
{
    size_t total = (size_t)job->size * NUM_SIZES;
    verve_request_h *sreq = calloc(total, sizeof(*sreq));
    verve_status_t *sstatus = calloc(total, sizeof(*sstatus));
    uint8_t **out = calloc(total, sizeof(*out));
    uint8_t *in = malloc((4 << 20) + 128);   /* largest size + guard */
    verve_request_param_t param = {0};
    verve_tag_recv_info_t info;
    int pass, peer;
    size_t k;

    param.op_attr_mask = VERVE_OP_ATTR_FIELD_RECV_INFO;
    param.recv_info = &info;
    for (pass = 0; pass < 2; ++pass) {
        for (k = 0; k < total; ++k) {
            peer = (int)(k / NUM_SIZES);
            out[k] = make_payload((uint32_t)job->rank, (uint32_t)k,
                                  sizes[k % NUM_SIZES]);
            sstatus[k] = verve_tag_send_nbx(job->eps[peer], out[k],
                    sizes[k % NUM_SIZES],
                    make_tag(job->rank, TAG_SIZES + pass * 64 +
                             (uint32_t)(k % NUM_SIZES)),
                    NULL, &sreq[k]);
            it_check(job, sstatus[k] >= 0, "send %zu: %s", k,
                     verve_status_string(sstatus[k]));
        }
        if (pass == 1) {
            it_barrier(job);
        }
        for (k = 0; k < total; ++k) {
            verve_request_h rreq = NULL;
            verve_status_t status;
            size_t length = sizes[k % NUM_SIZES];
            uint32_t src = (uint32_t)(k / NUM_SIZES);
            /* The sender numbered it by its own index of this rank. */
            uint32_t seq = (uint32_t)job->rank * NUM_SIZES + k % NUM_SIZES;

            memset(in, 0xee, length + 64);
            status = verve_tag_recv_nbx(job->worker, in, length,
                    make_tag((int)src, TAG_SIZES + pass * 64 +
                             (uint32_t)(k % NUM_SIZES)),
                    FULL_MASK, &param, &rreq);
            wait_recv(job, status, rreq, VERVE_OK, "size receive");
            it_check(job, info.length == length && tag_source(
                     info.sender_tag) == (int)src, "size %zu from %u: "
                     "info says %zu bytes from %d", length, src,
                     info.length, tag_source(info.sender_tag));
            check_data(job, in, src, seq, length, "sizes");
            it_check(job, in[length] == 0xee, "written past %zu bytes",
                     length);
        }
        for (k = 0; k < total; ++k) {
            it_wait(job, sstatus[k], &sreq[k], VERVE_OK, "size send");
            free(out[k]);
        }
        it_barrier(job);
    }
    free(in);
    free(out);
    free(sstatus);
    free(sreq);
}

/* A stream from every rank, received from any source. Nothing blocks:
 * a rank waiting on its own send while its peer waits on its own would
 * hang, so sends and receives each keep a window and the loop turns
 * until both are done. Receives are checked in posting order, which is
 * matching order: each source's sequence must come up in order. */
#define WINDOW 64
#define STREAM_MAX 300000

typedef struct slot {
    int busy;
    verve_status_t status;
    verve_request_h req;
    uint8_t *buf;
    verve_tag_recv_info_t info;
} slot_t;

static size_t stream_count = 3000;

static const size_t stream_lengths[] = {8, 100, 70000, 0, 9000, STREAM_MAX,
                                        32};

/* 1 when the slot's operation is done (its status then final). */
static int slot_done(slot_t *slot)
{
    if (slot->status == VERVE_INPROGRESS) {
        slot->status = verve_request_test(slot->req);
        if (slot->status == VERVE_INPROGRESS) {
            return 0;
        }
        verve_request_free(slot->req);
    }
    return 1;
}

static void stream_check(it_job_t *job, slot_t *slot, uint32_t *next_seq)
{
    int src = tag_source(slot->info.sender_tag);
    size_t length;

    it_check(job, slot->status == VERVE_OK, "stream receive: %s",
             verve_status_string(slot->status));
    it_check(job, src >= 0 && src < job->size, "source %d", src);
    length = stream_lengths[next_seq[src] % 7];
    it_check(job, slot->info.length == length, "from %d: message %u has "
             "%zu bytes, not %zu: overtaken", src, next_seq[src],
             slot->info.length, length);
    check_data(job, slot->buf, (uint32_t)src, next_seq[src], length,
               "stream");
    ++next_seq[src];
}

static void test_stream(it_job_t *job)
{
    uint32_t *next_seq = calloc((size_t)job->size, sizeof(*next_seq));
    size_t total = (size_t)job->size * stream_count;
    size_t sent = 0, posted = 0, checked = 0;
    slot_t sends[WINDOW], recvs[WINDOW];
    verve_request_param_t param = {0};
    unsigned i;

    memset(sends, 0, sizeof(sends));
    memset(recvs, 0, sizeof(recvs));
    for (i = 0; i < WINDOW; ++i) {
        recvs[i].buf = malloc(STREAM_MAX);
    }
    while (sent < total || checked < total) {
        verve_worker_progress(job->worker);
        while (sent < total) {
            slot_t *slot = &sends[sent % WINDOW];
            uint32_t seq = (uint32_t)(sent / (size_t)job->size);
            int peer = (int)(sent % (size_t)job->size);
            size_t length = stream_lengths[seq % 7];

            if (slot->busy) {
                if (!slot_done(slot)) {
                    break;
                }
                it_check(job, slot->status == VERVE_OK, "stream send: %s",
                         verve_status_string(slot->status));
                free(slot->buf);
            }
            slot->buf = make_payload((uint32_t)job->rank, seq, length);
            slot->status = verve_tag_send_nbx(job->eps[peer], slot->buf,
                    length, make_tag(job->rank, TAG_STREAM), NULL,
                    &slot->req);
            it_check(job, slot->status >= 0, "stream send: %s",
                     verve_status_string(slot->status));
            slot->busy = 1;
            ++sent;
        }
        while (posted < total && posted - checked < WINDOW) {
            slot_t *slot = &recvs[posted % WINDOW];

            param.op_attr_mask = VERVE_OP_ATTR_FIELD_RECV_INFO;
            param.recv_info = &slot->info;
            slot->status = verve_tag_recv_nbx(job->worker, slot->buf,
                    STREAM_MAX, make_tag(0, TAG_STREAM), ANY_SOURCE_MASK,
                    &param, &slot->req);
            ++posted;
        }
        while (checked < posted && slot_done(&recvs[checked % WINDOW])) {
            stream_check(job, &recvs[checked % WINDOW], next_seq);
            ++checked;
        }
    }
    for (i = 0; i < WINDOW; ++i) {
        if (sends[i].busy) {
            while (!slot_done(&sends[i])) {
                verve_worker_progress(job->worker);
            }
            it_check(job, sends[i].status == VERVE_OK, "stream send: %s",
                     verve_status_string(sends[i].status));
            free(sends[i].buf);
        }
        free(recvs[i].buf);
    }
    free(next_seq);
    it_barrier(job);
}

/* Rank r sends synchronously to r+1, which posts only after two
 * barriers: in between the send must still be incomplete. */
static void test_sync(it_job_t *job)
{
    static const size_t lengths[] = {4, 2000, 1 << 20};
    int to = (job->rank + 1) % job->size;
    int from = (job->rank + job->size - 1) % job->size;
    unsigned i;

    for (i = 0; i < 3; ++i) {
        uint8_t *out = make_payload((uint32_t)job->rank, i, lengths[i]);
        uint8_t *in = malloc(lengths[i]);
        verve_request_h sreq = NULL, rreq = NULL;
        verve_status_t sstatus, status;

        sstatus = verve_tag_send_sync_nbx(job->eps[to], out, lengths[i],
                                          make_tag(job->rank, TAG_SYNC),
                                          NULL, &sreq);
        it_check(job, sstatus == VERVE_INPROGRESS,
                 "synchronous send: %s", verve_status_string(sstatus));
        it_barrier(job);
        it_check(job, verve_request_test(sreq) == VERVE_INPROGRESS,
                 "a synchronous send of %zu bytes completed before its "
                 "receive was posted", lengths[i]);
        it_barrier(job);
        status = verve_tag_recv_nbx(job->worker, in, lengths[i],
                                    make_tag(from, TAG_SYNC), FULL_MASK,
                                    NULL, &rreq);
        wait_recv(job, status, rreq, VERVE_OK, "synchronous receive");
        check_data(job, in, (uint32_t)from, i, lengths[i], "sync");
        it_wait(job, sstatus, &sreq, VERVE_OK, "synchronous send");
        free(in);
        free(out);
        it_barrier(job);
    }
}

/* Every rank sends one message to rank 0, which probes them out from
 * any source and receives each by its handle. */
static void test_probe(it_job_t *job)
{
    size_t length = 1000 + (size_t)job->rank * 40000;
    uint8_t *out = make_payload((uint32_t)job->rank, 77, length);
    verve_request_h sreq = NULL;
    verve_status_t sstatus;
    int received = 0;

    sstatus = verve_tag_send_nbx(job->eps[0], out, length,
                                 make_tag(job->rank, TAG_PROBE), NULL, &sreq);
    it_check(job, sstatus >= 0, "probe send: %s",
             verve_status_string(sstatus));
    while (job->rank == 0 && received < job->size) {
        verve_tag_recv_info_t info;
        verve_tag_message_h msg;
        verve_request_h rreq = NULL;
        verve_status_t status;
        uint8_t *in;
        int src;

        status = verve_tag_probe_nb(job->worker, make_tag(0, TAG_PROBE),
                                    ANY_SOURCE_MASK, 1, &info, &msg);
        if (status == VERVE_ERR_NO_ELEM) {
            verve_worker_progress(job->worker);
            continue;
        }
        it_check(job, status == VERVE_OK, "probe: %s",
                 verve_status_string(status));
        src = tag_source(info.sender_tag);
        it_check(job, info.length == 1000 + (size_t)src * 40000,
                 "probe: %zu bytes from %d", info.length, src);
        in = malloc(info.length);
        status = verve_tag_msg_recv_nbx(job->worker, in, info.length, msg,
                                        NULL, &rreq);
        wait_recv(job, status, rreq, VERVE_OK, "matched receive");
        check_data(job, in, (uint32_t)src, 77, info.length, "probe");
        free(in);
        ++received;
    }
    it_wait(job, sstatus, &sreq, VERVE_OK, "probe send");
    free(out);
    it_barrier(job);
}

/* A large message waits unexpected until after a barrier; a second one
 * goes to a short buffer. */
static void test_late_and_truncated(it_job_t *job)
{
    enum { BIG = 3 << 20 };
    int to = (job->rank + 1) % job->size;
    int from = (job->rank + job->size - 1) % job->size;
    uint8_t *out = make_payload((uint32_t)job->rank, 5, BIG);
    uint8_t *in = malloc(BIG + 64);
    verve_request_h sreq[2] = {NULL, NULL}, rreq = NULL;
    verve_status_t sstatus[2], status;
    verve_request_param_t param = {0};
    verve_tag_recv_info_t info;

    param.op_attr_mask = VERVE_OP_ATTR_FIELD_RECV_INFO;
    param.recv_info = &info;
    sstatus[0] = verve_tag_send_nbx(job->eps[to], out, BIG,
                                    make_tag(job->rank, TAG_LATE), NULL,
                                    &sreq[0]);
    sstatus[1] = verve_tag_send_nbx(job->eps[to], out, BIG,
                                    make_tag(job->rank, TAG_TRUNC), NULL,
                                    &sreq[1]);
    it_barrier(job);
    memset(in, 0xee, BIG + 64);
    status = verve_tag_recv_nbx(job->worker, in, BIG,
                                make_tag(from, TAG_LATE), FULL_MASK, &param,
                                &rreq);
    wait_recv(job, status, rreq, VERVE_OK, "late receive");
    check_data(job, in, (uint32_t)from, 5, BIG, "late");
    memset(in, 0xee, BIG + 64);
    status = verve_tag_recv_nbx(job->worker, in, 100000,
                                make_tag(from, TAG_TRUNC), FULL_MASK, &param,
                                &rreq);
    wait_recv(job, status, rreq, VERVE_ERR_MESSAGE_TRUNCATED,
              "short receive");
    it_check(job, info.length == BIG, "truncated: info says %zu bytes",
             info.length);
    check_data(job, in, (uint32_t)from, 5, 100000, "truncated");
    it_check(job, in[100000] == 0xee, "written past a short buffer");
    it_wait(job, sstatus[0], &sreq[0], VERVE_OK, "late send");
    it_wait(job, sstatus[1], &sreq[1], VERVE_OK, "truncated send");
    free(in);
    free(out);
    it_barrier(job);
}

int main(int argc, char **argv)
{
    it_job_t job;

    if (argc == 3 && strcmp(argv[1], "--stream") == 0) {
        stream_count = strtoul(argv[2], NULL, 10);
    } else if (argc != 1) {
        fprintf(stderr, "usage: it_tag [--stream N]\n");
        return 2;
    }
    it_job_init(&job);
    test_sizes(&job);
    test_stream(&job);
    test_sync(&job);
    test_probe(&job);
    test_late_and_truncated(&job);
    printf("rank %d: tag matching ok\n", job.rank);
    it_job_finalize(&job);
    return 0;
}
