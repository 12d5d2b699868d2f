"""sync.report_input on FakeRedmine: SLA clocks of the reports, as the rules define them."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.data import attainment
from redmine_sync.reports.data import risks
from redmine_sync.store import StateStore
from redmine_sync.sync import report_input

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)


def test_a_known_customers_request_has_its_sla_clocks_in_the_reports(tmp_path: Path) -> None:
    """The shipped policy covers requests of a known customer (``customer: present``)."""
    fake = FakeRedmine(groups={50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"})
    issue = fake.add_issue("支付失败", custom_fields={"Customer": "华信银行",
                                                     "Tier": "strategic"})
    fake.add_issue("no customer")
    config = Config(rules_dir=ROOT / "rules", projects=("demo",))
    inp = report_input(fake, config, StateStore(tmp_path / "s.db"), NOW)
    first = next(c for c in inp.clocks_of(inp.issue(issue.id)) if c.metric == "first_response")
    assert first.breached and first.target == 24 * 3600   # strategic: 24 h, around the clock
    assert attainment(inp.clocks_of(inp.issue(issue.id))).den >= 1
    assert next(r.kind for r in risks(inp, inp.issues) if r.issue.id == issue.id) == "breached"
    assert set(inp.clocks) == {issue.id}                   # no customer: no policy
