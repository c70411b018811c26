/*
 * The cost of tag matching per message as the number of posted receives
 * grows: one process, one worker sending to itself (VERVE_TLS=self), with
 * N-1 receives of distinct tags posted and never matched, then ITERS
 * rounds of "post a receive, send 8 bytes that match it, progress until
 * it completes". Prints ns per round for each N; the difference between
 * N = 1 and N = 10000 is what matching costs. Under
 * `valgrind --tool=callgrind`, two ITERS give instructions per round
 * (their difference over the difference of ITERS).
 *
 * Usage: tag_match [-n ITERS] [-p N[,N...]] [-w] [-h]
 *   -w  the idle receives are wildcards (source-like bits masked): each
 *       message then walks them, as MPI_ANY_SOURCE receives cost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <verve/verve.h>
#include <verve/verve_tag.h>

#define MAX_COUNTS 16

static void die(const char *what, verve_status_t status)
{
    fprintf(stderr, "tag_match: %s: %s\n", what, verve_status_string(status));
    exit(1);
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run(verve_worker_h worker, verve_ep_h ep, unsigned posted,
                  unsigned long iters, int wildcard)
{
    verve_request_h *idle = calloc(posted, sizeof(*idle));
    uint64_t value = 42, in = 0;
    unsigned long i;
    double start, elapsed;
    unsigned k;

    for (k = 0; k + 1 < posted; ++k) {
        verve_status_t status = verve_tag_recv_nbx(worker, &in, sizeof(in),
                ((uint64_t)(k + 1) << 40) | 5,
                wildcard ? ~(0xffffULL << 16) : UINT64_MAX, NULL, &idle[k]);
        if (status != VERVE_INPROGRESS) {
            die("posting an idle receive", status);
        }
    }
    start = now_ns();
    for (i = 0; i < iters; ++i) {
        verve_request_h req = NULL;
        verve_status_t status;

        status = verve_tag_recv_nbx(worker, &in, sizeof(in), 7, UINT64_MAX,
                                    NULL, &req);
        if (status != VERVE_INPROGRESS) {
            die("receive", status);
        }
        status = verve_tag_send_nbx(ep, &value, sizeof(value), 7, NULL,
                                    NULL);
        if (status < 0) {
            die("send", status);
        }
        while ((status = verve_request_test(req)) == VERVE_INPROGRESS) {
        }
        if (status != VERVE_OK || in != value) {
            die("completion", status);
        }
        verve_request_free(req);
        ++value;
    }
    elapsed = now_ns() - start;
    for (k = 0; k + 1 < posted; ++k) {
        if (verve_tag_recv_cancel(worker, idle[k]) != VERVE_OK) {
            die("cancel", VERVE_ERR_BUSY);
        }
        verve_request_free(idle[k]);
    }
    free(idle);
    return elapsed / (double)iters;
}

int main(int argc, char **argv)
{
    unsigned counts[MAX_COUNTS] = {1, 100, 10000};
    unsigned num_counts = 3, i;
    unsigned long iters = 200000;
    verve_ep_params_t ep_params = {0};
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h ep;
    int wildcard = 0, opt;
    void *address;
    size_t length;
    char *list, *tok, *save;

    while ((opt = getopt(argc, argv, "n:p:wh")) != -1) {
        switch (opt) {
        case 'n':
            iters = strtoul(optarg, NULL, 10);
            break;
        case 'p':
            num_counts = 0;
            list = optarg;
            for (tok = strtok_r(list, ",", &save);
                 tok != NULL && num_counts < MAX_COUNTS;
                 tok = strtok_r(NULL, ",", &save)) {
                counts[num_counts++] = (unsigned)strtoul(tok, NULL, 10);
            }
            break;
        case 'w':
            wildcard = 1;
            break;
        case 'h':
            printf("usage: tag_match [-n ITERS] [-p N[,N...]] [-w]\n"
                   "  ns per message with N receives posted (default "
                   "1,100,10000);\n  -w: the idle receives are "
                   "wildcards\n");
            return 0;
        default:
            return 2;
        }
    }
    if (iters == 0) {
        fprintf(stderr, "tag_match: -n needs a positive count\n");
        return 2;
    }
    setenv("VERVE_TLS", "self", 1);
    if (verve_context_create(NULL, &context) != VERVE_OK ||
        verve_worker_create(context, NULL, &worker) != VERVE_OK ||
        verve_worker_address_pack(worker, &address, &length) != VERVE_OK) {
        die("setup", VERVE_ERR_IO);
    }
    ep_params.field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep_params.address = address;
    ep_params.address_length = length;
    if (verve_ep_create(worker, &ep_params, &ep) != VERVE_OK) {
        die("endpoint", VERVE_ERR_IO);
    }
    verve_worker_address_release(address);
    for (i = 0; i < num_counts; ++i) {
        double ns = run(worker, ep, counts[i], iters, wildcard);
        printf("posted %6u %s: %8.1f ns/message (%lu messages)\n",
               counts[i], wildcard ? "wildcard" : "exact", ns, iters);
    }
    verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FORCE, NULL, NULL);
    verve_worker_destroy(worker);
    verve_context_destroy(context);
    return 0;
}
