#!/bin/sh
# Entrypoint of a dockerlan virtual host. A list of small steps, each saying
# which problem of nested engines it works around; the last one hands over to
# the host's own Docker engine.
set -eu

log() { echo "dockerlan-host: $*" >&2; }

# The host sits on a normal Docker bridge network, and the machine forwards
# whatever a container sends to that network's gateway. A lab must never reach
# past its own containers, so the default route goes before anything else runs
# (seal first: an unsealed moment is a leak).
seal_default_route() {
    ip route replace unreachable default
}

# Docker mounts /proc/sys read-only in a container, and the inner engine tunes
# its bridges there (route_localnet, ...). Only net/ is made writable again:
# it shows the host's own network namespace, whereas kernel/, vm/ and fs/
# are the machine's and stay read-only. A fresh proc mount gives a writable
# net/ to bind over the read-only one.
make_net_sysctls_writable() {
    mkdir -p /run/dockerlan/proc
    mount -t proc proc /run/dockerlan/proc
    mount --bind /run/dockerlan/proc/sys/net /proc/sys/net
    umount -l /run/dockerlan/proc
}

# cgroup v1: without --privileged every controller is mounted read-only, and
# the inner dockerd cannot create its containers' cgroups. Mounting each
# controller anew makes it writable. Inside a private cgroup namespace the new
# mount shows only this container's own subtree; in the host's namespace we
# bind-mount our own path (the third field of /proc/1/cgroup) over it. Either
# way the inner containers' cgroups nest under the host's and are removed with
# it, instead of leaking next to it on the machine (where they were seen to
# stay after the host was removed).
fix_cgroups_v1() {
    mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
    grep -v '^0::' /proc/1/cgroup | while IFS=: read -r _id controllers path; do
        [ -n "$controllers" ] || continue
        case "$controllers" in
            name=*) dir=${controllers#name=}; opts="none,$controllers" ;;
            *) dir=$controllers; opts=$controllers ;;
        esac
        mnt=/sys/fs/cgroup/$dir
        [ -d "$mnt" ] || mkdir -p "$mnt"
        umount "$mnt" 2>/dev/null || true
        if [ "$path" = / ]; then
            mount -t cgroup -o "$opts" cgroup "$mnt"
        else
            private=/run/dockerlan/cgroup/$dir
            mkdir -p "$private"
            mount -t cgroup -o "$opts" cgroup "$private"
            mkdir -p "$private$path"
            mount --bind "$private$path" "$mnt"
        fi
    done
    # Combined controllers (cpu,cpuacct) are reached by their single names too.
    for combined in /sys/fs/cgroup/*,*; do
        [ -d "$combined" ] || continue
        for single in $(basename "$combined" | tr ',' ' '); do
            [ -e "/sys/fs/cgroup/$single" ] || ln -s "$(basename "$combined")" "/sys/fs/cgroup/$single"
        done
    done
}

# cgroup v2: a cgroup with processes cannot hand controllers to children, so
# move ourselves into a leaf and enable every controller for the inner engine
# (the same nesting step the docker:dind image performs).
fix_cgroups_v2() {
    mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
    mkdir -p /sys/fs/cgroup/init
    while read -r pid; do
        echo "$pid" > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
    done < /sys/fs/cgroup/cgroup.procs
    # shellcheck disable=SC2013 # the file is one line of words
    for ctrl in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$ctrl" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || log "cannot delegate $ctrl"
    done
}

fix_cgroups() {
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        fix_cgroups_v2
    else
        fix_cgroups_v1
    fi
}

# A host that was stopped (or whose outer engine restarted) keeps its files:
# a stale pid file makes dockerd refuse to start ("pid file found"). (The last
# boot's setup state is in /run/dockerlan, a tmpfs that every start empties.)
clear_stale_files() {
    rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
}

# dockerlan puts the host's data files in place before starting it, so a new
# host sets itself up with no exec from outside; `dockerlan-host setup` waits
# for dockerd and reports on stdout, which is the container's log. It runs
# detached, so tini reaps it and dockerd stays this container's main process.
start_setup() {
    if [ -f /etc/dockerlan/host.env ]; then
        (dockerlan-host setup &)
    fi
}

# The orchestrator owns forwarding, routes and addresses: the inner engine gets
# no iptables rules, no NAT and no docker0. /var/lib/docker is a volume, since
# overlay2 cannot sit on the container's own overlayfs.
#
# A machine (DOCKERLAN_MACHINE_SOCKET set: the test suite's stand-in for another
# computer, tests/machines.py) runs a whole engine instead, as a computer's own:
# Docker's networking on, listening only on a socket in a folder it shares with
# the computer, so that it is reached without any TCP port.
start_engine() {
    if [ -n "${DOCKERLAN_MACHINE_SOCKET:-}" ]; then
        rm -f "$DOCKERLAN_MACHINE_SOCKET"
        exec dockerd --host "unix://$DOCKERLAN_MACHINE_SOCKET" --log-level=warn \
            --exec-opt native.cgroupdriver=cgroupfs
    fi
    exec dockerd \
        --iptables=false --ip-masq=false --bridge=none \
        --userland-proxy=false --log-level=warn \
        --exec-opt native.cgroupdriver=cgroupfs
}

seal_default_route
make_net_sysctls_writable
fix_cgroups
clear_stale_files
start_setup
start_engine
