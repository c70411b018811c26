# Helpers for the verbs tests; sourced (`. "$VT_DIR/lib-verbs.sh"`), never
# run: run-all.sh skips lib-*.sh. POSIX sh. A test runs inside the SoftRoCE
# guest (contrib/softroce-vm/vm-run), where:
#   namespace a: v0 10.11.0.1, rdma device rxe0    (VT_ADDR_A, VT_DEV_A)
#   namespace b: v1 10.11.0.2, rdma device rxe1    (VT_ADDR_B, VT_DEV_B)
# (VM_TOPOLOGY=namespaces; on the stable 6.1 kernel VM_TOPOLOGY=shared: a
# and b are names for the root namespace, which holds v0 and v1, since its
# rxe ignores namespaces; rxe traffic still crosses the veth link)
# and exits 0 (pass), 77 (skip, with the reason on stdout) or anything else
# (fail). run-all.sh exports top_srcdir, top_builddir and VT_DIR (this
# folder), and runs each test in a fresh temporary folder, VT_TMP.

VT_ADDR_A=10.11.0.1
VT_ADDR_B=10.11.0.2
VT_DEV_A=rxe0
VT_DEV_B=rxe1
# GID index 1 is the IPv4-mapped GID on both kernels.
VT_GID_IPV4=1
: "${VT_TMP:=$(mktemp -d)}"

vt_skip()
{
    echo "SKIP: $*"
    exit 77
}

vt_fail()
{
    echo "FAIL: $*" >&2
    exit 1
}

vt_note()
{
    echo "  $*"
}

# Skips the test unless the guest (not the host) is running it.
vt_need_guest()
{
    [ -d /sys/class/infiniband/$VT_DEV_A ] && [ -d /sys/class/infiniband/$VT_DEV_B ] ||
        vt_skip "no $VT_DEV_A/$VT_DEV_B: run this inside contrib/softroce-vm/vm-run"
}

# Skips the test when one of the named programs is missing.
vt_need_cmd()
{
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || vt_skip "'$c' not found"
    done
}

# Waits up to $3 s (default 30) for a TCP listener on port $2 in namespace $1.
vt_wait_port()
{
    _n=0
    _max=$(( ${3:-30} * 10 ))
    while [ $_n -lt $_max ]; do
        if ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
        then
            return 0
        fi
        sleep 0.1
        _n=$((_n + 1))
    done
    return 1
}

# vt_pair NAME PORT TIMEOUT SERVER-CMD CLIENT-CMD: runs SERVER-CMD in
# namespace a, waits for it to listen on TCP PORT (0: sleep 1 s instead),
# then CLIENT-CMD in namespace b; each is killed after TIMEOUT s. Their
# output goes to $VT_TMP/NAME.server.log and NAME.client.log, printed when
# either fails. Returns 0 when both exit 0.
vt_pair()
{
    _name=$1 _port=$2 _to=$3 _srv=$4 _cli=$5
    ip netns exec a timeout -k 5 "$_to" sh -c "$_srv" \
        >"$VT_TMP/$_name.server.log" 2>&1 &
    _spid=$!
    if [ "$_port" = 0 ]; then
        sleep 1
    elif ! vt_wait_port a "$_port" "$_to"; then
        echo "vt_pair $_name: the server never listened on port $_port" >&2
    fi
    ip netns exec b timeout -k 5 "$_to" sh -c "$_cli" \
        >"$VT_TMP/$_name.client.log" 2>&1
    _crc=$?
    wait $_spid
    _src=$?
    if [ $_crc != 0 ] || [ $_src != 0 ]; then
        echo "vt_pair $_name: server status $_src, client status $_crc" >&2
        echo "---- $_name server:" >&2
        cat "$VT_TMP/$_name.server.log" >&2
        echo "---- $_name client:" >&2
        cat "$VT_TMP/$_name.client.log" >&2
        return 1
    fi
    return 0
}

# Packets sent by the interface $1 so far (in its namespace $2).
vt_tx_packets()
{
    ip netns exec "$2" cat "/sys/class/net/$1/statistics/tx_packets"
}

# Skips the test unless a and b are separate network namespaces (they are
# not on the stable 6.1 kernel, whose rxe ignores namespaces).
vt_need_netns()
{
    [ "${VM_TOPOLOGY:-namespaces}" = namespaces ] ||
        vt_skip "a and b are one network namespace on this kernel" \
            "($(uname -r): rxe ignores namespaces); use --kernel backports"
}
