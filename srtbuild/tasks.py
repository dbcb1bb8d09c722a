"""What a content repo's dodo.py imports: `from srtbuild.tasks import dodo`.

`srtbuild init` writes dodo.py files that name this module, so it stays where it is;
the task definitions themselves live in the build layer (srtbuild.engine.tasks).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Iterator

from srtbuild.config import load_settings
from srtbuild.engine.isolation import WorkerWatch, stopping
from srtbuild.engine.project import plan, run_options
from srtbuild.engine.state import guard_state, lock_for
from srtbuild.engine.throttle import begin_drain
from srtbuild.reports.progress import notice
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
        build.options = run_options(settings, **_doit_flags(sys.argv[1:]))
        build.check_export()
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

    _stop_cleanly()
    namespace["DOIT_CONFIG"] = doit_config(build)
    namespace["task_process"] = task_process
    namespace["task_report"] = task_report


_exiting: list[bool] = []


def _exit_interrupted(say: bool) -> None:
    """Once stopped by a signal, doit ends with 130 whatever it would return: also when
    the files in progress were the last ones (doit then finishes as if all went well), and
    without multiprocessing's exit hook, which can wait forever for a worker that a
    signal caught while it was starting. Workers and helpers die with this process."""
    if _exiting:
        return
    _exiting.append(say)

    def leave() -> None:
        if say:  # said once doit has ended (its summary first), not from a signal handler
            notice("srtbuild: interrupted; finished files are saved, run doit again to resume", "interrupted")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)

    atexit.register(leave)


def _doit_flags(args: list[str]) -> dict:
    """What doit's own command line says of the run (`-n N`, `-a`), which reaches no
    reporter or loader: how many workers the report and the estimate should name, and
    whether every file runs. Only for `doit run`, the default command."""
    if args and not args[0].startswith("-") and args[0] != "run" and ":" not in args[0] and "=" not in args[0]:
        return {}  # `doit list`, `doit clean`, ... or a task name
    flags: dict = {}
    for i, arg in enumerate(args):
        value = None
        if arg in ("-n", "--process") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--process="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-n") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value.isdigit():
            flags["jobs"] = max(int(value), 1)
        if arg in ("-a", "--always-execute", "--always"):
            flags["force"] = True
    return flags


def _stop_cleanly() -> None:
    """Plain `doit` as `srtbuild batch` would end: a first Ctrl-C lets the files in
    progress finish, a second one or SIGTERM stops the run at once, with one line and
    exit 130 (doit itself lets KeyboardInterrupt out as a traceback), and a `-n` worker
    that was killed stops it the same way instead of leaving doit waiting for it forever.
    What finished is committed either way; running doit again resumes."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: object) -> None:
        _exit_interrupted(signum != signal.SIGUSR1)
        if begin_drain(signum):  # a first Ctrl-C: the files in progress finish first
            return
        stopping.set()
        raise SystemExit(130)  # passes through doit's loop, which then ends its workers and saves

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    if not hasattr(os, "waitid"):
        return
    main = threading.main_thread().ident

    def lost(message: str) -> None:
        stopping.set()
        notice(f"srtbuild: {message}; doit cannot go on without it, so the run stops. Finished files are "
               "saved: run doit again to resume (srtbuild batch restarts lost workers by itself)", "error")
        if main is not None:
            signal.pthread_kill(main, signal.SIGUSR1)

    signal.signal(signal.SIGUSR1, stop)
    watch = WorkerWatch(lost, reap_helpers=False)
    watch.start()
    # Ended before the interpreter is torn down: a daemon thread still polling then prints
    # "Exception ignored in ... Thread._bootstrap" over the last lines of the run.
    atexit.register(_end_watch, watch)


def _end_watch(watch: WorkerWatch) -> None:
    watch.done.set()
    watch.join(timeout=2)
