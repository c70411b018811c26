/*
 * verve_info: what this build of verve contains: version and build
 * configuration, the transports that open on this machine with their
 * capabilities, and every VERVE_* configuration variable.
 */
#include <verve_config.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <verve/verve.h>
#include <verve/verve_coll.h>
#include "core/base/cma.h"
#include "core/base/config.h"
#include "transports/vt_iface.h"
#ifdef HAVE_VERBS
#include "transports/verbs/verbs.h"
#endif

enum {
    INFO_VERSION = 1u << 0,
    INFO_TRANSPORTS = 1u << 1,
    INFO_CONFIG = 1u << 2,
    INFO_DEVICES = 1u << 3,
    INFO_COLL = 1u << 4
};

static void info_usage(FILE *stream)
{
    fprintf(stream,
        "usage: verve_info [-v] [-t] [-d] [-l] [-c] [-a] [-h|--help]\n"
        "  -v  version and build configuration\n"
        "  -t  transports that open here, with their capabilities\n"
        "  -d  RDMA devices: limits, ports and the GID used on each\n"
        "  -l  collectives: algorithms and the selection table in force\n"
        "  -c  every VERVE_* configuration variable: value and doc\n"
        "  -a  all of the above\n"
        "  -h  this help\n"
        "Without options: -v -t.\n");
}

static const char *info_yes_no(int value)
{
    return value ? "yes" : "no";
}

static void info_print_version(void)
{
    int hwloc = 0, trace = 0, release = 0, cma = 0, pidfd = 0;

#ifdef HAVE_HWLOC
    hwloc = 1;
#endif
#ifdef VS_ENABLE_TRACE
    trace = 1;
#endif
#ifdef NDEBUG
    release = 1;
#endif
#ifdef HAVE_PROCESS_VM_READV
    cma = 1;
#endif
#ifdef HAVE_PIDFD_OPEN
    pidfd = 1;
#endif
    printf("# verve %s (library %s)\n", PACKAGE_VERSION,
           verve_version_string());
    printf("#   API version:       %d.%d\n", VERVE_VERSION_MAJOR,
           VERVE_VERSION_MINOR);
    printf("#   build:             %s\n", release ? "release" : "debug");
    printf("#   trace logging:     %s\n", info_yes_no(trace));
    printf("#   hwloc topology:    %s\n", info_yes_no(hwloc));
    printf("#   CMA (process_vm):  %s\n", info_yes_no(cma));
    /* Built in is not allowed: a seccomp profile may refuse the calls
     * (Yama shows only with a peer, at wireup). */
    printf("#   CMA allowed here:  %s\n",
           !cma ? "no" : vs_cma_usable() ? "yes" : "no, the kernel refuses "
                                                   "this process the calls");
    printf("#   pidfd_open:        %s\n", info_yes_no(pidfd));
    printf("#   compiler:          %s\n", __VERSION__);
}

/* Delivery target for the probe interface: nothing is sent to it, and a
 * transport may rely on every handler slot being callable. */
static void info_am_drop(void *arg, void *data, size_t length,
                         uint64_t src_uid)
{
    (void)arg;
    (void)data;
    (void)length;
    (void)src_uid;
}

static void info_print_flags(uint32_t flags)
{
    static const struct {
        uint32_t flag;
        const char *name;
    } names[] = {
        {VT_CAP_AM_SHORT, "am_short"}, {VT_CAP_AM_BCOPY, "am_bcopy"},
        {VT_CAP_GET_ZCOPY, "get_zcopy"}, {VT_CAP_PUT_ZCOPY, "put_zcopy"},
        {VT_CAP_RMA, "rma"}, {VT_CAP_AMO32, "amo32"},
        {VT_CAP_AMO64, "amo64"}, {VT_CAP_WAKEUP, "wakeup"}
    };
    size_t i;
    int any = 0;

    printf("#     capabilities:    ");
    for (i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
        if (flags & names[i].flag) {
            printf("%s%s", any ? ", " : "", names[i].name);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : "(none)");
}

static void info_print_component(const vt_component_t *component,
                                 int epoll_fd, uint64_t uid)
{
    vt_iface_params_t params;
    vt_iface_caps_t caps;
    vt_iface_t *iface;
    verve_status_t status;
    int id;

    printf("#\n#   transport: %s (id %u)\n", component->name,
           (unsigned)component->id);
    printf("#     memory:          alloc %s, registration %s, rkeys %s\n",
           info_yes_no(component->mem_alloc != NULL),
           info_yes_no(component->mem_reg != NULL),
           info_yes_no(component->rkey_pack != NULL));
    memset(&params, 0, sizeof(params));
    params.uid = uid;
    params.epoll_fd = epoll_fd;
    for (id = 0; id < VT_AM_ID_MAX; ++id) {
        params.am_handlers[id] = info_am_drop;
    }
    status = component->iface_open(&params, &iface);
    if (status == VERVE_ERR_NO_ELEM) {
        /* Not a failure: most hosts have no RDMA device. */
        printf("#     status:          unavailable: no device for it on "
               "this host\n");
        return;
    }
    if (status != VERVE_OK) {
        printf("#     status:          unavailable: interface open "
               "failed: %s\n", verve_status_string(status));
        return;
    }
    memset(&caps, 0, sizeof(caps));
    iface->ops->iface_query(iface, &caps);
    printf("#     status:          available\n");
    info_print_flags(caps.flags);
    printf("#     am_short max:    %zu bytes\n", caps.am_short_max);
    printf("#     am_bcopy max:    %zu bytes\n", caps.am_bcopy_max);
    if (caps.zcopy_max == SIZE_MAX) {
        printf("#     zcopy max:       unlimited\n");
    } else {
        printf("#     zcopy max:       %zu bytes\n", caps.zcopy_max);
    }
    printf("#     address length:  %zu bytes\n", caps.address_length);
    printf("#     latency:         %.1f ns\n", caps.latency_ns);
    printf("#     bandwidth:       %.1f MB/s\n", caps.bandwidth_MBps);
    iface->ops->iface_close(iface);
}

static int info_print_transports(void)
{
    uint64_t uid;
    struct timespec ts;
    size_t i;
    int epoll_fd;

    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) {
        fprintf(stderr, "verve_info: epoll_create1 failed: %s\n",
                strerror(errno));
        return -1;
    }
    /* A probe interface must not collide with a real worker's uid. */
    clock_gettime(CLOCK_REALTIME, &ts);
    uid = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
          ((uint64_t)ts.tv_sec << 20) ^ 0x766572766531ull;
    printf("#\n# Transports\n");
    for (i = 0; vt_components[i] != NULL; ++i) {
        info_print_component(vt_components[i], epoll_fd, uid + i);
    }
    close(epoll_fd);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned what = 0;
    verve_status_t status;
    int rc = 0;
    int c;

    static const struct option long_opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };

    opterr = 0;
    while ((c = getopt_long(argc, argv, "vtdlcah", long_opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            what |= INFO_VERSION;
            break;
        case 't':
            what |= INFO_TRANSPORTS;
            break;
        case 'd':
            what |= INFO_DEVICES;
            break;
        case 'l':
            what |= INFO_COLL;
            break;
        case 'c':
            what |= INFO_CONFIG;
            break;
        case 'a':
            what |= INFO_VERSION | INFO_TRANSPORTS | INFO_DEVICES |
                    INFO_COLL | INFO_CONFIG;
            break;
        case 'h':
            info_usage(stdout);
            return 0;
        default:
            if (optopt != 0) {
                fprintf(stderr, "verve_info: unknown option '-%c'\n",
                        optopt);
            } else {
                fprintf(stderr, "verve_info: unknown option '%s'\n",
                        argv[optind - 1]);
            }
            info_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "verve_info: unexpected argument '%s'\n",
                argv[optind]);
        info_usage(stderr);
        return 2;
    }
    if (what == 0) {
        what = INFO_VERSION | INFO_TRANSPORTS;
    }
    if (what & INFO_VERSION) {
        info_print_version();
    }
    if ((what & INFO_TRANSPORTS) && (info_print_transports() != 0)) {
        rc = 1;
    }
    if (what & INFO_DEVICES) {
#ifdef HAVE_VERBS
        vt_verbs_devices_print(stdout);
#else
        printf("#\n# Verbs devices: not built (no libibverbs)\n");
#endif
    }
    if (what & INFO_COLL) {
        printf("#\n");
        fflush(stdout);
        if (verve_coll_print_info(stdout) != VERVE_OK) {
            rc = 1;
        }
    }
    if (what & INFO_CONFIG) {
        printf("#\n# Configuration (VERVE_* environment variables)\n");
        fflush(stdout);
        status = vs_config_print_all(stdout, 1);
        if (status != VERVE_OK) {
            fprintf(stderr, "verve_info: reading the configuration failed: "
                    "%s\n", verve_status_string(status));
            rc = 1;
        }
    }
    return rc;
}
