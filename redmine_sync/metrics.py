"""Prometheus metrics of the runs, for node_exporter's textfile collector.

After each ``apply`` (the timer's, by hand, or the daemon's), when ``metrics.textfile`` is
set, the whole file is written again, atomically (a temporary file renamed over it, so the
collector never reads half a file). Totals come from the state store, so they survive
restarts and count every run; so do the SLA figures (each open issue's tier and SLA
state as last evaluated: a run evaluates the issues that changed or reached a threshold).
prometheus_client writes the format and renames the file.
Every metric is listed in docs/operations.md, with sample alert rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path

from prometheus_client import write_to_textfile
from prometheus_client.core import CounterMetricFamily
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.registry import CollectorRegistry

from redmine_sync.store import RunRow
from redmine_sync.store import StateStore

log = logging.getLogger(__name__)

AT_RISK, BREACHED = "warning", "breached"  # SLA states (rules/sla_stage.state_name)


@dataclass(frozen=True)
class RunFigures:
    """What only the run knows: whether the scheduled reports failed (None: the run ended
    before it knew, or published none: one project's run)."""

    reports_failed: bool | None = None


@dataclass(frozen=True, eq=False)  # a registry keeps its collectors by identity
class RunMetrics(Collector):
    """The metric families of one moment: the store's totals and the last run's figures."""

    store: StateStore
    figures: RunFigures = field(default_factory=RunFigures)

    def collect(self) -> Iterator[Metric]:
        yield from self._totals()
        yield from self._last_run()
        yield from self._sla()
        if self.figures.reports_failed is not None:
            yield _gauge("reports_failed", "1 when the last run could not publish the "
                         "scheduled reports", [((), float(self.figures.reports_failed))])

    def _totals(self) -> Iterator[Metric]:
        totals = self.store.run_totals()
        runs = CounterMetricFamily("redmine_sync_runs", "Finished runs by mode and status "
                                   "(ok, failed, breaker, stopped, error)",
                                   labels=("mode", "status"))
        for mode, status, count, _, _ in totals:
            runs.add_metric((mode, status), count)
        yield runs
        yield _counter("writes", "Issues written (fully or partly) by all runs",
                       sum(written for *_, written, _ in totals))
        yield _counter("write_failures", "Issues not (fully) written by all runs",
                       sum(failed for *_, failed in totals))
        yield _counter("breaker_trips", "Runs the circuit breaker refused",
                       sum(count for _, status, count, _, _ in totals if status == "breaker"))

    def _last_run(self) -> Iterator[Metric]:
        last = self.store.last_run("apply")
        success = self.store.last_run("apply", "ok")
        if success is not None:
            yield _gauge("last_success_timestamp_seconds", "When the last apply that "
                         "failed nothing finished (Unix time)", [((), _finished(success))])
        if last is None:
            return
        yield _gauge("last_run_timestamp_seconds", "When the last apply finished (Unix time)",
                     [((), _finished(last))])
        yield _gauge("last_run_duration_seconds", "How long the last apply took (read, plan, "
                     "write; without the reports)", [((), _duration(last))])
        yield _gauge("last_run_success", "1 when the last apply failed nothing",
                     [((), float(last.status == "ok"))])
        issues = GaugeMetricFamily("redmine_sync_last_run_issues", "Issues of the last apply "
                                   "by outcome", labels=("outcome",))
        for outcome, count in (("planned", last.planned), ("written", last.written),
                               ("skipped", last.skipped), ("failed", last.failed)):
            issues.add_metric((outcome,), count)
        yield issues

    def _sla(self) -> Iterator[Metric]:
        states = self.store.sla_state_counts()
        tiers = sorted({tier for tier, _ in states})
        at_risk = "Open issues with an SLA clock at half its target or more, not breached"
        for name, state, text in (
                ("issues_at_risk", AT_RISK, f"{at_risk}, by tier"),
                ("issues_breached", BREACHED, "Open issues with a breached SLA clock, by tier")):
            yield _gauge(name, text, [((tier or "none",), float(states.get((tier, state), 0)))
                                      for tier in tiers], labels=("tier",))
        yield _gauge("sla_open_issues", "Open issues under an SLA policy, by tier",
                     [((tier or "none",), float(sum(n for (t, _), n in states.items()
                                                    if t == tier))) for tier in tiers],
                     labels=("tier",))


def write(path: Path, store: StateStore, figures: RunFigures) -> None:
    """Write the metrics file at ``path`` atomically (raises OSError)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunMetrics(store, figures))
    write_to_textfile(str(path), registry)


def write_or_reason(path: Path | None, store: StateStore, figures: RunFigures) -> str:
    """``write`` for a run: "" when written (or off), else why not (logged as an error)."""
    if path is None:
        return ""
    try:
        write(path, store, figures)
    except OSError as exc:
        reason = f"metrics file {path} not written: {exc.strerror or exc}"
        log.error("%s", reason)
        return reason
    return ""


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"redmine_sync_{name}", text, value=value)


def _gauge(name: str, text: str, samples: list[tuple[tuple[str, ...], float]],
           labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"redmine_sync_{name}", text, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


def _finished(run: RunRow) -> float:
    assert run.finished is not None
    return datetime.fromisoformat(run.finished).timestamp()


def _duration(run: RunRow) -> float:
    return _finished(run) - datetime.fromisoformat(run.started).timestamp()
