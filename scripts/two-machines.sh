#!/bin/bash
# make test-two-machines: a lab over two stock Debian 12 virtual machines on
# one Ethernet segment (the shared VM tools' --lan): two real kernels, two real
# engines, Debian's docker.io on each. The first VM ("local") runs dockerlan
# and reaches the second ("pc2") by ssh://, as a user reaches a second
# computer; scripts/two-machines-guest.sh is what each runs. Not part of
# `make test` or CI: emulated, it takes about 35 minutes. Both VMs' output is
# kept in $VM_DIR/runs/; the driver's streams here, pc2's goes to
# $VM_DIR/pc2.log.
set -euo pipefail
cd "$(dirname "$0")/.."

VM_TOOLS=${VM_TOOLS:-../shared/vm}
export VM_DIR=${VM_DIR:-/tmp/vm}
LAN=${LAN:-239.77.0.1:47700}  # a multicast group on this machine's loopback only
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
# shellcheck source=scripts/vm-stage.sh
. scripts/vm-stage.sh

[ -x "$VM_TOOLS/run-in-vm.sh" ] || { echo "no VM tools in $VM_TOOLS (set VM_TOOLS)" >&2; exit 2; }
if [ ! -f "$VM_DIR/base.img" ]; then
    say "building the Debian 12 VM image into $VM_DIR"
    "$VM_TOOLS/build-image.sh"
fi

stage=$(mktemp -d /tmp/dockerlan-two-XXXXXX)
trap 'rm -rf "$stage"; [ -z "${pc2:-}" ] || kill "$pc2" 2>/dev/null || true' EXIT
stage_project "$stage"
guest=$(cat scripts/two-machines-guest.sh)

say "starting pc2 (192.168.77.2; its output in $VM_DIR/pc2.log)"
"$VM_TOOLS/run-in-vm.sh" --timeout "${TIMEOUT:-10800}" --mem 4G --lan "$LAN" \
    --env ROLE=pc2 --env ADDRESS=192.168.77.2 --env PEER=192.168.77.1 \
    "$guest" >"$VM_DIR/pc2.log" 2>&1 &
pc2=$!

say "starting the driver (192.168.77.1), which runs dockerlan over local and pc2"
# The VMs' own throw-away key (build-image.sh authorises it for root in every VM).
key=$(base64 -w0 "$VM_DIR/id_ed25519")
rc=0
"$VM_TOOLS/run-in-vm.sh" --timeout "${TIMEOUT:-10800}" --mem 6G --lan "$LAN" \
    --project "$stage/project" --env ROLE=driver --env ADDRESS=192.168.77.1 \
    --env PEER=192.168.77.2 --env "VM_KEY=$key" "$guest" || rc=$?
say "driver exited $rc; waiting for pc2 to report what it still holds"
wait "$pc2" || { r=$?; [ "$rc" -ne 0 ] || rc=$r; }
pc2=""
sed -n '/=== pc2 holds/,$p' "$VM_DIR/pc2.log"
exit "$rc"
