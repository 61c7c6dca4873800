# shellcheck shell=dash
# The host-side library of dockerlan: small named functions run inside a
# virtual host by `dockerlan-host` (see that file for the verbs). Python
# never writes shell: it puts data files in /etc/dockerlan (hostside/data.py
# names them) and reads the marker lines `say` prints (hostside/protocol.py).
#
# Why shell, and why curl: every `docker exec` into a host costs a runc exec
# (about 65 ms of CPU) and every inner docker CLI call about 70 ms more, and
# `up` is CPU-bound. So a host sets itself up in one run of `setup`, talking
# to its inner engine's API with curl (milliseconds).

SETUP_DIR=/etc/dockerlan
SETTINGS=$SETUP_DIR/host.env
LAN_REQUEST=$SETUP_DIR/lan.json
PROCS_FILE=$SETUP_DIR/procs
IMAGES_FILE=$SETUP_DIR/images
NAMES_FILE=$SETUP_DIR/names
WAVE_FILE=$SETUP_DIR/wave
CUTS_FILE=$SETUP_DIR/cuts.json
DROPS_FILE=$SETUP_DIR/drops
ISOLATION_FILE=$SETUP_DIR/isolation
CUTS_MARK=/run/dockerlan/cuts-applied
PORTS_FILE=$SETUP_DIR/ports
PORTS_MARK=/run/dockerlan/ports-applied
WATCHER_PID=/run/dockerlan/watcher.pid
IMPAIR_FILE=$SETUP_DIR/impairments.json
SHAPES_FILE=$SETUP_DIR/shapes
SHAPES_MARK=/run/dockerlan/shapes-applied
DNS_PID=/run/dockerlan/dnsmasq.pid
PROC_HOSTS=/run/dockerlan/names/hosts      # what procs mount as /etc/hosts
PROC_RESOLV=/run/dockerlan/names/resolv.conf # ... and as /etc/resolv.conf
ROUTES_FILE=$SETUP_DIR/routes
PEERS_FILE=$SETUP_DIR/peers
HOSTS_FILE=$SETUP_DIR/hosts
FILL_LINES=$SETUP_DIR/fill-lines      # "NAME PATH": this host's procs' filesystems to fill
FILLED=$SETUP_DIR/filled              # ... filled last time, to empty when unlisted
FILL_FILE=.dockerlan-fill             # the file that fills one (plan/fills.py)
FILL_LARGEST=1073741824               # the biggest filesystem a fill takes
LIMIT_LINES=$SETUP_DIR/limit-lines    # "NAME NANO_CPUS MEMORY_BYTES": this host's limited procs
LIMITED=$SETUP_DIR/limited            # the procs limited last time, to free when unlisted
DNS_SERVERS_FILE=$SETUP_DIR/dns-servers   # the names sent to the black hole (DNS time-outs)
DNS_BLACKHOLE=127.0.0.153                  # ... dropped as it arrives (INPUT: the sender is not told)
IMAGE_ARCHIVE=/var/tmp/dockerlan/image.tar
STATE_FILE=/run/dockerlan/state # the last setup's state; /run/dockerlan is a tmpfs, empty at boot
DOCKER_SOCK=/var/run/docker.sock
TASKS_DIR=/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby # a running proc's init.pid
ENGINE_WAIT_TRIES=1200 # 60 s in steps of 0.05 s
HEARTBEAT=10           # seconds; far below the client's read timeout (120 s)
NEED_IMAGE_EXIT=3
# fping: two echoes per pair, the first warming the neighbour caches; pairs
# that still fail get a second, slower round (see lab/matrix.py).
FIRST_ROUND="-C 2 -p 20 -i 1 -t 500"
RETRY_ROUND="-C 3 -p 200 -i 5 -t 1000"

# ---- talking to dockerlan -----------------------------------------------------

# say KIND [WORDS]: one marker line for dockerlan. It goes to fd 8, the
# command's own stdout, so it reaches dockerlan also from inside a pipeline.
say() {
    echo "@@dockerlan:$TOKEN $*" >&8
}

fail() {
    say fail "$*"
    [ -z "${in_setup:-}" ] || mark_state "failed: $*"
    exit 1
}

# mark_state WORDS: what `inspect` reports of this host's setup (setting-up,
# ready, failed: WHY, waiting-for-image), so `status` tells a host that is
# coming back from one that is ready.
mark_state() {
    mkdir -p "${STATE_FILE%/*}"
    echo "$*" >"$STATE_FILE"
}

# The settings `up` delivered: TOKEN, LAB, HOST, MODE, IMAGE, ... (data.py).
load_settings() {
    [ -f "$SETTINGS" ] || { echo "no $SETTINGS: this host was never set up" >&2; exit 1; }
    # shellcheck source=/dev/null
    . "$SETTINGS"
}

# One setup at a time, also when a boot-time run and an exec meet.
take_setup_lock() {
    exec 9>/run/dockerlan-setup.lock
    flock 9
}

# A sign of life while a long step runs, so a silent host stands out. Its
# sleep holds none of the command's output open, so a reader's stream ends
# with the command.
start_heartbeat() {
    (while sleep "$HEARTBEAT" >/dev/null 2>&1 8>&-; do say alive; done) </dev/null &
    heartbeat=$!
    trap 'pkill -P $heartbeat; kill $heartbeat 2>/dev/null' EXIT
}

# ---- the inner engine -------------------------------------------------------------

# api METHOD PATH [BODY_FILE|-]: one call to the inner engine's API. Prints
# the reply; fails on an HTTP error.
api() {
    local method=$1 path=$2 reply
    if [ $# -ge 3 ]; then
        reply=$(curl -sS --unix-socket "$DOCKER_SOCK" -X "$method" \
            -H 'Content-Type: application/json' --data-binary "@$3" \
            -w '\n%{http_code}' "http://inner$path") || return 1
    else
        reply=$(curl -sS --unix-socket "$DOCKER_SOCK" -X "$method" \
            -w '\n%{http_code}' "http://inner$path") || return 1
    fi
    printf '%s\n' "$reply" | sed '$d'
    [ "$(printf '%s\n' "$reply" | tail -n 1)" -lt 300 ]
}

# Until its socket exists, a test of the file (a shell builtin) is the cheap
# way to wait: at 16x16, hosts polling with curl while their engines started
# took CPU from the engines starting. A curl on the socket waits for the answer.
wait_for_engine() {
    local i=0
    until [ -S "$DOCKER_SOCK" ] && curl -sf --unix-socket "$DOCKER_SOCK" http://inner/_ping >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -lt "$ENGINE_WAIT_TRIES" ] || fail "the inner Docker engine of $CONTAINER did not start"
        sleep 0.05
    done
}

# proc_names: this host's procs, one name a line: the planned ones, then any
# other its inner engine labels as a proc (the one list every verb uses).
proc_names() {
    procs_and "$(listed_procs)"
}

# procs_and NAMES: the planned procs, then those of NAMES (one a line) not
# planned: proc_names for a listing already made.
procs_and() {
    {
        planned_procs
        [ -z "$1" ] || printf '%s\n' "$1"
    } | awk '!seen[$0]++'
}

# inspect_procs NAME...: "NAME STATE PID ADDRESS MAC CONFIGURED CONFIG
# HEALTH" for each proc named, all asked at once. STATE is "missing" for one
# the inner engine does not have; PID (in this host's PID namespace) is 0
# unless it runs; ADDRESS and MAC are those it has while running, CONFIGURED
# the address it was created with, CONFIG the digest of how it was made,
# HEALTH its healthcheck's verdict. One jq reads every
# answer: jq takes about 17 ms to start, curl a few.
inspect_procs() (
    [ $# -gt 0 ] || exit 0
    dir=$(mktemp -d)
    for name in "$@"; do
        curl -s --unix-socket "$DOCKER_SOCK" "http://inner/containers/$name/json" >"$dir/$name" &
    done
    wait
    # A field that is empty is "-", so that `read` keeps every field in its place.
    jq -r --arg lan "$LAN_NETWORK" --arg config "$CONFIG_LABEL" '
        def field: if . == null or . == "" then "-" else tostring end;
        if .Id then
            .NetworkSettings.Networks[$lan] as $net |
            [.Name[1:], .State.Status, (if .State.Running then .State.Pid else 0 end),
             $net.IPAddress, $net.MacAddress, $net.IPAMConfig.IPv4Address,
             .Config.Labels[$config], .State.Health.Status]
        else [input_filename | split("/") | last, "missing", 0] end |
        [.[range(8)] | field] | join(" ")' "$dir"/*
    rm -rf "$dir"
)

planned_procs() {
    cut -d' ' -f1 "$PROCS_FILE"
}

# ---- setup: the host made to match its data files ------------------------------

# The images the procs run, each with the ID the plan expects; those missing
# are loaded from the archive `up` delivered, or asked for by name.
ensure_images() {
    local missing out
    missing=$(missing_images)
    if [ -n "$missing" ] && [ -f "$IMAGE_ARCHIVE" ]; then
        out=$(load_archive "$IMAGE_ARCHIVE" 2>&1) ||
            { echo "$out"; fail "cannot load $(echo "$missing" | paste -sd' ' -) into $HOST"; }
        say changed
        missing=$(missing_images)
        [ -z "$missing" ] || fail "the archive delivered to $HOST lacks $(echo "$missing" | paste -sd' ' -)"
    elif [ -n "$missing" ]; then
        mark_state waiting-for-image
        # shellcheck disable=SC2086 # one word per image
        say need-image $missing
        exit "$NEED_IMAGE_EXIT"
    fi
    rm -rf "${IMAGE_ARCHIVE%/*}"
}

# load_archive FILE: the images of a `docker save` archive into the inner
# engine, streamed to its API (the docker CLI costs 25 ms more of CPU a host,
# a Go program starting). The reply is a stream of JSON lines, and a failed
# load is one with "error" in an HTTP 200: that is a failure too.
load_archive() {
    local reply
    reply=$(curl -sS --unix-socket "$DOCKER_SOCK" -X POST -H 'Content-Type: application/x-tar' \
        -T "$1" "http://inner/images/load?quiet=1") || return 1
    ! printf '%s\n' "$reply" | grep -q '"error"' || { printf '%s\n' "$reply"; return 1; }
}

# missing_images: the names of planned images the inner engine lacks or has
# with another ID, one a line.
missing_images() {
    local image id
    while read -r image id; do
        api GET "/images/$image/json" 2>/dev/null | jq -e --arg id "$id" '.Id == $id' >/dev/null ||
            echo "$image"
    done <"$IMAGES_FILE"
}

ensure_lan() {
    api GET "/networks/$LAN_NETWORK" >/dev/null 2>&1 && return
    local out
    out=$(api POST /networks/create "$LAN_REQUEST" 2>&1) || { echo "$out"; fail "cannot create the LAN of $HOST"; }
    say changed
}

# The host's DNS server on br0, the procs' only one: it answers the lab's
# names from NAMES_FILE, a service's name with every replica's address, and
# asks nobody else (no upstream; every domain is local), so a name outside
# the lab is NXDOMAIN at once, and a lab name's IPv6 query is empty, not an
# error. A DNS time-out fault sends its name to a black hole of this namespace
# instead (DNS_SERVERS_FILE). A running one re-reads both files (SIGHUP).
ensure_dns() {
    local pid
    pid=$(cat "$DNS_PID" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dnsmasq ]; then
        kill -HUP "$pid"
        return
    fi
    mkdir -p "${DNS_PID%/*}"
    [ -f "$DNS_SERVERS_FILE" ] || : >"$DNS_SERVERS_FILE"
    iptables -C INPUT -d "$DNS_BLACKHOLE" -j DROP 2>/dev/null ||
        iptables -I INPUT -d "$DNS_BLACKHOLE" -j DROP || fail "cannot make the DNS black hole of $HOST"
    dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$NAMES_FILE" \
        --servers-file="$DNS_SERVERS_FILE" \
        --listen-address="$BRIDGE" --bind-dynamic --pid-file="$DNS_PID" \
        --user=root --local-ttl=0 --local=/#/ || fail "cannot start the DNS server of $HOST"
    say changed
}

# Procs a host starts at once. Every host sets itself up at the same time, and
# a machine starting all its procs together spent more CPU on each (bench/
# phases.py, 16x16 up: all at once 72-77 s, 4 at a time 60 s, 2 at a time 59 s,
# one at a time 64 s; at 3x4 and 8x8 the same within the noise).
LAUNCH_BATCH=2

# wave_limit: the last wave of procs to start (WAVE_FILE; all without one).
wave_limit() {
    cat "$WAVE_FILE" 2>/dev/null || echo 1000000
}

# Procs that are not planned, not at their planned address (a lab whose procs
# per host changed numbers them anew) or not made as planned (another image,
# command or environment) go first, so that the planned ones can take their
# addresses; then every planned proc is created if missing and started if
# stopped, LAUNCH_BATCH at a time. A new host's engine has no procs: one
# listing says so, instead of asking for each (a curl costs about 10 ms of
# CPU; at 16x16 the hosts' curls were 8% of `up`'s CPU).
ensure_procs() {
    local existing="" results name body wave limit state listed
    listed=$(listed_procs) || fail "the inner engine of $HOST does not list its procs"
    if [ -n "$listed" ]; then
        # shellcheck disable=SC2046 # one word per proc
        existing=$(inspect_procs $(procs_and "$listed")) ||
            fail "the inner engine of $HOST does not list its procs"
    fi
    results=$(mktemp)
    for name in $(printf '%s\n' "$existing" | awk 'NR == FNR { at[$1] = $2; made[$1] = $3; next }
        $2 != "missing" && (at[$1] != $6 || made[$1] != $7) { print $1 }' "$PROCS_FILE" -); do
        api DELETE "/containers/$name?force=1" >/dev/null && echo CHANGED >>"$results"
        existing=$(printf '%s\n' "$existing" | awk -v n="$name" '$1 != n')
    done
    # A subshell, so that `wait` waits for the launches and not the heartbeat.
    # Procs of a later wave are left as they are, to be started by a later run.
    limit=$(wave_limit)
    (
        launched=0
        while read -r name _address _config wave body; do
            [ "$wave" -le "$limit" ] || continue
            state=""
            [ -z "$existing" ] || state=$(printf '%s\n' "$existing" | awk -v n="$name" '$1 == n { print $2 }')
            launch_proc "$name" "$body" "$state" "$results.$name" &
            launched=$((launched + 1))
            [ $((launched % LAUNCH_BATCH)) -ne 0 ] || wait
        done <"$PROCS_FILE"
        wait
    ) >>"$results"
    ! grep -q '^CHANGED' "$results" || say changed
    if grep -q '^FAILED' "$results"; then
        grep '^FAILED' "$results"
        fail "procs $(grep '^FAILED' "$results" | cut -d' ' -f2 | paste -sd, -) did not start on $HOST"
    fi
    rm -f "$results" "$results".*
}

# prune_copies: the copies of the machine's files (bind mounts, configs and
# secrets: plan/mounts.py) that no planned proc mounts any more. A copy is
# named by its digest, which the procs' requests name in their mounts.
prune_copies() {
    local copy
    for copy in "$COPIES_DIR"/*; do
        [ -d "$copy" ] || continue
        grep -qF "$copy/" "$PROCS_FILE" || rm -rf "$copy"
    done
}

# proc_listing: the inner engine's JSON list of the containers it labels as
# procs, running or not; fails if the engine does not answer.
proc_listing() {
    curl -sf --unix-socket "$DOCKER_SOCK" -G "http://inner/containers/json?all=1" \
        --data-urlencode "filters={\"label\":[\"$PROC_LABEL\"]}"
}

# listed_procs: the names of the containers the inner engine labels as procs.
listed_procs() {
    local reply
    reply=$(proc_listing) || return 1
    printf '%s\n' "$reply" | grep -o '"Names":\["/[^"]*' | cut -d/ -f2
}

# launch_proc NAME REQUEST STATE SCRATCH: prints CHANGED or FAILED NAME REASON.
# An empty STATE is a proc this setup just removed, as good as missing. A
# missing one is created and started by one curl (two requests, one process).
launch_proc() {
    local name=$1 body=$2 state=${3:-missing} scratch=$4 out codes
    if [ "$state" = missing ]; then
        codes=$(printf '%s' "$body" | curl -sS --unix-socket "$DOCKER_SOCK" -X POST \
            -H 'Content-Type: application/json' --data-binary @- -o "$scratch.create" \
            -w '%{http_code}\n' "http://inner/containers/create?name=$name" \
            --next --unix-socket "$DOCKER_SOCK" -X POST -o "$scratch.start" \
            -w '%{http_code}\n' "http://inner/containers/$name/start" 2>&1 | tr '\n' ' ')
        case $codes in
            2[0-9][0-9]" "2[0-9][0-9]" ") echo CHANGED ;;
            2[0-9][0-9]" "*)
                echo CHANGED
                echo "FAILED $name $(tr '\n' ' ' 2>/dev/null <"$scratch.start")"
                ;;
            *) echo "FAILED $name $(tr '\n' ' ' 2>/dev/null <"$scratch.create")(HTTP ${codes% })" ;;
        esac
        return
    fi
    if [ "$state" != running ]; then
        out=$(api POST "/containers/$name/start" 2>&1) ||
            { echo "FAILED $name $(echo "$out" | tr '\n' ' ')"; return; }
        echo CHANGED
    fi
}

# Exactly the planned routes to the other hosts' LANs: ours that the plan no
# longer has go, the planned ones are replaced.
ensure_routes() {
    local planned
    planned=$(cut -d' ' -f1 "$ROUTES_FILE" | tr '\n' ' ')
    {
        ip route show proto "$ROUTE_PROTO" |
            awk -v keep="$planned" -v proto="$ROUTE_PROTO" '
                BEGIN { n = split(keep, k, " "); for (i = 1; i <= n; i++) planned[k[i]] }
                !($1 in planned) { print "route del " $1 " proto " proto }'
        awk -v proto="$ROUTE_PROTO" '{ print "route replace " $1 " via " $2 " proto " proto }' "$ROUTES_FILE"
    } | ip -batch - || fail "cannot install the routes of $HOST"
}

# (Overlay) A proc's packet to another host's internet address (a published
# port) leaves with this host's address: the other host would answer the LAN
# address over the overlay, and its reverse-path filter drops what comes in on
# eth0 from the LAN's range.
masquerade_to_hosts() {
    local rule="POSTROUTING -s $LAN_SUBNET -d $INTERNET_SUBNET -o eth0 -j MASQUERADE"
    # shellcheck disable=SC2086 # the rule's words
    iptables -t nat -C $rule 2>/dev/null || iptables -t nat -A $rule ||
        fail "cannot let the procs of $HOST reach the other hosts"
}

# The VXLAN port on br0 and its flood list: exactly the planned peers.
ensure_vxlan_peers() {
    if ! ip link show "$VXLAN_DEVICE" >/dev/null 2>&1; then
        ip link add "$VXLAN_DEVICE" type vxlan id "$VXLAN_ID" dstport "$VXLAN_PORT" \
            local "$ADDRESS" dev eth0 || fail "cannot create the VXLAN port of $HOST"
    fi
    # Every time, not only when made: a port found down (or off br0) is put back.
    ip link set "$VXLAN_DEVICE" master "$LAN_BRIDGE" up ||
        fail "cannot bring up the VXLAN port of $HOST"
    local current peer
    current=$(bridge fdb show dev "$VXLAN_DEVICE" | awk -v m="$FLOOD_MAC" '$1 == m { print $3 }')
    for peer in $current; do
        grep -qxF "$peer" "$PEERS_FILE" || bridge fdb del "$FLOOD_MAC" dev "$VXLAN_DEVICE" dst "$peer"
    done
    while read -r peer; do
        printf '%s\n' "$current" | grep -qxF "$peer" ||
            bridge fdb append "$FLOOD_MAC" dev "$VXLAN_DEVICE" dst "$peer" ||
            fail "cannot add VXLAN peer $peer on $HOST"
    done <"$PEERS_FILE"
}

# Every proc mounts the host's copy of the lab's /etc/hosts and a
# resolv.conf naming the host's DNS server (data.py), ready before it starts,
# whatever its image. They are rewritten in place: a bind mount keeps the
# file it was given, so a new file would go unseen.
publish_names() {
    mkdir -p "${PROC_HOSTS%/*}"
    cat "$HOSTS_FILE" >"$PROC_HOSTS" || fail "cannot write the names of $HOST"
    echo "nameserver $BRIDGE" >"$PROC_RESOLV" || fail "cannot write the resolver of $HOST"
}

# The kernel's neighbour (ARP) table limit is machine-wide, not per
# namespace (net.ipv4.neigh.default.gc_thresh3, 1024 by default), and a 16x16
# lab's full matrix needs about 4,600 entries: past the limit it logs
# "neighbor table overflow" and drops packets. Permanent entries do not count
# against it, and the host knows every address and MAC of its LAN, so it pins
# them: each proc gets br0 and its LAN neighbours, br0 gets each proc.
# Overlay LANs span hosts and their remote MACs are learnt: nothing is pinned.
pin_neighbours() {
    local inventory=$1 br _name _state pid ip mac _rest
    br=$(cat "/sys/class/net/$LAN_BRIDGE/address")
    # shellcheck disable=SC2094 # the inventory is only read, by both
    while read -r _name _state pid ip mac _rest; do
        {
            echo "neigh replace $BRIDGE lladdr $br dev eth0 nud permanent"
            awk -v self="$ip" '$4 != self { print "neigh replace " $4 " lladdr " $5 " dev eth0 nud permanent" }' "$inventory"
        } | nsenter -t "$pid" -n ip -batch - || fail "cannot pin the neighbours of $ip"
        echo "neigh replace $ip lladdr $mac dev $LAN_BRIDGE nud permanent"
    done <"$inventory" | ip -batch - || fail "cannot pin the neighbours of $LAN_BRIDGE"
}

# (Routed) pinned neighbours, from one look at the procs.
link_procs() {
    local inventory
    [ "$MODE" != overlay ] || return 0
    inventory=$(mktemp)
    # shellcheck disable=SC2046 # one word per planned proc
    inspect_procs $(planned_procs) | awk '$2 == "running"' >"$inventory" ||
        fail "cannot inspect the procs of $HOST"
    pin_neighbours "$inventory"
    rm -f "$inventory"
}

# in_netns PID|self COMMAND...: a command in a proc's network namespace, or
# (self) in the host's own.
in_netns() {
    local pid=$1
    shift
    if [ "$pid" = self ]; then "$@"; else nsenter -t "$pid" -n "$@"; fi
}

# namespaces: "NAME PID" of each running planned proc, then "- self" for the
# host: every network namespace a cut or an impairment is set in.
namespaces() {
    # shellcheck disable=SC2046 # one word per planned proc
    inspect_procs $(planned_procs) | awk '$2 == "running" { print $1, $3 }' ||
        fail "cannot inspect the procs of $HOST"
    echo "- self"
}

# namespaces_of [PROC]: the namespaces (above), or PROC's alone.
namespaces_of() {
    if [ -z "${1:-}" ]; then namespaces; else namespaces | awk -v only="$1" '$1 == only'; fi
}

# The drops of the lab's cuts (DROPS_FILE: "NAME ADDRESS WAY" lines, NAME a proc
# or - for the host itself), and those that keep apart an app's services that
# share no network (ISOLATION_FILE, the same lines), each in its own network
# namespace: a chain
# DOCKERLAN-CUTS, jumped to from INPUT and OUTPUT, drops packets to and from
# each address (WAY both), or only those sent to it (WAY to: a one-way cut);
# where nothing is to be dropped the chain is emptied (healed).
# A host where no cut was ever made skips all of it (CUTS_MARK).
# A reset line refuses TCP with a reset and drops the rest. The chain serves INPUT
# and OUTPUT alike: the reset made for a local sender (from the peer's address, to
# this side) must pass it on its way in, so resets from the peer are let through.
# shellcheck disable=SC2016
CUT_RULES='$1 == n {
    c = "-A DOCKERLAN-CUTS "; reject = "-p tcp -j REJECT --reject-with tcp-reset"
    if ($3 != "to") {
        if ($4 == "reset") {
            print c "-s " $2 " -p tcp --tcp-flags RST RST -j RETURN"
            print c "-s " $2 " " reject
        }
        print c "-s " $2 " -j DROP"
    }
    if ($4 == "reset") print c "-d " $2 " " reject
    print c "-d " $2 " -j DROP"
}'

# apply_cuts [PROC]: every namespace's drops, or PROC's alone.
apply_cuts() {
    local inventory name pid chain
    [ -s "$DROPS_FILE" ] || [ -s "$ISOLATION_FILE" ] || [ -f "$CUTS_MARK" ] || return 0
    inventory=$(mktemp)
    namespaces_of "${1:-}" >"$inventory"
    while read -r name pid; do
        {
            echo "*filter"
            echo ":DOCKERLAN-CUTS - [0:0]"
            cat "$DROPS_FILE" "$ISOLATION_FILE" 2>/dev/null | awk -v n="$name" "$CUT_RULES"
            echo "COMMIT"
        } | in_netns "$pid" iptables-restore --noflush || fail "cannot apply the cuts to $name"
        for chain in INPUT OUTPUT; do
            in_netns "$pid" iptables -C "$chain" -j DOCKERLAN-CUTS 2>/dev/null ||
                in_netns "$pid" iptables -I "$chain" -j DOCKERLAN-CUTS ||
                fail "cannot apply the cuts to $name"
        done
    done <"$inventory"
    rm -f "$inventory"
    if [ -s "$DROPS_FILE" ] || [ -s "$ISOLATION_FILE" ]; then touch "$CUTS_MARK"; else rm -f "$CUTS_MARK"; fi
}

# apply_ports: the app's published ports (PORTS_FILE: "PROTO PORT ADDRESS
# TARGET FROM" lines, FROM - for anyone). A DNAT sends this host's internet
# address's PORT to the replica's TARGET, for packets coming in (PREROUTING)
# and for the host's own (OUTPUT). A sender on this host's LAN (a proc here,
# or any proc in overlay mode) would be answered by the replica directly,
# around the DNAT: its source becomes the host's, so that the answer comes
# back the way the question went. Both chains are rewritten whole; a host
# that never published skips it all (PORTS_MARK).
apply_ports() {
    local chain
    [ -s "$PORTS_FILE" ] || [ -f "$PORTS_MARK" ] || return 0
    {
        echo "*nat"
        echo ":DOCKERLAN-PORTS - [0:0]"
        echo ":DOCKERLAN-PORTS-BACK - [0:0]"
        awk -v me="$ADDRESS" '{
            from = $5 == "-" ? "" : " -s " $5
            print "-A DOCKERLAN-PORTS -d " me from " -p " $1 " --dport " $2 \
                " -j DNAT --to-destination " $3 ":" $4
        }' "$PORTS_FILE"
        [ ! -s "$PORTS_FILE" ] || echo "-A DOCKERLAN-PORTS-BACK -s $LAN_SUBNET -o $LAN_BRIDGE" \
            "-m conntrack --ctstate DNAT -j MASQUERADE"
        echo "COMMIT"
    } | iptables-restore --noflush || fail "cannot publish the ports of $HOST"
    for chain in PREROUTING OUTPUT; do
        iptables -t nat -C "$chain" -j DOCKERLAN-PORTS 2>/dev/null ||
            iptables -t nat -I "$chain" -j DOCKERLAN-PORTS || fail "cannot publish the ports of $HOST"
    done
    iptables -t nat -C POSTROUTING -j DOCKERLAN-PORTS-BACK 2>/dev/null ||
        iptables -t nat -I POSTROUTING -j DOCKERLAN-PORTS-BACK ||
        fail "cannot publish the ports of $HOST"
    if [ -s "$PORTS_FILE" ]; then touch "$PORTS_MARK"; else rm -f "$PORTS_MARK"; fi
}

# Limits live in each proc's inner-engine config (they survive restarts). Docker
# cannot take a limit away, so a freed proc gets what its plan gives it (a
# compose service's cpus and memory), else the host's whole: every CPU, all the
# machine's memory (and as much again of swap).
apply_limits() {
    local name cpus memory whole_cpus whole_memory
    [ -s "$LIMIT_LINES" ] || [ -s "$LIMITED" ] || return 0
    whole_cpus=$(nproc)
    whole_memory=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) * 1024))
    touch "$LIMITED"
    while read -r name; do
        grep -q "^$name " "$LIMIT_LINES" && continue
        docker inspect "$name" >/dev/null 2>&1 || continue
        # shellcheck disable=SC2046 # --cpus N --memory N --memory-swap N
        docker update $(planned_limits "$name" - -) "$name" >/dev/null ||
            fail "cannot free $name's CPU and memory"
    done <"$LIMITED"
    while read -r name cpus memory; do
        docker inspect "$name" >/dev/null 2>&1 || continue
        # shellcheck disable=SC2046 # --cpus N --memory N --memory-swap N
        docker update $(planned_limits "$name" "$cpus" "$memory") "$name" >/dev/null ||
            fail "cannot limit $name's CPU and memory"
    done <"$LIMIT_LINES"
    cut -d' ' -f1 "$LIMIT_LINES" >"$LIMITED"
}

# planned_limits NAME CPUS MEMORY: docker update's options for a proc, CPUS in
# billionths and MEMORY in bytes, or - for what its plan gives it (its request's
# NanoCpus and Memory), else the host's whole (whole_cpus, whole_memory).
planned_limits() {
    local name=$1 cpus=$2 memory=$3 planned
    planned=$(awk -v n="$name" '$1 == n { $1 = $2 = $3 = $4 = ""; print }' "$PROCS_FILE" |
        jq -r '"\(.HostConfig.NanoCpus // 0) \(.HostConfig.Memory // 0)"')
    [ "$cpus" != - ] || cpus=${planned% *}
    [ "$memory" != - ] || memory=${planned#* }
    if [ "${cpus:-0}" = 0 ]; then cpus=$whole_cpus; else cpus=$(awk -v n="$cpus" 'BEGIN { printf "%.3f", n / 1e9 }'); fi
    if [ "${memory:-0}" = 0 ]; then
        echo "--cpus $cpus --memory $whole_memory --memory-swap $((whole_memory * 2))"
    else
        echo "--cpus $cpus --memory $memory --memory-swap $memory"
    fi
}

# Where a proc's PATH is, seen from this host (its mount namespace, through its
# first process), or nothing when the proc is not running.
proc_path() {
    local pid
    pid=$(docker inspect -f '{{.State.Pid}}' "$1" 2>/dev/null) || return 1
    [ "${pid:-0}" -gt 0 ] || return 1
    echo "/proc/$pid/root$2"
}

# Whether a proc's PATH may be filled: an in-memory filesystem of a bounded size.
# (The proc is named in the answers as the user named it: $3. stat, not df: df
# reads this namespace's mounts, not the proc's.)
fillable() {
    local dir kind size shown=${3:-$1}
    dir=$(proc_path "$1" "$2") || { say fillable no "$shown is not running"; return; }
    [ -d "$dir" ] || { say fillable no "$2 is not a folder in $shown"; return; }
    kind=$(stat -f -c %T "$dir")
    size=$(stat -f -c '%b %S' "$dir" | awk '{ print $1 * $2 }')
    if [ "$kind" != tmpfs ]; then
        say fillable no "$2 in $shown is on $kind, its host's storage (the machine's disk): fill a size-limited tmpfs, as compose's tmpfs: $2:size=8m"
    elif [ "$size" -gt "$FILL_LARGEST" ]; then
        say fillable no "$2 in $shown is a tmpfs of $size bytes: give it a size of 1g or less (tmpfs: $2:size=8m)"
    else
        say fillable yes "$size"
    fi
}

# Fill what is listed, to the last byte (dd stops at ENOSPC); empty what was
# filled and is listed no more.
apply_fills() {
    local name path dir
    [ -s "$FILL_LINES" ] || [ -s "$FILLED" ] || return 0
    touch "$FILLED"
    while read -r name path; do
        grep -qxF "$name $path" "$FILL_LINES" && continue
        dir=$(proc_path "$name" "$path") || continue
        rm -f "$dir/$FILL_FILE"
    done <"$FILLED"
    while read -r name path; do
        dir=$(proc_path "$name" "$path") || continue
        [ "$(stat -f -c %T "$dir")" = tmpfs ] || fail "$path in $name is not a tmpfs"
        dd if=/dev/zero of="$dir/$FILL_FILE" bs=64k 2>/dev/null || true
        [ "$(stat -f -c %a "$dir")" -eq 0 ] ||
            fail "cannot fill $path in $name"
    done <"$FILL_LINES"
    cp "$FILL_LINES" "$FILLED"
}

# netem_available: whether the kernel has sch_netem, tried on a throwaway
# veth pair (the lab's own links are not touched).
netem_available() {
    local ok=0
    ip link add dlprobe0 type veth peer name dlprobe1 || return 1
    tc qdisc add dev dlprobe0 root netem delay 1ms 2>/dev/null || ok=1
    ip link del dlprobe0
    return "$ok"
}

# The lab's impairments on this host's links (SHAPES_FILE, from plan/impair.py:
# "NAME CLASS RATE_KBIT DELAY_US JITTER_US LOSS_PPM DEST..."), each in its
# namespace's eth0, what it sends: an htb class per line (rate; netem under
# it for delay), u32 filters sending each line's destinations to its class
# (all of them for "*"), the rest unshaped; loss by iptables' statistic
# match in a chain DOCKERLAN-LOSS on the way out of eth0. What was set
# before goes first; a host where nothing was ever set skips it all.
# apply_impairments [PROC]: every namespace's links as SHAPES_FILE says, or PROC's.
apply_impairments() {
    local inventory name pid
    [ -s "$SHAPES_FILE" ] || [ -f "$SHAPES_MARK" ] || return 0
    inventory=$(mktemp)
    namespaces_of "${1:-}" >"$inventory"
    while read -r name pid; do
        impair_netns "$name" "$pid" || fail "cannot impair the link of $name"
    done <"$inventory"
    rm -f "$inventory"
    if [ -s "$SHAPES_FILE" ]; then touch "$SHAPES_MARK"; else rm -f "$SHAPES_MARK"; fi
}

# impair_netns NAME PID|self: one namespace's eth0 as SHAPES_FILE says.
# Duplicates: a copy of a packet, by chance, sent to its own next hop (TEE
# needs one, so a duplicating line lists every address it is for), as it
# leaves eth0, whether sent here or forwarded.
duplicate_netns() {
    local name=$1 pid=$2 ppm dest hop
    {
        echo "*mangle"
        echo ":DOCKERLAN-DUP - [0:0]"
        awk -v n="$name" '$1 == n && $7 != "-" { for (i = 8; i <= NF; i++) print $7, $i }' \
            "$SHAPES_FILE" | while read -r ppm dest; do
            hop=$(in_netns "$pid" ip -4 route get "$dest" | awk '{
                for (i = 1; i < NF; i++) if ($i == "via") { print $(i + 1); exit }
                print $1; exit }')
            [ -n "$hop" ] || continue
            echo "-A DOCKERLAN-DUP -d $dest -m statistic --mode random --probability $(awk -v p="$ppm" 'BEGIN { printf "%.6f", p / 1000000 }') -j TEE --gateway $hop"
        done
        echo "COMMIT"
    } | in_netns "$pid" iptables-restore --noflush || return 1
    in_netns "$pid" iptables -t mangle -C POSTROUTING -o eth0 -j DOCKERLAN-DUP 2>/dev/null ||
        in_netns "$pid" iptables -t mangle -I POSTROUTING -o eth0 -j DOCKERLAN-DUP
}

impair_netns() {
    local name=$1 pid=$2 chain
    in_netns "$pid" tc qdisc del dev eth0 root 2>/dev/null || true
    {
        echo "*filter"
        echo ":DOCKERLAN-LOSS - [0:0]"
        awk -v n="$name" '$1 == n && $6 != "-" {
            p = sprintf("%.6f", $6 / 1000000)
            for (i = 8; i <= NF; i++) {
                dest = ($i == "*") ? "" : " -d " $i
                print "-A DOCKERLAN-LOSS" dest " -m statistic --mode random --probability " p " -j DROP"
            } }' "$SHAPES_FILE"
        echo "COMMIT"
    } | in_netns "$pid" iptables-restore --noflush || return 1
    for chain in OUTPUT FORWARD; do
        [ "$chain" = OUTPUT ] || [ "$pid" = self ] || continue
        in_netns "$pid" iptables -C "$chain" -o eth0 -j DOCKERLAN-LOSS 2>/dev/null ||
            in_netns "$pid" iptables -I "$chain" -o eth0 -j DOCKERLAN-LOSS || return 1
    done
    duplicate_netns "$name" "$pid" || return 1
    awk -v n="$name" '$1 == n && ($3 != "-" || $4 != "-") { found = 1 } END { exit !found }' \
        "$SHAPES_FILE" || return 0
    if awk -v n="$name" '$1 == n && $4 != "-" { found = 1 } END { exit !found }' "$SHAPES_FILE" &&
        ! netem_available; then
        fail "delay and jitter need the kernel's netem queueing discipline (sch_netem), which this machine's kernel lacks"
    fi
    awk -v n="$name" '$1 == n && ($3 != "-" || $4 != "-") {
        rate = ($3 == "-") ? "10gbit" : $3 "kbit"
        print "class add dev eth0 parent 1: classid 1:" $2 " htb rate " rate " ceil " rate
        if ($4 != "-") {
            jitter = ($5 == "-") ? "" : " " $5 "us"
            print "qdisc add dev eth0 parent 1:" $2 " handle " $2 ": netem delay " $4 "us" jitter
        }
        for (i = 8; i <= NF; i++) {
            if ($i == "*") print "filter add dev eth0 parent 1: protocol ip prio 2 u32 match u32 0 0 flowid 1:" $2
            else print "filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst " $i "/32 flowid 1:" $2
        } }' "$SHAPES_FILE" >"/tmp/tc.$$"
    # (htb warns that a fast class's quantum is big: harmless, and not shown)
    if ! {
        echo "qdisc add dev eth0 root handle 1: htb default 1"
        echo "class add dev eth0 parent 1: classid 1:1 htb rate 10gbit"
        cat "/tmp/tc.$$"
    } | in_netns "$pid" tc -batch - >"/tmp/tc.$$.out" 2>&1; then
        grep -v quantum "/tmp/tc.$$.out" >&2
        rm -f "/tmp/tc.$$" "/tmp/tc.$$.out"
        return 1
    fi
    rm -f "/tmp/tc.$$" "/tmp/tc.$$.out"
}

# setup [WAVE]: the whole host, step by step, each idempotent; see
# protocol.py. With WAVE, procs up to that wave start (and at every later boot).
setup() {
    take_setup_lock
    [ $# -eq 0 ] || echo "$1" >"$WAVE_FILE"
    in_setup=1
    mark_state setting-up
    start_heartbeat
    wait_for_engine
    say step engine
    ensure_images
    say step image
    ensure_lan
    publish_names
    ensure_dns
    ensure_procs
    prune_copies
    apply_ports
    apply_limits
    apply_fills
    say step procs
    if [ "$MODE" = overlay ]; then
        ensure_vxlan_peers
        masquerade_to_hosts
    else
        ensure_routes
    fi
    link_procs
    apply_cuts
    apply_impairments
    start_watcher
    say step links
    mark_state ready
    say "done"
}

# start_watcher: the watch (below) of this host's engine, once per boot. It
# gets none of setup's descriptors: fd 9 holds the setup lock.
start_watcher() {
    local pid
    pid=$(cat "$WATCHER_PID" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && return 0
    (dockerlan-host watch </dev/null >/dev/null 2>&1 8>&- 9>&- &)
}

# watch: for as long as the host runs, a proc its engine starts again (its
# restart policy, `dockerlan start`) gets its drops and impairments anew: a
# container's network namespace is made anew at each start, without them.
# One event a line from the engine's API; each is handled under the setup lock.
watch_procs() {
    local name
    echo $$ >"$WATCHER_PID"
    TOKEN=watch
    exec 8>/dev/null
    curl -sN --unix-socket "$DOCKER_SOCK" -G "http://inner/events" --data-urlencode \
        "filters={\"type\":[\"container\"],\"event\":[\"start\"],\"label\":[\"$PROC_LABEL\"]}" |
        while read -r event; do
            name=$(printf '%s\n' "$event" | grep -o '"name":"[^"]*"' | head -n 1 | cut -d'"' -f4)
            [ -n "$name" ] || continue
            (
                flock 9
                apply_cuts "$name"
                apply_impairments "$name"
            ) 9>/run/dockerlan-setup.lock
        done
}

# ---- readers ----------------------------------------------------------------------

# inspect: the host's routes, procs and VXLAN peers, as its kernel and engine have them.
inspect_host() {
    say state "$(cat "$STATE_FILE" 2>/dev/null || echo booting)"
    say routes "$(ip -j route show)"
    # shellcheck disable=SC2046 # one word per proc
    inspect_procs $(proc_names) | while read -r name state _pid ip _mac _configured _config health; do
        say proc "$name $state $ip $health"
    done
    if ip link show "$VXLAN_DEVICE" >/dev/null 2>&1; then
        say peers "$(bridge -j fdb show dev "$VXLAN_DEVICE")"
    else
        say peers "[]"
    fi
    say cuts "$(cat "$CUTS_FILE" 2>/dev/null || echo '[]')"
    say impairments "$(cat "$IMPAIR_FILE" 2>/dev/null || echo '[]')"
}

# ping_from PID NAME OPTIONS ADDRESS...: one fping from a proc's network
# namespace (entered from the host, so the proc's image needs no ping), one
# socket to every target; each result line marked with the source.
ping_from() {
    local pid=$1 name=$2 options=$3
    shift 3
    # shellcheck disable=SC2086 # the options are words
    nsenter -t "$pid" -n fping -q $options "$@" 2>&1 | sed "s/^/@@dockerlan:$TOKEN ping $name /"
}

# ping_all OPTIONS: for each "NAME PID TARGET..." line of stdin, an
# fping from NAME to its targets, all at once. Each writes its own file,
# printed whole once all are done: writers into one pipe would interleave.
ping_all() (
    options=$1
    dir=$(mktemp -d)
    while read -r name pid targets; do
        # shellcheck disable=SC2086 # one word per target
        ping_from "$pid" "$name" "$options" $targets >"$dir/$name" &
    done
    wait
    cat "$dir"/* 2>/dev/null >&8
    rm -rf "$dir"
)

# sweep_procs: "NAME STATE PID ADDRESS" of every proc (the planned ones, then
# any other labelled as one), from one listing of the inner engine and, for
# those running, the PID its shim wrote: what a sweep needs, without a curl
# and a jq for each proc (the matrix runs often, and on every host at once).
sweep_procs() (
    listing=$(proc_listing) || exit 1
    printf '%s\n' "$listing" |
        jq -r --arg lan "$LAN_NETWORK" '.[] | [.Names[0][1:], .State, .Id,
            (.NetworkSettings.Networks[$lan].IPAddress // "" | if . == "" then "-" else . end)]
            | join(" ")' |
        awk 'FNR == NR { if ($1 != "") { known[$1] = $0; order[++n] = $1 }; next }
            !($1 in planned) { planned[$1]; print ($1 in known ? known[$1] : $1 " missing - -") }
            END { for (i = 1; i <= n; i++) if (!(order[i] in planned)) print known[order[i]] }' \
            - "$PROCS_FILE" |
        while read -r name state id ip; do
            pid=0
            if [ "$state" = running ] && [ -r "$TASKS_DIR/$id/init.pid" ]; then
                read -r pid <"$TASKS_DIR/$id/init.pid"
            fi
            echo "$name $state $pid $ip"
        done
)

# sweep: the host's procs, and a ping from each running one to every proc in
# the lab's hosts file but itself.
sweep() {
    local procs targets
    procs=$(sweep_procs) || fail "the inner engine of $HOST does not list its procs"
    printf '%s\n' "$procs" | while read -r name state _pid ip _rest; do
        [ -z "$name" ] || say proc "$name $state $ip"
    done
    targets=$(awk '$2 ~ /^p[0-9]+$/ { print $1 }' "$HOSTS_FILE" | tr '\n' ' ')
    printf '%s\n' "$procs" |
        awk -v targets="$targets" '$2 == "running" {
            line = $1 " " $3; n = split(targets, t, " ")
            for (i = 1; i <= n; i++) if (t[i] != $4) line = line " " t[i]
            print line }' |
        ping_all "$FIRST_ROUND"
}

# retry SRC=ADDR,ADDR...: the slower round, for the pairs that failed.
retry() {
    local wanted source
    wanted=$(mktemp)
    for source in "$@"; do
        echo "${source%%=*} $(echo "${source#*=}" | tr ',' ' ')"
    done >"$wanted"
    # shellcheck disable=SC2046 # one word per source
    inspect_procs $(cut -d' ' -f1 "$wanted") |
        awk 'NR == FNR { name = $1; $1 = ""; targets[name] = $0; next }
            $2 == "running" { print $1, $3 targets[$1] }' "$wanted" - |
        ping_all "$RETRY_ROUND"
    rm -f "$wanted"
}

# signal MARK SIGNAL: send SIGNAL to every process of this host, its procs'
# included (their PID namespaces nest in the host's), that a detached exec
# started with DOCKERLAN_EXEC=MARK in its environment (the Python API's
# `Lab.spawn`); children inherit the mark, so they get it too.
signal_marked() {
    local mark=$1 signal=$2 file pid count=0
    for file in /proc/[0-9]*/environ; do
        tr '\0' '\n' <"$file" 2>/dev/null | grep -qxF "DOCKERLAN_EXEC=$mark" || continue
        pid=${file#/proc/}
        kill "-$signal" "${pid%/environ}" 2>/dev/null && count=$((count + 1))
    done
    say signalled "$count"
}

# facts TOKEN [PROC...]: what `trace` reads of this host's network namespace
# and of each proc's, as the kernels have it: links, addresses, routes,
# neighbours, the sysctls of forwarding and reverse-path filtering, the
# firewall rules, and (overlay) where the host's VXLAN port sends each MAC
# ("fact NAME KIND DATA" lines; NAME - for the host).
facts() {
    local name state pid
    facts_of - self
    if ip link show "$VXLAN_DEVICE" >/dev/null 2>&1; then
        say fact "- fdb $(bridge -j fdb show dev "$VXLAN_DEVICE")"
    fi
    for name in "$@"; do
        # shellcheck disable=SC2046 # NAME STATE PID ...
        set -- $(inspect_procs "$name")
        state=$2 pid=$3
        say fact "$name state $state"
        [ "$state" != running ] || facts_of "$name" "$pid"
    done
}

facts_of() {
    local name=$1 pid=$2
    say fact "$name links $(in_netns "$pid" ip -j link show)"
    say fact "$name addrs $(in_netns "$pid" ip -j -4 addr show)"
    say fact "$name routes $(in_netns "$pid" ip -j route show)"
    say fact "$name neigh $(in_netns "$pid" ip -j -4 neigh show)"
    # shellcheck disable=SC2016 # expanded by the inner shell
    say fact "$name sysctl $(in_netns "$pid" sh -c 'cd /proc/sys/net/ipv4 &&
        for f in ip_forward conf/*/rp_filter; do echo "$f=$(cat "$f")"; done' | tr '\n' ' ')"
    in_netns "$pid" iptables -S | sed "s/^/@@dockerlan:$TOKEN fact $name rule /" >&8
}
