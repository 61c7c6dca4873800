#!/bin/sh
# Installs what dockerlan needs on a Debian machine, only where it is missing:
# Debian's Docker engine (started when none answers), debootstrap (to make a
# Debian base image when no registry is reachable), and a virtual environment
# with dockerlan and its test tools. Safe to run again; it skips what is there.
set -eu
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        say "apt-get update"
        $SUDO apt-get update -qq
        apt_updated=1
    fi
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_packages() {
    missing=""
    command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
    command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
    command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
    # Test tools: ping in the exported labs' namespaces, Graphviz to check `show --format dot`.
    command -v ping >/dev/null 2>&1 || missing="$missing iputils-ping"
    command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
    # Benchmarks: the namespace baseline pings with fping.
    command -v fping >/dev/null 2>&1 || missing="$missing fping"
    # The host-side scripts are linted, and run against stub commands, by the tests.
    command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
    command -v dash >/dev/null 2>&1 || missing="$missing dash"
    # A host's refusal to load a kernel module is checked with a small static C probe.
    command -v gcc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
    # `dockerlan web` is tested in a real browser: Debian's chromium, driven through its chromedriver.
    command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
    command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$missing python3-venv"
    # Where the kernel has AppArmor on, Docker loads its default profile for
    # every container and fails without the parser ("apparmor_parser":
    # executable file not found). docker.io only recommends it, and
    # --no-install-recommends drops it: install it where, and only where, needed.
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
        ! command -v apparmor_parser >/dev/null 2>&1 && [ ! -x /sbin/apparmor_parser ]; then
        missing="$missing apparmor"
    fi
    if [ -n "$missing" ]; then
        # shellcheck disable=SC2086 # word splitting is the point
        apt_install $missing
        say "installed:$missing"
        # A Docker engine already running took its AppArmor view at start.
        case " $missing " in
            *" apparmor "*) if $SUDO docker info >/dev/null 2>&1; then scripts/engine.sh restart; fi ;;
        esac
    fi
}

make_venv() {
    if [ ! -x .venv/bin/python ]; then
        say "creating .venv"
        python3 -m venv .venv
    fi
    if ! .venv/bin/python -c 'import dockerlan, pytest, docker, typer, rich' 2>/dev/null \
        || [ -n "$(find pyproject.toml -newer .venv/.installed 2>/dev/null)" ] \
        || [ ! -e .venv/.installed ]; then
        say "installing dockerlan into .venv"
        .venv/bin/pip install -q --upgrade pip
        .venv/bin/pip install -q -e '.[dev]'
        touch .venv/.installed
    fi
}

install_packages
scripts/engine.sh start
make_venv
say "ready: $(.venv/bin/dockerlan --version 2>/dev/null || echo dockerlan) on $($SUDO docker version -f '{{.Server.Version}}' 2>/dev/null || echo 'the Docker engine')"
