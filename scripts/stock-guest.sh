#!/bin/bash
# The guest side of `make test-stock` (scripts/test-stock.sh): runs as root in
# the VM, in a clone of the project that also holds images.tar.gz.
set -uo pipefail
# shellcheck source=scripts/vm-steps.sh
. scripts/vm-steps.sh

machine() {
    echo "PID 1: $(cat /proc/1/comm); cgroup fs: $(stat -fc %T /sys/fs/cgroup); kernel $(uname -r)"
    echo "AppArmor enabled: $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)"
    echo "apparmor_parser: $(command -v apparmor_parser || echo none)"
    docker info 2>&1 | grep -E 'Server Version|Cgroup|Security Options' -A1 | head -12
}

load_images() {
    gunzip -c images.tar.gz | docker load && rm -f images.tar.gz
}

# STOCK_TESTS (make test-stock STOCK_TESTS="...") runs those tests instead, and
# no `make run`: a quicker look at one part.
chosen_tests() {
    if [ -n "${STOCK_TESTS:-}" ]; then
        # shellcheck disable=SC2086 # one word per test
        CI=true .venv/bin/pytest -p no:cacheprovider -v $STOCK_TESTS
        return
    fi
    CI=true .venv/bin/pytest -p no:cacheprovider -v \
        tests/integration/test_impair.py \
        tests/integration/test_routed_lab.py \
        tests/integration/test_overlay_lab.py \
        tests/integration/test_sealing.py \
        "tests/integration/test_lifecycle.py::test_down_leaves_no_container_network_volume_or_cgroup" \
        "tests/integration/test_lifecycle.py::test_a_hosts_docker_stats_count_its_procs" \
        tests/integration/test_reliability.py \
        tests/integration/test_restart.py
}

step machine-before machine
step setup scripts/setup.sh
step machine-after machine
step load-images load_images
if [ -z "${STOCK_TESTS:-}" ]; then
    step make-run make run
    step down .venv/bin/dockerlan down
fi
step chosen-tests chosen_tests
echo "=== leftovers: $(docker ps -aq | wc -l) containers, $(docker volume ls -q | wc -l) volumes"
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
echo "=== all steps passed"
