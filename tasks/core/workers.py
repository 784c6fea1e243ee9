"""Work beside a stage, in another process (Python's GIL keeps threads from running Python at once).

Validate checks its facts with Great Expectations in a process started with the stage, so that
importing GX overlaps reading the examples. Spreading the per-row work itself (parsing, rendering)
over processes was tried and left out: on this 2-core machine, handing a chunk's rows to a worker
and its results back cost more than the second core gave (bench.clean at 100k, during issue 24,
with a pool of 2 in validate's scan and split's export, code not kept: validate 9.2 s and split
13.3 s, against 7.2 s and 10.1 s inline; an indication).
Workers are started with `spawn`, not `fork`: polars and numpy keep thread pools that a forked
child would inherit half-locked. On a machine with one core everything runs inline.
"""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, Callable, Iterator


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


class Inline(Executor):
    """An executor that runs each call at once, in this process."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # handed to whoever asks for the result, as a pool would
            future.set_exception(e)
        return future


@contextlib.contextmanager
def pool(workers: int | None = None) -> Iterator[Executor]:
    """A pool of `workers` processes (default: one per core); inline on a machine with one core,
    where another process would only take turns with this one."""
    if cores() < 2:
        yield Inline()
        return
    executor = ProcessPoolExecutor(workers or cores(), mp_context=get_context("spawn"))
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
