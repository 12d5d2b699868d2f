"""The watch action in an ordinary rule: each watcher is added once per issue."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.changes import WATCHED
from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.model import User
from redmine_sync.plan import IssuePlan
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import plan_run

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_watcher_a_rule_adds_is_added_once_and_not_planned_again(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "customers.yaml").write_text(
        "kind: customers\ncustomers:\n  - {name: Acme, value: 90, fit: 90, "
        "account_manager: am.liu}\n")
    (rules / "triage.yaml").write_text(
        "kind: triage\nrules:\n  - {name: follow, when: {customer: present}, "
        "then: [{watch: [account_manager, Support]}]}\n")
    fake = FakeRedmine(users=[User(5, "cust", "Customer"), User(8, "am.liu", "Liu Yang")],
                       groups={50: "Support"}, clock=lambda: NOW)
    config = Config(rules_dir=rules, projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    store = StateStore(tmp_path / "s.db")
    first = fake.add_issue("help", author=fake.users[5], custom_fields={"Customer": "Acme"})

    [item] = applied(fake, config, store, NOW)
    assert [(c.field, c.new) for c in item.changes] == [("watchers", ("am.liu", "Support"))]
    assert fake.watchers[first.id] == ["Liu Yang", "Support"]
    assert {(i, k) for i, p, k in store.sla_fired() if p == WATCHED} == \
        {(first.id, "am.liu"), (first.id, "Support")}
    assert plan_run(fake, config, NOW + timedelta(minutes=5), store=store).changed == ()

    fake.watchers[first.id].remove("Liu Yang")   # a person removes one: it stays removed
    fake.human_edit(first.id, fake.users[5], "any news?")
    second = fake.add_issue("more help", author=fake.users[5],
                            custom_fields={"Customer": "Acme"})
    again = applied(fake, config, store, NOW + timedelta(hours=1))
    assert [i.issue_id for i in again] == [second.id]   # each issue once
    assert fake.watchers == {first.id: ["Support"], second.id: ["Liu Yang", "Support"]}
    assert applied(fake, config, store, NOW + timedelta(hours=2)) == []


def applied(fake: FakeRedmine, config: Config, store: StateStore, now: datetime
            ) -> list[IssuePlan]:
    """An apply run's issue plans with something to write, as they streamed past."""
    planned: list[IssuePlan] = []
    apply_run(fake, config, store, lambda: now, on_plan=lambda plan, items: planned.extend(
        i for i in items if not i.empty))
    return planned
