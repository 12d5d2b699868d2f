"""bench/compare.py's budget (which step is left out, which stops) and its tables."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench import compare


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A clock the measurements advance, and a budget of 10 minutes on it."""
    ticking = Clock()
    monkeypatch.setattr(compare, "BUDGET", compare.Budget(10, clock=ticking))
    monkeypatch.setattr(compare, "say", lambda text: None)
    yield ticking


def taking(clock: Clock, seconds: float, value: float) -> Any:
    def measure() -> dict[str, Any]:
        clock.now += seconds
        return {"wall": value}
    return measure


def test_a_step_that_fits_what_is_left_is_admitted(clock: Clock) -> None:
    budget = compare.BUDGET
    clock.now += 240
    assert budget.admits("engine", 6 * 60)
    assert budget.left_out == {}


def test_a_step_that_does_not_fit_is_left_out_with_what_it_needed(clock: Clock) -> None:
    budget = compare.BUDGET
    clock.now += 300
    assert not budget.admits("memory_apply", 6 * 60)
    assert budget.left_out == {"memory_apply": "needs about 6.0 min, 5.0 min were left of 10"}


def test_the_pace_of_the_steps_done_scales_the_estimate(clock: Clock) -> None:
    budget = compare.BUDGET
    budget.done("apply", 60, 120)  # took twice what was expected
    assert budget.pace == 2
    assert budget.admits("store", 4 * 60)  # 8 of the 10 minutes
    assert not budget.admits("engine", 5 * 60 + 1)
    assert budget.left_out["engine"].startswith("needs about 10.0 min")


def test_pairs_alternate_old_first_in_odd_pairs(clock: Clock) -> None:
    order: list[str] = []

    def measure(name: str) -> Any:
        def run() -> dict[str, Any]:
            order.append(name)
            return {"wall": 1.0}
        return run

    rows = compare.alternate(3, measure("old"), measure("new"))
    assert order == ["old", "new", "new", "old", "old", "new"]
    assert [r["pair"] for r in rows] == [1, 2, 3]
    assert compare.BUDGET.stopped == {}


def test_a_step_stops_when_its_next_pair_would_not_end_in_the_budget(clock: Clock) -> None:
    compare.BUDGET.running.step = "memory_plan"
    rows = compare.alternate(3, taking(clock, 120, 5.0), taking(clock, 90, 4.0))
    # two pairs of 3.5 min: 3 min are left, the third would need 3.5
    assert len(rows) == 2
    assert compare.BUDGET.stopped == {"memory_plan": (
        "stopped after 2 of 3 pairs: the next one needs about 3.5 min, 3.0 min were left")}


def test_a_step_started_with_nothing_left_still_runs_one_pair(clock: Clock) -> None:
    clock.now += 11 * 60
    rows = compare.alternate(3, taking(clock, 1, 2.0), taking(clock, 1, 1.0))
    assert len(rows) == 1


ROWS = [{"pair": 1, "start": "09:50", "load": "1.2", "old": {"wall": 60.0}, "new": {"wall": 40.0}},
        {"pair": 2, "start": "09:53", "load": "1.4", "old": {"wall": 50.0}, "new": {"wall": 30.0}},
        {"pair": 3, "start": "09:56", "load": "0.9", "old": {"wall": 70.0}, "new": {"wall": 20.0}}]


def test_the_table_gives_every_pair_its_ratio_then_the_medians() -> None:
    lines = compare.pair_table("**apply**:", ROWS, lambda side: f"{side['wall']} s",
                               lambda side: side["wall"], compare.faster, "{:.1f} s".format)
    assert lines == [
        "**apply**:", "",
        "| pair (start, load) | old | new | old / new |", "|---|---|---|---|",
        "| 1 (09:50, 1.2) | 60.0 s | 40.0 s | 1.50x |",
        "| 2 (09:53, 1.4) | 50.0 s | 30.0 s | 1.67x |",
        "| 3 (09:56, 0.9) | 70.0 s | 20.0 s | 3.50x |",
        "| median | 60.0 s | 30.0 s | **1.67x** |", ""]


def test_the_median_ratio_is_that_of_the_pairs_not_of_the_medians() -> None:
    lines = compare.pair_table("x", ROWS, str, lambda side: side["wall"], compare.change,
                               "{:.0f} s".format)
    assert lines[-2] == "| median | 60 s | 30 s | **-40%** |"  # pairs -33 %, -40 %, -71 %


def test_the_report_names_the_steps_left_out_stopped_and_failed() -> None:
    args = argparse.Namespace(issues=10_000, project="bench", writes=50)
    results = {
        "started": "2026-12-01 09:50 UTC", "ended": "2026-12-01 10:30 UTC",
        "old": "526ddc7", "new": "abc1234", "machine": "x86_64, 2 cores", "minutes": 40.0,
        "store": {"issues": 10_000, "rows": [
            {"pair": 1, "start": "09:51", "load": "1.0", "old": {"wall": 1.0, "cpu": 0.3},
             "new": {"wall": 0.5, "cpu": 0.3}}]},
        "lanes": {"lane 1": ["store"], "lane 2": ["engine"]},
        "budget": {"minutes": 40.0, "steps": {"store": {"minutes": 0.5, "expected": 0.4}},
                   "left_out": {"memory_apply": "needs about 9.0 min, 3.0 min were left of 40"},
                   "stopped": {"memory_plan": "stopped after 1 of 3 pairs: ..."}},
        "failed": {"engine": "Traceback ...\nengine.py (old) failed: boom"}}
    text = compare.report(results, args)
    assert text.startswith("### 2026-12-01 09:50 UTC - 10:30 UTC: issue 18")
    assert "| 1 (09:51, 1.0) | 1.0 s wall, 0.3 s CPU | 0.5 s wall, 0.3 s CPU | -50% |" in text
    assert "lanes: lane 1: store; lane 2: engine." in text
    assert ("**Left out: memory_apply** (needs about 9.0 min, 3.0 min were left of 40)."
            in text)
    assert "**Stopped: memory_plan**, stopped after 1 of 3 pairs: ..." in text
    assert "**Failed: engine**: engine.py (old) failed: boom" in text
    assert text.endswith("Whole run: 40.0 min.\n")


def test_a_step_that_reached_no_pair_has_no_table() -> None:
    args = argparse.Namespace(issues=10_000, project="bench", writes=50)
    results = {"started": "2026-12-01 09:50 UTC", "ended": "2026-12-01 10:30 UTC",
               "old": "526ddc7", "new": "abc1234", "machine": "m",
               "engine": {"issues": 20_000, "repeat": 3, "rows": []}}
    assert "rule engine" not in compare.report(results, args)


def test_the_summary_is_read_without_decoding_the_whole_document() -> None:
    document = json.dumps({"changes": [{"issue": n, "summary": "x"} for n in range(3)],
                           "summary": {"issues_changed": 3, "notes": 1}}, indent=2)
    assert compare.summary_of("INFO run 1\n" + document) == {"issues_changed": 3, "notes": 1}
    assert compare.summary_of("INFO run 1\n" + document[:-1] + ', "x": [') == {
        "issues_changed": 3, "notes": 1}  # the rest is not decoded


def test_the_summary_of_a_document_printed_on_one_line() -> None:
    assert compare.summary_of('{"summary": {"written": 2}}') == {"written": 2}


def test_the_cold_pass_table_adds_each_trees_own_listing_and_redmines_time() -> None:
    args = argparse.Namespace(issues=10_000, project="bench", writes=50)
    side = {"wall": 12.7, "journal_reads": 95, "read_s": 5.8, "server_reads_s": 5.2,
            "estimated_wall": 373.7, "estimated_log": 341.8}
    results = {
        "started": "2026-12-01 09:50 UTC", "ended": "2026-12-01 10:30 UTC", "old": "526ddc7",
        "new": "abc1234", "machine": "m",
        "sla_cold": {"sample": 50, "issues": 10_000, "listings": {
            "old": {"pages": 103, "seconds": 77.8, "fetched": "2026-12-01 09:55"},
            "new": {"pages": 107, "seconds": 74.9, "fetched": "2026-12-01 09:57"}},
            "rows": [{"pair": 1, "start": "09:58", "load": "1.1",
                      "old": {**side, "wall": 19.3, "journal_reads": 200, "read_s": 12.5,
                              "server_reads_s": 11.0, "estimated_wall": 747.4,
                              "estimated_log": 648.6},
                      "new": side}]}}
    text = compare.report(results, args)
    assert ("the tree's listing (old: 103 pages, 77.8 s in Redmine, fetched 2026-12-01 09:55 "
            "UTC; new: 107 pages, 74.9 s in Redmine, fetched 2026-12-01 09:57 UTC)") in text
    assert ("| 1 (09:58, 1.1) | 19.3 s, 200 reads, waited 12.5 s, log 11.0 s -> 747.4 s (log: "
            "648.6 s) | 12.7 s, 95 reads, waited 5.8 s, log 5.2 s -> 373.7 s (log: 341.8 s) "
            "| 2.00x |") in text
