"""The daemon: its rules are read again only when a file they come from changed, and it
writes what ``apply`` writes, under the same writer lock."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from redmine_sync import daemon
from redmine_sync.config import Config
from redmine_sync.daemon import Rules
from redmine_sync.daemon import run_daemon
from redmine_sync.model import User
from redmine_sync.model import WikiPage
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.store import StateStore
from redmine_sync.sync import load_ruleset

TRIAGE = "kind: triage\nrules:\n  - {name: x, when: {subject: {contains: x}}, then: [{add_labels: [x]}]}\n"
CUSTOMERS = ("kind: customers\ncustomers_csv: data/customers.csv\ntiers:\n"
             "  - {name: all, value: {ge: 0}, fit: {ge: 0}}\n")
CSV = "name,value,fit\nAcme,5,5\n"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    rules = tmp_path / "rules"
    (rules / "data").mkdir(parents=True)
    (rules / "triage.yaml").write_text(TRIAGE, encoding="utf-8")
    (rules / "customers.yaml").write_text(CUSTOMERS, encoding="utf-8")
    (rules / "data" / "customers.csv").write_text(CSV, encoding="utf-8")
    return Config(rules_dir=rules)


def test_the_sources_are_the_rule_files_and_the_customers_csv(config: Config) -> None:
    ruleset = load_ruleset(config)
    assert sorted(Path(p).name for p in ruleset.sources) == [
        "customers.csv", "customers.yaml", "triage.yaml"]
    assert [c.name for c in ruleset.customers.customers] == ["Acme"]


def test_nothing_changed_nothing_read(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = Rules(load_ruleset(config), config)
    good = rules.good

    def no_load(config: Config) -> RuleSet:
        raise AssertionError("the rules were read again although no file changed")

    monkeypatch.setattr(daemon, "load_ruleset", no_load)
    assert rules.reload(config) is good
    assert rules.reload(config) is good


@pytest.mark.parametrize("change", ["edit a rule file", "edit the csv", "add a rule file",
                                    "remove a rule file"])
def test_any_change_to_a_source_reads_the_rules_again(config: Config, change: str) -> None:
    rules = Rules(load_ruleset(config), config)
    good = rules.good
    folder = config.rules_dir
    if change == "edit a rule file":
        (folder / "triage.yaml").write_text(TRIAGE.replace("contains: x", "contains: y"), encoding="utf-8")
    elif change == "edit the csv":
        (folder / "data" / "customers.csv").write_text(CSV + "Globex,1,1\n", encoding="utf-8")
    elif change == "add a rule file":
        (folder / "more.yaml").write_text(TRIAGE.replace("name: x", "name: z"),
                                          encoding="utf-8")
    else:
        (folder / "more.yaml").unlink(missing_ok=True)
        (folder / "triage.yaml").unlink()
    fresh = rules.reload(config)
    assert fresh is not good and fresh is rules.good
    assert rules.reload(config) is fresh      # and not again while nothing else changes
    if change == "edit the csv":
        assert [c.name for c in fresh.customers.customers] == ["Acme", "Globex"]


ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
TEAMS = {50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"}


class Watched(FakeRedmine):
    """Records, at every wiki write, whether a redmine-sync writer holds the lock."""

    def __init__(self, store: StateStore) -> None:
        super().__init__(users=[User(7, "support.zhao", "Zhao Min")], groups=TEAMS,
                         group_members={"Support": ("Zhao Min",), "Product & R&D": ("Li Na",),
                                        "Sales": ("Zhou Yan",), "Delivery": ("Wu Fang",)})
        self.store = store
        self.locked: list[bool] = []

    def put_wiki_page(self, *args: Any, **kwargs: Any) -> WikiPage:
        self.locked.append(self.store.writer_active())
        return super().put_wiki_page(*args, **kwargs)


def test_the_daemon_publishes_reports_while_holding_the_writer_lock(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    fake = Watched(store)
    fake.add_issue("Please add an export to Excel", description="nice to have")
    config = Config(rules_dir=ROOT / "rules", projects=("demo",))
    assert run_daemon(lambda: fake, config, store, lambda: NOW, 60.0, threading.Event(),
                      max_runs=1) == 1
    assert fake.wiki, "no report was due: the test would prove nothing"
    assert fake.locked and all(fake.locked)
    assert not store.writer_active()  # and lets it go after the run
