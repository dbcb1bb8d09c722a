"""Find the sources of a build and give each its mirrored, confined output paths.

A source is named by its path relative to the input root, with `/` separators: that name
is the task name, the report's `path` and the key under the output tree, so it must not
depend on where the repo lives. Every path handed on is relative to the build's base
folder (the folder of srtbuild.yaml), which keeps doit's state valid when the repo moves.

Nothing is written here, but this is where writes are confined: an output folder that is
(or passes through) a symlink leading out of the output root is refused before any work.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from srtbuild.confined import LinkRefused, OutputRoot
from srtbuild.errors import UsageError
from srtbuild.names import STATE_DIR, escape_name, metrics_folder, sidecar_name


class Source(NamedTuple):
    """One source file. A named tuple, not a dataclass: a build makes 10,000 of these."""

    name: str  # the build's name for it: task `process:<name>`, the report's `path` (escape_name)
    rel: str  # the path relative to the input root, `/`-separated, exactly as on disk
    source: str  # the paths below are relative to the base folder (or absolute if outside it)
    output: str
    sidecar: str


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a build reads and writes, as paths relative to `base` where possible."""

    base: Path
    input: str
    output: str

    @property
    def state_dir(self) -> str:
        return os.path.join(self.output, STATE_DIR)

    @property
    def metrics_dir(self) -> str:
        return os.path.join(self.output, STATE_DIR, "metrics")

    @property
    def state_file(self) -> str:
        return os.path.join(self.output, STATE_DIR, "state.sqlite")

    def absolute(self, path: str) -> Path:
        return self.base / path

    def under_output(self, path: str) -> str:
        """A path made by discovery below the output folder, relative to that folder."""
        if self.output == ".":
            return path[2:] if path.startswith("." + os.sep) else path
        return path[len(self.output) + 1:]


def layout(base: Path, input_dir: str | Path, output_dir: str | Path) -> Layout:
    """Input and output folders, named relative to `base` (absolute when on another drive)."""
    base = base.resolve()

    def short(path: str | Path) -> str:
        full = (base / path).resolve() if not Path(path).is_absolute() else Path(os.path.abspath(path))
        try:
            return os.path.relpath(full, base)
        except ValueError:  # another drive on Windows
            return str(full)

    return Layout(base=base, input=short(input_dir), output=short(output_dir))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a `/`-separated glob: `*` and `?` stay within a folder, `**` spans folders;
    letters match either case."""
    check_pattern(pattern)
    pattern = re.sub(r"\*{3,}", "**", pattern)  # `***` means no more than `**`
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.index("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    # Regardless of case: `*.srt` finds `LECTURE.SRT`, as it would on Windows and macOS.
    try:
        return re.compile("".join(out) + r"\Z", re.IGNORECASE)
    except re.error as exc:  # `[z-a]` and the like
        raise UsageError(f"bad pattern {pattern!r}: {exc.msg}") from None


_MAX_STARS = 8


def check_pattern(pattern: str) -> None:
    """Refuse patterns that cannot mean a file inside the input root."""
    if not pattern or pattern.strip() != pattern:
        raise UsageError(f"bad pattern {pattern!r}: empty or with leading/trailing spaces")
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:", pattern) or "\\" in pattern:
        raise UsageError(f"bad pattern {pattern!r}: patterns are relative, with / between folders")
    if ".." in pattern.split("/"):
        raise UsageError(f"bad pattern {pattern!r}: '..' would leave the input folder")
    # Each `*` is a place the matcher may backtrack to: a dozen make matching take minutes.
    if len(re.findall(r"\*+", pattern)) > _MAX_STARS:
        raise UsageError(f"bad pattern {pattern!r}: more than {_MAX_STARS} wildcards")
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            close = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if close < 0:
                raise UsageError(f"bad pattern {pattern!r}: '[' without a closing ']'")
            i = close
        i += 1


class _Matcher:
    """Patterns without `/` match the file name (as `*.srt` means in any folder); patterns
    with `/` match the whole relative path."""

    def __init__(self, patterns: list[str]) -> None:
        # One alternation per kind: one match call a file, however many patterns (this
        # runs for every entry of the tree on every run, no-op runs included).
        self.by_name = self._one([glob_regex(p) for p in patterns if "/" not in p])
        self.by_path = self._one([glob_regex(p) for p in patterns if "/" in p])

    @staticmethod
    def _one(regexes: list[re.Pattern[str]]):
        if not regexes:
            return lambda _: None
        if len(regexes) == 1:
            return regexes[0].match
        return re.compile("|".join(f"(?:{r.pattern})" for r in regexes), re.IGNORECASE).match

    def __call__(self, rel: str, name: str) -> bool:
        return self.by_name(name) is not None or self.by_path(rel) is not None


def _excluder(exclude: list[str]) -> _Matcher:
    # An exclude naming a folder (`drafts`, `drafts/`) means everything under it.
    expanded: list[str] = []
    for pat in exclude:
        pat = pat.rstrip("/") if pat.endswith("/") and len(pat) > 1 else pat
        expanded.append(pat)
        if not pat.endswith("**"):
            expanded.append(pat + "/**")
    return _Matcher(expanded)


@dataclass
class Found:
    """What discovery found: the sources in name order, and the folders it could not
    list (their sources are unknown this run: reported, and their outputs kept)."""

    sources: list[Source]
    unlisted: list[tuple[str, str]]  # (folder relative to the input root, why)


def discover(
    where: Layout,
    patterns: list[str],
    recursive: bool = True,
    exclude: list[str] | None = None,
) -> Found:
    """The sources under the input root, sorted by their relative name.

    Every entry whose name matches is a source, whatever it is: a file, a symlink (to a
    file, to nothing, to itself), a FIFO or a device. Those that cannot be read fail
    alone when they are processed, with the reason; skipping them here would hide them.
    Folders and files whose name starts with `.` are skipped, and so is the output root
    when it lies inside the input. Symlinked folders are not followed (a link cycle would
    never end, and a link out of the tree would make the build depend on files it does not
    own). A folder that cannot be listed is recorded, not fatal.
    """
    if not patterns:
        raise UsageError("no patterns: give at least one, e.g. --pattern '*.srt'")
    root = where.absolute(where.input)
    if not root.is_dir():
        raise UsageError(f"{escape_name(str(root))}: input folder not found" if not root.exists()
                         else f"{escape_name(str(root))}: not a folder")
    matches = _Matcher(patterns)
    excluded = _excluder(exclude or [])
    out_id = _identity(where.absolute(where.output))  # the same folder by any path (links, bind mounts)
    found: list[str] = []
    unlisted: list[tuple[str, str]] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        folder = os.path.join(root, prefix) if prefix else str(root)
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            if not prefix:
                raise UsageError(f"{escape_name(str(root))}: cannot list the input folder: {exc.strerror}") from None
            unlisted.append((prefix.rstrip("/"), f"cannot list folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel = prefix + name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if recursive and not excluded(rel, name) and _identity(entry.path) != out_id:
                    stack.append(rel + "/")
            elif matches(rel, name) and not excluded(rel, name):
                found.append(rel)
    found.sort()
    unlisted.sort()
    # Plain string joins: this runs for every source on every run.
    src_prefix = "" if where.input == "." else where.input + os.sep
    out_prefix = "" if where.output == "." else where.output + os.sep
    metrics_prefix = where.metrics_dir + os.sep
    native = (lambda rel: rel) if os.sep == "/" else (lambda rel: rel.replace("/", os.sep))
    sources = []
    metrics_of: dict[str, str] = {}  # per folder, once
    for rel in found:
        path = native(rel)
        folder, _, base = rel.rpartition("/")
        under = metrics_of.get(folder)
        if under is None:
            under = metrics_of[folder] = native(metrics_folder(folder)) + os.sep if folder else ""
        sidecar = metrics_prefix + under + sidecar_name(base)
        sources.append(Source(escape_name(rel), rel, src_prefix + path, out_prefix + path, sidecar))
    return Found(sources, unlisted)


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def contains(folder: str | Path, path: str | Path) -> bool:
    """`path` is `folder` or lies below it, by device and inode: also through a symlink or
    a bind mount, which a comparison of paths would miss."""
    target = _identity(folder)
    if target is None:
        return False
    here = os.path.abspath(path)
    while True:
        if _identity(here) == target:
            return True
        parent = os.path.dirname(here)
        if parent == here:
            return False
        here = parent


def matches(patterns: list[str], rel: str) -> bool:
    """Whether a path relative to the input folder (`/`-separated) is one the patterns
    take for a source."""
    return _Matcher(patterns)(rel, rel.rsplit("/", 1)[-1])


def first_match(folder: Path, patterns: list[str]) -> str | None:
    """The first file under `folder` (hidden names skipped, links not followed) that a
    pattern matches, relative to it; None if there is none."""
    matches = _Matcher(patterns)
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        prefix = os.path.relpath(top, folder).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(files):
            if not name.startswith(".") and matches(prefix + name, name):
                return prefix + name
    return None


def check_confined(where: Layout, sources: list[Source]) -> None:
    """Refuse to run if a folder an output or sidecar would be written to is a symlink
    (or not a folder): writes never go through links (srtbuild.confined), and saying so
    before any work beats failing every file. Folders that do not exist yet are fine: we
    make them. Checked once per folder, not per file."""
    root = OutputRoot(where.absolute(where.output))
    folders = {""}
    for src in sources:
        head = src.rel.rpartition("/")[0]
        while head not in folders:  # each folder and its parents, once
            folders.add(head)
            head = head.rpartition("/")[0]
    for head in sorted(folders):
        for under, name in (("", head), (f"{STATE_DIR}/metrics", metrics_folder(head))):
            rel = f"{under}/{name}" if under and name else (under or name)
            try:
                root.check_folder(rel)
            except LinkRefused as exc:
                raise UsageError(str(exc)) from None
            except OSError as exc:
                raise UsageError(f"{root.shown(rel)}: cannot open the folder: {exc.strerror or exc}") from None
