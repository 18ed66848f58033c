"""forked.Forked: a result computed in another process is the function's result; a failure
there is the function's failure here."""

from __future__ import annotations

import os
import threading

import pytest

from generator.forked import Done, Forked


def test_the_result_is_computed_in_another_process():
    assert Forked(os.getpid).result() != os.getpid()
    assert Forked(lambda: {"a": [1, 2], "b": (3,)}).result() == {"a": [1, 2], "b": (3,)}
    assert Done(5).result() == 5


def test_an_error_in_the_child_is_raised_here_by_computing_again():
    def fails() -> int:
        raise ValueError("bad listing")

    with pytest.raises(ValueError, match="bad listing"):
        Forked(fails).result()


def test_a_result_that_cannot_travel_is_computed_here():
    here = os.getpid()
    lock = Forked(lambda: (os.getpid(), threading.Lock())).result()  # a lock cannot be pickled
    assert lock[0] == here


def test_a_child_that_dies_is_replaced_by_computing_here():
    here = os.getpid()

    def dies_there() -> int:
        if os.getpid() != here:
            os._exit(3)
        return 7

    assert Forked(dies_there).result() == 7


def test_a_cancelled_computation_stops():
    import time

    started = time.monotonic()
    job = Forked(lambda: time.sleep(60))
    process = job.process
    job.cancel()
    assert process is not None and not process.is_alive()
    assert time.monotonic() - started < 10


def test_done_says_whether_the_result_would_wait():
    import time

    job = Forked(lambda: 5)
    deadline = time.monotonic() + 30
    while not job.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.done() and job.result() == 5
    slow = Forked(lambda: time.sleep(60))
    assert not slow.done()
    slow.cancel()
    assert slow.done()


def test_the_child_runs_at_the_niceness_asked():
    here = os.nice(0)
    assert Forked(lambda: os.nice(0), niceness=3).result() == min(here + 3, 19)
    assert os.nice(0) == here
