"""The daemon's rules: read again only when a file they come from changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from redmine_sync import daemon
from redmine_sync.config import Config
from redmine_sync.daemon import Rules
from redmine_sync.rules.ruleset import RuleSet
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
