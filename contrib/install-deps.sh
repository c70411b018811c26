#!/bin/bash
# Installs what building and testing verve needs on Debian 12. Idempotent:
# installs only the packages that are missing, and runs apt-get update only
# when something is. Run as root (or through sudo when available).
#   --with-ucx  also install ucx-utils (ucx_perftest, for bench/vs-ucx.sh)
set -eu

# Build and unit tests (nettle: the HMAC that authenticates connections);
# PMIx and Open MPI (tests under mpirun); rdma-core
# (verbs transports); what the SoftRoCE guest needs (QEMU, busybox, kmod,
# cpio, iproute2 for namespaces and netem; strace counts the system calls
# of idle progress there); doxygen (make doc: the API reference and its
# man3 pages); clang and its runtime libraries (make fuzz: libFuzzer,
# ASan and UBSan for clang).
packages="build-essential autoconf automake libtool pkg-config \
libcmocka-dev libhwloc-dev nettle-dev valgrind clang libclang-rt-14-dev \
libpmix-dev openmpi-bin libopenmpi-dev \
libibverbs-dev librdmacm-dev ibverbs-providers ibverbs-utils rdma-core \
perftest qemu-system-x86 busybox-static kmod cpio xz-utils iproute2 strace \
doxygen"

for arg in "$@"; do
    case "$arg" in
    --with-ucx) packages="$packages ucx-utils" ;;
    -h|--help)
        echo "usage: contrib/install-deps.sh [--with-ucx]"
        exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

missing=""
for pkg in $packages; do
    # dpkg -s also lists removed packages whose config files remain: ask
    # for the installed state explicitly.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
            grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    echo "install-deps.sh: all dependencies present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "install-deps.sh: missing:$missing; run as root" >&2
        exit 1
    fi
fi
echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split into words
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
