"""doit's dependency state, made durable per task, and the one-run-at-a-time lock.

doit keeps its state in memory and writes it when a run ends, so a killed run forgets
every file it finished. `StateDB` is a doit DB backend (registered as the `srtbuild`
plugin in the `doit.BACKEND` entry-point group) that commits each task's row the moment
doit finishes recording it: after `kill -9` only the files still in flight run again.
SQLite in WAL mode makes each commit atomic and cheap (no fsync per commit; the OS has
the data once the process is gone).

The lock is taken when the state is opened, so every doit command and `srtbuild batch`
on one output folder exclude each other instead of writing the same files twice.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks of this kind; runs are not guarded there
    fcntl = None  # type: ignore[assignment]

from srtbuild.errors import SrtbuildError

# doit writes `deps:` last when it records a finished task (Dependency.save_success):
# seeing it means the task's row is complete and can be committed.
_LAST_KEY = "deps:"
_FIRST_KEY = "_values_:"  # ... and `_values_:` first: a row between the two is half-recorded


class StateBusy(SrtbuildError):
    exit_code = 2


class StateCorrupt(SrtbuildError):
    exit_code = 2


class RunLock:
    """An exclusive advisory lock on `path`, re-entrant within one process.

    `srtbuild batch` takes it before starting doit, and doit's backend takes it again when
    it opens the state: both must succeed in the same process, and a second process must
    be refused at once, not queued behind a run that may last an hour.
    """

    _held: dict[str, list] = {}  # real path -> [fd, count]

    def __init__(self, path: str) -> None:
        self.path = os.path.realpath(path)

    def acquire(self) -> None:
        held = self._held.get(self.path)
        if held is not None:
            held[1] += 1
            return
        if fcntl is None:
            self._held[self.path] = [None, 1]
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise StateBusy(
                f"another srtbuild or doit run (pid {holder}) is using this output folder; "
                "wait for it to finish (or stop it), then run again",
                os.path.dirname(self.path),
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._held[self.path] = [fd, 1]

    def release(self) -> None:
        held = self._held.get(self.path)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del self._held[self.path]
            if held[0] is not None:
                os.close(held[0])  # closing drops the flock


def lock_for(state_file: str) -> RunLock:
    return RunLock(state_file + ".lock")


class StateDB:
    """doit DB backend: one JSON row per task, committed when the task is recorded."""

    desc = "srtbuild: SQLite, each finished task committed at once"

    def __init__(self, name: str, codec: Any, *, module_name: str | None = None) -> None:
        self.name = name
        self.codec = codec
        folder = os.path.dirname(os.path.abspath(name))
        os.makedirs(folder, exist_ok=True)
        self._lock = lock_for(name)
        self._lock.acquire()
        try:
            self._conn = sqlite3.connect(name, isolation_level=None)  # we commit explicitly
            self._conn.execute("pragma journal_mode=wal")
            self._conn.execute("pragma synchronous=normal")
            self._conn.execute("create table if not exists doit (task_id text primary key, task_data text)")
            # One query for all rows: far cheaper than a query per task on a no-op run.
            self._cache: dict[str, dict] = {
                task_id: self.codec.decode(data) for task_id, data in self._conn.execute("select task_id, task_data from doit")
            }
        except (sqlite3.DatabaseError, ValueError) as exc:
            self._lock.release()
            raise StateCorrupt(
                f"the build state is unreadable ({exc}); delete it to rebuild everything", name
            ) from None
        except BaseException:
            self._lock.release()
            raise
        self._dirty: set[str] = set()
        self._saving: set[str] = set()
        self._closed = False

    def get(self, task_id: str, dependency: str) -> Any:
        data = self._cache.get(task_id)
        return None if data is None else data.get(dependency)

    def set(self, task_id: str, dependency: str, value: Any) -> None:
        data = self._cache.get(task_id)
        if data is None:
            data = self._cache[task_id] = {}
        data[dependency] = value
        if dependency == _LAST_KEY:
            self._saving.discard(task_id)
            self._write([task_id])
            return
        if dependency == _FIRST_KEY:
            self._saving.add(task_id)
        self._dirty.add(task_id)

    def in_(self, task_id: str) -> bool:
        return task_id in self._cache

    def remove(self, task_id: str) -> None:
        self._cache.pop(task_id, None)
        self._dirty.discard(task_id)
        self._saving.discard(task_id)
        self._conn.execute("delete from doit where task_id=?", (task_id,))

    def remove_all(self) -> None:
        self._conn.execute("delete from doit")
        self._cache = {}
        self._dirty = set()

    def _write(self, task_ids: list[str]) -> None:
        rows = [(t, self.codec.encode(self._cache[t])) for t in task_ids if t in self._cache]
        with self._conn:  # one transaction, committed on exit
            self._conn.execute("begin")
            self._conn.executemany("insert or replace into doit values (?, ?)", rows)
        self._dirty.difference_update(task_ids)

    def dump(self) -> None:
        """Write what is left (e.g. refreshed file states) and close; releases the lock."""
        if self._closed:
            return
        try:
            # A task interrupted while doit was recording it is left as it was: it runs again.
            ready = self._dirty - self._saving
            if ready:
                self._write(sorted(ready))
            # Back to one plain file between runs (the WAL is for surviving kills during a
            # run): readers such as --dry-run then need not create WAL side files.
            self._conn.execute("pragma journal_mode=delete")
            self._conn.close()
        finally:
            self._closed = True
            self._lock.release()


def read_values(state_file: str) -> dict[str, dict]:
    """Every task's saved data, read without taking the lock or writing anything, not even
    SQLite's side files (used by `--dry-run`). After a killed run the newest rows may still
    be in the write-ahead log: then the files are read from a private copy."""
    if not os.path.exists(state_file):
        return {}
    try:
        if os.path.exists(state_file + "-wal"):
            with tempfile.TemporaryDirectory() as tmp:
                copy = os.path.join(tmp, "state.sqlite")
                shutil.copyfile(state_file, copy)
                shutil.copyfile(state_file + "-wal", copy + "-wal")
                return _rows(sqlite3.connect(copy))
        return _rows(sqlite3.connect(f"file:{state_file}?immutable=1", uri=True))
    except sqlite3.DatabaseError as exc:
        raise StateCorrupt(f"the build state is unreadable ({exc})", state_file) from None


def _rows(conn: sqlite3.Connection) -> dict[str, dict]:
    try:
        return {task_id: json.loads(data) for task_id, data in conn.execute("select task_id, task_data from doit")}
    finally:
        conn.close()
