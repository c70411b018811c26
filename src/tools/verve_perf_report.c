/* verve_perf's figures: statistics over samples, table and JSON output. */
#include <verve_config.h>
#include <stdio.h>
#include <stdlib.h>
#include "verve_perf.h"

#define PERF_MB (1024.0 * 1024.0)

static int perf_double_compare(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double perf_percentile(const double *sorted, size_t count, double pct)
{
    size_t rank = (size_t)(pct / 100.0 * (double)count + 0.999999);

    if (rank == 0) {
        rank = 1;
    }
    if (rank > count) {
        rank = count;
    }
    return sorted[rank - 1];
}

size_t perf_report_batch_length(size_t count)
{
    size_t length = count / 20;

    if (length < 1) {
        return 1;
    }
    return (length > 100) ? 100 : length;
}

/* In a back-to-back loop one iteration's time depends on where the ranks
 * stand against each other (a message already waiting or not), so its
 * percentiles swing between runs; the mean of a batch does not, and the
 * median over batches drops the batches the machine's other work hit. */
void perf_report_batches(perf_result_t *result, const double *samples_ns,
                         size_t count)
{
    size_t length = perf_report_batch_length(count);
    size_t batches = count / length, b, i;
    double *means, sum;

    if (batches == 0) {
        return;
    }
    means = malloc(batches * sizeof(*means));
    if (means == NULL) {
        return; /* the figure stays 0: visibly missing */
    }
    for (b = 0; b < batches; ++b) {
        sum = 0.0;
        for (i = 0; i < length; ++i) {
            sum += samples_ns[b * length + i];
        }
        means[b] = sum / (double)length;
    }
    qsort(means, batches, sizeof(*means), perf_double_compare);
    result->lat_us_batch = perf_percentile(means, batches, 50.0) / 1e3;
    free(means);
}

void perf_report_total(perf_result_t *result, uint64_t total_ns)
{
    double seconds = (double)total_ns / 1e9;
    double per_iter_us;

    if ((result->iters == 0) || (total_ns == 0)) {
        return;
    }
    per_iter_us = (double)total_ns / 1e3 / (double)result->iters;
    result->lat_us_avg = per_iter_us;
    result->lat_us_min = per_iter_us;
    result->lat_us_median = per_iter_us;
    result->lat_us_p99 = per_iter_us;
    result->bw_MBps = (double)result->size * (double)result->iters /
                      seconds / PERF_MB;
    result->msg_rate = (double)result->iters / seconds;
}

/* Rate and bandwidth of a latency test follow from the mean latency, as
 * ucx_perftest computes them, so the two tools' columns compare. */
void perf_report_latency(perf_result_t *result, double *samples_ns,
                         size_t count)
{
    double sum = 0.0;
    double mean_s;
    size_t i;

    if (count == 0) {
        return;
    }
    for (i = 0; i < count; ++i) {
        sum += samples_ns[i];
    }
    qsort(samples_ns, count, sizeof(*samples_ns), perf_double_compare);
    result->lat_us_min = samples_ns[0] / 1e3;
    result->lat_us_median = perf_percentile(samples_ns, count, 50.0) / 1e3;
    result->lat_us_p99 = perf_percentile(samples_ns, count, 99.0) / 1e3;
    mean_s = sum / (double)count / 1e9;
    result->lat_us_avg = mean_s * 1e6;
    if (mean_s > 0.0) {
        result->bw_MBps = (double)result->size / mean_s / PERF_MB;
        result->msg_rate = 1.0 / mean_s;
    }
}

void perf_report_header(const perf_options_t *opts)
{
    if (opts->json) {
        return;
    }
    printf("%-9s %10s %9s %10s %10s %10s %12s %12s\n", "test", "size",
           "iters", "lat_min", "lat_med", "lat_p99", "bw", "msg_rate");
    printf("%-9s %10s %9s %10s %10s %10s %12s %12s\n", "", "(bytes)", "",
           "(us)", "(us)", "(us)", "(MB/s)", "(msg/s)");
    fflush(stdout);
}

void perf_report_print(const perf_options_t *opts,
                       const perf_result_t *result)
{
    if (opts->json) {
        printf("{\"test\":\"%s\",\"size\":%zu,\"iters\":%zu,"
               "\"lat_us_min\":%.3f,\"lat_us_median\":%.3f,"
               "\"lat_us_p99\":%.3f,\"bw_MBps\":%.2f,\"msg_rate\":%.0f}\n",
               perf_test_name(result->test), result->size, result->iters,
               result->lat_us_min, result->lat_us_median,
               result->lat_us_p99, result->bw_MBps, result->msg_rate);
    } else {
        printf("%-9s %10zu %9zu %10.3f %10.3f %10.3f %12.2f %12.0f\n",
               perf_test_name(result->test), result->size, result->iters,
               result->lat_us_min, result->lat_us_median,
               result->lat_us_p99, result->bw_MBps, result->msg_rate);
    }
    fflush(stdout);
}

/* Collective rows carry the team size and the algorithm forced (or
 * "auto"); bench/coll_mpi.c prints the same rows, so scripts read both. */
void perf_report_coll_header(const perf_options_t *opts)
{
    if (opts->json) {
        return;
    }
    printf("%-9s %10s %5s %-10s %9s %9s %9s %9s %9s %9s %11s\n", "test",
           "size", "ranks", "algo", "iters", "lat_batch", "lat_avg",
           "lat_min", "lat_med", "lat_p99", "bw");
    printf("%-9s %10s %5s %-10s %9s %9s %9s %9s %9s %9s %11s\n", "",
           "(bytes)", "", "", "", "(us)", "(us)", "(us)", "(us)", "(us)",
           "(MB/s)");
    fflush(stdout);
}

void perf_report_coll_print(const perf_options_t *opts,
                            const perf_result_t *result)
{
    const char *algo = (opts->algo[0] != '\0') ? opts->algo : "auto";

    if (opts->json) {
        printf("{\"test\":\"%s\",\"size\":%zu,\"ranks\":%u,"
               "\"algo\":\"%s\",\"iters\":%zu,\"lat_us_batch\":%.3f,"
               "\"lat_us_avg\":%.3f,\"lat_us_min\":%.3f,"
               "\"lat_us_median\":%.3f,\"lat_us_p99\":%.3f,"
               "\"bw_MBps\":%.2f}\n", perf_test_name(result->test),
               result->size, result->ranks, algo, result->iters,
               result->lat_us_batch, result->lat_us_avg, result->lat_us_min,
               result->lat_us_median, result->lat_us_p99, result->bw_MBps);
    } else {
        printf("%-9s %10zu %5u %-10s %9zu %9.3f %9.3f %9.3f %9.3f %9.3f "
               "%11.2f\n", perf_test_name(result->test), result->size,
               result->ranks, algo, result->iters, result->lat_us_batch,
               result->lat_us_avg, result->lat_us_min, result->lat_us_median,
               result->lat_us_p99, result->bw_MBps);
    }
    fflush(stdout);
}
