"""Run one unit of work in a child process that may hang or die without taking the build
down with it.

doit waits forever for a worker that died (killed, out of memory) and has no per-task
timeout. So each file is processed in a forked child: the caller waits at most
`timeout_s`, kills the child if it overruns, and reads "died" from an exit by signal.
Forking a warm process costs about a millisecond, against tens of milliseconds of work.

Children never outlive their parent: on Linux they ask the kernel for SIGKILL when the
parent goes (prctl PR_SET_PDEATHSIG), so `kill -9` of a build leaves no orphans. They
ignore SIGINT and SIGTERM: the parent decides, on Ctrl-C, to stop and kill them, which
keeps an interrupted file from being recorded as a failed one.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
_parent_death_set = False


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent exits (Linux; else nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        parent = os.getppid()
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent went before the request took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def install_fork_guard() -> None:
    """Make every process forked from now on (doit's `-n` workers among them) die with
    its parent. doit's workers otherwise wait forever on their job queue after the main
    process is killed."""
    global _parent_death_set
    if _parent_death_set or not hasattr(os, "register_at_fork"):
        return
    _parent_death_set = True
    os.register_at_fork(after_in_child=die_with_parent)


class Outcome:
    """What became of the work: `ok` with its result, or `error`, `timeout`, `died`."""

    __slots__ = ("kind", "value", "message")

    def __init__(self, kind: str, value: Any = None, message: str = "") -> None:
        self.kind = kind
        self.value = value
        self.message = message


def run_isolated(func: Callable[..., Any], args: tuple, timeout_s: float) -> Outcome:
    """func(*args) in a forked child; its (picklable) result comes back through a pipe."""
    if not hasattr(os, "fork"):  # no fork (Windows): in process, without a timeout
        try:
            return Outcome("ok", func(*args))
        except Exception as exc:
            return Outcome("error", message=f"{type(exc).__name__}: {exc}")
    read_end, write_end = os.pipe()
    # Ctrl-C reaches the whole process group. Blocked across the fork, it cannot hit the
    # child before the child ignores it; the parent gets it when it unblocks.
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
        raise
    if pid == 0:  # the child: do the work, send the result, leave without cleanup
        code = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
            die_with_parent()
            try:
                payload = pickle.dumps(("ok", func(*args)))
            except Exception as exc:
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
        return _collect(pid, read_end, timeout_s)
    except BaseException:  # interrupted while waiting: the child must not outlive this
        _kill(pid)
        raise
    finally:
        os.close(read_end)


def _collect(pid: int, fd: int, timeout_s: float) -> Outcome:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill(pid)
            return Outcome("timeout", message=f"took longer than timeout_s={timeout_s:g} s; stopped")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:  # no complete result: the child died or exited early
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            hint = " (out of memory?)" if sig == signal.SIGKILL else ""
            return Outcome("died", message=f"worker process was killed by {name}{hint}")
        return Outcome("died", message=f"worker process exited with status {os.waitstatus_to_exitcode(status)} without a result")
    # A complete result counts even if the child was killed just after sending it.
    if kind == "ok":
        return Outcome("ok", value)
    return Outcome("error", message=value)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
