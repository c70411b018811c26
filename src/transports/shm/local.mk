# shm transport sources: filled in by its owner
