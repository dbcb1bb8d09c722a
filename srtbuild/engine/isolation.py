"""Run units of work in a child process that may hang or die without taking the build
down with it.

doit waits forever for a worker that died (killed, out of memory) and has no per-task
timeout. So files are processed in a helper child: the caller waits at most `timeout_s`
per file, kills the child if it overruns, reads "died" from an exit by signal, and starts
a fresh child for the next file.

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
import threading
import time
from collections.abc import Callable
from typing import Any

from srtbuild.processes import HELPER_NAME, die_with_parent, name_of, set_name

_parent_death_set = False

# Set when the user stops a run (Ctrl-C, SIGTERM): worker processes that die from then on
# were told to.
stopping = threading.Event()


def install_fork_guard() -> None:
    """Make every process forked from now on (doit's `-n` workers among them) die with
    its parent, and leave Ctrl-C to it. doit's workers otherwise wait forever on their
    job queue after the main process is killed, and print tracebacks when the terminal's
    SIGINT reaches them too; the main process stops them itself."""
    global _parent_death_set
    if _parent_death_set or not hasattr(os, "register_at_fork"):
        return
    _parent_death_set = True
    os.register_at_fork(after_in_child=_guard_child)


def _guard_child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Not the parent's handler (which stops the whole run): a worker sent SIGTERM on its
    # own dies like a killed one, and its files start again in a fresh worker.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()


class WorkerWatch(threading.Thread):
    """doit's main process waits forever for a worker that was killed. This thread looks
    at this process's children without reaping them (waitid WNOWAIT; in a parallel run
    they are doit's workers) and calls `on_lost(message)` once when one was killed by a
    signal. Helpers (named HELPER_NAME) are not workers: orphans handed to this process
    are reaped, its own left to the Helper that waits for them."""

    def __init__(self, on_lost: Callable[[str], None], reap_helpers: bool = True) -> None:
        super().__init__(daemon=True, name="srtbuild-worker-watch")
        self.on_lost = on_lost
        self.reap_helpers = reap_helpers
        self.done = threading.Event()
        self.lost: str | None = None

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                continue
            if info is None:
                continue
            if name_of(info.si_pid) == HELPER_NAME:
                if self.reap_helpers:
                    # Reaped, or waitid would show it again and again and hide the others.
                    try:
                        os.waitpid(info.si_pid, 0)
                    except ChildProcessError:
                        pass
                continue
            if info.si_code not in (os.CLD_KILLED, os.CLD_DUMPED) or stopping.is_set():
                continue
            sig = info.si_status
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            self.lost = f"a doit worker process (pid {info.si_pid}) was killed by {name}"
            if not self.done.is_set():
                self.on_lost(self.lost)
            return


class Outcome:
    """What became of the work: `ok` with its result, or `error`, `timeout`, `memory`
    (over the ceiling), `died`."""

    __slots__ = ("kind", "value", "message")

    def __init__(self, kind: str, value: Any = None, message: str = "") -> None:
        self.kind = kind
        self.value = value
        self.message = message


class Helper:
    """One long-lived child process that runs `func(payload, context)` calls in turn.

    Forking per file would be simplest, but fork and exit of a large parent cost
    milliseconds each (page tables, copy-on-write faults), more than a short file's work.
    So one child serves many calls; it is forked lazily, inherits `context` (the
    settings: never pickled per call), and is replaced after it dies or overruns.
    Requests and results are length-prefixed pickles over two pipes.
    """

    def __init__(self) -> None:
        self.pid: int | None = None
        self.context: Any = None
        self.memory_mb: int | None = None
        self._finalizer: Any = None
        self._to: int = -1
        self._from: int = -1

    def call(self, func: Callable[[Any, Any], Any], payload: Any, context: Any, timeout_s: float,
             memory_mb: int | None = None) -> Outcome:
        """Run `func(payload, context)` in the child; at most `timeout_s` seconds, and at
        most `memory_mb` more megabytes than the child started with."""
        if not hasattr(os, "fork"):  # no fork (Windows): in process, without a timeout
            try:
                return Outcome("ok", func(payload, context))
            except Exception as exc:
                return Outcome("error", message=f"{type(exc).__name__}: {exc}")
        if self.pid is None or context is not self.context or memory_mb != self.memory_mb:
            self.stop()
            self._start(context, memory_mb)
        try:
            try:
                _send(self._to, (func, payload))
            except BrokenPipeError:  # it died while idle: this work never reached it
                self._dead()
                self._start(context, memory_mb)
                _send(self._to, (func, payload))
            return self._receive(timeout_s)
        except BrokenPipeError:  # the fresh child died at once
            return self._dead()
        except BaseException:  # interrupted while waiting: the child must not outlive this
            self.stop(kill=True)
            raise

    def _start(self, context: Any, memory_mb: int | None) -> None:
        if not self._finalizer:
            # Ended when this process exits: the main one (atexit) or a doit worker (which
            # leaves through multiprocessing's exit, where atexit does not run).
            from multiprocessing import util

            self._finalizer = util.Finalize(self, Helper.stop, args=(self,), exitpriority=100)
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        # Ctrl-C reaches the whole process group. Blocked across the fork, it cannot hit
        # the child before the child ignores it; the parent gets it when it unblocks.
        stop = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
            raise
        if pid == 0:
            code = 0
            try:
                os.close(req_w)
                os.close(res_r)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
                die_with_parent()
                set_name(HELPER_NAME)  # told apart from doit's workers (srtbuild.engine.embed)
                retire_at = _limit_memory(memory_mb)
                _serve(req_r, res_w, context, retire_at)
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
        os.close(req_r)
        os.close(res_w)
        self.pid, self.context, self.memory_mb, self._to, self._from = pid, context, memory_mb, req_w, res_r

    def _receive(self, timeout_s: float) -> Outcome:
        deadline = time.monotonic() + timeout_s
        buf = b""
        need = 8
        size: int | None = None
        while len(buf) < need:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop(kill=True)
                return Outcome("timeout", message=f"took longer than timeout_s={timeout_s:g} s; stopped")
            ready, _, _ = select.select([self._from], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from, max(need - len(buf), 1 << 16))
            if not chunk:
                return self._dead()
            buf += chunk
            if size is None and len(buf) >= 8:
                size = int.from_bytes(buf[:8], "little")
                need = 8 + size
        kind, value, retiring = pickle.loads(buf[8:need])
        memory_mb = self.memory_mb
        if retiring:  # the child has left (see _serve): reap it; the next call starts another
            self.stop()
        if kind == "ok":
            return Outcome("ok", value)
        if kind == "memory":
            return Outcome("memory", message=f"needed more than {memory_mb or 0} MB of memory "
                                             "(memory_limit_mb); stopped")
        return Outcome("error", message=value)

    def _dead(self) -> Outcome:
        pid = self.pid
        self._close()
        _, status = os.waitpid(pid, 0) if pid else (0, 0)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            hint = " (out of memory?)" if sig == signal.SIGKILL else ""
            return Outcome("died", message=f"worker process was killed by {name}{hint}")
        return Outcome("died", message=f"worker process exited with status {os.waitstatus_to_exitcode(status)} without a result")

    def _close(self) -> None:
        for fd in (self._to, self._from):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to = self._from = -1
        self.pid = None
        self.context = None

    def stop(self, kill: bool = False) -> None:
        """End the child: closing its request pipe lets it leave; `kill` does not wait."""
        pid = self.pid
        if pid is None:
            return
        self._close()
        if kill:
            _kill(pid)
        else:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _serve(req: int, res: int, context: Any, retire_at: int | None = None) -> None:
    """The child's loop: one request at a time until the parent closes the pipe. With a
    memory ceiling, a child whose address space has grown past `retire_at` (memory freed
    by Python is not always given back) says so with its result and leaves, so the next
    file starts in a fresh child with the whole allowance."""
    while True:
        head = _read_exact(req, 8)
        if head is None:
            return
        body = _read_exact(req, int.from_bytes(head, "little"))
        if body is None:
            return
        func, payload = pickle.loads(body)
        try:
            result: tuple | None = ("ok", func(payload, context))
        except MemoryError:
            result = None
        except Exception as exc:
            result = ("error", f"{type(exc).__name__}: {exc}")
        if result is None:  # what it allocated is freed by now: enough to say so, and leave
            _send(res, ("memory", "", True))
            return
        retiring = retire_at is not None and _address_space() > retire_at
        _send(res, (*result, retiring))
        if retiring:
            return


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(memory_mb: int | None) -> int | None:
    """Cap this process's address space at what it holds now plus `memory_mb`: past it,
    allocations fail (MemoryError) instead of the machine running out of memory. Returns
    the size past which the child should retire after its current file (half way)."""
    if not memory_mb:
        return None
    try:
        import resource

        now = _address_space()
        limit = now + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        return now + memory_mb * 1024 * 1024 // 2
    except (ImportError, OSError, ValueError):
        return None  # not Linux: no ceiling, the timeout still holds


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
