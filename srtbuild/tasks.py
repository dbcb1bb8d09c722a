"""What a content repo's dodo.py imports: `from srtbuild.tasks import dodo`.

`srtbuild init` writes dodo.py files that name this module, so it stays where it is;
the task definitions themselves live in the build layer (srtbuild.engine.tasks).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

from srtbuild.config import load_settings
from srtbuild.engine.project import plan
from srtbuild.engine.state import guard_state, lock_for
from srtbuild.engine.tasks import doit_config, process_tasks, report_task
from srtbuild.errors import SrtbuildError


def dodo(namespace: dict) -> None:
    """Fill a dodo.py's namespace from the srtbuild.yaml beside it.

    doit runs dodo.py in its own folder, so the paths of tasks and state are relative to
    it and survive moving the repo. A configuration error, a busy output folder (another
    run) or one that cannot be written ends doit with one line and exit 2, as
    `srtbuild batch` does.
    """
    here = Path(namespace["__file__"]).resolve().parent
    config = here / "srtbuild.yaml"
    try:
        settings = load_settings(config if config.is_file() else None, start=here)
        build = plan(settings, base=here)
        # Taken now, held until doit exits: a busy or unwritable output folder is one line
        # and exit 2 here, as with `srtbuild batch`, before doit opens anything.
        state_file = str(build.where.absolute(build.where.state_file))
        guard_state(state_file)
        lock_for(state_file).acquire()
    except SrtbuildError as exc:
        print(f"srtbuild: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None

    def task_process() -> Iterator[dict]:
        """correct and check one subtitle source"""
        yield from process_tasks(build)

    def task_report() -> dict:
        """collect every sidecar into the reports under OUTPUT/.srtbuild/"""
        return report_task(build)

    namespace["DOIT_CONFIG"] = doit_config(build)
    namespace["task_process"] = task_process
    namespace["task_report"] = task_report
