"""Drawing until a quota is met, the loop the NL -> GraphQL and tool-dialogue generators share.

A draw either makes something new (a key, and a function that finishes it, or returns None when it
cannot), makes nothing (None), is skipped (SKIP: it changed what can be drawn, e.g. dropped a tool
no value fits, and counts as no miss), or finds nothing left (raises Exhausted). Drawing stops at
the quota, when nothing is left, or after `max_repeats` draws in a row that repeat an earlier key
or make nothing: a small product runs out of distinct requests, and that must end the stage, not
hang it. The key is checked before the finishing function runs, so a repeat costs no more draws
from the random generator than it did.
"""
from __future__ import annotations

from typing import Callable, Hashable, Iterator, TypeVar

T = TypeVar("T")
SKIP = object()  # what a draw returns when it changed what can be drawn and made nothing


class Exhausted(Exception):
    """Nothing is left to draw from."""


# A draw: (key, finish) where finish() makes the item or None; None (made nothing); or SKIP.
Draw = Callable[[], "tuple[Hashable, Callable[[], T | None]] | None"]


def distinct(draw: Draw, quota: int, max_repeats: int) -> Iterator[T]:
    """What `draw` makes, each with a key not seen before, until `quota` are made (see above).

    >>> def drawing(*made):  # each draw takes the next of `made`; then nothing is left
    ...     left = list(made)
    ...     def draw():
    ...         if not left:
    ...             raise Exhausted
    ...         return left.pop(0)
    ...     return draw
    >>> list(distinct(drawing(("a", lambda: 1), ("a", lambda: 2), None, SKIP, ("b", lambda: None), ("c", lambda: 3)), 5, 9))
    [1, 3]
    >>> list(distinct(drawing(("a", lambda: 1), ("a", lambda: 2), ("a", lambda: 2), ("b", lambda: 4)), 5, 2))
    [1]
    """
    seen: set = set()
    made = repeats = 0
    while made < quota and repeats < max_repeats:
        try:
            got = draw()
        except Exhausted:
            return
        if got is SKIP:
            continue
        item = got[1]() if got is not None and got[0] not in seen else None
        if item is None:
            repeats += 1
            continue
        seen.add(got[0])
        repeats = 0
        made += 1
        yield item
