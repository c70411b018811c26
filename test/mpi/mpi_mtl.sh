#!/bin/sh
# The MPI suite (mpi_suite.sh) over pml cm with the verve mtl
# (--mca pml cm --mca mtl verve). Run by `make check`.
MPI_LAYER=mtl
. "$(dirname "$0")/mpi_suite.sh"
