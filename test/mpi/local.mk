# MPI programs run by mpi_pml.sh and mpi_mtl.sh under mpirun with pml
# verve (src/ompi/pml), and with pml cm and the verve mtl (src/ompi/mtl). They are plain MPI programs: compiled with Open
# MPI's own flags (mpicc --showme), and without libverve.
if HAVE_OMPI_MTL
check_PROGRAMS += test/mpi/mpi_p2p test/mpi/mpi_fail test/mpi/mpi_threads \
                  test/mpi/mpi_rma test/mpi/mpi_coll test/mpi/mpi_coll_fail
test_mpi_mpi_coll_fail_SOURCES = test/mpi/mpi_coll_fail.c test/mpi/mpi_check.h
test_mpi_mpi_coll_fail_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_mpi_mpi_coll_fail_LDADD = $(OMPI_MPI_LIBS)
test_mpi_mpi_coll_SOURCES = test/mpi/mpi_coll.c test/mpi/mpi_check.h
test_mpi_mpi_coll_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_mpi_mpi_coll_LDADD = $(OMPI_MPI_LIBS)
test_mpi_mpi_p2p_SOURCES = test/mpi/mpi_p2p.c test/mpi/mpi_check.h
test_mpi_mpi_p2p_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_mpi_mpi_p2p_LDADD = $(OMPI_MPI_LIBS)
test_mpi_mpi_fail_SOURCES = test/mpi/mpi_fail.c test/mpi/mpi_check.h
test_mpi_mpi_fail_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_mpi_mpi_fail_LDADD = $(OMPI_MPI_LIBS)
test_mpi_mpi_threads_SOURCES = test/mpi/mpi_threads.c test/mpi/mpi_check.h
test_mpi_mpi_threads_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_mpi_mpi_threads_LDADD = $(OMPI_MPI_LIBS) -lpthread
test_mpi_mpi_rma_SOURCES = test/mpi/mpi_rma.c test/mpi/mpi_check.h
test_mpi_mpi_rma_CPPFLAGS = $(AM_CPPFLAGS) $(OMPI_MPI_CFLAGS)
test_mpi_mpi_rma_LDADD = $(OMPI_MPI_LIBS)
# Not an MPI program: relays a rank's PMIx connection into its network
# namespace (mpi_in_netns.sh).
check_PROGRAMS += test/mpi/netns_relay
test_mpi_netns_relay_SOURCES = test/mpi/netns_relay.c
MPI_HAVE_MTL = yes
else
MPI_HAVE_MTL = no
endif
# The scripts skip themselves (77) when the component is not built.
TESTS += test/mpi/mpi_pml.sh test/mpi/mpi_mtl.sh test/mpi/mpi_netns.sh \
         test/mpi/mpi_coll.sh
EXTRA_DIST += test/mpi/mpi_pml.sh test/mpi/mpi_mtl.sh test/mpi/mpi_suite.sh \
              test/mpi/mpi_coll.sh \
              test/mpi/mpi_netns.sh \
              test/mpi/mpi_lib.sh test/mpi/mpi_in_netns.sh
AM_TESTS_ENVIRONMENT += MPI_HAVE_MTL='$(MPI_HAVE_MTL)' \
    OMPI_MPIRUN='$(OMPI_MPIRUN)' OMPI_PKGLIBDIR='$(OMPI_PKGLIBDIR)'; \
    export MPI_HAVE_MTL OMPI_MPIRUN OMPI_PKGLIBDIR;
