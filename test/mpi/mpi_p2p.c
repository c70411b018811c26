/*
 * MPI point-to-point over whatever pml/mtl mpirun selected (mpi_mtl.sh
 * runs it with pml cm and the verve mtl): data checked byte by byte at
 * sizes from 0 to 4 MiB, blocking and not, to self; wildcards, and that
 * MPI_ANY_TAG never takes a collective's (negative-tag) message; MPI_Ssend
 * completing only after a match; non-overtaking across protocols and a
 * stream of mixed messages; probes and matched probes; a vector datatype
 * on either side; MPI_Cancel of posted receives; truncation (also of a
 * matched probe's receive); synchronous sends to self; persistent
 * requests restarted, and freed while active; buffered sends (and the
 * error when no buffer is attached); split and duplicated communicators
 * kept apart; Open MPI's collectives.
 * Any number of ranks from 2 (pairs are rank and rank ^ 1; with an odd
 * count the last rank sits the pair tests out).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_check.h"

static int rank, size;

static const size_t sizes[] = {0, 1, 8, 64, 4096, 65536, 1 << 20, 4 << 20};
#define NUM_SIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAX_SIZE (4 << 20)

static unsigned char *send_buffer, *recv_buffer;

/* -1 when this rank has no partner. */
static int partner(void)
{
    int peer = rank ^ 1;
    return (peer < size) ? peer : -1;
}

/* Both ranks of a pair got here (a barrier that leaves out the rank
 * without a partner). */
static void pair_sync(int peer)
{
    MPI_CALL(MPI_Sendrecv(NULL, 0, MPI_BYTE, peer, 99, NULL, 0, MPI_BYTE,
                          peer, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
}

static void check_message(const MPI_Status *status, int source, int tag,
                          size_t length, unsigned message,
                          const void *buffer)
{
    int count = -1;
    long bad;

    MPI_Get_count(status, MPI_BYTE, &count);
    CHECK(status->MPI_SOURCE == source, "source %d, expected %d",
          status->MPI_SOURCE, source);
    CHECK(status->MPI_TAG == tag, "tag %d, expected %d", status->MPI_TAG,
          tag);
    CHECK(count == (int)length, "count %d, expected %zu", count, length);
    bad = check_verify(buffer, length, message);
    CHECK(bad < 0, "message %u of %zu bytes from %d: wrong byte at %ld",
          message, length, source, bad);
}

/* A ring with Isend/Irecv, pairs with blocking Send/Recv, and a send to
 * self, at every size. */
static void test_sizes(void)
{
    int to = (rank + 1) % size, from = (rank + size - 1) % size;
    int peer = partner();
    MPI_Request requests[2];
    MPI_Status statuses[2];
    size_t i;

    for (i = 0; i < NUM_SIZES; ++i) {
        size_t length = sizes[i];
        int tag = (int)i;

        check_fill(send_buffer, length, (unsigned)(i * 64 + rank));
        memset(recv_buffer, 0, length);
        MPI_CALL(MPI_Irecv(recv_buffer, (int)length, MPI_BYTE, from, tag,
                           MPI_COMM_WORLD, &requests[0]));
        MPI_CALL(MPI_Isend(send_buffer, (int)length, MPI_BYTE, to, tag,
                           MPI_COMM_WORLD, &requests[1]));
        MPI_CALL(MPI_Waitall(2, requests, statuses));
        check_message(&statuses[0], from, tag, length,
                      (unsigned)(i * 64 + from), recv_buffer);

        if (peer >= 0) {
            MPI_Status status;
            check_fill(send_buffer, length, (unsigned)(i * 64 + 32 + rank));
            memset(recv_buffer, 0, length);
            if (rank % 2 == 0) {
                MPI_CALL(MPI_Send(send_buffer, (int)length, MPI_BYTE, peer,
                                  tag, MPI_COMM_WORLD));
                MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, peer,
                                  tag, MPI_COMM_WORLD, &status));
            } else {
                MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, peer,
                                  tag, MPI_COMM_WORLD, &status));
                MPI_CALL(MPI_Send(send_buffer, (int)length, MPI_BYTE, peer,
                                  tag, MPI_COMM_WORLD));
            }
            check_message(&status, peer, tag, length,
                          (unsigned)(i * 64 + 32 + peer), recv_buffer);
        }

        check_fill(send_buffer, length, (unsigned)(i * 64 + 48 + rank));
        memset(recv_buffer, 0, length);
        MPI_CALL(MPI_Isend(send_buffer, (int)length, MPI_BYTE, rank, tag,
                           MPI_COMM_WORLD, &requests[1]));
        MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, rank, tag,
                          MPI_COMM_WORLD, &statuses[0]));
        MPI_CALL(MPI_Wait(&requests[1], MPI_STATUS_IGNORE));
        check_message(&statuses[0], rank, tag, length,
                      (unsigned)(i * 64 + 48 + rank), recv_buffer);
    }
}

/* Every rank sends rank 0 one message; rank 0 takes them with both
 * wildcards and must see each source once, with its own tag and size. */
static void test_wildcards(void)
{
    if (rank != 0) {
        size_t length = 1000 + (size_t)rank;
        check_fill(send_buffer, length, 500u + (unsigned)rank);
        MPI_CALL(MPI_Send(send_buffer, (int)length, MPI_BYTE, 0, 100 + rank,
                          MPI_COMM_WORLD));
        return;
    }
    char *seen = calloc((size_t)size, 1);
    for (int i = 1; i < size; ++i) {
        MPI_Status status;
        MPI_CALL(MPI_Recv(recv_buffer, 4096, MPI_BYTE, MPI_ANY_SOURCE,
                          MPI_ANY_TAG, MPI_COMM_WORLD, &status));
        int source = status.MPI_SOURCE;
        CHECK(source > 0 && source < size, "source %d", source);
        if (source <= 0 || source >= size) {
            continue;
        }
        CHECK(!seen[source], "source %d seen twice", source);
        seen[source] = 1;
        check_message(&status, source, 100 + source, 1000 + (size_t)source,
                      500u + (unsigned)source, recv_buffer);
    }
    free(seen);
}

/* A receive with both wildcards posted on MPI_COMM_WORLD across its
 * collectives, which use negative tags on the same communicator: it must
 * take none of their messages, only the user message sent after them.
 * A nonblocking barrier first, watched with the receive: if the receive
 * takes one of its messages, that shows (with the tag it took) instead
 * of a hang. */
static void test_wildcard_vs_collectives(void)
{
    int to = (rank + 1) % size, from = (rank + size - 1) % size;
    int value = rank + 1, sum = 0, barrier_done = 0, taken = 0;
    unsigned char message[64];
    MPI_Request request, barrier;
    MPI_Status status;
    double start;

    MPI_CALL(MPI_Irecv(recv_buffer, 64, MPI_BYTE, MPI_ANY_SOURCE,
                       MPI_ANY_TAG, MPI_COMM_WORLD, &request));
    MPI_CALL(MPI_Ibarrier(MPI_COMM_WORLD, &barrier));
    start = MPI_Wtime();
    while (!barrier_done && !taken && MPI_Wtime() - start < 20) {
        MPI_CALL(MPI_Test(&barrier, &barrier_done, MPI_STATUS_IGNORE));
        MPI_CALL(MPI_Request_get_status(request, &taken, &status));
    }
    if (taken || !barrier_done) {
        check_fail(__LINE__, "wildcard receive vs MPI_Ibarrier",
                   taken ? "the wildcard receive took a message with tag "
                           "%d from %d" : "MPI_Ibarrier did not complete "
                           "in 20 s", status.MPI_TAG, status.MPI_SOURCE);
        /* The collectives lost a message: they would hang. */
        check_finish();
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    MPI_CALL(MPI_Allreduce(&value, &sum, 1, MPI_INT, MPI_SUM,
                           MPI_COMM_WORLD));
    CHECK(sum == size * (size + 1) / 2, "allreduce %d, expected %d", sum,
          size * (size + 1) / 2);
    value = (rank == 0) ? 4242 : -1;
    MPI_CALL(MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD));
    CHECK(value == 4242, "bcast %d", value);
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    check_fill(message, sizeof(message), 700u + (unsigned)rank);
    MPI_CALL(MPI_Send(message, (int)sizeof(message), MPI_BYTE, to, 5,
                      MPI_COMM_WORLD));
    MPI_CALL(MPI_Wait(&request, &status));
    check_message(&status, from, 5, sizeof(message), 700u + (unsigned)from,
                  recv_buffer);
}

/* MPI_Issend must not complete before the receiver posts its receive,
 * which it does only after a "go" this rank sends once it has seen the
 * Issend still incomplete. Then a blocking Ssend each way. */
static void test_ssend(void)
{
    int peer = partner(), done = 0, i;
    unsigned char go = 1;
    MPI_Request request;
    MPI_Status status;

    if (peer < 0) {
        return;
    }
    if (rank % 2 == 0) {
        check_fill(send_buffer, 64, 800);
        MPI_CALL(MPI_Issend(send_buffer, 64, MPI_BYTE, peer, 20,
                            MPI_COMM_WORLD, &request));
        for (i = 0; i < 200 && !done; ++i) {
            MPI_CALL(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
            usleep(200);
        }
        CHECK(!done, "MPI_Issend completed before its receive was posted");
        MPI_CALL(MPI_Send(&go, 1, MPI_BYTE, peer, 21, MPI_COMM_WORLD));
        if (!done) {
            MPI_CALL(MPI_Wait(&request, MPI_STATUS_IGNORE));
        }
    } else {
        MPI_CALL(MPI_Recv(&go, 1, MPI_BYTE, peer, 21, MPI_COMM_WORLD,
                          MPI_STATUS_IGNORE));
        MPI_CALL(MPI_Recv(recv_buffer, 64, MPI_BYTE, peer, 20,
                          MPI_COMM_WORLD, &status));
        check_message(&status, peer, 20, 64, 800, recv_buffer);
    }

    for (i = 0; i < 2; ++i) {
        size_t length = (i == 0) ? 8 : (1 << 20);
        if ((rank % 2 == 0) == (i == 0)) {
            check_fill(send_buffer, length, 810u + (unsigned)i);
            MPI_CALL(MPI_Ssend(send_buffer, (int)length, MPI_BYTE, peer, 22,
                               MPI_COMM_WORLD));
        } else {
            MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, peer, 22,
                              MPI_COMM_WORLD, &status));
            check_message(&status, peer, 22, length, 810u + (unsigned)i,
                          recv_buffer);
        }
    }
}

/* MPI's non-overtaking rule across verve's protocols: a rendezvous-sized
 * message then small ones on one tag, matched in the order sent whether
 * the receives come after the messages (unexpected) or before; then a
 * stream of MANY messages of mixed sizes and tags taken with MPI_ANY_TAG,
 * half posted before they arrive and half after, each receive getting
 * the next message sent. */
static void test_ordering(void)
{
    enum { MANY = 400 };
    static const size_t lengths[] = {4 << 20, 8, 65536, 0, 1 << 20};
    const size_t num_lengths = sizeof(lengths) / sizeof(lengths[0]);
    int peer = partner(), round, i;
    MPI_Request *requests = malloc((MANY + 8) * sizeof(MPI_Request));
    MPI_Status *statuses = malloc((MANY + 8) * sizeof(MPI_Status));
    unsigned char *buffers = malloc((size_t)MANY * 16384);
    size_t k;

    if (peer < 0) {
        free(requests);
        free(statuses);
        free(buffers);
        return;
    }
    for (round = 0; round < 2; ++round) {
        int early = (round == 1);
        if (rank % 2 == 0) {
            unsigned char *copies = malloc(6 << 20);
            size_t offset = 0;
            pair_sync(peer);
            for (k = 0; k < num_lengths; ++k) {
                check_fill(copies + offset, lengths[k],
                           1400u + (unsigned)k);
                MPI_CALL(MPI_Isend(copies + offset, (int)lengths[k],
                                   MPI_BYTE, peer, 70, MPI_COMM_WORLD,
                                   &requests[k]));
                offset += lengths[k];
            }
            MPI_CALL(MPI_Waitall((int)num_lengths, requests,
                                 MPI_STATUSES_IGNORE));
            free(copies);
            continue;
        }
        unsigned char *big = malloc(num_lengths * (4 << 20));
        if (early) {
            for (k = 0; k < num_lengths; ++k) {
                MPI_CALL(MPI_Irecv(big + k * (4 << 20), 4 << 20, MPI_BYTE,
                                   peer, 70, MPI_COMM_WORLD, &requests[k]));
            }
            pair_sync(peer);
        } else {
            pair_sync(peer);
            /* Let every message arrive before any receive is posted. */
            usleep(100 * 1000);
            for (k = 0; k < num_lengths; ++k) {
                MPI_CALL(MPI_Irecv(big + k * (4 << 20), 4 << 20, MPI_BYTE,
                                   peer, 70, MPI_COMM_WORLD, &requests[k]));
            }
        }
        MPI_CALL(MPI_Waitall((int)num_lengths, requests, statuses));
        for (k = 0; k < num_lengths; ++k) {
            check_message(&statuses[k], peer, 70, lengths[k],
                          1400u + (unsigned)k, big + k * (4 << 20));
        }
        free(big);
    }

    /* The stream: tag i % 7, i * 37 % 16384 bytes, message 2000 + i. */
    if (rank % 2 == 0) {
        unsigned char *out = buffers;
        for (i = 0; i < MANY; ++i) {
            size_t length = (size_t)i * 37 % 16384;
            check_fill(out + (size_t)i * 16384, length, 2000u + (unsigned)i);
            MPI_CALL(MPI_Isend(out + (size_t)i * 16384, (int)length,
                               MPI_BYTE, peer, i % 7, MPI_COMM_WORLD,
                               &requests[i]));
        }
        MPI_CALL(MPI_Waitall(MANY, requests, MPI_STATUSES_IGNORE));
    } else {
        for (i = 0; i < MANY / 2; ++i) {
            MPI_CALL(MPI_Irecv(buffers + (size_t)i * 16384, 16384, MPI_BYTE,
                               peer, MPI_ANY_TAG, MPI_COMM_WORLD,
                               &requests[i]));
        }
        MPI_CALL(MPI_Waitall(MANY / 2, requests, statuses));
        for (i = MANY / 2; i < MANY; ++i) {
            MPI_CALL(MPI_Irecv(buffers + (size_t)i * 16384, 16384, MPI_BYTE,
                               peer, MPI_ANY_TAG, MPI_COMM_WORLD,
                               &requests[i]));
        }
        MPI_CALL(MPI_Waitall(MANY - MANY / 2, requests + MANY / 2,
                             statuses + MANY / 2));
        for (i = 0; i < MANY; ++i) {
            check_message(&statuses[i], peer, i % 7,
                          (size_t)i * 37 % 16384, 2000u + (unsigned)i,
                          buffers + (size_t)i * 16384);
        }
    }
    free(requests);
    free(statuses);
    free(buffers);
}

/* Iprobe then Recv; Mprobe then Mrecv of a large message; Improbe with
 * MPI_ANY_TAG then Mrecv of an empty one; Probe then Recv. */
static void test_probe(void)
{
    int peer = partner(), flag = 0, count = -1;
    MPI_Message message;
    MPI_Status status;
    double start;

    if (peer < 0) {
        return;
    }
    if (rank % 2 == 0) {
        check_fill(send_buffer, 4096, 900);
        MPI_CALL(MPI_Send(send_buffer, 4096, MPI_BYTE, peer, 30,
                          MPI_COMM_WORLD));
        check_fill(send_buffer, 1 << 20, 901);
        MPI_CALL(MPI_Send(send_buffer, 1 << 20, MPI_BYTE, peer, 31,
                          MPI_COMM_WORLD));
        MPI_CALL(MPI_Send(send_buffer, 0, MPI_BYTE, peer, 32,
                          MPI_COMM_WORLD));
        check_fill(send_buffer, 65536, 903);
        MPI_CALL(MPI_Send(send_buffer, 65536, MPI_BYTE, peer, 33,
                          MPI_COMM_WORLD));
        return;
    }
    /* MPI_Iprobe alone must progress: nothing else runs in this loop. */
    start = MPI_Wtime();
    while (!flag && MPI_Wtime() - start < 20) {
        MPI_CALL(MPI_Iprobe(peer, 30, MPI_COMM_WORLD, &flag, &status));
    }
    if (!flag) {
        check_fail(__LINE__, "MPI_Iprobe loop", "found no message in 20 s");
        check_finish();
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Get_count(&status, MPI_BYTE, &count);
    CHECK(status.MPI_SOURCE == peer && status.MPI_TAG == 30 &&
          count == 4096, "Iprobe: source %d tag %d count %d",
          status.MPI_SOURCE, status.MPI_TAG, count);
    MPI_CALL(MPI_Recv(recv_buffer, 4096, MPI_BYTE, peer, 30, MPI_COMM_WORLD,
                      &status));
    check_message(&status, peer, 30, 4096, 900, recv_buffer);

    MPI_CALL(MPI_Mprobe(MPI_ANY_SOURCE, 31, MPI_COMM_WORLD, &message,
                        &status));
    MPI_Get_count(&status, MPI_BYTE, &count);
    CHECK(status.MPI_SOURCE == peer && count == 1 << 20,
          "Mprobe: source %d count %d", status.MPI_SOURCE, count);
    memset(recv_buffer, 0, 1 << 20);
    MPI_CALL(MPI_Mrecv(recv_buffer, 1 << 20, MPI_BYTE, &message, &status));
    CHECK(message == MPI_MESSAGE_NULL, "Mrecv left the message handle");
    check_message(&status, peer, 31, 1 << 20, 901, recv_buffer);

    flag = 0;
    while (!flag) {
        MPI_CALL(MPI_Improbe(peer, MPI_ANY_TAG, MPI_COMM_WORLD, &flag,
                             &message, &status));
    }
    CHECK(status.MPI_TAG == 32, "Improbe found tag %d, expected 32 (the "
          "next message in order)", status.MPI_TAG);
    MPI_CALL(MPI_Mrecv(recv_buffer, 16, MPI_BYTE, &message, &status));
    check_message(&status, peer, 32, 0, 902, recv_buffer);

    MPI_CALL(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
                       &status));
    CHECK(status.MPI_TAG == 33, "Probe found tag %d", status.MPI_TAG);
    MPI_CALL(MPI_Recv(recv_buffer, 65536, MPI_BYTE, status.MPI_SOURCE,
                      status.MPI_TAG, MPI_COMM_WORLD, &status));
    check_message(&status, peer, 33, 65536, 903, recv_buffer);
}

static int vector_value(int element)
{
    return element * 7 + 3;
}

/* A strided vector of ints (3 of every 5), small and rendezvous-sized,
 * received with the same vector (the gaps must stay untouched) and as
 * contiguous ints. */
static void test_vector(void)
{
    static const int counts[] = {16, 4096, 100000};
    int peer = partner();
    size_t c;

    if (peer < 0) {
        return;
    }
    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); ++c) {
        int count = counts[c], span = count * 5, i, j, bad = -1;
        int *strided = malloc((size_t)span * sizeof(int));
        MPI_Datatype vector;
        MPI_Status status;

        MPI_CALL(MPI_Type_vector(count, 3, 5, MPI_INT, &vector));
        MPI_CALL(MPI_Type_commit(&vector));
        if (rank % 2 == 0) {
            for (i = 0; i < span; ++i) {
                strided[i] = (i % 5 < 3) ? vector_value(i / 5 * 3 + i % 5)
                                         : -1;
            }
            MPI_CALL(MPI_Send(strided, 1, vector, peer, 40, MPI_COMM_WORLD));
            MPI_CALL(MPI_Send(strided, 1, vector, peer, 41, MPI_COMM_WORLD));
        } else {
            int *packed = (int *)recv_buffer;
            for (i = 0; i < span; ++i) {
                strided[i] = -7;
            }
            MPI_CALL(MPI_Recv(strided, 1, vector, peer, 40, MPI_COMM_WORLD,
                              &status));
            for (i = 0; i < span && bad < 0; ++i) {
                int want = (i % 5 < 3) ? vector_value(i / 5 * 3 + i % 5)
                                       : -7;
                if (strided[i] != want) {
                    bad = i;
                }
            }
            CHECK(bad < 0, "vector of %d received as vector: int %d is %d",
                  count, bad, bad < 0 ? 0 : strided[bad]);
            MPI_CALL(MPI_Recv(packed, 3 * count, MPI_INT, peer, 41,
                              MPI_COMM_WORLD, &status));
            MPI_Get_count(&status, MPI_INT, &j);
            CHECK(j == 3 * count, "count %d, expected %d", j, 3 * count);
            for (i = 0, bad = -1; i < 3 * count && bad < 0; ++i) {
                if (packed[i] != vector_value(i)) {
                    bad = i;
                }
            }
            CHECK(bad < 0, "vector of %d received as ints: int %d is %d",
                  count, bad, bad < 0 ? 0 : packed[bad]);
        }
        MPI_CALL(MPI_Type_free(&vector));
        free(strided);
    }
}

/* Posted receives cancelled (with a wildcard and from one source); a
 * message sent afterwards with the cancelled receive's tag must land in
 * a new receive, not in the cancelled one's buffer; a receive that has
 * completed is not cancelled. */
static void test_cancel(void)
{
    int peer = partner(), cancelled = -1, flag = 0;
    unsigned char stale[64];
    MPI_Request request;
    MPI_Status status;

    MPI_CALL(MPI_Irecv(recv_buffer, 64, MPI_BYTE, MPI_ANY_SOURCE, 999,
                       MPI_COMM_WORLD, &request));
    MPI_CALL(MPI_Cancel(&request));
    MPI_CALL(MPI_Wait(&request, &status));
    MPI_CALL(MPI_Test_cancelled(&status, &cancelled));
    CHECK(cancelled == 1, "wildcard receive not cancelled (%d)", cancelled);

    if (peer < 0) {
        return;
    }
    if (rank % 2 == 1) {
        memset(stale, 0xEE, sizeof(stale));
        MPI_CALL(MPI_Irecv(stale, 64, MPI_BYTE, peer, 997, MPI_COMM_WORLD,
                           &request));
        MPI_CALL(MPI_Cancel(&request));
        MPI_CALL(MPI_Wait(&request, &status));
        MPI_CALL(MPI_Test_cancelled(&status, &cancelled));
        CHECK(cancelled == 1, "receive from %d not cancelled (%d)", peer,
              cancelled);
    }
    pair_sync(peer);
    if (rank % 2 == 0) {
        check_fill(send_buffer, 64, 950);
        MPI_CALL(MPI_Send(send_buffer, 64, MPI_BYTE, peer, 997,
                          MPI_COMM_WORLD));
        check_fill(send_buffer, 64, 951);
        MPI_CALL(MPI_Send(send_buffer, 64, MPI_BYTE, peer, 996,
                          MPI_COMM_WORLD));
        return;
    }
    MPI_CALL(MPI_Recv(recv_buffer, 64, MPI_BYTE, peer, 997, MPI_COMM_WORLD,
                      &status));
    check_message(&status, peer, 997, 64, 950, recv_buffer);
    CHECK(stale[0] == 0xEE && stale[63] == 0xEE,
          "a cancelled receive's buffer was written");

    MPI_CALL(MPI_Irecv(recv_buffer, 64, MPI_BYTE, peer, 996, MPI_COMM_WORLD,
                       &request));
    while (!flag) {
        MPI_CALL(MPI_Request_get_status(request, &flag, &status));
    }
    MPI_CALL(MPI_Cancel(&request));
    MPI_CALL(MPI_Wait(&request, &status));
    MPI_CALL(MPI_Test_cancelled(&status, &cancelled));
    CHECK(cancelled == 0, "a completed receive was cancelled");
    check_message(&status, peer, 996, 64, 951, recv_buffer);
}

/* Persistent requests: MPI_Send_init / MPI_Recv_init started again and
 * again at an eager and a rendezvous size, each round's data checked;
 * then an active receive freed with MPI_Request_free, which must still
 * take its message (the sender's MPI_Ssend completes) and leave no other
 * receive to take it. */
static void test_persistent(void)
{
    static const size_t lengths[] = {64, 1 << 20};
    int peer = partner(), round;
    MPI_Request requests[2], request;
    MPI_Status statuses[2];
    unsigned char *in = recv_buffer + MAX_SIZE / 2;
    size_t k;

    if (peer < 0) {
        return;
    }
    for (k = 0; k < 2; ++k) {
        size_t length = lengths[k];
        MPI_CALL(MPI_Send_init(send_buffer, (int)length, MPI_BYTE, peer, 60,
                               MPI_COMM_WORLD, &requests[0]));
        MPI_CALL(MPI_Recv_init(in, (int)length, MPI_BYTE, peer, 60,
                               MPI_COMM_WORLD, &requests[1]));
        for (round = 0; round < 5; ++round) {
            unsigned mine = 1700u + (unsigned)(round * 4 + rank % 2);
            unsigned theirs = 1700u + (unsigned)(round * 4 + peer % 2);
            check_fill(send_buffer, length, mine);
            memset(in, 0, length);
            MPI_CALL(MPI_Startall(2, requests));
            MPI_CALL(MPI_Waitall(2, requests, statuses));
            check_message(&statuses[1], peer, 60, length, theirs, in);
            CHECK(requests[0] != MPI_REQUEST_NULL &&
                  requests[1] != MPI_REQUEST_NULL,
                  "a persistent request was freed by MPI_Waitall");
        }
        MPI_CALL(MPI_Request_free(&requests[0]));
        MPI_CALL(MPI_Request_free(&requests[1]));
        pair_sync(peer);
    }

    if (rank % 2 == 1) {
        memset(in, 0, 64);
        MPI_CALL(MPI_Irecv(in, 64, MPI_BYTE, peer, 61, MPI_COMM_WORLD,
                           &request));
        MPI_CALL(MPI_Request_free(&request));
        CHECK(request == MPI_REQUEST_NULL, "MPI_Request_free left the "
              "request set");
        pair_sync(peer);
        /* the freed receive takes message 1; this one gets message 2 */
        MPI_CALL(MPI_Recv(recv_buffer, 64, MPI_BYTE, peer, 61,
                          MPI_COMM_WORLD, &statuses[0]));
        check_message(&statuses[0], peer, 61, 64, 1721, recv_buffer);
        CHECK(check_verify(in, 64, 1720) < 0, "a freed receive's buffer "
              "did not get the first message");
    } else {
        pair_sync(peer);
        check_fill(send_buffer, 64, 1720);
        MPI_CALL(MPI_Ssend(send_buffer, 64, MPI_BYTE, peer, 61,
                           MPI_COMM_WORLD));
        check_fill(send_buffer, 64, 1721);
        MPI_CALL(MPI_Send(send_buffer, 64, MPI_BYTE, peer, 61,
                          MPI_COMM_WORLD));
    }
}

/* Buffered sends: without an attached buffer MPI_Bsend fails with
 * MPI_ERR_BUFFER; with one, MPI_Bsend and MPI_Ibsend complete before any
 * receive is posted, the sender may reuse its buffer at once, and the
 * data arrives as it was when sent. */
static void test_bsend(void)
{
    static const size_t lengths[] = {8, 65536};
    int peer = partner(), rc, error_class = -1, attached_size;
    void *attached;
    char *pool;
    MPI_Request request;
    MPI_Status status;
    size_t k;

    if (peer < 0) {
        return;
    }
    /* To self, so that a library that sends it anyway (ob1 does) leaves
     * nothing behind for the tests that follow. */
    rc = MPI_Bsend(send_buffer, 8, MPI_BYTE, rank, 79, MPI_COMM_WORLD);
    MPI_Error_class(rc, &error_class);
    CHECK(error_class == MPI_ERR_BUFFER, "MPI_Bsend with no buffer "
          "attached returned %s", check_mpi_error(rc));
    if (rc == MPI_SUCCESS) {
        MPI_CALL(MPI_Recv(recv_buffer, 8, MPI_BYTE, rank, 79,
                          MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    }
    pool = malloc(4 * (65536 + MPI_BSEND_OVERHEAD));
    CHECK(pool != NULL, "no memory for the MPI_Buffer_attach pool");
    if (pool == NULL) {
        return;
    }
    MPI_CALL(MPI_Buffer_attach(pool, 4 * (65536 + MPI_BSEND_OVERHEAD)));
    pair_sync(peer);
    for (k = 0; k < 2; ++k) {
        size_t length = lengths[k];
        if (rank % 2 == 0) {
            check_fill(send_buffer, length, 1800u + (unsigned)k);
            MPI_CALL(MPI_Bsend(send_buffer, (int)length, MPI_BYTE, peer, 71,
                               MPI_COMM_WORLD));
            memset(send_buffer, 0xEE, length);  /* reused at once */
            check_fill(send_buffer, length, 1810u + (unsigned)k);
            MPI_CALL(MPI_Ibsend(send_buffer, (int)length, MPI_BYTE, peer,
                                72, MPI_COMM_WORLD, &request));
            MPI_CALL(MPI_Wait(&request, MPI_STATUS_IGNORE));
            memset(send_buffer, 0xEE, length);
            pair_sync(peer);
        } else {
            pair_sync(peer);  /* both sends are done before these */
            MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, peer, 71,
                              MPI_COMM_WORLD, &status));
            check_message(&status, peer, 71, length, 1800u + (unsigned)k,
                          recv_buffer);
            MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, peer, 72,
                              MPI_COMM_WORLD, &status));
            check_message(&status, peer, 72, length, 1810u + (unsigned)k,
                          recv_buffer);
        }
    }
    /* waits until the buffered messages are delivered */
    MPI_CALL(MPI_Buffer_detach(&attached, &attached_size));
    CHECK(attached == pool, "MPI_Buffer_detach gave another buffer");
    free(pool);
}

/* A message longer than the receive: MPI_ERR_TRUNCATE, the buffer filled
 * and nothing written past it, the sender unaffected; eager and
 * rendezvous sizes, blocking and not; traffic goes on afterwards. */
static void test_truncate(void)
{
    static const size_t lengths[] = {100, 1 << 20};
    int peer = partner(), error_class = -1;
    size_t i;

    if (peer < 0) {
        return;
    }
    for (i = 0; i < 2; ++i) {
        size_t sent = lengths[i], room = sent / 2;
        if (rank % 2 == 0) {
            check_fill(send_buffer, sent, 960u + (unsigned)i);
            MPI_CALL(MPI_Send(send_buffer, (int)sent, MPI_BYTE, peer, 50,
                              MPI_COMM_WORLD));
            MPI_CALL(MPI_Send(send_buffer, (int)sent, MPI_BYTE, peer, 51,
                              MPI_COMM_WORLD));
            continue;
        }
        MPI_Request request;
        MPI_Status status;
        int rc;
        memset(recv_buffer, 0xEE, room + 64);
        rc = MPI_Recv(recv_buffer, (int)room, MPI_BYTE, peer, 50,
                      MPI_COMM_WORLD, &status);
        MPI_Error_class(rc, &error_class);
        CHECK(error_class == MPI_ERR_TRUNCATE, "MPI_Recv of %zu into %zu "
              "bytes returned %s", sent, room, check_mpi_error(rc));
        CHECK(check_verify(recv_buffer, room, 960u + (unsigned)i) < 0,
              "truncated data wrong at %ld",
              check_verify(recv_buffer, room, 960u + (unsigned)i));
        CHECK(recv_buffer[room] == 0xEE && recv_buffer[room + 63] == 0xEE,
              "bytes written past a %zu-byte receive", room);

        memset(recv_buffer, 0xEE, room + 64);
        MPI_CALL(MPI_Irecv(recv_buffer, (int)room, MPI_BYTE, peer, 51,
                           MPI_COMM_WORLD, &request));
        rc = MPI_Wait(&request, &status);
        MPI_Error_class(rc, &error_class);
        CHECK(error_class == MPI_ERR_TRUNCATE, "MPI_Wait on Irecv of %zu "
              "into %zu bytes returned %s", sent, room, check_mpi_error(rc));
        CHECK(recv_buffer[room] == 0xEE, "bytes written past a %zu-byte "
              "Irecv", room);
    }
    /* Traffic goes on. */
    if (rank % 2 == 0) {
        check_fill(send_buffer, 4096, 970);
        MPI_CALL(MPI_Send(send_buffer, 4096, MPI_BYTE, peer, 52,
                          MPI_COMM_WORLD));
    } else {
        MPI_Status status;
        MPI_CALL(MPI_Recv(recv_buffer, 4096, MPI_BYTE, peer, 52,
                          MPI_COMM_WORLD, &status));
        check_message(&status, peer, 52, 4096, 970, recv_buffer);
    }
}

/* Corners: a synchronous send to self (before and after its receive is
 * posted); a matched probe whose receive is too small (MPI_ERR_TRUNCATE,
 * nothing written past it), eager and rendezvous sizes. */
static void test_corners(void)
{
    static const size_t lengths[] = {8, 1 << 20};
    int peer = partner(), done = 0, i, rc, error_class = -1;
    MPI_Request request;
    MPI_Message message;
    MPI_Status status;
    size_t k;

    for (k = 0; k < 2; ++k) {
        size_t length = lengths[k];
        check_fill(send_buffer, length, 1500u + (unsigned)k);
        MPI_CALL(MPI_Irecv(recv_buffer, (int)length, MPI_BYTE, rank, 80,
                           MPI_COMM_WORLD, &request));
        MPI_CALL(MPI_Ssend(send_buffer, (int)length, MPI_BYTE, rank, 80,
                           MPI_COMM_WORLD));
        MPI_CALL(MPI_Wait(&request, &status));
        check_message(&status, rank, 80, length, 1500u + (unsigned)k,
                      recv_buffer);

        MPI_CALL(MPI_Issend(send_buffer, (int)length, MPI_BYTE, rank, 81,
                            MPI_COMM_WORLD, &request));
        for (i = 0, done = 0; i < 100 && !done; ++i) {
            MPI_CALL(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
        }
        CHECK(!done, "MPI_Issend of %zu bytes to self completed with no "
              "receive posted", length);
        MPI_CALL(MPI_Recv(recv_buffer, (int)length, MPI_BYTE, rank, 81,
                          MPI_COMM_WORLD, &status));
        check_message(&status, rank, 81, length, 1500u + (unsigned)k,
                      recv_buffer);
        if (!done) {
            MPI_CALL(MPI_Wait(&request, MPI_STATUS_IGNORE));
        }
    }

    if (peer < 0) {
        return;
    }
    for (k = 0; k < 2; ++k) {
        size_t sent = lengths[k] * 2, room = lengths[k];
        if (rank % 2 == 0) {
            check_fill(send_buffer, sent, 1600u + (unsigned)k);
            MPI_CALL(MPI_Send(send_buffer, (int)sent, MPI_BYTE, peer, 82,
                              MPI_COMM_WORLD));
            continue;
        }
        MPI_CALL(MPI_Mprobe(peer, 82, MPI_COMM_WORLD, &message, &status));
        memset(recv_buffer, 0xEE, room + 64);
        rc = MPI_Mrecv(recv_buffer, (int)room, MPI_BYTE, &message, &status);
        MPI_Error_class(rc, &error_class);
        CHECK(error_class == MPI_ERR_TRUNCATE, "MPI_Mrecv of %zu into %zu "
              "bytes returned %s", sent, room, check_mpi_error(rc));
        CHECK(check_verify(recv_buffer, room, 1600u + (unsigned)k) < 0,
              "truncated Mrecv data wrong at %ld",
              check_verify(recv_buffer, room, 1600u + (unsigned)k));
        CHECK(recv_buffer[room] == 0xEE && recv_buffer[room + 63] == 0xEE,
              "bytes written past a %zu-byte Mrecv", room);
    }
}

/* MPI_Comm_split (reversed order) and MPI_Comm_dup: ranks are the new
 * communicator's, and a message on the duplicate never matches a
 * wildcard receive posted on MPI_COMM_WORLD. */
static void test_comms(void)
{
    int sub_rank, sub_size, to, from, done = 0, sum = 0, want = 0, i;
    MPI_Comm split, dup;
    MPI_Request requests[2], world_request;
    MPI_Status statuses[2], status;

    MPI_CALL(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &split));
    MPI_Comm_rank(split, &sub_rank);
    MPI_Comm_size(split, &sub_size);
    to = (sub_rank + 1) % sub_size;
    from = (sub_rank + sub_size - 1) % sub_size;
    check_fill(send_buffer, 65536, 1000u + (unsigned)sub_rank);
    MPI_CALL(MPI_Irecv(recv_buffer, 65536, MPI_BYTE, from, 0, split,
                       &requests[0]));
    MPI_CALL(MPI_Isend(send_buffer, 65536, MPI_BYTE, to, 0, split,
                       &requests[1]));
    MPI_CALL(MPI_Waitall(2, requests, statuses));
    check_message(&statuses[0], from, 0, 65536, 1000u + (unsigned)from,
                  recv_buffer);
    MPI_CALL(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, split));
    for (i = rank % 2; i < size; i += 2) {
        want += i;
    }
    CHECK(sum == want, "allreduce on the split: %d, expected %d", sum,
          want);
    MPI_CALL(MPI_Comm_free(&split));

    MPI_CALL(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    to = (rank + 1) % size;
    from = (rank + size - 1) % size;
    MPI_CALL(MPI_Irecv(recv_buffer + 4096, 64, MPI_BYTE, MPI_ANY_SOURCE,
                       MPI_ANY_TAG, MPI_COMM_WORLD, &world_request));
    check_fill(send_buffer, 64, 1100u + (unsigned)rank);
    MPI_CALL(MPI_Sendrecv(send_buffer, 64, MPI_BYTE, to, 60, recv_buffer,
                          64, MPI_BYTE, from, 60, dup, &status));
    check_message(&status, from, 60, 64, 1100u + (unsigned)from,
                  recv_buffer);
    MPI_CALL(MPI_Test(&world_request, &done, &status));
    CHECK(!done, "a wildcard receive on MPI_COMM_WORLD took a message "
          "(source %d, tag %d) sent on its duplicate", status.MPI_SOURCE,
          status.MPI_TAG);
    /* No rank sends on MPI_COMM_WORLD before every rank has looked. */
    MPI_CALL(MPI_Barrier(dup));
    check_fill(send_buffer, 64, 1200u + (unsigned)rank);
    MPI_CALL(MPI_Send(send_buffer, 64, MPI_BYTE, to, 61, MPI_COMM_WORLD));
    if (!done) {
        MPI_CALL(MPI_Wait(&world_request, &status));
        check_message(&status, from, 61, 64, 1200u + (unsigned)from,
                      recv_buffer + 4096);
    }
    MPI_CALL(MPI_Comm_free(&dup));
}

/* Open MPI's own collectives, over point-to-point through the mtl. */
static void test_collectives(void)
{
    enum { COUNT = 65536 };
    int *values = malloc(COUNT * sizeof(int));
    int *sums = malloc(COUNT * sizeof(int));
    int i, bad = -1, root = size - 1;
    long wrong;

    for (i = 0; i < COUNT; ++i) {
        values[i] = rank * i + 1;
    }
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    MPI_CALL(MPI_Allreduce(values, sums, COUNT, MPI_INT, MPI_SUM,
                           MPI_COMM_WORLD));
    for (i = 0; i < COUNT && bad < 0; ++i) {
        if (sums[i] != i * (size * (size - 1) / 2) + size) {
            bad = i;
        }
    }
    CHECK(bad < 0, "allreduce of %d ints: element %d is %d", COUNT, bad,
          bad < 0 ? 0 : sums[bad]);

    if (rank == root) {
        check_fill(recv_buffer, 1 << 20, 1300);
    } else {
        memset(recv_buffer, 0, 1 << 20);
    }
    MPI_CALL(MPI_Bcast(recv_buffer, 1 << 20, MPI_BYTE, root,
                       MPI_COMM_WORLD));
    wrong = check_verify(recv_buffer, 1 << 20, 1300);
    CHECK(wrong < 0, "bcast of 1 MiB: wrong byte at %ld", wrong);

    for (i = 0; i < size; ++i) {
        values[i] = rank * 1000 + i;
    }
    MPI_CALL(MPI_Alltoall(values, 1, MPI_INT, sums, 1, MPI_INT,
                          MPI_COMM_WORLD));
    for (i = 0, bad = -1; i < size && bad < 0; ++i) {
        if (sums[i] != i * 1000 + rank) {
            bad = i;
        }
    }
    CHECK(bad < 0, "alltoall: from %d got %d", bad,
          bad < 0 ? 0 : sums[bad]);
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    free(values);
    free(sums);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } tests[] = {
        {"sizes", test_sizes},
        {"wildcards", test_wildcards},
        {"wildcard_vs_collectives", test_wildcard_vs_collectives},
        {"ssend", test_ssend},
        {"ordering", test_ordering},
        {"probe", test_probe},
        {"vector", test_vector},
        {"cancel", test_cancel},
        {"persistent", test_persistent},
        {"bsend", test_bsend},
        {"truncate", test_truncate},
        {"corners", test_corners},
        {"comms", test_comms},
        {"collectives", test_collectives},
    };
    size_t i;

    MPI_Init(&argc, &argv);
    check_init("mpi_p2p");
    rank = check_rank;
    size = check_size;
    send_buffer = malloc(MAX_SIZE);
    recv_buffer = malloc(MAX_SIZE + 64);
    if (send_buffer == NULL || recv_buffer == NULL) {
        fprintf(stderr, "mpi_p2p: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); ++i) {
        int before = check_failures;
        /* One test's leftovers must not reach the next. */
        MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
        tests[i].run();
        if (check_failures != before) {
            fprintf(stderr, "mpi_p2p: rank %d: test %s failed\n", rank,
                    tests[i].name);
        }
    }
    free(send_buffer);
    free(recv_buffer);
    i = (size_t)check_finish();
    MPI_Finalize();
    return (int)i;
}
