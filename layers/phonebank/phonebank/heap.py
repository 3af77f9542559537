"""Keep the megabytes a chunk frees for the next chunk, instead of handing them back to the kernel.

Each chunk passes through a few blocks of Python bytes of its size (`reader.CHUNK_BYTES`: what was
read, what is pending, the block polars parses, an output's buffer). glibc's malloc maps a block over
its mmap threshold straight from the kernel and unmaps it when freed, and gives back the free top of
its heap once that is over its trim threshold. It raises both when a mapped block is freed, but only
to that block's size, and a chunk frees several at once: every page of the next chunk's blocks was
then mapped and zeroed afresh (at 1M rows on one core, in 8 MiB chunks, ~70,000 page faults more: a
twentieth of the run). Fixed at glibc's ceiling, freed blocks stay in the heap and are reused; a
process keeps at most TRIM_THRESHOLD of free heap (10-20 MB more at its peak, measured). polars' own
memory is jemalloc's, not touched.
"""

from __future__ import annotations

import ctypes
import sys

MMAP_THRESHOLD = 32 << 20
"""The most glibc takes on 64-bit systems: any block of a chunk comes from the heap."""
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
"""What glibc's own adjustment sets beside a raised mmap threshold."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_blocks() -> bool:
    """Set the process's malloc thresholds (once, at its start: a Lambda container's, a command's).
    False where the C library is not glibc (macOS, musl): nothing is changed there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    # mallopt answers 1 for a setting taken; musl's answers 0 to every one.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
