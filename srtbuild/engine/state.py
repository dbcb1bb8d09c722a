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

import errno
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

try:
    import fcntl
except ImportError:  # Windows: no advisory locks of this kind; runs are not guarded there
    fcntl = None  # type: ignore[assignment]

from srtbuild.confined import TMP_PREFIX, TMP_SUFFIX, LinkRefused, OutputRoot
from srtbuild.errors import SrtbuildError
from srtbuild.reports.progress import notice

# doit writes `deps:` last when it records a finished task (Dependency.save_success):
# seeing it means the task's row is complete and can be committed.
_LAST_KEY = "deps:"
_FIRST_KEY = "_values_:"  # ... and `_values_:` first: a row between the two is half-recorded


class StateBusy(SrtbuildError):
    exit_code = 2


class StateCorrupt(SrtbuildError):
    exit_code = 2


class OutputUnwritable(SrtbuildError):
    """The output folder cannot be written (read-only, no permission, disk full). The
    state is fine: no advice to delete it."""

    exit_code = 2


class StateWriteFailed(SystemExit):
    """The state could not be saved during a run (disk full, folder made read-only). The
    one-line message is printed where it is raised; being a SystemExit, it passes through
    doit's handlers (which would print a traceback) and ends the run with exit code 2."""


_SCHEMA = "CREATE TABLE doit (task_id text primary key, task_data text)"
# Files SQLite opens by path beside the database; none may be a link (see guard_state).
_SQLITE_SIDES = ("", "-wal", "-shm", "-journal", ".lock")


def _unwritable(state_file: str, exc: OSError | sqlite3.Error) -> OutputUnwritable:
    """The error for an output folder (the one holding .srtbuild/`state_file`) that cannot
    be written."""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return OutputUnwritable(f"cannot write the output folder ({why}); make it writable, or free space, "
                            "and run again", os.path.dirname(os.path.dirname(os.path.abspath(state_file))))


def guard_state(state_file: str) -> None:
    """Make OUTPUT/.srtbuild and refuse to go on if it, a file SQLite or the lock would
    open by path in it, or its metrics or history folder is a symlink. Raises
    LinkRefused or OutputUnwritable, each one line."""
    state_dir = os.path.dirname(os.path.abspath(state_file))
    root = OutputRoot(os.path.dirname(state_dir))
    name = os.path.basename(state_dir)
    try:
        with root.folder(name, create=True):
            pass
        for side in _SQLITE_SIDES:
            root.check_plain(f"{name}/{os.path.basename(state_file)}{side}", single=True)
        for folder in ("metrics", "history"):  # refused now rather than after the work
            root.check_folder(f"{name}/{folder}")
        # Read-only or full: said now, in one line, rather than by SQLite or the first file.
        probe = f"{name}/{TMP_PREFIX}probe-{os.getpid()}{TMP_SUFFIX}"
        root.write(probe, b"")
        root.unlink(probe)
    except OSError as exc:
        raise _unwritable(state_file, exc) from None


class RunLock:
    """An exclusive advisory lock on `path`, re-entrant within one process.

    `srtbuild batch` takes it before starting doit, and doit's backend takes it again when
    it opens the state: both must succeed in the same process, and a second process must
    be refused at once, not queued behind a run that may last an hour.
    """

    _held: dict[str, list] = {}  # real path -> [fd, count]

    def __init__(self, path: str) -> None:
        # The folder may be reached through links (the output root may be one); the lock
        # file itself is never followed: a planted link would be truncated.
        self.path = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))

    def acquire(self) -> None:
        held = self._held.get(self.path)
        if held is not None:
            held[1] += 1
            return
        if fcntl is None:
            self._held[self.path] = [None, 1]
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                         0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LinkRefused(f"{self.path}: is a symbolic link; srtbuild writes nothing through it "
                                  "(remove it, or choose another output folder)") from None
            raise _unwritable(self.path, exc) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            # A hard link to some other file (restored from an archive, say): writing the
            # pid into it would overwrite that file.
            os.close(fd)
            raise LinkRefused(f"{self.path}: is a hard link to another file (or not a file); srtbuild "
                              "writes nothing through it (remove it, or choose another output folder)")
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
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
        except OSError as exc:  # a full disk: said in one line, like any unwritable output
            os.close(fd)
            raise _unwritable(self.path, exc) from None
        self._held[self.path] = [fd, 1]

    @classmethod
    def _forget_in_child(cls) -> None:
        # A forked child (doit worker, helper) must not keep the lock alive after the run
        # ends: it closes its copies; the lock stays with the process that took it.
        for fd, _ in cls._held.values():
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        cls._held.clear()

    def release(self) -> None:
        held = self._held.get(self.path)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del self._held[self.path]
            if held[0] is not None:
                os.close(held[0])  # closing drops the flock


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=RunLock._forget_in_child)


def lock_for(state_file: str) -> RunLock:
    return RunLock(state_file + ".lock")


class StateDB:
    """doit DB backend: one JSON row per task, committed when the task is recorded."""

    desc = "srtbuild: SQLite, each finished task committed at once"

    # The error that made doit stop, kept so that `srtbuild batch` can report it as its own
    # (doit turns it into one "ERROR:" line and its exit code 3).
    failure: SrtbuildError | None = None

    def __init__(self, name: str, codec: Any, *, module_name: str | None = None) -> None:
        self.name = name
        self.codec = codec
        try:
            guard_state(name)
            self._lock = lock_for(name)
            self._lock.acquire()
        except SrtbuildError as exc:
            self._refuse(exc)
        try:
            self._conn = sqlite3.connect(name, isolation_level=None)  # we commit explicitly
            self._conn.execute("pragma journal_mode=wal")
            self._conn.execute("pragma synchronous=normal")
            _sized(name, MAX_STATE_BYTES)
            self._conn.execute("create table if not exists " + _SCHEMA[len("CREATE TABLE "):])
            check_schema(self._conn, name)
            self._conn.execute("select count(*) from doit").fetchone()  # a damaged file fails here
        except StateCorrupt as exc:
            self._lock.release()
            self._refuse(exc)
        except (sqlite3.DatabaseError, ValueError) as exc:
            self._lock.release()
            if _damaged(exc):
                self._refuse(StateCorrupt(f"the build state is unreadable ({exc}); delete it to rebuild everything",
                                          os.path.abspath(name)))
            self._refuse(_unwritable(name, exc))
        except BaseException:
            self._lock.release()
            raise
        # Rows are read when doit first asks for a task: `srtbuild batch` hands doit only
        # the tasks that are out of date, so most rows are never needed.
        self._cache: dict[str, dict | None] = {}
        self._dirty: set[str] = set()
        self._saving: set[str] = set()
        self._closed = False

    @classmethod
    def _refuse(cls, exc: SrtbuildError) -> None:
        # doit prints an InvalidDodoFile as one line, "ERROR: ...", not a traceback.
        from doit.exceptions import InvalidDodoFile

        cls.failure = exc
        raise InvalidDodoFile(str(exc)) from None

    def _row(self, task_id: str) -> dict | None:
        if task_id in self._cache:
            return self._cache[task_id]
        found = self._conn.execute("select task_data from doit where task_id=?", (task_id,)).fetchone()
        data = clean_row(found[0]) if found else None
        self._cache[task_id] = data
        return data

    def get(self, task_id: str, dependency: str) -> Any:
        data = self._row(task_id)
        return None if data is None else data.get(dependency)

    def set(self, task_id: str, dependency: str, value: Any) -> None:
        data = self._row(task_id)
        if data is None:
            data = self._cache[task_id] = {}
        if dependency == "result:":
            # doit keeps an action's returned dict twice, as values and as `result:` (for
            # its result_dep feature, which no srtbuild task uses): half of every row.
            return
        data[dependency] = value
        if dependency == _LAST_KEY:
            self._saving.discard(task_id)
            self._write([task_id])
            return
        if dependency == _FIRST_KEY:
            self._saving.add(task_id)
            data.pop("out:", None)  # a new run's values hold the new output stamp
        self._dirty.add(task_id)

    def in_(self, task_id: str) -> bool:
        return self._row(task_id) is not None

    def remove(self, task_id: str) -> None:
        self._cache[task_id] = None
        self._dirty.discard(task_id)
        self._saving.discard(task_id)
        self._execute("delete from doit where task_id=?", (task_id,))

    def remove_all(self) -> None:
        self._execute("delete from doit")
        self._cache = {}
        self._dirty = set()

    def _execute(self, sql: str, params: tuple = ()) -> None:
        try:
            self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            self._stop(exc)

    def _stop(self, exc: sqlite3.Error) -> None:
        """Disk full or made read-only during the run: what was committed stays; the rest
        runs again next time. Stop here, with one line."""
        failure = _unwritable(self.name, exc)
        StateDB.failure = failure
        notice(f"srtbuild: error: {failure}", "error")  # above the live block, or as JSON
        raise StateWriteFailed(failure.exit_code) from None

    def _write(self, task_ids: list[str]) -> None:
        rows = [(t, json.dumps(self._cache[t], separators=(",", ":"))) for t in task_ids if self._cache.get(t) is not None]
        try:
            with self._conn:  # one transaction, committed on exit
                self._conn.execute("begin")
                self._conn.executemany("insert or replace into doit values (?, ?)", rows)
        except sqlite3.Error as exc:
            self._stop(exc)
        self._dirty.difference_update(task_ids)

    def dump(self) -> None:
        """Write what is left (e.g. refreshed file states) and close; releases the lock."""
        if self._closed:
            return
        try:
            # A task interrupted while doit was recording it is left as it was: it runs again.
            ready = self._dirty - self._saving
            if ready and StateDB.failure is None:
                self._write(sorted(ready))
            # Back to one plain file between runs (the WAL is for surviving kills during a
            # run): readers such as --dry-run then need not create WAL side files.
            try:
                self._conn.execute("pragma journal_mode=delete")
            except sqlite3.Error:
                pass  # stays in WAL mode: readers copy it (_open_readonly)
            self._conn.close()
        finally:
            self._closed = True
            self._lock.release()


def _damaged(exc: Exception) -> bool:
    """SQLite's word for a file that is not (or no longer) a database, as opposed to one
    it cannot open or write."""
    text = str(exc).lower()
    return isinstance(exc, ValueError) or "not a database" in text or "malformed" in text or "corrupt" in text


# The state of 50,000 files takes tens of MB; anything far larger was not made by srtbuild
# and would only cost memory and time to read.
MAX_STATE_BYTES = 128 * 1024 * 1024
MAX_WAL_BYTES = 256 * 1024 * 1024


def check_schema(conn: sqlite3.Connection, where: str) -> None:
    """The database holds srtbuild's table and nothing else. It lives in the output folder,
    which others may write: a view or trigger of theirs could make a query run forever."""
    found = set(conn.execute("select type, name, sql from sqlite_master").fetchall())
    expected = {("table", "doit", _SCHEMA), ("index", "sqlite_autoindex_doit_1", None)}
    if not found <= expected:
        kind, name, _ = sorted(found - expected, key=str)[0]
        raise StateCorrupt(f"not a srtbuild build state (it holds {kind} {name!r}); delete it to rebuild everything",
                           os.path.abspath(where))


def check_state(state_file: str) -> None:
    """Refuse, in one line, a state that is not srtbuild's (as reading it would), without
    changing anything: for runs that would otherwise first meet it inside doit."""
    if not os.path.exists(state_file):
        return
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _open_readonly(state_file, tmp).close()
    except sqlite3.DatabaseError as exc:
        raise StateCorrupt(f"the build state is unreadable ({exc}); delete it to rebuild everything",
                           os.path.abspath(state_file)) from None


def _sized(path: str, limit: int) -> int | None:
    """The size of the regular file `path` (None if it is missing); StateCorrupt if it is
    something else, a hard link, or larger than `limit`."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1 or st.st_size > limit:
        raise StateCorrupt("not a srtbuild build state (not a plain file, or far too large); delete it to "
                           "rebuild everything", os.path.abspath(path))
    return st.st_size


def _open_readonly(state_file: str, tmp: str) -> sqlite3.Connection:
    """A connection that writes nothing, not even SQLite's side files. After a killed run
    the newest rows may still be in the write-ahead log: then a private copy is read."""
    _sized(state_file, MAX_STATE_BYTES)
    if _sized(state_file + "-wal", MAX_WAL_BYTES) is not None:
        copy = os.path.join(tmp, "state.sqlite")
        shutil.copyfile(state_file, copy, follow_symlinks=False)
        shutil.copyfile(state_file + "-wal", copy + "-wal", follow_symlinks=False)
        conn = sqlite3.connect(copy)
    else:
        # As a URI, percent-encoded: `%41`, `#` or `?` in a folder name are not syntax.
        conn = sqlite3.connect(Path(os.path.abspath(state_file)).as_uri() + "?immutable=1", uri=True)
    check_schema(conn, state_file)
    return conn


def read_values(state_file: str, task_ids: list[str] | None = None) -> dict[str, dict]:
    """Every task's saved data (or that of `task_ids`), read without taking the lock or
    writing anything."""
    if not os.path.exists(state_file):
        return {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            conn = _open_readonly(state_file, tmp)
            try:
                if task_ids is None:
                    rows = conn.execute("select task_id, task_data from doit").fetchall()
                else:
                    rows = [r for t in task_ids for r in conn.execute(
                        "select task_id, task_data from doit where task_id=?", (t,))]
                found = {task_id: clean_row(data) for task_id, data in rows}
                return {task_id: data for task_id, data in found.items() if data is not None}
            finally:
                conn.close()
    except sqlite3.DatabaseError as exc:
        raise StateCorrupt(f"the build state is unreadable ({exc}); delete it to rebuild everything",
                           os.path.abspath(state_file)) from None


MAX_ROW_CHARS = 1024 * 1024  # a task's row is a few hundred bytes; a huge one is not ours


def clean_row(text: Any) -> dict | None:
    """A task's row as doit may use it. The state lives in the output folder, where others
    can write: a row that is not what doit and srtbuild write (not JSON, nested without
    end, huge, odd types) is dropped, field by field or whole, and its task simply runs
    again, as if it had never been built."""
    if not isinstance(text, str) or len(text) > MAX_ROW_CHARS:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    clean: dict = {}
    for key, value in data.items():
        if key == "_values_:":
            ok = isinstance(value, dict)
        elif key == "deps:":
            ok = isinstance(value, list) and all(isinstance(d, str) for d in value)
        elif key == "checker:":
            ok = isinstance(value, str)
        elif key == "out:":
            ok = isinstance(value, list)
        else:  # a file's state: [mtime, size, md5]
            ok = (isinstance(value, list) and len(value) == 3 and all(isinstance(v, (int, float)) for v in value[:2])
                  and isinstance(value[2], str))
        if ok:
            clean[key] = value
    return clean


class Brief(NamedTuple):
    """What the up-to-date check needs of one task's row, as stored (JSON text where a
    value is a list), without decoding the whole row."""

    build: str | None
    status: str | None
    md5: str | None  # of the source bytes the task processed
    out: str | None  # JSON [mtime_ns, size, md5] of the output as it was written
    checker: str | None
    deps: str | None  # JSON list of the file dependencies
    own: str | None  # JSON state [mtime, size, md5] of the task's own file dependency
    shared: tuple[str | None, ...]  # JSON states of the dependencies every task has


def _json_key(key: str) -> str | None:
    # A key inside a SQLite JSON path is quoted; a name with a quote cannot be written so,
    # and one that is not UTF-8 cannot be passed to SQLite at all. Those rows are read whole.
    if '"' in key or "\\" in key or not key.isprintable():
        return None
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return key


def read_briefs(state_file: str, task_prefix: str, dep_prefix: str, shared: list[str]) -> dict[str, Brief]:
    """For every task named `task_prefix + NAME`: its Brief, keyed by NAME. Its own
    dependency is the file `dep_prefix + NAME`. SQLite picks the few fields out of each
    row, so 10,000 rows cost a few tens of milliseconds, not a JSON decode each."""
    if not os.path.exists(state_file):
        return {}
    n = len(task_prefix)
    shared_paths = [_json_key(d) for d in shared]
    columns = ", ".join(
        "json_extract(task_data, '$.\"' || ? || '\"')" if key is not None else "NULL" for key in shared_paths
    )
    sql = (
        "select substr(task_id, ?), json_extract(task_data, '$.\"_values_:\".build'), "
        "json_extract(task_data, '$.\"_values_:\".status'), json_extract(task_data, '$.\"_values_:\".md5'), "
        "coalesce(json_extract(task_data, '$.\"out:\"'), json_extract(task_data, '$.\"_values_:\".out')), "
        "json_extract(task_data, '$.\"checker:\"'), json_extract(task_data, '$.\"deps:\"'), "
        "case when instr(task_id, '\"') or instr(task_id, '\\') then null "
        "else json_extract(task_data, '$.\"' || ? || substr(task_id, ?) || '\"') end"
        + (", " + columns if columns else "")
        + " from doit where substr(task_id, 1, ?) = ? and length(task_data) <= ? and json_valid(task_data)"
    )
    params = [n + 1, _json_key(dep_prefix) or "", n + 1, *[k for k in shared_paths if k is not None], n, task_prefix,
              MAX_ROW_CHARS]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            conn = _open_readonly(state_file, tmp)
            try:
                rows = conn.execute(sql, params).fetchall()
            finally:
                conn.close()
    except sqlite3.DatabaseError as exc:
        raise StateCorrupt(f"the build state is unreadable ({exc})", state_file) from None
    # json_extract gives numbers as numbers and strings unquoted: anything but the text
    # srtbuild writes (strings, and arrays as JSON text) is dropped as above.
    # (The checks are written out, not called: this runs for every source on every run.)
    return {name: Brief(build if type(build) is str else None, status if type(status) is str else None,
                        md5 if type(md5) is str else None,
                        out if type(out) is str and out[:1] == "[" else None,
                        checker if type(checker) is str else None,
                        deps if type(deps) is str and deps[:1] == "[" else None,
                        own if type(own) is str and own[:1] == "[" else None,
                        tuple(_array(v) for v in shared) if shared else ())
            for name, build, status, md5, out, checker, deps, own, *shared in rows}


def _array(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith("[") else None
