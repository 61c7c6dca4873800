# The two commands of the README: `make run` and `make test`. Both install
# what is missing first (scripts/setup.sh), so they work on a fresh Debian.
VENV := .venv
BIN := $(VENV)/bin
HOSTS ?= 3
PROCS ?= 4

.PHONY: setup run test unit lint down clean bench bench-modes bench-cpu bench-restart bench-delivery bench-machines bench-reuse bench-checker bench-phases bench-web test-stock test-two-machines

setup:
	@scripts/setup.sh

## Bring up the default lab and show its ping matrix.
run: setup
	$(BIN)/dockerlan up --hosts $(HOSTS) --procs $(PROCS)
	$(BIN)/dockerlan ping-matrix

## The whole suite: unit tests, then real labs on the real engine.
test: setup
	$(BIN)/pytest

## Only the fast tests that need no engine.
unit:
	$(BIN)/pytest tests/unit

## dockerlan against bare docker, namespaces and a serial matrix (not part of `make test`).
bench: setup
	$(BIN)/python bench/run.py

## Routed against overlay on the same lab, side by side (not part of `make test`).
bench-modes: setup
	$(BIN)/python bench/modes.py

## Machine CPU seconds of up against the bare script, and by process (not part of `make test`).
bench-cpu: setup
	$(BIN)/python bench/cpu.py

## Time for a lab to come back by itself after a host or engine restart (restarts the engine).
bench-restart: setup
	$(BIN)/python bench/restart.py

## A pytest session with and without --dockerlan-reuse, at 3x4 and 8x8 (not part of `make test`).
bench-reuse: setup
	$(BIN)/python bench/reuse.py

## Where up and down spend their seconds: phases, each host step, engine calls (3x4, 16x16).
bench-phases: setup
	$(BIN)/python bench/phases.py

## How often `dockerlan web` refreshes a lab, and the machine's CPU meanwhile (3x4, 8x8).
bench-web: setup
	$(BIN)/python bench/web.py

## The linearizability checker's speed: 1k and 10k operations, 5 and 20 clients (no engine).
bench-checker: setup
	$(BIN)/python bench/checker.py

## Ways to deliver a proc image into the hosts, timed side by side (8 hosts; not part of `make test`).
bench-delivery: setup
	$(BIN)/python bench/delivery.py

## One computer against two (test) machines joined by a swarm: up, matrix, TCP (not part of `make test`).
bench-machines: setup
	$(BIN)/python bench/machines.py

## make run and the machine-dependent tests in a stock Debian 12 VM (about an hour; not in CI).
test-stock: setup
	scripts/test-stock.sh

## A lab over two stock Debian 12 VMs on one segment, one reached by ssh (about 35 minutes; not in CI).
test-two-machines: setup
	scripts/two-machines.sh

lint:
	$(BIN)/ruff check dockerlan tests bench
	$(BIN)/mypy dockerlan tests
	cd dockerlan/hostside && shellcheck -x lib.sh dockerlan-host entrypoint.sh
	shellcheck scripts/*.sh

down:
	$(BIN)/dockerlan down

clean:
	-$(BIN)/dockerlan down --all
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
