"""The customer health score: each component on its own, the weights from the config's YAML,
the trend against one window before and the components named for the move.

``now`` is 2026-11-20 09:00 UTC (tests/unit/reports/test_build.py); the window is the 30 days
before it, from 2026-10-21 09:00, the window before from 2026-09-21 09:00.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from redmine_sync.config import HealthSettings
from redmine_sync.config import load_config
from redmine_sync.errors import ConfigError
from redmine_sync.model import Issue
from redmine_sync.reports import build
from redmine_sync.reports.doc import render
from redmine_sync.reports.health import health
from redmine_sync.reports.health import movement
from redmine_sync.reports.texts import load_texts
from tests.unit.reports.test_build import FR
from tests.unit.reports.test_build import NOW
from tests.unit.reports.test_build import at
from tests.unit.reports.test_build import clock
from tests.unit.reports.test_build import edit
from tests.unit.reports.test_build import issue
from tests.unit.reports.test_build import make_input
from tests.unit.reports.test_build import status

ONLY = dict.fromkeys(HealthSettings().weights, 0.0)
SETTINGS = HealthSettings()


def alone(component: str) -> HealthSettings:
    """Weights that make the score that one component (x 100)."""
    return replace(SETTINGS, weights={**ONLY, component: 1.0})


def score(issues: list[Issue], component: str, **changes: object) -> float:
    inp = replace(make_input(), issues=tuple(issues), health=alone(component), **changes)
    return health(inp, issues, NOW).score


def request(iid: int, created: str, **kw: object) -> Issue:
    return issue(iid, f"request {iid}", "华信银行", str(kw.pop("state", "New")), created,
                 **kw)  # type: ignore[arg-type]


def test_volume_trend_is_lowered_by_a_surge_only() -> None:
    before = [request(1, "2026-10-01T02:00"), request(2, "2026-10-02T02:00")]
    steady = [*before, request(3, "2026-11-01T02:00"), request(4, "2026-11-02T02:00")]
    surge = steady + [request(5 + k, "2026-11-10T02:00") for k in range(4)]
    assert score(steady, "volume_trend") == pytest.approx(100)        # 2 now, 2 before
    assert score(surge, "volume_trend") == pytest.approx(100 * 3 / 7)  # 6 now, 2 before
    assert score(before, "volume_trend") == pytest.approx(100)         # fewer: no penalty


def test_kinds_counts_the_share_of_problem_requests() -> None:
    issues = [request(1, "2026-11-01T02:00", kind="service"),
              request(2, "2026-11-02T02:00", kind="functional"),
              request(3, "2026-11-03T02:00", kind="functional"),
              request(4, "2026-11-04T02:00", kind="custom"),
              request(5, "2026-10-01T02:00", kind="service")]   # before the window
    assert score(issues, "kinds") == pytest.approx(75)
    custom = replace(alone("kinds"), problem_kinds=("service", "custom"))
    inp = replace(make_input(), issues=tuple(issues), health=custom)
    assert health(inp, issues, NOW).score == pytest.approx(50)
    assert score([], "kinds") == pytest.approx(100)             # no request: no sign of trouble


def test_breaches_is_the_attainment_of_the_window() -> None:
    issues = [request(1, "2026-11-01T02:00"), request(2, "2026-11-02T02:00"),
              request(3, "2026-10-01T02:00")]
    clocks = {1: (clock(FR, "2026-11-01T02:00", 2, 4, stopped="2026-11-01T04:00"),),
              2: (clock(FR, "2026-11-02T02:00", 9, 8, state="running",
                        breached_at="2026-11-02T10:00"),),
              3: (clock(FR, "2026-10-01T02:00", 9, 8, stopped="2026-10-01T11:00",
                        breached_at="2026-10-01T10:00"),)}   # breached before the window
    assert score(issues, "breaches", clocks=clocks) == pytest.approx(50)
    assert score(issues, "breaches", clocks={}) == pytest.approx(100)


def test_satisfaction_of_the_issues_closed_in_the_window_on_either_scale() -> None:
    issues = [request(1, "2026-11-01T02:00", state="Closed", closed="2026-11-10T02:00",
                      score="4"),
              request(2, "2026-11-01T02:00", state="Closed", closed="2026-11-12T02:00",
                      score="2"),
              request(3, "2026-09-01T02:00", state="Closed", closed="2026-09-30T02:00",
                      score="1")]   # answered before the window
    assert score(issues, "satisfaction") == pytest.approx(100 * (3 - 1) / 4)
    nps_answers = [request(4, "2026-11-01T02:00", state="Closed", closed="2026-11-10T02:00",
                           score="10"),
                   request(5, "2026-11-01T02:00", state="Closed", closed="2026-11-11T02:00",
                           score="6")]   # NPS 0
    assert score(nps_answers, "satisfaction", satisfaction_scale="nps") == pytest.approx(50)
    assert score(issues[2:], "satisfaction") == pytest.approx(100)   # no answer in the window


def test_urgent_open_issues() -> None:
    issues = [request(1, "2026-11-01T02:00", priority="Urgent"),
              request(2, "2026-11-01T02:00", priority="Immediate", state="In Progress"),
              request(3, "2026-11-01T02:00", priority="Urgent", state="Closed",
                      closed="2026-11-05T02:00"),
              request(4, "2026-11-01T02:00", priority="High")]
    assert score(issues, "urgent_open") == pytest.approx(100 / 3)
    assert score(issues[2:], "urgent_open") == pytest.approx(100)


def test_the_trend_compares_with_the_issues_as_they_were_one_window_before() -> None:
    # urgent and open since October; closed in November: the urgent component recovered
    closing = status(2, "2026-11-10T02:00", "In Progress", "Closed")
    raised = edit(1, "2026-10-05T02:00", "priority", "Normal", "Urgent")
    issues = [request(1, "2026-08-01T02:00", state="Closed", closed="2026-11-10T02:00",
                      priority="Urgent", journals=(raised, closing))]
    inp = replace(make_input(), issues=tuple(issues), clocks={})
    moved = movement(inp, issues)
    weights = SETTINGS.weights
    total = sum(weights.values())
    assert moved.before.points("urgent_open") == pytest.approx(100 * 1 * 0.5 / total)
    assert moved.now.points("urgent_open") == pytest.approx(100 * 1 / total)
    assert moved.change == pytest.approx(100 * 0.5 / total)
    assert [name for name, _ in moved.why()] == ["urgent_open"]
    # before the raise, the issue was not urgent: a window earlier again sees it healthy
    early = replace(inp, now=at("2026-10-03T02:00"))
    assert movement(early, issues).now.points("urgent_open") == pytest.approx(100 / total)


def test_the_customer_report_shows_score_trend_and_why(tmp_path: Path) -> None:
    text = render(build.customers(make_input(), load_texts("en")), "markdown")
    assert "## Customer health" in text
    assert "| Customer | Health | 30 days before | Change | Why it moved |" in text
    # 东方重工: a satisfaction answer of 2 closed in the window (#104), three requests
    assert "| 东方重工 | 53 | 100 | -47 | satisfaction -21, request volume -11 |" in text
    zh = render(build.customers(make_input("zh"), load_texts("zh")), "markdown")
    assert "## 客户健康度" in zh and "满意度 -21" in zh


def config_input(tmp_path: Path, health_yaml: str) -> object:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  health:\n" + health_yaml, encoding="utf-8")
    return replace(make_input(), health=load_config(str(path), env={}).reports.health)


def test_a_weight_changed_in_the_yaml_changes_the_score(tmp_path: Path) -> None:
    texts = load_texts("en")
    shipped = render(build.customers(make_input(), texts), "markdown")
    heavier = config_input(tmp_path, "    weights: {satisfaction: 10}\n")
    text = render(build.customers(heavier, texts), "markdown")  # type: ignore[arg-type]
    assert "| 东方重工 | 53 | 100 | -47 |" in shipped
    # its satisfaction (0.25) now weighs 10 of 15: it takes 100 * 0.75 * 10 / 15 = 50 points
    assert "| 东方重工 | 53 |" not in text
    assert "| 东方重工 | 38 | 100 | -62 | satisfaction -50, request volume -5 |" in text


@pytest.mark.parametrize(("health_yaml", "where", "message"), [
    ("    weights: {breaches: -1}\n", "reports.health.weights.breaches", "out of range"),
    ("    days: 0\n", "reports.health.days", "out of range"),
    ("    weights: {volume_trend: oft}\n", "reports.health.weights.volume_trend",
     "expected a number"),
])
def test_unusable_health_settings_are_named(tmp_path: Path, health_yaml: str, where: str,
                                            message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  health:\n" + health_yaml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(str(path), env={})
    assert any(where in str(p) and message in str(p) for p in raised.value.problems), \
        raised.value.problems


def test_all_weights_zero_leave_no_score(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  health:\n    weights: {volume_trend: 0, kinds: 0, "
                    "breaches: 0, satisfaction: 0, urgent_open: 0}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="every weight is 0"):
        load_config(str(path), env={})


def test_an_unknown_component_is_a_config_problem(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  health:\n    weights: {breach: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(str(path), env={})
    assert "breach" in str(raised.value.problems)
