"""The shipped pack's optional rules (``enabled: false``) switched on, on FakeRedmine: what
the tests of the survey, change control and assignment terms share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import User
from redmine_sync.redmine.fake import TRACKERS
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.fake import default_custom_fields
from redmine_sync.store import StateStore

ROOT = Path(__file__).resolve().parents[3]


def enabled_copy(rules: Path, name: str) -> None:
    """The shipped rule file ``name`` in ``rules``, its rules enabled."""
    text = (ROOT / "rules" / name).read_text(encoding="utf-8")
    (rules / name).write_text(text.replace("enabled: false", "enabled: true"), encoding="utf-8")


def setup(tmp_path: Path, names: tuple[str, ...], labels: tuple[str, ...],
          field: CustomFieldDef, now: datetime) -> tuple[FakeRedmine, Config, StateStore]:
    """A rules directory with the shipped ``names`` enabled, and a fake whose Labels field
    also allows ``labels`` and which has ``field``; users 5 (a customer) and 6 (staff)."""
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    for name in names:
        enabled_copy(rules, name)
    shipped, *rest = default_custom_fields()
    fields = (CustomFieldDef(1, "Labels", "list", True, (*(shipped.possible_values or ()),
                                                         *labels), TRACKERS, True),
              *rest, field)
    fake = FakeRedmine(users=[User(5, "cust", "Customer"), User(6, "dev", "Dev")],
                       custom_fields=fields, clock=lambda: now)
    config = Config(rules_dir=rules, projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    return fake, config, StateStore(tmp_path / "s.db")
