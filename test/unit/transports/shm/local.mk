# unit tests of the shm transport: filled in by its owner
