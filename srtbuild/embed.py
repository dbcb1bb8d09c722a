"""doit, run in-process on a build's tasks, without a dodo.py.

A DoitMain with our own task loader: no doit.cfg or pyproject.toml of the user's is read
(`config_filenames=()`), user paths never travel as doit's positional arguments (it would
take `a=b.srt` for a variable), and the state file, backend and tasks are exactly those a
dodo.py gets, so `doit` and `srtbuild batch` share one state.
"""

from __future__ import annotations

from doit.cmd_base import TaskLoader2
from doit.doit_cmd import DoitMain
from doit.loader import generate_tasks

from srtbuild.discovery import Source
from srtbuild.project import Build
from srtbuild.tasks import doit_config, finish, process_tasks, report_task
from srtbuild.uptodate import PROCESS


class _Loader(TaskLoader2):
    """Hands doit the process tasks of `selected` sources (those out of date) and the
    report; the rest are counted as up to date without building doit tasks for them."""

    def __init__(self, build: Build, selected: list[Source], verbosity: int) -> None:
        super().__init__()
        self.build = build
        self.selected = selected
        self.verbosity = verbosity

    def setup(self, opt_values: dict) -> None:
        pass

    def load_doit_config(self) -> dict:
        skipped = len(self.build.sources) - len(self.selected)
        return doit_config(self.build, self.verbosity, up_to_date=skipped)

    def load_tasks(self, cmd: object, pos_args: list) -> list:
        tasks = []
        if self.selected:
            tasks = generate_tasks(PROCESS, process_tasks(self.build, self.selected),
                                   "correct and check one subtitle source")
        return tasks + generate_tasks("report", report_task(self.build, after_process=bool(self.selected)))


def run_doit(build: Build, selected: list[Source], parallel: int, force: bool, verbosity: int) -> int:
    """doit's exit code for running the process tasks of `selected`, then the report."""
    args = ["run"]
    if parallel > 1 and len(selected) > 1:
        args += ["-n", str(min(parallel, len(selected))), "-P", "process"]
    if force:
        args.append("--always-execute")
    args += [PROCESS, "report"] if selected else ["report"]
    doit = DoitMain(_Loader(build, selected, verbosity), config_filenames=(),
                    extra_config={"BACKEND": {"srtbuild": "srtbuild.state:StateDB"}})
    try:
        return doit.run(args)
    finally:
        finish()
