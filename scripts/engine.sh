#!/bin/sh
# scripts/engine.sh start|restart: the machine's Docker engine, started the way
# this machine starts services (systemd where it runs, else dockerd directly).
# `restart` is what an engine upgrade or a reboot does to running labs; the
# test of labs coming back by themselves uses it.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

engine_answers() { $SUDO docker info >/dev/null 2>&1; }

has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

wait_until() {
    i=0
    until "$@"; do
        i=$((i + 1))
        if [ "$i" -gt 120 ]; then
            echo "the Docker engine did not come up; see /var/log/dockerd.log or journalctl -u docker" >&2
            exit 1
        fi
        sleep 0.5
    done
}

engine_gone() { ! pgrep -x dockerd >/dev/null 2>&1; }

start() {
    engine_answers && return
    say "starting the Docker engine"
    if has_systemd; then
        $SUDO systemctl start docker
    else
        # No init system here (containers, CI sandboxes): run dockerd directly.
        $SUDO sh -c 'nohup dockerd >>/var/log/dockerd.log 2>&1 &'
    fi
    wait_until engine_answers
}

restart() {
    say "restarting the Docker engine"
    if has_systemd; then
        $SUDO systemctl restart docker
    else
        $SUDO pkill -TERM -x dockerd || true
        wait_until engine_gone
        $SUDO sh -c 'nohup dockerd >>/var/log/dockerd.log 2>&1 &'
    fi
    wait_until engine_answers
}

case "${1:-}" in
    start) start ;;
    restart) restart ;;
    *) echo "usage: $0 start|restart" >&2; exit 2 ;;
esac
