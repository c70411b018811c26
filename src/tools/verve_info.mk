# verve_info: filled in by its owner
