#!/bin/sh
# The MPI suite (mpi_suite.sh) over pml verve (--mca pml verve). Run by
# `make check`.
MPI_LAYER=pml
. "$(dirname "$0")/mpi_suite.sh"
