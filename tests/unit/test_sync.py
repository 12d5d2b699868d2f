"""sync.plan_run end to end on FakeRedmine: reads, evaluates, never writes."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.sync import _members
from redmine_sync.sync import plan_run

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)


def test_plan_run_on_the_fake_writes_nothing() -> None:
    fake = FakeRedmine(users=[User(7, "support.zhao", "Zhao Min")],
                       groups={50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"},
                       group_members={"Support": ("Zhao Min",), "Product & R&D": ("Li Na",),
                                      "Sales": ("Zhou Yan",), "Delivery": ("Wu Fang",)})
    fake.add_issue("Please optimise the system", custom_fields={"Customer": "Tailspin Travel"})
    before = {i.id: i for i in fake.issues.values()}
    plan = plan_run(fake, Config(rules_dir=ROOT / "rules", projects=("demo",)), NOW)
    assert fake.issues == before
    [item] = plan.issues
    assert {c.field: c.new for c in item.changes}["status"] == "Feedback"
    assert item.notes[0].public


def test_round_robin_over_a_role_uses_project_members() -> None:
    fake = FakeRedmine(users=[User(7, "a", "Ann"), User(8, "b", "Bob")])
    assert _members(fake, "role:Developer", ("demo",)) == ("Ann", "Bob", "redmine-sync bot")
    assert _members(fake, "role:Manager", ("demo",)) == ()
