"""reports.inputs.report_input on FakeRedmine: SLA clocks of the reports, as the rules define them."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.data import attainment
from redmine_sync.reports.data import risks
from redmine_sync.reports.inputs import report_input
from redmine_sync.store import StateStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)
TEAMS = {50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"}


def test_a_known_customers_request_has_its_sla_clocks_in_the_reports(tmp_path: Path) -> None:
    """The shipped policy covers requests of a known customer (``customer: present``)."""
    fake = FakeRedmine(groups=TEAMS)
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


def test_a_report_as_of_a_past_instant_shows_the_issues_as_they_were(tmp_path: Path) -> None:
    """Issues created later are left out; the others have the status, progress, labels,
    journals and closing they had then."""
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    clock = {"now": start}
    fake = FakeRedmine(groups=TEAMS, clock=lambda: clock["now"])
    dev = fake.users[2]
    early = fake.add_issue("early", custom_fields={"Labels": ("ui",)})
    clock["now"] = start + timedelta(days=2)
    fake.human_edit(early.id, dev, notes="done", status="Closed", is_closed=True,
                    done_ratio=100, closed_on=fake.now())
    fake.add_issue("later")
    config = Config(rules_dir=ROOT / "rules", projects=("demo",))
    inp = report_input(fake, config, StateStore(tmp_path / "s.db"), start + timedelta(days=1))
    [then] = inp.issues
    assert (then.id, then.status, then.done_ratio, then.closed_on) == (early.id, "New", 0, None)
    assert not then.is_closed and then.journals == () and then.cf("Labels") == ("ui",)
    now = report_input(fake, config, StateStore(tmp_path / "s2.db"), start + timedelta(days=3))
    assert [i.status for i in now.issues] == ["Closed", "New"]
    assert now.issues[0].closed_on is not None and now.issues[0].done_ratio == 100
