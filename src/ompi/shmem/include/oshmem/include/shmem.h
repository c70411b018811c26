/*
 * Written for verve, not taken from Open MPI. Debian's Open MPI 4.1
 * installs oshmem's framework headers (--with-devel-headers), but
 * oshmem/constants.h includes "oshmem/include/shmem.h", the path of
 * shmem.h in Open MPI's source tree, which is installed as plain
 * <shmem.h> only. This file, on the include path of the shmem
 * components alone, makes the source-tree path resolve to the installed
 * header; it declares nothing itself.
 */
#include <shmem.h>
