# verve_run: filled in by its owner
