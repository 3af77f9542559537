"""phonebank.heap: a chunk's freed blocks are reused by the next chunk, not mapped afresh."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from phonebank.heap import keep_freed_blocks

# What a chunk does with its bytes: a few blocks of megabytes alive at once, then all freed. Each is
# written through (as a read or a copy does), so that a block mapped afresh faults in every page.
_CHUNKS = """
import resource, sys
from phonebank.heap import keep_freed_blocks
if sys.argv[1] == "kept":
    assert keep_freed_blocks()
size = 8 << 20
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for chunk in range(20):
    read = b"r" * size
    pending = read + b"x"
    block = pending[:-1]
    del read, pending, block
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
_PAGES_A_CHUNK = 3 * (8 << 20) // 4096


def _page_faults(mode: str) -> int:
    return int(subprocess.run([sys.executable, "-c", _CHUNKS, mode], check=True, capture_output=True).stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the C library is not glibc")
def test_a_chunks_freed_blocks_are_reused_by_the_next() -> None:
    # Given twenty chunks that each hold three 8 MB blocks at once and then free them
    # When a process runs them with malloc's defaults, and one runs them with its blocks kept
    default, kept = _page_faults("default"), _page_faults("kept")
    # Then by default most chunks' blocks are mapped afresh (every page faulted in again), and kept,
    # only the first chunk's are: the later ones reuse its memory
    assert default > 10 * _PAGES_A_CHUNK
    assert kept < 3 * _PAGES_A_CHUNK


def test_elsewhere_than_linux_nothing_is_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a system whose C library is not glibc's (macOS)
    monkeypatch.setattr(sys, "platform", "darwin")
    # When the thresholds are to be set, then they are not, and the caller is told so
    assert keep_freed_blocks() is False
