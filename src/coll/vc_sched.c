/*
 * Schedules: a sequence of steps run by the worker's progress. Sends and
 * receives are posted as the run reaches them; a fence waits until every
 * one posted before it has completed; reductions and copies run when
 * reached, so they always read data that has arrived. Reductions run in
 * the order the algorithm wrote them, never in arrival order, which keeps
 * floating-point results the same from run to run.
 */
#include <stdlib.h>
#include <string.h>
#include "vc_coll.h"
#include "core/base/log.h"

void vc_sched_init(vc_sched_t *sched, vc_team_t *team)
{
    memset(sched, 0, sizeof(*sched));
    sched->team = team;
    sched->status = VERVE_OK;
}

void vc_sched_cleanup(vc_sched_t *sched)
{
    if (sched->polling) {
        vs_list_del(&sched->poll_list);
        sched->polling = 0;
    }
    free(sched->steps);
    free(sched->recvs);
    free(sched->scratch);
    sched->steps = NULL;
    sched->recvs = NULL;
    sched->scratch = NULL;
}

void *vc_sched_scratch(vc_sched_t *sched, size_t size)
{
    /* One block per schedule: algorithms carve it up themselves. */
    free(sched->scratch);
    sched->scratch = malloc(size ? size : 1);
    sched->scratch_size = size;
    return sched->scratch;
}

static verve_status_t vc_sched_add(vc_sched_t *sched, const vc_step_t *step)
{
    vc_step_t *steps;
    unsigned max;

    if (sched->num_steps == sched->max_steps) {
        max = sched->max_steps ? 2 * sched->max_steps : 16;
        steps = realloc(sched->steps, max * sizeof(*steps));
        if (steps == NULL) {
            vs_error("coll: out of memory for a schedule of %u steps", max);
            return VERVE_ERR_NO_MEMORY;
        }
        sched->steps = steps;
        sched->max_steps = max;
    }
    sched->steps[sched->num_steps++] = *step;
    return VERVE_OK;
}

verve_status_t vc_sched_send(vc_sched_t *sched, unsigned peer, uint16_t tag,
                             const void *buffer, size_t length)
{
    vc_step_t step = {.type = VC_STEP_SEND, .tag = tag, .peer = peer,
                      .src = buffer, .length = length};
    return vc_sched_add(sched, &step);
}

verve_status_t vc_sched_recv(vc_sched_t *sched, unsigned peer, uint16_t tag,
                             void *buffer, size_t length)
{
    vc_step_t step = {.type = VC_STEP_RECV, .tag = tag, .peer = peer,
                      .dst = buffer, .length = length,
                      .slot = sched->num_recvs};
    verve_status_t status = vc_sched_add(sched, &step);

    if (status == VERVE_OK) {
        ++sched->num_recvs;
    }
    return status;
}

verve_status_t vc_sched_reduce(vc_sched_t *sched, void *dst,
                               const void *in1, const void *in2,
                               size_t count)
{
    vc_step_t step = {.type = VC_STEP_REDUCE, .dst = dst, .src = in1,
                      .src2 = in2, .length = count};
    return (count == 0) ? VERVE_OK : vc_sched_add(sched, &step);
}

verve_status_t vc_sched_copy(vc_sched_t *sched, void *dst, const void *src,
                             size_t length)
{
    vc_step_t step = {.type = VC_STEP_COPY, .dst = dst, .src = src,
                      .length = length};
    return (length == 0 || dst == src) ? VERVE_OK
                                       : vc_sched_add(sched, &step);
}

verve_status_t vc_sched_call(vc_sched_t *sched, vc_step_call_t call,
                             void *arg)
{
    vc_step_t step = {.type = VC_STEP_CALL, .call = call, .dst = arg};
    return vc_sched_add(sched, &step);
}

verve_status_t vc_sched_fence(vc_sched_t *sched)
{
    vc_step_t step = {.type = VC_STEP_FENCE};

    if (sched->num_steps > 0 &&
        sched->steps[sched->num_steps - 1].type == VC_STEP_FENCE) {
        return VERVE_OK;
    }
    return vc_sched_add(sched, &step);
}

/* Runs steps until one must wait; completes the run at the end. Called
 * again by every completion; `running` keeps completions that happen
 * inside a step (an unexpected message matched at once) from nesting. */
static void vc_sched_progress(vc_sched_t *sched)
{
    verve_status_t status;
    vc_step_t *step;
    vc_recv_t *recv;

    if (sched->running) {
        return;
    }
    sched->running = 1;
    while (sched->pos < sched->num_steps) {
        step = &sched->steps[sched->pos];
        if (sched->status != VERVE_OK &&
            (step->type == VC_STEP_SEND || step->type == VC_STEP_RECV)) {
            /* After an error nothing more goes out; what is out drains. */
            ++sched->pos;
            continue;
        }
        switch (step->type) {
        case VC_STEP_SEND:
            status = vc_chan_send(sched, step->peer, step->tag, step->src,
                                  step->length);
            if (status == VERVE_INPROGRESS) {
                ++sched->outstanding;
            } else if (status != VERVE_OK) {
                sched->status = status;
            }
            break;
        case VC_STEP_RECV:
            recv = &sched->recvs[step->slot];
            recv->sched = sched;
            recv->tag = step->tag;
            recv->src = step->peer;
            recv->buffer = step->dst;
            recv->length = step->length;
            ++sched->outstanding;
            vc_chan_post(recv);
            break;
        case VC_STEP_REDUCE:
            if (sched->status == VERVE_OK) {
                vc_reduce(&sched->op, step->src, step->src2, step->dst,
                          step->length);
            }
            break;
        case VC_STEP_COPY:
            if (sched->status == VERVE_OK) {
                memmove(step->dst, step->src, step->length);
            }
            break;
        case VC_STEP_FENCE:
            if (sched->outstanding > 0) {
                sched->running = 0;
                return;
            }
            break;
        case VC_STEP_CALL:
            if (sched->status != VERVE_OK) {
                break;
            }
            status = step->call(sched, step);
            if (status == VERVE_INPROGRESS) {
                if (!sched->polling) {
                    sched->polling = 1;
                    vs_list_add_tail(&sched->team->vw->polling,
                                     &sched->poll_list);
                    vc_shm_poll_start(sched->team->vw);
                }
                sched->running = 0;
                return;
            }
            sched->status = status;
            break;
        }
        ++sched->pos;
    }
    sched->running = 0;
    if (sched->outstanding == 0 && sched->active) {
        /* The team's failure says why; a step's own error may only be
         * its consequence (a message the failed peer dropped). */
        if (sched->status != VERVE_OK && sched->team->error != VERVE_OK) {
            sched->status = sched->team->error;
        }
        sched->active = 0;
        sched->complete(sched);
    }
}

unsigned vc_sched_poll(vc_worker_t *vw)
{
    unsigned news = vw->poll_news;
    vs_list_link_t todo;
    vc_sched_t *sched;

    /* Taken off first: a run that still waits puts itself back, at the
     * tail, and is not polled twice in one pass. A run may be freed by
     * its completion, so progress is counted by the calls themselves. */
    vs_list_init(&todo);
    while (!vs_list_is_empty(&vw->polling)) {
        vs_list_link_t *link = vw->polling.next;
        vs_list_del(link);
        vs_list_add_tail(&todo, link);
    }
    while (!vs_list_is_empty(&todo)) {
        sched = vs_list_entry(todo.next, vc_sched_t, poll_list);
        vs_list_del(&sched->poll_list);
        sched->polling = 0;
        vc_sched_progress(sched);
    }
    return vw->poll_news - news;
}

void vc_sched_step_done(vc_sched_t *sched, verve_status_t status)
{
    if (status != VERVE_OK && sched->status == VERVE_OK) {
        sched->status = status;
    }
    --sched->outstanding;
    if (sched->outstanding == 0) {
        vc_sched_progress(sched);
    }
}

void vc_sched_start(vc_sched_t *sched, uint32_t seq)
{
    sched->seq = seq;
    sched->pos = 0;
    sched->outstanding = 0;
    if (!vs_list_is_empty(&sched->team->unexpected)) {
        vc_chan_check_early(sched);
    }
    /* On a failed team the run posts nothing and completes with the
     * error. */
    sched->status = sched->team->error;
    sched->active = 1;
    vc_sched_progress(sched);
}

verve_status_t vc_sched_ready(vc_sched_t *sched)
{
    if (sched->num_recvs > 0) {
        sched->recvs = calloc(sched->num_recvs, sizeof(*sched->recvs));
        if (sched->recvs == NULL) {
            vs_error("coll: out of memory for %u receives",
                     sched->num_recvs);
            return VERVE_ERR_NO_MEMORY;
        }
    }
    return VERVE_OK;
}
