# The verbs transports (rc, ud), built when libibverbs is found.
if HAVE_VERBS
# Common layer: devices, ports, GIDs, registration and remote keys.
libverve_core_la_SOURCES += \
    src/transports/verbs/verbs.h \
    src/transports/verbs/verbs_device.c \
    src/transports/verbs/verbs_addr.c \
    src/transports/verbs/verbs_mem.c \
    src/transports/verbs/verbs_odp.c \
    src/transports/verbs/verbs_odp_probe.c \
    src/transports/verbs/verbs_rcache.c \
    src/transports/verbs/verbs_info.c
# rc: one RC QP per peer, connected over a UD handshake QP.
libverve_core_la_SOURCES += \
    src/transports/verbs/rc.h \
    src/transports/verbs/rc_component.c \
    src/transports/verbs/rc_iface.c \
    src/transports/verbs/rc_conn.c \
    src/transports/verbs/rc_ep.c \
    src/transports/verbs/rc_rma.c \
    src/transports/verbs/rc_atomic.c
# ud: software reliability over one UD QP per worker.
libverve_core_la_SOURCES += \
    src/transports/verbs/ud_rel.h \
    src/transports/verbs/ud_rel_int.h \
    src/transports/verbs/ud_rel.c \
    src/transports/verbs/ud_rel_rx.c \
    src/transports/verbs/ud_config.c \
    src/transports/verbs/ud.h \
    src/transports/verbs/ud_iface.c \
    src/transports/verbs/ud_keepalive.c \
    src/transports/verbs/ud_ep.c \
    src/transports/verbs/ud_component.c
endif
