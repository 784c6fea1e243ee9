"""Work beside a stage, in other processes (Python's GIL keeps threads from running Python at once).

Validate checks its facts with Great Expectations in a process started with the stage, so that
importing GX overlaps reading the examples. Validate's scan and split's reading and rendering hand
chunks of rows to a pool, one worker per core, and take the results back in order (in_order()):
what crosses between processes is each chunk's lines and what the stage keeps of them (bytes, short
tuples, numpy and Arrow buffers), which costs a few percent of the work on them. An earlier try
that handed the rows themselves across lost to running inline here.
Workers are started with `spawn`, not `fork`: polars and numpy keep thread pools that a forked
child would inherit half-locked. On a machine with one core everything runs inline.
"""
from __future__ import annotations

import atexit
import collections
import contextlib
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, Callable, Iterable, Iterator


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


def _leave_quickly() -> None:
    """In a worker, when the pool stops it: exit at once, without tearing down every module it
    imported (a worker keeps nothing to save: its results were sent as it made them). Great
    Expectations' teardown took 0.7 s here, which the stage waited for."""
    atexit.register(os._exit, 0)


WORTH_A_POOL = 8 * 2**20  # bytes of input: about one chunk of 10,000 generated examples


@contextlib.contextmanager
def pool(workers: int | None = None, input_bytes: int | None = None) -> Iterator[Executor]:
    """A pool of `workers` processes (default: one per core); inline on a machine with one core,
    where another process would only take turns with this one, and for an input of fewer than
    WORTH_A_POOL bytes, which is one chunk or less: its work cannot be shared, and starting a
    worker (about 0.5 s here) would only add to it."""
    if cores() < 2 or (input_bytes is not None and input_bytes < WORTH_A_POOL):
        yield Inline()
        return
    executor = ProcessPoolExecutor(workers or cores(), mp_context=get_context("spawn"), initializer=_leave_quickly)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def in_order(executor: Executor, fn: Callable, jobs: Iterable[tuple], ahead: int | None = None) -> Iterator:
    """fn(*job) for each job, run by `executor`, yielded in the jobs' order. At most `ahead` jobs
    (default: two per core) are submitted and not yet yielded, so memory holds a bounded number of
    chunks however long `jobs` is; `jobs` is read lazily, between results.

    >>> list(in_order(Inline(), pow, [(2, 3), (3, 2)]))
    [8, 9]
    """
    pending: collections.deque[Future] = collections.deque()
    for job in jobs:
        pending.append(executor.submit(fn, *job))
        if len(pending) >= (ahead or 2 * cores()):
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
