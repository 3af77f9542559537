"""The next chunk read, and the last one written, while this one is checked: the cores there are, used.

polars lets go of the GIL while it parses, computes and encodes, and so does reading or writing a
stream, so a chunk read (or written) in a thread of its own overlaps the checking of another on a
second core. Each stage still takes its items one at a time and in order, so that what a run
writes, and the failure it stops at, are the same as without the thread. On a single core the thread
would only hold one more chunk in memory: there the work is done in turn.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
_END = object()


def cores() -> int:
    """The cores this process may run on (what `taskset` or a container allows, not the machine's);
    where the system does not say (macOS), the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def overlapping() -> bool:
    """Whether the stages run in threads of their own (two cores or more), so that several chunks are in
    memory at once."""
    return cores() >= 2


def read_ahead(items: Iterator[Item]) -> Iterator[Item]:
    """`items` in order, the next made in a thread while the caller works on this one. What fails in
    making an item is raised where the caller asks for it, after every item before it was used."""
    if not overlapping():
        yield from items
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        upcoming = pool.submit(next, items, _END)
        while (item := upcoming.result()) is not _END:
            upcoming = pool.submit(next, items, _END)
            yield item  # type: ignore[misc]  # not _END: one of `items`


@contextlib.contextmanager
def write_behind(write: Callable[[Item], None]) -> Iterator[Callable[[Item], None]]:
    """A `put` that calls `write` for each item given, in order, in a thread while the caller goes on
    to the next. A failed write is raised by the next `put` or on leaving the block; leaving it waits
    for the last write, and a block that failed keeps its own failure."""
    if not overlapping():
        yield write
        return
    writing: Future[None] | None = None

    def put(item: Item) -> None:
        nonlocal writing
        if writing is not None:
            writing.result()
        writing = pool.submit(write, item)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-behind") as pool:
        try:
            yield put
        except BaseException:
            if writing is not None:
                # The run already failed: its files are discarded once the last write has let go of them.
                writing.exception()
            raise
        if writing is not None:
            writing.result()
