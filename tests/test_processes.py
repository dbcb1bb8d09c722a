"""The process tree a build makes: its memory counted whole, and nothing of it left."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from srtbuild.processes import (
    MemorySampler,
    adopt_orphans,
    descendants,
    end_children,
    tree_rss_bytes,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl: Linux")

MB = 1024 * 1024


def _child_holding(megabytes: int) -> tuple[int, int]:
    """A child that fills `megabytes` of memory, says so on a pipe, and waits."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            block = bytearray(megabytes * MB)
            for i in range(0, len(block), 4096):  # touch every page: resident, not just reserved
                block[i] = 1
            os.write(w, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"x"
    os.close(r)
    return pid, megabytes


def test_memory_counts_every_process_of_the_tree() -> None:
    alone, count = tree_rss_bytes()
    assert count == 1
    pid, size = _child_holding(150)
    try:
        together, count = tree_rss_bytes()
        assert count == 2 and together >= alone + (size - 10) * MB
        sampler = MemorySampler(every_s=0.05)
        sampler.start()
        time.sleep(0.2)
        assert sampler.stop() >= alone + (size - 10) * MB
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_end_children_leaves_nothing_even_orphaned_grandchildren() -> None:
    before = frozenset(descendants())
    assert adopt_orphans()
    try:
        pid = os.fork()
        if pid == 0:  # a worker that starts a helper, then dies without ending it
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.1)
        orphans = [p for p in descendants() if p not in before]
        assert orphans, "the grandchild is handed to this process"
        assert end_children(before) >= 1
        assert [p for p in descendants() if p not in before] == []
    finally:
        adopt_orphans(False)
