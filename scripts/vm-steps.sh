#!/bin/bash
# Sourced by the guest scripts (stock-guest.sh, two-machines-guest.sh), in the
# VM's clone of the project: a named step, timed, its failure remembered in
# $failed for the summary at the end.
failed=""

step() {
    local name=$1 start rc
    shift
    echo "=== $name (at $(date +%T))"
    start=$(date +%s)
    "$@"
    rc=$?
    echo "=== $name: exit $rc after $(($(date +%s) - start))s"
    [ "$rc" -eq 0 ] || failed="$failed $name"
}
