#!/bin/bash
# make test-stock: the README's `make run` and the part of the suite that
# depends on the machine (routed and overlay labs, sealing, teardown and
# cgroups, a host's powers, kill points, restarts) on a stock Debian 12:
# systemd, AppArmor, cgroup v2 only, Debian's docker.io, in a virtual machine
# (the shared VM tools: VM_TOOLS, default ../shared/vm). Not part of `make
# test` or CI: emulated, it takes about an hour.
#
# The images are built here and delivered into the VM (a build inside the
# emulated VM takes 20 minutes): the VM clones a throw-away copy of this
# repository's HEAD that also holds them. The VM's image is built once, into
# VM_DIR, without the apparmor package (WITHOUT_APPARMOR=0 keeps it), to show
# that scripts/setup.sh installs what Docker needs there.
set -euo pipefail
cd "$(dirname "$0")/.."

VM_TOOLS=${VM_TOOLS:-../shared/vm}
export VM_DIR=${VM_DIR:-/tmp/dockerlan-stock-vm}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
# shellcheck source=scripts/vm-stage.sh
. scripts/vm-stage.sh

[ -x "$VM_TOOLS/run-in-vm.sh" ] || { echo "no VM tools in $VM_TOOLS (set VM_TOOLS)" >&2; exit 2; }
if [ ! -f "$VM_DIR/base.img" ]; then
    say "building the Debian 12 VM image into $VM_DIR"
    WITHOUT_APPARMOR=${WITHOUT_APPARMOR:-1} "$VM_TOOLS/build-image.sh"
fi

stage=$(mktemp -d /tmp/dockerlan-stock-XXXXXX)
trap 'rm -rf "$stage"' EXIT
stage_project "$stage"

say "running scripts/stock-guest.sh in the VM (output below; logs in $VM_DIR/runs/)"
"$VM_TOOLS/run-in-vm.sh" --timeout "${TIMEOUT:-14400}" --project "$stage/project" \
    --env "STOCK_TESTS=${STOCK_TESTS:-}" "$(cat scripts/stock-guest.sh)"
