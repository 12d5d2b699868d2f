"""Every command through click's CliRunner, against FakeRedmine, through ``AppContext``.

The config file is a real one (in tmp_path, with the shipped rule pack); only the
Redmine client and the clock come from the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result

from redmine_sync.cli import cli
from redmine_sync.cli.context import AppContext
from redmine_sync.config import Config
from redmine_sync.config import RetryPolicy
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.fake import default_custom_fields
from redmine_sync.store import StateStore

ROOT = Path(__file__).resolve().parents[3]
URL = "http://redmine.test"
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
TEAMS = {50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"}


@dataclass
class Cli:
    """Runs ``redmine-sync --config <tmp config> ARGS`` the way a user would."""

    fake: FakeRedmine
    config: Path
    now: datetime = NOW
    retries: list[RetryPolicy | None] = field(default_factory=list)

    def connect(self, config: Config, retries: RetryPolicy | None) -> FakeRedmine:
        self.retries.append(retries)
        return self.fake

    def app(self) -> AppContext:
        # a still clock for progress: no progress line, however slow the machine
        return AppContext(connect=self.connect, clock=lambda: self.now, monotonic=lambda: 0.0)

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args], obj=self.app())

    def store(self) -> StateStore:
        return StateStore(self.config.parent / "state.db")


def write_config(folder: Path, rules_dir: Path = ROOT / "rules", extra: str = "") -> Path:
    path = folder / "config.yaml"
    path.write_text(f"redmine:\n  url: {URL}\n  text_formatting: common_mark\n"
                    f"projects: [demo]\nstate: {{path: {folder / 'state.db'}}}\n"
                    f"rules_dir: {rules_dir}\n"
                    f"limits: {{max_issues: 50, max_percent: 100}}\n{extra}", encoding="utf-8")
    return path


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDMINE_API_KEY", "a" * 40)
    monkeypatch.delenv("REDMINE_URL", raising=False)
    monkeypatch.delenv("REDMINE_SYNC_CONFIG", raising=False)


@pytest.fixture
def run(tmp_path: Path, keyed: None) -> Cli:
    labels = replace(default_custom_fields()[0], possible_values=None)  # the pack's own too
    fields = (labels, *default_custom_fields()[1:], CustomFieldDef(5, "SLA state", "string"),
              CustomFieldDef(6, "Requirement type", "string"), CustomFieldDef(7, "Value", "string"),
              CustomFieldDef(8, "Cost", "string"))
    fake = FakeRedmine(users=[User(7, "support.zhao", "Zhao Min")], groups=TEAMS,
                       custom_fields=fields,
                       group_members={"Support": ("Zhao Min",), "Product & R&D": ("Li Na",),
                                      "Sales": ("Zhou Yan",), "Delivery": ("Wu Fang",)})
    fake.url = URL
    fake.markup = "common_mark"
    return Cli(fake, write_config(tmp_path))


def requests(fake: FakeRedmine) -> None:
    """Three requests the shipped pack changes: a UI bug, a vague request, a customer's."""
    fake.add_issue("登录页面报错 the login page crashes",
                   description="urgent: error 500 when logging in")
    fake.add_issue("Please add an export to Excel", description="nice to have")
    fake.add_issue("Please optimise the system", custom_fields={"Customer": "Tailspin Travel"})


def known_rules(folder: Path) -> Path:
    """A rules directory naming only what the fake Redmine has."""
    rules = folder / "known-rules"
    rules.mkdir()
    (rules / "r.yaml").write_text("kind: triage\nrules:\n  - name: ui\n    when: {subject: "
                                  "{regex: ui}}\n    then: [{add_labels: [ui]}]\n")
    (rules / "customers.yaml").write_text("kind: customers\ncustomers: []\n")
    return rules
