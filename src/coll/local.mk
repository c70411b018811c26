# Collectives: teams, schedules, algorithms, selection.
libverve_core_la_SOURCES += \
    src/coll/vc_coll.h \
    src/coll/vc_reduce.h \
    src/coll/vc_select.h \
    src/coll/vc_reduce.c \
    src/coll/vc_select.c \
    src/coll/vc_sched.c \
    src/coll/vc_chan.c \
    src/coll/vc_team.c \
    src/coll/vc_team_fail.c \
    src/coll/vc_coll.c \
    src/coll/vc_alg_tree.c \
    src/coll/vc_alg_allreduce.c \
    src/coll/vc_alg_gather.c
