"""Python's cyclic garbage collector, asked to run rarely while a file's rows are worked through.

A row's lists, tuples and strings form no cycles: reference counting frees them as soon as a batch is
done. But every 700 new containers the collector runs, and each of its full passes walks every
long-lived object (the memos, the duplicate finder's recent keys): about a tenth of a run's time. It
still runs, every `ROWS_THRESHOLD` containers, so that a cycle made anyway is freed.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

ROWS_THRESHOLD = 100_000


@contextlib.contextmanager
def collecting_rarely() -> Iterator[None]:
    """Raise the collector's first threshold to ROWS_THRESHOLD inside the block; restore it after."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(ROWS_THRESHOLD, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
