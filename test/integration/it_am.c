/*
 * Active messages between every pair of ranks (each rank to itself too):
 * every size boundary of the eager short, eager copy and rendezvous
 * protocols with the data checked byte by byte, delivery in order, and
 * thousands of sends in flight at once.
 *
 * Usage: it_am [--eager-only]. By default large messages must arrive as
 * rendezvous and some must take the split path; with --eager-only (lanes
 * that cannot read the sender's memory, or VERVE_AM_ZCOPY=n) every message
 * must arrive as eager data, assembled from fragments when large.
 */
#include <string.h>
#include "it_common.h"
#include "../pattern.h"

#define AM_DATA 7

static const size_t sizes[] = {
    0, 1, 7, 8, 16, 20, 27, 28, 29, 32, 36, 40, 43, 44, 45, 48, 63, 64, 65,
    100, 127, 128, 129, 1000, 4095, 4096, 4097, 8100, 8150, 8164, 8168, 8172,
    8180, 8184, 8188, 8192, 8193, 16384, 65535, 65536, 65537, 1 << 20,
    (4 << 20) + 1};
#define NUM_SIZES (sizeof(sizes) / sizeof(sizes[0]))
#define NUM_STREAM 4000

typedef struct am_header {
    uint32_t src;
    uint32_t seq;
} am_header_t;

typedef struct recv_state {
    it_job_t *job;
    uint32_t *next_seq;   /* by source rank */
    unsigned received;
    unsigned rndv_async;  /* rendezvous receives that completed later */
    unsigned rndv;        /* rendezvous receives */
} recv_state_t;

/* A rendezvous receive in flight: checked when its request completes. */
typedef struct rndv_recv {
    recv_state_t *st;
    am_header_t h;
    size_t length;
    uint8_t *buffer;
} rndv_recv_t;


static size_t expected_size(uint32_t seq)
{
    return (seq < NUM_SIZES) ? sizes[seq] : (seq % 5) * 9;
}

static void check_data(it_job_t *job, const am_header_t *h,
                       const uint8_t *bytes, size_t length)
{
    char why[256];

    it_check(job, !pattern_check(pattern_id(h->src, h->seq), 0, bytes,
                                 length, why, sizeof(why)),
             "from rank %u message %u: %s", h->src, h->seq, why);
}

static void rndv_done_cb(verve_request_h request, verve_status_t status,
                         void *user_data)
{
    rndv_recv_t *r = user_data;
    it_job_t *job = r->st->job;

    it_check(job, status == VERVE_OK, "rendezvous receive: %s",
             verve_status_string(status));
    check_data(job, &r->h, r->buffer, r->length);
    ++r->st->received;
    ++r->st->rndv_async;
    free(r->buffer);
    free(r);
    verve_request_free(request);
}

static verve_status_t recv_cb(void *arg, const void *header,
                              size_t header_length, void *data, size_t length,
                              const verve_am_recv_param_t *param)
{
    recv_state_t *st = arg;
    it_job_t *job = st->job;
    const uint8_t *bytes = data;
    am_header_t h;
    verve_status_t status;

    it_check(job, header_length == sizeof(h), "header of %zu bytes",
             header_length);
    memcpy(&h, header, sizeof(h));
    it_check(job, h.src < (uint32_t)job->size, "source %u", h.src);
    it_check(job, h.seq == st->next_seq[h.src],
             "from rank %u: message %u arrived, expected %u", h.src, h.seq,
             st->next_seq[h.src]);
    it_check(job, length == expected_size(h.seq),
             "from rank %u message %u: %zu bytes, expected %zu", h.src,
             h.seq, length, expected_size(h.seq));
    it_check(job, param->reply_ep != NULL, "no reply endpoint");
    ++st->next_seq[h.src];
    if (param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV) {
        ++st->rndv;
        /* asking for a request lets large messages complete later, with
         * both sides copying */
        verve_request_param_t rp = {
            .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                            VERVE_OP_ATTR_FIELD_USER_DATA,
            .cb = rndv_done_cb};
        rndv_recv_t *r = calloc(1, sizeof(*r));
        verve_request_h req;
        it_check(job, r != NULL, "out of memory");
        r->st = st;
        r->h = h;
        r->length = length;
        r->buffer = malloc(length ? length : 1);
        rp.user_data = r;
        status = verve_am_recv_data_nbx(job->worker, data, r->buffer, length,
                                        &rp, &req);
        if (status == VERVE_INPROGRESS) {
            return VERVE_OK; /* checked by rndv_done_cb */
        }
        it_check(job, status == VERVE_OK, "recv data: %s",
                 verve_status_string(status));
        check_data(job, &h, r->buffer, length);
        free(r->buffer);
        free(r);
    } else {
        it_check(job, param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_DATA,
                 "neither data nor rendezvous");
        check_data(job, &h, bytes, length);
    }
    ++st->received;
    return VERVE_OK;
}

int main(int argc, char **argv)
{
    it_job_t job;
    recv_state_t st = {0};
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = AM_DATA, .cb = recv_cb, .arg = &st};
    size_t max = sizes[NUM_SIZES - 1];
    int eager_only = 0;
    uint8_t *buffer;
    verve_request_h *reqs;
    am_header_t *headers;
    unsigned total, expected;

    if (argc > 1) {
        if (argc > 2 || strcmp(argv[1], "--eager-only") != 0) {
            fprintf(stderr, "usage: it_am [--eager-only]\n");
            return 2;
        }
        eager_only = 1;
    }
    it_job_init(&job);
    st.job = &job;
    st.next_seq = calloc((size_t)job.size, sizeof(uint32_t));
    it_check(&job, verve_worker_set_am_handler(job.worker, &hp) == VERVE_OK,
             "handler");
    it_barrier(&job);

    total = NUM_SIZES + NUM_STREAM;
    buffer = malloc((size_t)total * 64 + max);
    reqs = calloc((size_t)total * (size_t)job.size, sizeof(*reqs));
    headers = calloc((size_t)total, sizeof(*headers));
    for (int dst = 0; dst < job.size; ++dst) {
        int peer = (job.rank + dst) % job.size;
        /* size sweep, one at a time */
        for (uint32_t seq = 0; seq < NUM_SIZES; ++seq) {
            am_header_t h = {(uint32_t)job.rank, seq};
            verve_request_h req;
            pattern_fill(pattern_id(h.src, seq), 0, buffer, sizes[seq]);
            it_wait(&job, verve_am_send_nbx(job.eps[peer], AM_DATA, &h,
                                            sizeof(h), buffer, sizes[seq],
                                            NULL, &req),
                    &req, VERVE_OK, "send");
        }
    }
    /* then a stream with every send in flight at once */
    for (uint32_t seq = NUM_SIZES; seq < total; ++seq) {
        uint8_t *data = buffer + (size_t)seq * 64;
        headers[seq].src = (uint32_t)job.rank;
        headers[seq].seq = seq;
        pattern_fill(pattern_id((uint32_t)job.rank, seq), 0, data,
                     expected_size(seq));
    }
    for (uint32_t seq = NUM_SIZES; seq < total; ++seq) {
        for (int peer = 0; peer < job.size; ++peer) {
            verve_request_h *req = &reqs[(size_t)seq * job.size + peer];
            verve_status_t status = verve_am_send_nbx(
                    job.eps[peer], AM_DATA, &headers[seq],
                    sizeof(headers[seq]), buffer + (size_t)seq * 64,
                    expected_size(seq), NULL, req);
            it_check(&job, status == VERVE_OK || status == VERVE_INPROGRESS,
                     "stream send: %s", verve_status_string(status));
            if (status == VERVE_OK) {
                *req = NULL;
            }
        }
    }
    for (size_t i = 0; i < (size_t)total * job.size; ++i) {
        if (reqs[i] != NULL) {
            it_wait(&job, VERVE_INPROGRESS, &reqs[i], VERVE_OK,
                    "stream completion");
        }
    }
    expected = total * (unsigned)job.size;
    while (st.received < expected) {
        verve_worker_progress(job.worker);
    }
    it_check(&job, st.received == expected, "received %u of %u",
             st.received, expected);
    printf("rank %d: %u messages from %d ranks checked, %u of them "
           "rendezvous completed later\n", job.rank, st.received, job.size,
           st.rndv_async);
    if (eager_only) {
        it_check(&job, st.rndv == 0, "%u messages came as rendezvous",
                 st.rndv);
    } else {
        it_check(&job, st.rndv_async > 0,
                 "no rendezvous took the split path");
    }
    it_job_finalize(&job);
    free(buffer);
    free(reqs);
    free(headers);
    free(st.next_seq);
    return 0;
}
