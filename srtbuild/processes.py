"""The processes a build starts: how much memory they hold together, and making sure none
of them outlives it.

A build is a main process, doit's workers (with `-j N`) and one helper child per process
that runs files (srtbuild.engine.isolation). The memory a user cares about is that of all
of them together: the helper that reads a huge file is the one that grows. On Linux it is
read from /proc; elsewhere only the main process's own peak is known.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PROC = "/proc"


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we may look at."""
    out: dict[int, int] = {}
    try:
        names = os.listdir(_PROC)
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"{_PROC}/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces and ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            out[int(name)] = int(fields[1])
    return out


def descendants(root: int | None = None) -> list[int]:
    """Every living process below `root` (default: this one), children first."""
    root = os.getpid() if root is None else root
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _rss(pid: int) -> int:
    """The memory a process holds as its share: PSS (pages shared with other processes,
    such as a forked child's copy-on-write pages, counted once across them), else RSS."""
    try:
        with open(f"{_PROC}/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"{_PROC}/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def own_peak_bytes() -> int:
    """The largest resident size this process, or any child it has waited for, reached."""
    try:
        import resource
    except ImportError:
        return 0
    scale = 1 if sys.platform == "darwin" else 1024
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * scale


def tree_rss_bytes() -> tuple[int, int]:
    """(resident bytes of this process and all its descendants, how many processes)."""
    if not os.path.isdir(_PROC):
        return own_peak_bytes(), 1
    pids = [os.getpid(), *descendants()]
    return sum(_rss(pid) for pid in pids), len(pids)


class MemorySampler(threading.Thread):
    """Samples the memory of the whole process tree every `every_s` seconds, so that a
    helper that grows between two finished files is seen; `peak` is the largest sum."""

    def __init__(self, every_s: float = 0.5) -> None:
        super().__init__(daemon=True, name="srtbuild-memory")
        self.every_s = every_s
        self.current = 0
        self.processes = 1
        self.peak = 0
        self._halt = threading.Event()

    def sample(self) -> int:
        self.current, self.processes = tree_rss_bytes()
        self.peak = max(self.peak, self.current)
        return self.current

    def run(self) -> None:
        while not self._halt.wait(self.every_s):
            self.sample()

    def stop(self) -> int:
        """Stop sampling; the peak, counting this process's own lifetime peak too."""
        self._halt.set()
        if self.is_alive():
            self.join()
        self.sample()
        self.peak = max(self.peak, own_peak_bytes())
        return self.peak


_prctl_fn: Any = False  # not looked up yet: ctypes is loaded only where it is needed


def _prctl() -> Any:
    global _prctl_fn
    if _prctl_fn is False:
        _prctl_fn = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _prctl_fn = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                pass
    return _prctl_fn


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent exits (Linux; else nothing)."""
    prctl = _prctl()
    if prctl is None:
        return
    parent = os.getppid()
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent went before the request took effect
        os._exit(1)


_PR_SET_NAME = 15
HELPER_NAME = "srtbuild-helper"


def set_name(name: str) -> None:
    """Linux: the process name `ps` and /proc show (15 bytes at most)."""
    prctl = _prctl()
    if prctl is not None:
        import ctypes

        prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def name_of(pid: int) -> str | None:
    """The process name of `pid` (also of a zombie), or None."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return stat[stat.find(b"(") + 1: stat.rfind(b")")].decode("utf-8", "replace")


def adopt_orphans(on: bool = True) -> bool:
    """Linux: make this process the one that orphaned descendants are given to (instead of
    init), so that end_children() can see, stop and reap them. True if it took effect."""
    prctl = _prctl()
    return prctl is not None and prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) == 0


def end_children(exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """Kill and reap every descendant still alive (but those in `exclude`, which were
    there before the build began); returns how many there were. Run when a build ends,
    whatever its exit: nothing it started may be left behind."""
    ended = 0
    for _ in range(20):  # grandchildren become children as their parents die
        pids = [pid for pid in descendants() if pid not in exclude]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
                ended += 1
            except ChildProcessError:
                pass  # not our child (yet): the next round sees it reparented
    return ended


def machine_memory_mb() -> int:
    """The memory this build may use at most: the machine's, or its cgroup's limit (a
    container, a CI job) when that is lower. 0 if unknown."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 0
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < (total or 1 << 62):
            total = int(text)
        break
    return total // (1024 * 1024)


def default_memory_limit_mb(jobs: int) -> int:
    """How much more memory each helper may take by default: half of the machine, shared
    by the helpers that may run at once (`jobs`, else one per CPU), and at least 256 MB.
    A file that needs more fails alone instead of taking the machine down."""
    jobs = jobs if jobs > 0 else available_cpus()
    total = machine_memory_mb() or 4096
    return max(256, total // (2 * jobs))


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask (taskset, a batch scheduler),
    lowered to a container's CPU quota (cgroup v2 `cpu.max`) where one is set."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max" and int(period) > 0:
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)
