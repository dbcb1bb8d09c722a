"""Where a run stands: counts, the files in progress, speeds and the time left.

Pure bookkeeping over the events the reporter relays, with the clock passed in, so that
what a user is told (percentages, rates, an ETA that does not jump about) can be tested
without running anything. The engine describes the work ahead as a `Workload` (plain
data: data flows from the engine to the reports, never back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The ETA says "estimating" until the run has this much measured work behind it: the
# first seconds are start-up (workers forking) and one file says little of the rest.
ESTIMATE_AFTER_S = 3.0
ESTIMATE_AFTER_FILES = 2
# Time constant of the ETA's smoothing: a new measurement moves the shown ETA by
# dt / (dt + SMOOTHING_S) of the difference, so a lone slow or fast file nudges it.
SMOOTHING_S = 8.0


@dataclass
class Workload:
    """The files a run will process, as the pre-flight check found them."""

    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # task name -> (bytes, cues)
    up_to_date: int = 0  # sources that will not run
    reported_by_doit: int = 0  # of those, how many doit will still report as up to date itself
    estimate_s: float | None = None  # whole run, from the last run's speed or a typical one
    estimate_basis: str = ""  # what the estimate is based on, for people
    need_bytes: int = 0  # disk space the outputs, sidecars and reports will take
    free_bytes: int | None = None  # on the output's file system; None if unknown
    need_inodes: int = 0
    free_inodes: int | None = None
    doomed: list[tuple[str, int | None, str]] = field(default_factory=list)  # (name, line, why) that will fail
    empty: list[str] = field(default_factory=list)  # names of empty sources (their output is empty too)
    jobs: int = 1

    @property
    def files(self) -> int:
        return len(self.sizes)

    @property
    def bytes(self) -> int:
        return sum(b for b, _ in self.sizes.values())

    @property
    def cues(self) -> int:
        return sum(c for _, c in self.sizes.values())


@dataclass
class Snapshot:
    """Everything a display shows at one moment (plain values)."""

    done: int  # files of this run finished (ok, failed or empty)
    total: int  # files this run processes
    ok: int
    failed: int
    empty: int
    up_to_date: int
    corrections: int
    segments: int
    active: list[tuple[str, int]]  # (name, cues) of the files in progress, oldest first
    elapsed_s: float
    files_per_min: float
    segments_per_s: float
    eta_s: float | None  # None: estimating
    memory_bytes: int = 0
    processes: int = 1
    waiting: int = 0  # of the active files, the last ones wait for a slot (fewer files at once)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class Tracker:
    """Counts and rates of one run. Times are whatever clock the caller uses (seconds)."""

    def __init__(self, workload: Workload, now: float) -> None:
        self.workload = workload
        self.started = now
        self.first_work: float | None = None
        self.ok = self.failed = self.empty = 0
        self.up_to_date = workload.up_to_date - workload.reported_by_doit  # doit's skips count the rest
        self.corrections = self.segments = 0
        self.active: dict[str, float] = {}  # name -> when it started (dicts keep order)
        self.finished: set[str] = set()
        self.extra = 0  # files run that the workload did not list (`doit -a`, a retry)
        self.skipped = 0  # files the workload listed that doit found up to date after all
        self.work_done = 0  # bytes of the finished files
        self.work_skipped = 0  # bytes of the skipped ones
        self.planned_bytes = workload.bytes  # summed once: events come 10,000 times
        self._eta: float | None = None
        self._eta_at = now

    # events --------------------------------------------------------------------------
    def start(self, name: str, now: float) -> None:
        if self.first_work is None:
            self.first_work = now
        self.active[name] = now

    def finish(self, name: str, status: str, segments: int, corrections: int, now: float) -> None:
        self.active.pop(name, None)
        if name not in self.workload.sizes and name not in self.finished:
            self.extra += 1
        self.finished.add(name)
        if status == "failed":
            self.failed += 1
        elif status == "empty":
            self.empty += 1
        else:
            self.ok += 1
        if status == "ok":  # as the report counts them: an empty file's repairs show nowhere
            self.segments += segments
            self.corrections += corrections
        if status == "failed":  # a failure is quick whatever its size: no measure of speed
            self.work_skipped += self._bytes(name)
        else:
            self.work_done += self._bytes(name)
        self._update_eta(now)

    def skip(self, name: str) -> None:
        """A file found up to date (doit's own check, after the pre-flight's)."""
        self.up_to_date += 1
        if name in self.workload.sizes and name not in self.finished:
            # Counted as work by the pre-flight: it is not, after all.
            self.finished.add(name)
            self.skipped += 1
            self.work_skipped += self._bytes(name)

    # figures -------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return max(self.workload.files + self.extra - self.skipped, self.done)

    @property
    def done(self) -> int:
        return self.ok + self.failed + self.empty

    def _bytes(self, name: str) -> int:
        return self.workload.sizes.get(name, (0, 0))[0]

    def _busy(self, now: float) -> float:
        return max(now - self.first_work, 0.0) if self.first_work is not None else 0.0

    def work_left(self) -> int:
        """Bytes of the files not finished yet (those in progress count whole)."""
        return max(self.planned_bytes - self.work_done - self.work_skipped, 0)

    def _raw_eta(self, now: float) -> float | None:
        busy = self._busy(now)
        if busy < ESTIMATE_AFTER_S or self.done < ESTIMATE_AFTER_FILES:
            return None
        if self.planned_bytes and self.work_done:
            rate = self.work_done / busy  # bytes a second, all workers together
            return self.work_left() / rate
        left = self.total - self.done  # no sizes known: files a second
        return left / (self.done / busy)

    def _update_eta(self, now: float) -> None:
        raw = self._raw_eta(now)
        if raw is None:
            return
        if self._eta is None:
            self._eta = raw
        else:
            dt = max(now - self._eta_at, 0.0)
            predicted = max(self._eta - dt, 0.0)  # what the last estimate says now
            weight = dt / (dt + SMOOTHING_S) if dt > 0 else 0.0
            # A first estimate can be far off; more finished files weigh more.
            weight = max(weight, 1.0 / (self.done + 1))
            self._eta = predicted + weight * (raw - predicted)
        self._eta_at = now

    def eta(self, now: float) -> float | None:
        """Seconds left: the smoothed estimate counted down since it was made."""
        if self.done >= self.total and not self.active:
            return 0.0
        if self._eta is None:
            return None
        left = self._eta - (now - self._eta_at)
        # Longer than foreseen: the files in progress are not done yet. Say a second, not
        # zero, and let the next finished file correct it.
        return max(left, 1.0)

    def snapshot(self, now: float, memory_bytes: int = 0, processes: int = 1, waiting: int = 0) -> Snapshot:
        busy = self._busy(now)
        return Snapshot(
            done=self.done, total=self.total, ok=self.ok, failed=self.failed, empty=self.empty,
            up_to_date=self.up_to_date, corrections=self.corrections, segments=self.segments,
            active=[(name, self.workload.sizes.get(name, (0, 0))[1]) for name in self.active],
            elapsed_s=now - self.started,
            files_per_min=self.done / busy * 60 if busy > 0 else 0.0,
            segments_per_s=self.segments / busy if busy > 0 else 0.0,
            eta_s=self.eta(now), memory_bytes=memory_bytes, processes=processes,
            waiting=min(waiting, len(self.active)),
        )
