# Collectives: teams, schedules, algorithms, selection.
libverve_core_la_SOURCES += \
    src/coll/vc_coll.h \
    src/coll/vc_reduce.h \
    src/coll/vc_select.h \
    src/coll/vc_shm.h \
    src/coll/vc_select.c \
    src/coll/vc_sched.c \
    src/coll/vc_chan.c \
    src/coll/vc_team.c \
    src/coll/vc_team_fail.c \
    src/coll/vc_args.c \
    src/coll/vc_coll.c \
    src/coll/vc_alg_tree.c \
    src/coll/vc_alg_allreduce.c \
    src/coll/vc_alg_gather.c \
    src/coll/vc_shm.c \
    src/coll/vc_shm_setup.c \
    src/coll/vc_shm_alg.c
# The reduction kernels, with the vectoriser's cost model that accepts a
# run-time alias check (configure.ac).
noinst_LTLIBRARIES += libvc_reduce.la
libvc_reduce_la_SOURCES = src/coll/vc_reduce.c
libvc_reduce_la_CPPFLAGS = $(libverve_core_la_CPPFLAGS)
libvc_reduce_la_CFLAGS = $(AM_CFLAGS) $(VERVE_VECT_CFLAGS)
libverve_core_la_LIBADD += libvc_reduce.la
