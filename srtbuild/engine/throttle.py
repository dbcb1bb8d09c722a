"""How many files may be processed at once, across doit's worker processes.

doit starts its `-n` workers once and feeds them tasks; it cannot be told to use fewer
halfway through. When the build's memory passes `max_memory_mb`, the run lowers its
parallelism here instead: a worker takes a slot before it processes a file and waits
while none is free. The slots live in shared memory made before doit forks its workers
(with `spawn` the workers would not share them, and simply never wait).
"""

from __future__ import annotations

import multiprocessing
import time
from contextlib import contextmanager
from typing import Iterator

_UNLIMITED = 1 << 20  # until lowered, the slots do not limit doit's own -n
_WAIT_S = 0.05


class Gate:
    """Slots for files in progress; `lower()` takes one away for good."""

    def __init__(self) -> None:
        self._allowed = multiprocessing.Value("i", _UNLIMITED)  # its lock guards both values
        self._running = multiprocessing.Value("i", 0, lock=False)
        self._widest = multiprocessing.Value("i", 0, lock=False)  # most files seen at once

    @contextmanager
    def slot(self) -> Iterator[None]:
        lock = self._allowed.get_lock()
        while True:
            with lock:
                if self._running.value < self._allowed.value:
                    self._running.value += 1
                    self._widest.value = max(self._widest.value, self._running.value)
                    break
            time.sleep(_WAIT_S)
        try:
            yield
        finally:
            with lock:
                self._running.value -= 1

    def lower(self) -> tuple[int, int] | None:
        """One file fewer at once than the run has had (never below one): (before, after),
        or None when it already goes one file at a time."""
        with self._allowed.get_lock():
            before = min(self._allowed.value, max(self._widest.value, 1))
            if before <= 1:
                return None
            self._allowed.value = before - 1
            return before, before - 1
