#!/bin/sh
# verve_info -t on a host without the device a transport needs says so,
# rather than "destination is unreachable" (which is about a peer). No
# device matches VERVE_NET_DEVICES below, whatever the host has.
. "$(dirname "$0")/it_lib.sh"

INFO=$top_builddir/src/tools/verve_info

# no_device TRANSPORT: its status line says there is no device.
no_device()
{
    _out=$(VERVE_NET_DEVICES=verve_no_such_device:1 "$INFO" -t) || {
        echo "verve_info -t: exit $?"
        return 1
    }
    _status=$(echo "$_out" | sed -n "/transport: $1 /,/status:/p" |
              grep "status:")
    echo "$_status" | grep -q "no device for it on this host" || {
        echo "$1: $_status"
        return 1
    }
}

for tl in rc ud; do
    if "$INFO" -t | grep -q "transport: $tl "; then
        run "verve_info -t: $tl without a device" no_device "$tl"
    else
        echo "skip: $tl is not built"
    fi
done
it_finish
