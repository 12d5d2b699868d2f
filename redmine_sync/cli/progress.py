"""How the CLI shows progress (``redmine_sync.progress``): a bar on a terminal, log lines
elsewhere, nothing with ``-q``.

* ``Bar``: rich's progress bar on stderr, one row per task with counts and the time left.
  rich draws, refreshes and clears it, and keeps log lines above it.
* ``LogLines``: where stderr is no terminal (systemd, CI, a file), one INFO line on the
  ``redmine_sync.progress`` logger at least every ``every`` seconds while a task runs
  (a heartbeat thread repeats the last count while one request is slow), and one when a
  task that was logged ends. Short work stays quiet: nothing in the first ``every``
  seconds. The clock is injectable, so tests need no sleeps.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress as RichProgress
from rich.progress import TaskID
from rich.progress import TextColumn
from rich.progress import TimeRemainingColumn

from redmine_sync import progress

EVERY = 10.0  # seconds between two progress lines on a non-terminal
log = logging.getLogger("redmine_sync.progress")


@contextmanager
def watching(quiet: bool, stream: TextIO | None = None,
             clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Install the reporter that fits ``stream`` (stderr) for the block; ``clock``: the
    log lines' (seconds, monotonic)."""
    stream = stream if stream is not None else sys.stderr
    if quiet:
        yield
        return
    if _is_terminal(stream):
        with Bar(Console(file=stream)).shown() as bar, progress.reporting(bar):
            yield
        return
    lines = LogLines(clock)
    with lines.beating(), progress.reporting(lines):
        yield


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Bar:
    """rich's progress bar, one row per task."""

    def __init__(self, console: Console) -> None:
        self.rich = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[progress.percentage]{task.percentage:>3.0f}%"),
            TimeRemainingColumn(), console=console, transient=True,
            redirect_stdout=_is_terminal(sys.stdout))  # same screen: print above the bar
        self.tasks: dict[str, TaskID] = {}

    @contextmanager
    def shown(self) -> Iterator[Bar]:
        with self.rich:
            yield self

    def advance(self, task: str, done: int, total: int | None) -> None:
        if task not in self.tasks:
            self.tasks[task] = self.rich.add_task(task, total=total)
        self.rich.update(self.tasks[task], completed=done, total=total)


@dataclass
class _Task:
    name: str
    started: float
    first: int  # the count when first seen: the rate is measured from there
    done: int = 0
    total: int | None = None
    logged: bool = False

    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


class LogLines:
    """Progress as log lines, at least every ``every`` seconds while a task runs."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, every: float = EVERY,
                 logger: logging.Logger = log) -> None:
        self.clock, self.every, self.log = clock, every, logger
        self.tasks: dict[str, _Task] = {}
        self.last_line = clock()
        self.latest: _Task | None = None
        self.lock = threading.Lock()

    def advance(self, task: str, done: int, total: int | None) -> None:
        now = self.clock()
        with self.lock:
            item = self.tasks.get(task)
            if item is None or item.finished() or done < item.done:  # a new round
                item = self.tasks[task] = _Task(task, now, first=done)
            item.done, item.total = done, total
            self.latest = item
            if now - self.last_line >= self.every or (item.finished() and item.logged):
                self._line(item, now)

    def beat(self) -> None:
        """The heartbeat: repeat the latest count when nothing was said for ``every``."""
        now = self.clock()
        with self.lock:
            item = self.latest
            if item is not None and not item.finished() and now - self.last_line >= self.every:
                self._line(item, now)

    @contextmanager
    def beating(self, period: float = 1.0) -> Iterator[LogLines]:
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(period):
                self.beat()

        thread = threading.Thread(target=loop, name="progress-heartbeat", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _line(self, item: _Task, now: float) -> None:
        self.last_line, item.logged = now, True
        elapsed = now - item.started
        if item.finished():
            self.log.info("progress: %s %d/%d, done in %s", item.name, item.done, item.total,
                          _duration(elapsed), extra=_fields(item))
        elif item.total:
            rate = (item.done - item.first) / elapsed if elapsed > 0 else 0
            left = f", about {_duration((item.total - item.done) / rate)} left" if rate else ""
            self.log.info("progress: %s %d/%d (%d%%)%s", item.name, item.done, item.total,
                          100 * item.done // item.total, left, extra=_fields(item))
        else:
            self.log.info("progress: %s %d", item.name, item.done, extra=_fields(item))


def _fields(item: _Task) -> dict[str, object]:
    """The counts as fields of a JSON log line (--log-format json)."""
    return {"task": item.name, "done": item.done, "total": item.total}


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"
