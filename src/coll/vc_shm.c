/*
 * The team's shared-memory segments: options, making and mapping one,
 * and the polling of waiting collectives from the worker's progress.
 * Which members share a segment is agreed at team creation
 * (vc_shm_setup.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vc_shm.h"
#include "core/ve_worker.h"
#include "core/base/compiler.h"
#include "core/base/config.h"
#include "core/base/log.h"
#include "core/base/time.h"

#define VC_SHM_MAGIC 0x766572766573686dull   /* "vervesm" */
#define VC_SHM_MAX_MEMBERS 1024
/* The fewest polls before a yield (unless poll_count says fewer): about
 * the time a peer on another CPU takes to answer, so that a peer that is
 * running is not taken for one that waits for our CPU. */
#define VC_SHM_POLL_FLOOR 128u

/* The first line of the segment: the host leader's choices. */
typedef struct vc_shm_header {
    uint64_t magic;
    uint32_t size;
    uint32_t flat_max;
    uint64_t slot_size;
    uint32_t radix;
    uint64_t cma_min;
    uint32_t sym_max;
    uint64_t split_min;
} vc_shm_header_t;

/* ---- options ------------------------------------------------------------ */

static const vs_config_field_t vc_shm_config_fields[] = {
    {"ENABLE", "y",
     "run barrier, bcast, reduce and allreduce of teams within one host "
     "on a shared-memory segment", VS_CONFIG_TYPE_BOOL,
     offsetof(vc_shm_config_t, enable)},
    {"SLOT", "128k",
     "bytes of a member's data slot: larger messages go in rounds of this "
     "size (64 to 16m); 128k keeps a 1 MiB allreduce at 8 rounds, where "
     "8k took 128 and a third of the bandwidth",
     VS_CONFIG_TYPE_SIZE_RANGE(VC_SHM_LINE, (size_t)16 << 20),
     offsetof(vc_shm_config_t, slot_size)},
    {"CMA_MIN", "0",
     "bcasts from this size copy straight from the root's buffer with "
     "process_vm_readv (0: never); off by default, as the pipelined "
     "slots beat it here at every size measured (64 KiB to 16 MiB, 2 "
     "and 8 ranks), 2x to 4x", VS_CONFIG_TYPE_SIZE,
     offsetof(vc_shm_config_t, cma_min)},
    {"FLAT_MAX", "8",
     "teams up to this size use a flat tree (member 0 reads every slot)",
     VS_CONFIG_TYPE_UINT, offsetof(vc_shm_config_t, flat_max)},
    {"RADIX", "4", "radix of the tree of larger teams",
     VS_CONFIG_TYPE_UINT_RANGE(2, VC_RADIX_MAX),
     offsetof(vc_shm_config_t, radix)},
    {"SPLIT_MIN", "2k",
     "allreduces from this size on a flat tree split the reduction: each "
     "member folds its share of every round's chunk, all at once (0: "
     "never; member 0 folds everything)", VS_CONFIG_TYPE_SIZE,
     offsetof(vc_shm_config_t, split_min)},
    {"SPLIT_CROWDED", "n",
     "split allreduces also on a host with more members than CPUs, where "
     "they are slower (each round waits on every member three times)",
     VS_CONFIG_TYPE_BOOL, offsetof(vc_shm_config_t, split_crowded)},
    {"SYM_MAX", "8",
     "barriers and allreduces of flag-line size on hosts up to this many "
     "members: each member reads every other's line (one step, not two)",
     VS_CONFIG_TYPE_UINT, offsetof(vc_shm_config_t, sym_max)},
    {"POLL", "1000",
     "polls of a flag without news before a waiting member yields the CPU",
     VS_CONFIG_TYPE_UINT, offsetof(vc_shm_config_t, poll_count)},
    {"POLL_CROWDED", "16",
     "the same where a host has more members than a process has CPUs",
     VS_CONFIG_TYPE_UINT, offsetof(vc_shm_config_t, poll_crowded)},
    {"SLEEP_AFTER", "100ms",
     "waiting longer than this lets the worker sleep (10 ms at a time) "
     "instead of yielding", VS_CONFIG_TYPE_TIME,
     offsetof(vc_shm_config_t, sleep_after)},
    {"TEST_FAIL", "0",
     "tests only: member N-1 of every team fails to make or map the "
     "segment (0: none)", VS_CONFIG_TYPE_UINT,
     offsetof(vc_shm_config_t, fail_member)},
    {"TEST_NODES", "1",
     "tests only: members whose ranks differ modulo N act as if on "
     "different hosts", VS_CONFIG_TYPE_UINT_RANGE(1, UINT_MAX),
     offsetof(vc_shm_config_t, test_nodes)},
};

static vs_config_table_t vc_shm_config_table = {
    .component = "coll_shm",
    .prefix = "COLL_SHM_",
    .fields = vc_shm_config_fields,
    .num_fields = vs_array_size(vc_shm_config_fields),
    .struct_size = sizeof(vc_shm_config_t),
};

static vs_constructor void vc_shm_config_register(void)
{
    vs_config_register(&vc_shm_config_table);
}

static vc_shm_config_t vc_shm_options;
static pthread_once_t vc_shm_options_once = PTHREAD_ONCE_INIT;

static void vc_shm_config_load(void)
{
    /* Context creation already refused a bad value; a program that set
     * one since gets the error named here, and no shared-memory path. */
    if (vs_config_read(&vc_shm_config_table, &vc_shm_options) != VERVE_OK) {
        memset(&vc_shm_options, 0, sizeof(vc_shm_options));
        return;
    }
    vc_shm_options.slot_size = vs_align_up(vc_shm_options.slot_size,
                                           VC_SHM_LINE);
}

const vc_shm_config_t *vc_shm_config(void)
{
    pthread_once(&vc_shm_options_once, vc_shm_config_load);
    return &vc_shm_options;
}

/* ---- the segment -------------------------------------------------------- */

static size_t vc_shm_length(unsigned size, size_t slot_size)
{
    return VC_SHM_LINE + 5 * (size_t)size * VC_SHM_LINE +
           (size_t)size * slot_size;
}

vc_shm_team_t *vc_shm_view_alloc(unsigned team_size)
{
    vc_shm_team_t *view;

    view = calloc(1, sizeof(*view) + 3 * (size_t)team_size *
                                         sizeof(unsigned));
    if (view == NULL) {
        return NULL;
    }
    view->leaders = (unsigned *)(view + 1);
    view->node_of = view->leaders + team_size;
    view->local_of = view->node_of + team_size;
    view->fd = -1;
    return view;
}

void vc_shm_view_free(vc_shm_team_t *view)
{
    if (view->base != NULL) {
        munmap(view->base, view->length);
    }
    if (view->fd >= 0) {
        close(view->fd);
    }
    free(view);
}

static verve_status_t vc_shm_view_map(vc_shm_team_t *view, void *base,
                                      size_t length)
{
    const vc_shm_header_t *header = base;

    if (header->magic != VC_SHM_MAGIC || header->size != view->size ||
        length < vc_shm_length(header->size, header->slot_size)) {
        vs_error("coll: shared segment of %zu bytes is not this host's "
                 "collectives' segment (magic %016llx, %u members where "
                 "%u were expected)", length,
                 (unsigned long long)header->magic, header->size,
                 view->size);
        return VERVE_ERR_UNREACHABLE;
    }
    view->base = base;
    view->length = length;
    view->slot_size = header->slot_size;
    view->flat_max = header->flat_max;
    view->radix = header->radix;
    view->cma_min = header->cma_min;
    view->arrive = (vc_shm_line_t *)((uint8_t *)base + VC_SHM_LINE);
    view->release = view->arrive + header->size;
    view->sym = view->release + header->size;
    view->sym_max = header->sym_max;
    view->split_min = header->split_min;
    view->done = view->sym + 2 * header->size;
    view->slots = (uint8_t *)(view->done + header->size);
    return VERVE_OK;
}

verve_status_t vc_shm_segment_create(vc_team_t *team, vc_shm_team_t *view)
{
    const vc_shm_config_t *config = vc_shm_config();
    size_t length = vc_shm_length(view->size, config->slot_size);
    vc_shm_header_t *header;
    verve_status_t status;
    void *base;
    int fd;

    fd = memfd_create("verve-coll", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)length) < 0) {
        vs_error("coll: team %016llx: shared segment of %zu bytes: %s "
                 "failed: %s", (unsigned long long)team->id, length,
                 fd < 0 ? "memfd_create" : "ftruncate", strerror(errno));
        status = VERVE_ERR_NO_MEMORY;
        goto err_close;
    }
    base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        vs_error("coll: team %016llx: mapping a shared segment of %zu "
                 "bytes failed: %s", (unsigned long long)team->id, length,
                 strerror(errno));
        status = VERVE_ERR_NO_MEMORY;
        goto err_close;
    }
    /* Member 0's choices go in the header, so every member of the host
     * shapes its trees alike whatever its own options. */
    header = base;
    header->size = view->size;
    header->slot_size = config->slot_size;
    header->flat_max = config->flat_max;
    header->radix = config->radix;
    header->cma_min = config->cma_min;
    header->sym_max = config->sym_max;
    /* Member 0 decides for all, by the host's CPUs: members pinned to
     * one CPU each are not crowded. */
    header->split_min = (view->size > (unsigned)sysconf(_SC_NPROCESSORS_ONLN)
                         && !config->split_crowded) ? 0 : config->split_min;
    header->magic = VC_SHM_MAGIC;
    status = vc_shm_view_map(view, base, length);
    if (status != VERVE_OK) {
        munmap(base, length);
        goto err_close;
    }
    view->fd = fd;    /* open until every member has mapped it */
    return VERVE_OK;

err_close:
    if (fd >= 0) {
        close(fd);
    }
    return status;
}

verve_status_t vc_shm_segment_attach(vc_team_t *team, vc_shm_team_t *view,
                                     int pid, int peer_fd, size_t length)
{
    verve_status_t status;
    char path[64];
    struct stat st;
    void *base;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, peer_fd);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != length) {
        vs_error("coll: team %016llx rank %u: cannot map the host "
                 "leader's segment %s: %s", (unsigned long long)team->id,
                 team->rank, path,
                 fd < 0 ? strerror(errno) : "not the size announced");
        status = VERVE_ERR_UNREACHABLE;
        goto out;
    }
    base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        vs_error("coll: team %016llx rank %u: mapping %s failed: %s",
                 (unsigned long long)team->id, team->rank, path,
                 strerror(errno));
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    status = vc_shm_view_map(view, base, length);
    if (status != VERVE_OK) {
        munmap(base, length);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    return status;
}

/* ---- locality ----------------------------------------------------------- */

static int vc_shm_ep_local(const ve_ep_t *ep)
{
    const char *name;

    if (ep == NULL || ep->lane == NULL || ep->lane->component == NULL ||
        (ep->flags & VE_EP_FLAG_FAILED)) {
        return 0;
    }
    name = ep->lane->component->name;
    return strcmp(name, "shm") == 0 || strcmp(name, "self") == 0;
}

int vc_shm_member_local(const vc_team_t *team, unsigned member)
{
    unsigned nodes = vc_shm_config()->test_nodes;

    if (member == team->rank) {
        return 1;
    }
    if (nodes > 1 && member % nodes != team->rank % nodes) {
        return 0;
    }
    return vc_shm_ep_local(team->eps[member]);
}

int vc_shm_enabled(const vc_team_t *team)
{
    return vc_shm_possible(team->size) && vc_shm_config()->enable;
}

/* By the host's CPUs, as the split above: a member pinned to one CPU of
 * its own (mpirun --bind-to core, or a program that pins itself after
 * MPI_Init) is not crowded by the others pinned to theirs, which its own
 * affinity mask of one CPU would have said. */
int vc_shm_crowded(const vc_shm_team_t *view)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    return cpus > 0 && view->size > (unsigned long)cpus;
}

int vc_shm_possible(unsigned team_size)
{
    return team_size >= 2 && team_size <= VC_SHM_MAX_MEMBERS;
}

void vc_shm_team_cleanup(vc_team_t *team)
{
    if (team->shm != NULL) {
        vc_shm_view_free(team->shm);
        team->shm = NULL;
    }
}

/* ---- progress ----------------------------------------------------------- */

/* Polls the flags of every waiting shared-memory collective. A member
 * with nothing new yields the CPU after poll_limit calls (the one that
 * is late may need this CPU) and reports that as work, so that a wait
 * does not fall asleep on a flag no event will announce; after
 * sleep_after without news it lets the wait sleep. poll_limit adapts:
 * news that came only after a yield halves it (the peer shares our CPU:
 * every poll is lost time), news while polling doubles it, up to
 * poll_count (poll_crowded where members outnumber CPUs), since a yield
 * costs a system call and often a turn of some other process. */
static vs_noinline unsigned vc_shm_worker_poll(vc_worker_t *vw)
{
    const vc_shm_config_t *config;
    unsigned news, max;
    uint64_t now;

    config = vc_shm_config();
    max = vw->crowded ? config->poll_crowded : config->poll_count;
    news = vc_sched_poll(vw);
    if (news != 0) {
        if (vw->idle_since != 0) {
            vw->poll_limit = vs_max(vw->poll_limit / 2,
                                    vs_min(VC_SHM_POLL_FLOOR, max));
        } else {
            vw->poll_limit = vs_min(2 * vw->poll_limit + 1, max);
        }
        vw->idle_polls = 0;
        vw->idle_since = 0;
        return news;
    }
    if (++vw->idle_polls < vs_min(vw->poll_limit, max)) {
        return 0;
    }
    vw->idle_polls = 0;
    now = vs_time_ns();
    if (vw->idle_since == 0) {
        vw->idle_since = now;
    } else if (now - vw->idle_since > (uint64_t)(config->sleep_after *
                                                 1e9)) {
        return 0;
    }
    sched_yield();
    return 1;
}

/* On the worker's progress while a run waits on a flag; takes itself off
 * once none does, so an idle worker pays nothing for the collectives. */
static unsigned vc_shm_layer_poll(void *arg)
{
    vc_worker_t *vw = arg;
    unsigned news = 0;

    if (!vs_list_is_empty(&vw->polling)) {
        news = vc_shm_worker_poll(vw);
    }
    if (vs_list_is_empty(&vw->polling)) {
        ve_worker_poll_remove(vw->worker, vc_shm_layer_poll, vw);
        vw->poll_added = 0;
    }
    return news;
}

void vc_shm_poll_start(vc_worker_t *vw)
{
    if (vw->poll_added) {
        return;
    }
    if (ve_worker_poll_add(vw->worker, vc_shm_layer_poll, vw) != VERVE_OK) {
        /* VE_MAX_LAYER_POLLS is sized for every layer: a build error */
        vs_fatal("coll: worker %016llx: no room for the collectives' poll",
                 (unsigned long long)vw->worker->uid);
        abort();
    }
    vw->poll_added = 1;
}

void vc_shm_poll_stop(vc_worker_t *vw)
{
    if (vw->poll_added) {
        ve_worker_poll_remove(vw->worker, vc_shm_layer_poll, vw);
        vw->poll_added = 0;
    }
}
