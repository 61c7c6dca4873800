#!/bin/sh
# The unavoidable cost of a docker-in-docker lab: the same host and inner
# containers as `dockerlan up`, started with plain docker commands in
# parallel, with no planning, checks or orchestration. bench/run.py times it
# against `dockerlan up`. Usage: bare_dind.sh up|down HOSTS PROCS
# Uses the images dockerlan built; everything is named and labelled bench-bare.
set -eu
action=$1 hosts=$2 procs=$3
lab=bench-bare
label=io.dockerlan.bench=bare
net=172.30.250

if [ "$action" = down ]; then
    ids=$(docker ps -aq --filter "label=$label")
    [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
    vols=$(docker volume ls -q --filter "label=$label")
    [ -z "$vols" ] || docker volume rm $vols >/dev/null
    docker network rm "$lab" >/dev/null 2>&1 || true
    exit 0
fi

docker network create --label "$label" --subnet "$net.0/24" \
    -o com.docker.network.bridge.enable_ip_masquerade=false "$lab" >/dev/null
docker save dockerlan-proc:latest -o /tmp/bench-bare-proc.tar
i=0
while [ "$i" -lt "$hosts" ]; do
    (
        h=$lab-h$i
        docker run -d --name "$h" --label "$label" --network "$lab" --ip "$net.$((i + 2))" \
            --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined \
            --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
            --cgroupns private --sysctl net.ipv4.ip_forward=1 \
            --mount "type=volume,dst=/var/lib/docker,volume-label=$label" \
            dockerlan-host:latest >/dev/null
        until docker exec "$h" docker version >/dev/null 2>&1; do sleep 0.1; done
        docker cp /tmp/bench-bare-proc.tar "$h:/proc.tar"
        docker exec "$h" docker load -q -i /proc.tar >/dev/null
        docker exec "$h" docker network create --subnet "10.0.$i.0/24" --gateway "10.0.$i.1" \
            -o com.docker.network.bridge.name=br0 lan >/dev/null
        k=0
        while [ "$k" -lt "$procs" ]; do
            docker exec "$h" docker run -d --network lan --ip "10.0.$i.$((k + 2))" \
                dockerlan-proc:latest >/dev/null &
            k=$((k + 1))
        done
        wait
        j=0
        while [ "$j" -lt "$hosts" ]; do
            [ "$j" = "$i" ] || docker exec "$h" ip route add "10.0.$j.0/24" via "$net.$((j + 2))"
            j=$((j + 1))
        done
    ) &
    i=$((i + 1))
done
wait
rm -f /tmp/bench-bare-proc.tar
