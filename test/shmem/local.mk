# OpenSHMEM programs run by shmem_suite.sh under oshrun with spml verve
# and atomic verve (src/ompi/shmem). Plain OpenSHMEM programs: compiled
# with Open MPI's flags (what oshcc adds) and without libverve.
if HAVE_OMPI_SHMEM
check_PROGRAMS += test/shmem/shmem_rma test/shmem/shmem_amo \
                  test/shmem/shmem_kill
test_shmem_shmem_kill_SOURCES = test/shmem/shmem_kill.c \
    test/shmem/shmem_check.h
test_shmem_shmem_kill_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_shmem_shmem_kill_LDADD = -loshmem $(OMPI_MPI_LIBS)
test_shmem_shmem_rma_SOURCES = test/shmem/shmem_rma.c test/shmem/shmem_check.h
test_shmem_shmem_rma_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_shmem_shmem_rma_LDADD = -loshmem $(OMPI_MPI_LIBS)
test_shmem_shmem_amo_SOURCES = test/shmem/shmem_amo.c test/shmem/shmem_check.h
test_shmem_shmem_amo_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_shmem_shmem_amo_LDADD = -loshmem $(OMPI_MPI_LIBS)
SHMEM_HAVE_COMPONENTS = yes
else
SHMEM_HAVE_COMPONENTS = no
endif
# The script skips itself (77) when the components are not built, and
# fails instead under CI=true.
TESTS += test/shmem/shmem_suite.sh
EXTRA_DIST += test/shmem/shmem_suite.sh
AM_TESTS_ENVIRONMENT += SHMEM_HAVE_COMPONENTS='$(SHMEM_HAVE_COMPONENTS)' \
    OSHMEM_OSHRUN='$(OSHMEM_OSHRUN)'; \
    export SHMEM_HAVE_COMPONENTS OSHMEM_OSHRUN;
