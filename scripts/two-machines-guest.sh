#!/bin/bash
# The guest side of `make test-two-machines` (scripts/two-machines.sh): runs as
# root in each VM. ROLE=pc2 takes its LAN address, lets the driver in by ssh
# and waits until the driver says it is done, then lists what its engine still
# holds. ROLE=driver (in a clone of the project holding images.tar.gz) sets up
# dockerlan, records pc2 as ssh://root@PEER and runs a routed and an overlay
# lab over both machines: every pair, a cut between the machines' hosts, down.
set -uo pipefail
ip link set ens4 up
ip addr add "$ADDRESS/24" dev ens4
echo "$ROLE: $ADDRESS on ens4; kernel $(uname -r); $(docker version --format 'docker {{.Server.Version}}')"

holdings() {
    echo "containers: $(docker ps -aq | wc -l); volumes: $(docker volume ls -q | wc -l)"
    echo "networks: $(docker network ls --format '{{.Name}}' | sort | tr '\n' ' ')"
    echo "swarm: $(docker info --format '{{.Swarm.LocalNodeState}}')"
}

if [ "$ROLE" = pc2 ]; then
    systemctl start ssh
    echo "=== pc2 ready; waiting for the driver (at most 3 h)"
    for _ in $(seq 1 1080); do [ -e /root/done ] && break; sleep 10; done
    echo "=== pc2 holds, after the driver's last down:"
    holdings
    [ -e /root/done ] || { echo "the driver never said it was done"; exit 1; }
    exit 0
fi

# shellcheck source=scripts/vm-steps.sh
. scripts/vm-steps.sh
DL=.venv/bin/dockerlan
on_pc2() { ssh -o BatchMode=yes -o ConnectTimeout=10 "root@$PEER" "$@"; }

ssh_setup() {
    install -d -m 700 /root/.ssh
    echo "$VM_KEY" | base64 -d >/root/.ssh/id_ed25519 && chmod 600 /root/.ssh/id_ed25519
    printf 'Host %s\n  User root\n  StrictHostKeyChecking accept-new\n' "$PEER" >/root/.ssh/config
    for _ in $(seq 1 120); do on_pc2 docker info --format '{{.ServerVersion}}' && return 0; sleep 10; done
    return 1
}

load_images() { gunzip -c images.tar.gz | docker load && rm -f images.tar.gz; }

# A lab over local and pc2 in MODE: up, every pair, a cut between the two
# machines' hosts (the matrix must then fail, exit 1), healed, down; pc2 holds
# nothing of it afterwards.
lab_over_two() {
    local mode=$1 rc=0
    $DL up --name two --mode "$mode" --hosts 4 --procs 3 --machines local,pc2 || return 1
    $DL status --name two || rc=1
    $DL ping-matrix --name two || rc=1
    $DL trace --name two p0 p3 || rc=1
    $DL partition --name two h0,h2 / h1,h3 || rc=1
    if $DL ping-matrix --name two; then echo "the matrix passed with a cut in force"; rc=1; fi
    $DL heal --name two || rc=1
    $DL ping-matrix --name two || rc=1
    $DL down --name two || rc=1
    echo "pc2 after down:"
    on_pc2 "docker ps -aq | wc -l; docker network ls --format '{{.Name}}' | tr '\n' ' '; echo"
    return "$rc"
}

step setup scripts/setup.sh
step load-images load_images
step ssh-to-pc2 ssh_setup
step machines-add $DL machines add pc2 --engine "ssh://root@$PEER"
step machines-ls $DL machines
step machines-json $DL machines --json
step routed-lab lab_over_two routed
step overlay-lab lab_over_two overlay
step down-all $DL down --all
echo "=== local holds:"
holdings
on_pc2 touch /root/done
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
echo "=== all steps passed"
