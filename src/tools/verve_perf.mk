# verve_perf: filled in by its owner
