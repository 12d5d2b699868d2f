"""Publishing report pages on FakeRedmine: a new wiki version only when the figures change."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.config import Config
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.inputs import report_input
from redmine_sync.reports.run import make_page
from redmine_sync.reports.run import publish_page
from redmine_sync.store import StateStore

ROOT = Path(__file__).resolve().parents[3]
TEAMS = {50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"}
FRIDAY = datetime(2026, 1, 9, 9, 0, tzinfo=UTC)   # 17:00 in Shanghai


def publish_at(fake: FakeRedmine, config: Config, store: StateStore, now: datetime
               ) -> tuple[str, int, str]:
    page = make_page("weekly", report_input(fake, config, store, now), config, "textile")
    done = publish_page(fake, store, config, page)[0]
    return done.outcome, done.version, page.text


def test_unchanged_figures_an_hour_later_leave_the_page_alone(tmp_path: Path) -> None:
    fake = FakeRedmine(groups=TEAMS)
    fake.add_issue("Export to Excel", custom_fields={"Customer": "Nobody known"})
    config = Config(rules_dir=ROOT / "rules", projects=("demo",))
    store = StateStore(tmp_path / "s.db")
    first = publish_at(fake, config, store, FRIDAY)
    assert first[:2] == ("created", 1)
    later = publish_at(fake, config, store, FRIDAY + timedelta(hours=1))
    assert later[2] != first[2]                     # the "as of" time moved...
    assert later[:2] == ("unchanged", 1)            # ...the figures did not: no new version
    fake.add_issue("Import from CSV")
    changed = publish_at(fake, config, store, FRIDAY + timedelta(hours=2))
    assert changed[:2] == ("updated", 2)
    page = fake.get_wiki_page("demo", "Weekly_report_2026-W02")
    assert page is not None and "as of 2026-01-09 11:00" in page.text
