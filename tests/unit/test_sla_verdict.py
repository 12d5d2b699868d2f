"""A stopped clock keeps the verdict it got; running clocks follow today's policy."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.data import attainment
from redmine_sync.reports.inputs import report_input
from redmine_sync.store import StateStore
from tests.rule_files import sla_yaml

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SLA = sla_yaml("{first_response: {default: {any: TARGET}}}", pause=None)


def test_raising_a_target_after_a_breach_leaves_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    rules = tmp_path / "rules" / "sla.yaml"
    rules.write_text(SLA.replace("TARGET", "2h"))
    clock = {"now": START}
    fake = FakeRedmine(users=[User(5, "cust", "Customer"), User(6, "dev", "Dev")],
                       clock=lambda: clock["now"])
    late = fake.add_issue("answered after 3 h", author=fake.users[5])
    running = fake.add_issue("not answered yet", author=fake.users[5])
    clock["now"] = START + timedelta(hours=3)
    fake.human_edit(late.id, fake.users[6], notes="Here is the fix.")
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",))
    store = StateStore(tmp_path / "s.db")

    def first_responses(store: StateStore, at: datetime) -> dict[int, object]:
        inp = report_input(fake, config, store, at)
        return {i: next(c for c in inp.clocks[i] if c.metric == "first_response")
                for i in inp.clocks}

    before = first_responses(store, START + timedelta(hours=4))
    assert before[late.id].breached and attainment([before[late.id]]).num == 0
    rules.write_text(SLA.replace("TARGET", "8h"))              # the policy is relaxed
    after = first_responses(store, START + timedelta(hours=5))
    assert after[late.id].breached and after[late.id].target == 2 * 3600   # as published
    assert after[running.id].target == 8 * 3600 and not after[running.id].breached
    fresh = first_responses(StateStore(tmp_path / "other.db"), START + timedelta(hours=5))
    assert not fresh[late.id].breached              # the recorded verdict made the difference
