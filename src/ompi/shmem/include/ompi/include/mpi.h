/*
 * Written for verve, not taken from Open MPI. oshmem/runtime/runtime.h
 * of Open MPI 4.1 includes "ompi/include/mpi.h", the source-tree path of
 * mpi.h, which is installed as plain <mpi.h> only. This file, on the
 * include path of the shmem components alone, makes that path resolve to
 * the installed header; it declares nothing itself.
 */
#include <mpi.h>
