"""Work done side by side: every result in order, the first failure raised, and Ctrl-C
stops what has not started yet."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from dockerlan.lab.parallel import MAX_WORKERS, each


def test_results_come_in_order_and_the_first_failure_is_raised() -> None:
    assert each(lambda n: n * n, range(40)) == [n * n for n in range(40)]

    def fail_on_odd(n: int) -> int:
        if n % 2:
            raise ValueError(n)
        return n

    with pytest.raises(ValueError, match="1"):
        each(fail_on_odd, range(10))


def test_ctrl_c_cancels_the_calls_that_have_not_started() -> None:
    started: list[int] = []
    lock = threading.Lock()
    interrupted = threading.Event()

    def slow(n: int) -> None:
        with lock:
            started.append(n)
            first = len(started) == 1
        if first:
            time.sleep(0.1)  # the caller has queued every call and waits
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
            time.sleep(0.2)  # the caller has cancelled what was queued
            interrupted.set()
        interrupted.wait(2)  # the calls running till then hold their workers

    with pytest.raises(KeyboardInterrupt):
        each(slow, range(200))
    assert 1 <= len(started) <= 2 * MAX_WORKERS, len(started)  # all 200 without the cancel
