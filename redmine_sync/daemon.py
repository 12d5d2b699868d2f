"""``redmine-sync daemon``: plan + apply in a loop; nothing here that ``apply`` does not do.

SIGTERM/SIGINT set ``stop``: the current write finishes, the rest waits for the next
start. While Redmine is unreachable the loop backs off (doubling, up to 30 minutes) and
says so; a tripped circuit breaker is logged as an error and retried next interval. Rules
are re-read every run: a rule file broken while the daemon runs is reported (every run,
until fixed) and the last good rules stay in force; broken rules at start stop it.
When the last run before stopping left failed writes or unpublished reports, the daemon
exits 2 (like ``apply``), so that the service shows it.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable
from datetime import datetime

from redmine_sync import metrics
from redmine_sync.apply import BreakerTripped
from redmine_sync.config import Config
from redmine_sync.errors import RedmineError
from redmine_sync.errors import UserError
from redmine_sync.errors import WritesFailed
from redmine_sync.metrics import RunFigures
from redmine_sync.redmine import RedmineClient
from redmine_sync.reports.run import publish_due_or_reason
from redmine_sync.rules import RuleSet
from redmine_sync.rules.ruleset import rule_paths
from redmine_sync.store import LockHeld
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import load_ruleset

log = logging.getLogger(__name__)
MAX_BACKOFF = 30 * 60.0
UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_interval(text: str) -> float:
    """``90``, ``90s``, ``5m`` or ``1h`` -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match[1]) <= 0:
        raise UserError(f"invalid interval {text!r}", hint="use seconds or a unit: 90s, 5m, 1h")
    return float(match[1]) * UNITS[match[2] or "s"]


def run_daemon(client_factory: Callable[[], RedmineClient], config: Config, store: StateStore,
               clock: Callable[[], datetime], interval: float, stop: threading.Event,
               max_runs: int | None = None) -> int:
    """Loop until ``stop`` is set (or ``max_runs`` runs, for tests). Returns the runs made."""
    delay, runs = interval, 0
    rules = Rules(load_ruleset(config), config)  # broken at start: stop with the problems (exit 1)
    problems: list[str] = []  # what the last run left failed
    log.info("daemon started: every %gs, projects %s", interval,
             ", ".join(config.projects) or "all")
    while not stop.is_set():
        runs += 1
        delay = _one_run(client_factory, config, store, clock, interval, delay, stop,
                         problems, rules.reload(config))
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(delay)
    log.info("daemon stopped")
    if problems:
        raise WritesFailed("the last run before stopping: " + "; ".join(problems))
    return runs


class Rules:
    """The rules in force: reloaded when a file they come from changed (checked every run),
    the last good ones kept when a file breaks."""

    def __init__(self, good: RuleSet, config: Config) -> None:
        self.good = good
        self.stamp = sources_stamp(config, good)

    def reload(self, config: Config) -> RuleSet:
        stamp = sources_stamp(config, self.good)
        if stamp == self.stamp:
            return self.good
        try:
            self.good = load_ruleset(config)
            self.stamp = sources_stamp(config, self.good)
        except UserError as exc:   # said again every run until fixed
            log.error("rules NOT reloaded, the last good rules stay in force until this is "
                      "fixed: %s", str(exc).replace("\n", "; "))
        return self.good


Stamp = tuple[tuple[str, int, int, int], ...]


def sources_stamp(config: Config, ruleset: RuleSet) -> Stamp:
    """Path, inode, size and modification time of each file the rules came from and of
    each rule file there is now (a file added or removed counts): cheap enough for every
    run, unlike parsing the files and building the vocabulary again."""
    paths = sorted({*ruleset.sources, *map(str, rule_paths([config.rules_dir]))})
    out = []
    for path in paths:
        try:
            st = os.stat(path)
            out.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((path, -1, -1, -1))
    return tuple(out)


def _one_run(client_factory: Callable[[], RedmineClient], config: Config, store: StateStore,
             clock: Callable[[], datetime], interval: float, delay: float,
             stop: threading.Event, problems: list[str], ruleset: RuleSet | None = None
             ) -> float:
    """One run; returns how long to wait before the next. ``problems`` gets what it left
    failed (written issues, reports, the metrics file)."""
    problems.clear()
    figures = RunFigures()
    try:
        wait, figures = _run(client_factory, config, store, clock, interval, delay, stop,
                             problems, ruleset)
    finally:  # after every run: its figures, or (none) that it failed
        not_measured = metrics.write_or_reason(config.metrics_textfile, store, figures)
        if not_measured:
            problems.append(not_measured)
    return wait


def _run(client_factory: Callable[[], RedmineClient], config: Config, store: StateStore,
         clock: Callable[[], datetime], interval: float, delay: float, stop: threading.Event,
         problems: list[str], ruleset: RuleSet | None) -> tuple[float, RunFigures]:
    try:
        client = client_factory()
        with store.writer_lock():  # the reports too: they write the wiki and the state
            result = apply_run(client, config, store, clock, stop=stop.is_set,
                               ruleset=ruleset)
            published, unpublished = publish_due_or_reason(client, config, store, clock(),
                                                           result.held)
    except RedmineError as exc:
        wait = min(max(delay * 2, interval), MAX_BACKOFF) if delay >= interval else interval
        log.warning("Redmine unavailable: %s; next try in %.0fs", str(exc).splitlines()[0], wait)
        return wait, RunFigures()
    except BreakerTripped as exc:
        log.error("%s", exc)
        return interval, RunFigures()
    except LockHeld as exc:
        log.warning("%s", str(exc).splitlines()[0])
        return interval, RunFigures()
    for line in published:
        log.info("%s", line)
    if unpublished:
        problems.append(f"scheduled reports not published: {unpublished}")
    applied = result.applied
    if applied is not None:
        log.info("run %d: %d issue(s) planned, %d written, %d skipped or deferred, %d failed",
                 applied.run_id, result.plan.changed_count, applied.count("written", "partial"),
                 applied.count("skipped", "deferred", "pending"), applied.failed)
        if applied.failed:
            problems.append(f"{applied.failed} issue(s) not fully written; see "
                            f"redmine-sync history --run {applied.run_id}")
    return (wake_in(result.plan.next_wake, clock(), interval),
            RunFigures(bool(unpublished)))


def wake_in(next_wake: datetime | None, now: datetime, interval: float) -> float:
    """Seconds until the next run: the interval, or sooner for an SLA threshold (to the
    minute: the next whole minute at or after the threshold)."""
    if next_wake is None:
        return interval
    seconds = (next_wake - now).total_seconds()
    seconds = math.ceil(max(seconds, 0) / 60) * 60 if seconds > 0 else 1.0
    if seconds < interval:
        log.info("next SLA threshold at %s: waking in %.0fs", next_wake.isoformat(), seconds)
    return max(1.0, min(interval, seconds))
