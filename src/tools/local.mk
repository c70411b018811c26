include src/tools/verve_run.mk
include src/tools/verve_perf.mk
include src/tools/verve_info.mk
