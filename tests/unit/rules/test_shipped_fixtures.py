"""The shipped pack passes its own fixtures, and a failing fixture is reported as such."""

from __future__ import annotations

from pathlib import Path

from redmine_sync.config import FieldMap
from redmine_sync.rules import load_rules
from redmine_sync.rules.fixtures import run_fixtures

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_fixtures_pass() -> None:
    results = run_fixtures(load_rules([ROOT / "rules"]), [ROOT / "rules" / "tests"], FieldMap())
    assert len(results) >= 15
    assert [(r.name, r.failures) for r in results if not r.ok] == []


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(
        "cases:\n  - name: wrong\n    issue: {subject: Please optimise the system}\n"
        "    expect: {status: Rejected, labels: [nope], notes: 3}\n", encoding="utf-8")
    [result] = run_fixtures(load_rules([ROOT / "rules"]), [tmp_path], FieldMap())
    assert not result.ok
    assert result.failures == (
        "status: expected 'Rejected', got 'Feedback'",
        "labels: expected ['nope'] among ['needs-info']",
        "notes: expected 3, got 1",
    )
