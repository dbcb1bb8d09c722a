"""How many files may be processed at once, across doit's worker processes.

doit starts its `-n` workers once and feeds them tasks; it cannot be told to use fewer
halfway through, nor to stop starting new ones. So a worker takes a slot before it
processes a file and waits while none is free, and the run changes the number of slots:
one fewer when the build's memory passes `max_memory_mb`, none at all on Ctrl-C, so that
the files in progress finish and no new one starts. The slots live in shared memory made
before doit forks its workers (with `spawn` the workers would not share them, and simply
never wait).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from srtbuild.engine.isolation import stopping
from srtbuild.reports.progress import notice

_UNLIMITED = 1 << 20  # until lowered, the slots do not limit doit's own -n
_WAIT_S = 0.05


class Gate:
    """Slots for files in progress; `lower()` takes one away for good."""

    def __init__(self) -> None:
        import multiprocessing  # only runs that process files need it

        self._allowed = multiprocessing.Value("i", _UNLIMITED)  # its lock guards both values
        self._running = multiprocessing.Value("i", 0, lock=False)
        self._widest = multiprocessing.Value("i", 0, lock=False)  # most files seen at once
        # First come, first served: a worker that waits is not overtaken by one that just
        # finished a file (it would be, every time, with one slot left).
        self._tickets = multiprocessing.Value("l", 0, lock=False)
        self._turn = multiprocessing.Value("l", 0, lock=False)

    @contextmanager
    def slot(self) -> Iterator[None]:
        lock = self._allowed.get_lock()
        with lock:
            ticket = self._tickets.value
            self._tickets.value += 1
        while True:
            with lock:
                if ticket == self._turn.value and self._running.value < self._allowed.value:
                    self._turn.value += 1
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

    def close(self) -> None:
        """No new file starts; those in progress go on."""
        with self._allowed.get_lock():
            self._allowed.value = 0

    @property
    def running(self) -> int:
        return self._running.value

    def waiting(self) -> int:
        """Files handed to a worker that wait for a slot."""
        return self._tickets.value - self._turn.value


def drain(gate: Gate, then: Callable[[], None], first: Callable[[], None] | None = None,
          settle_s: float = 0.3) -> None:
    """Close the gate, and call `then` from a thread once no file has been in progress
    for `settle_s` (time for the main process to save the last results). `first` runs
    in that thread before it waits (a signal handler must not write to the terminal)."""
    gate.close()

    def watch() -> None:
        if first is not None:
            first()
        idle_since = None
        while True:
            time.sleep(_WAIT_S)
            if gate.running:
                idle_since = None
                continue
            now = time.monotonic()
            idle_since = idle_since or now
            if now - idle_since >= settle_s:
                then()
                # The run now stops. Wait here, in a blocking call, rather than return into
                # an interpreter that may be shutting down around this thread.
                threading.Event().wait()

    threading.Thread(target=watch, name="srtbuild-drain", daemon=True).start()


_current: Gate | None = None
# Set by a first Ctrl-C: the files in progress finish, no new one starts.
draining = threading.Event()


def new_gate() -> Gate:
    """The slots of a new run in this process (and, inherited, in its doit workers)."""
    global _current
    _current = Gate()
    draining.clear()
    return _current


def current() -> Gate | None:
    return _current


def begin_drain(signum: int) -> bool:
    """A first Ctrl-C during a run: let the files in progress finish, start no new one,
    then send this process SIGINT again, which stops the run. True if it did that; False
    when the run must stop now (a second Ctrl-C, SIGTERM, no run going on)."""
    gate = _current
    if signum != signal.SIGINT or draining.is_set() or stopping.is_set() or gate is None:
        return False
    draining.set()
    n = gate.running  # (between two files it may be none: the run then stops in a moment)
    what = f"the {n} file{'s' if n > 1 else ''} in progress" if n else "the files in progress"
    drain(gate, lambda: os.kill(os.getpid(), signal.SIGINT),
          first=lambda: notice(f"srtbuild: stopping after {what}; Ctrl+C again stops at once", "stopping"))
    return True
