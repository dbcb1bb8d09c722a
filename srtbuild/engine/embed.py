"""doit, run in-process on a build's tasks, without a dodo.py.

A DoitMain with our own task loader: no doit.cfg or pyproject.toml of the user's is read
(`config_filenames=()`), user paths never travel as doit's positional arguments (it would
take `a=b.srt` for a variable), and the state file, backend and tasks are exactly those a
dodo.py gets, so `doit` and `srtbuild batch` share one state.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

from doit.cmd_base import TaskLoader2
from doit.doit_cmd import DoitMain
from doit.loader import generate_tasks

from srtbuild.engine.discovery import Source
from srtbuild.engine.isolation import WorkerWatch
from srtbuild.engine.project import Build
from srtbuild.engine.state import StateDB, StateWriteFailed
from srtbuild.engine.tasks import doit_config, finish, process_tasks, report_task
from srtbuild.engine.uptodate import PROCESS
from srtbuild.reports.progress import restarting
from srtbuild.reports.tracker import Workload


class _Loader(TaskLoader2):
    """Hands doit the process tasks of `selected` sources (those out of date) and the
    report; the rest are counted as up to date without building doit tasks for them."""

    def __init__(self, build: Build, selected: list[Source], workload: Workload) -> None:
        super().__init__()
        self.build = build
        self.selected = selected
        self.workload = workload

    def setup(self, opt_values: dict) -> None:
        pass

    def load_doit_config(self) -> dict:
        config = doit_config(self.build, workload=self.workload)
        config.pop("num_process", None)  # the command line below says how many
        config.pop("always", None)
        return config

    def load_tasks(self, cmd: object, pos_args: list) -> list:
        tasks = []
        if self.selected:
            tasks = generate_tasks(PROCESS, process_tasks(self.build, self.selected),
                                   "correct and check one subtitle source")
        return tasks + generate_tasks("report", report_task(self.build, after_process=bool(self.selected),
                                                           export=False))


class WorkerLost(BaseException):
    """One of doit's worker processes was killed while the run went on. A BaseException,
    like KeyboardInterrupt, so that doit lets it through instead of printing it."""


def _raise_lost(signum: int, frame: object) -> None:
    restarting()  # this run's display ends without a summary: the run goes on in new workers
    raise WorkerLost()


def _interrupt_main(message: str) -> None:
    # From the watch thread: the main thread, waiting inside doit, gets SIGUSR1, whose
    # handler raises WorkerLost there.
    main = threading.main_thread().ident
    if main is not None:
        signal.pthread_kill(main, signal.SIGUSR1)


def run_doit(build: Build, selected: list[Source], force: bool, workload: Workload) -> int:
    """doit's exit code for running the process tasks of `selected` (the pre-flight's
    `workload`), then the report. Raises WorkerLost if a worker process of a parallel run
    was killed."""
    # No more workers than files, and none for one file: doit then runs it in this process
    # (its helper process still isolates it), with no worker to start. (-n 0 is doit's
    # serial runner; without it DOIT_CONFIG's num_process would start workers anyway.)
    workers = min(build.parallel, len(selected))
    args = ["run", "-n", str(workers), "-P", "process"] if workers > 1 else ["run", "-n", "0"]
    if force:
        args.append("--always-execute")
    args += [PROCESS, "report"] if selected else ["report"]
    doit = DoitMain(_Loader(build, selected, workload), config_filenames=(),
                    extra_config={"BACKEND": {"srtbuild": "srtbuild.engine.state:StateDB"}})
    watch = WorkerWatch(_interrupt_main) if workers > 1 and hasattr(os, "waitid") else None
    previous = signal.signal(signal.SIGUSR1, _raise_lost) if watch else None
    if watch:
        watch.start()
    StateDB.failure = None
    try:
        code = doit.run(args)
        if StateDB.failure is not None:  # doit has said it ("ERROR: ..."): exit with its code
            raise StateWriteFailed(StateDB.failure.exit_code)
        return code
    except StateWriteFailed:
        for worker in multiprocessing.active_children():
            worker.kill()
            worker.join()
        raise
    except WorkerLost:
        for worker in multiprocessing.active_children():  # the others wait on a dead queue
            worker.kill()
            worker.join()
        raise WorkerLost(watch.lost if watch else "a doit worker process was killed") from None
    finally:
        if watch:
            watch.done.set()
            watch.join()
            signal.signal(signal.SIGUSR1, previous)
        finish()
