from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.config import Config
from redmine_sync.config import FieldMap
from redmine_sync.config import ReportsConfig
from redmine_sync.config import Secret
from redmine_sync.doctor import FAIL
from redmine_sync.doctor import OK
from redmine_sync.doctor import WARN
from redmine_sync.doctor import Check
from redmine_sync.doctor import run_checks
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.store import StateStore

RULES = Path(__file__).parent / "doctor_rules"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def config(**overrides: object) -> Config:
    base = {"api_key": Secret("k"), "key_source": "test", "projects": ("demo",),
            "fields": FieldMap(tier="Tier", urgency="Urgency"), "rules_dir": RULES,
            "state_path": RULES / "no-state-file.db"}
    base.update(overrides)
    return Config(**base)  # type: ignore[arg-type]


def checks(cfg: Config, fake: FakeRedmine, now: datetime = NOW) -> list[Check]:
    return list(run_checks(cfg, fake, now))


def by_status(result: list[Check], status: str) -> list[str]:
    return [f"{c.name}: {c.detail}" for c in result if c.status == status]


def test_healthy_setup_has_no_failures() -> None:
    result = checks(config(), FakeRedmine())
    assert not by_status(result, FAIL)
    names = {c.name for c in result}
    assert {"config", "reachable", "REST API", "API key", "projects", "custom field",
            "permissions", "clock"} <= names


def test_missing_key_stops_before_any_request() -> None:
    fake = FakeRedmine()
    result = checks(config(api_key=None), fake)
    assert [c.status for c in result] == [FAIL]
    assert "REDMINE_API_KEY" in result[0].fix
    assert fake.requests_made == 0


def test_missing_required_field_fails_with_a_fix() -> None:
    result = checks(config(fields=FieldMap(labels="Tags")), FakeRedmine())
    failed = [c for c in result if c.status == FAIL]
    assert len(failed) == 1 and "'Tags' (labels) does not exist" in failed[0].detail
    assert "Administration > Custom fields" in failed[0].fix


def test_optional_field_missing_is_a_warning() -> None:
    result = checks(config(), FakeRedmine())
    assert any("'Channel' (channel) does not exist" in w for w in by_status(result, WARN))


def test_missing_permissions_are_named() -> None:
    fake = FakeRedmine()
    fake.granted -= {"edit_wiki_pages", "manage_issue_relations"}
    failed = by_status(checks(config(), fake), FAIL)
    assert failed == ["permissions: demo: missing Manage issue relations, Edit wiki pages"]


def test_a_missing_useful_permission_is_a_warning_that_says_what_is_left_undone() -> None:
    fake = FakeRedmine()
    assert not [w for w in by_status(checks(config(), fake), WARN) if "Edit own notes" in w]
    fake.granted -= {"edit_own_issue_notes"}
    result = checks(config(), fake)
    assert not by_status(result, FAIL)
    warned = [c for c in result if c.status == WARN and "Edit own notes" in c.detail]
    assert [(c.name, c.checked) for c in warned] == [("permissions", True)]
    assert "cannot be corrected" in warned[0].detail and "tick Edit own notes" in warned[0].fix


def test_admin_key_is_a_warning() -> None:
    fake = FakeRedmine(me=User(1, "admin", "Redmine Admin", admin=True))
    admin = [c for c in checks(config(), fake) if "ADMINISTRATOR" in c.detail]
    assert [(c.status, c.checked) for c in admin] == [(WARN, True)]  # worth a look, checked


def test_unknown_project_fails() -> None:
    failed = by_status(checks(config(projects=("demo", "nope")), FakeRedmine()), FAIL)
    assert failed == ["projects: nope: not found or not visible to this key"]


def test_clock_skew_is_reported() -> None:
    fake = FakeRedmine(clock=lambda: NOW)
    result = checks(config(), fake, now=NOW + timedelta(minutes=10))
    assert any(c.name == "clock" and c.status == WARN and c.checked for c in result)
    assert any(c.name == "clock" and c.status == OK for c in checks(config(), fake, now=NOW))


def test_markup_the_instance_does_not_render_fails_with_the_fix() -> None:
    fake = FakeRedmine()
    fake.markup = "textile"
    result = checks(config(text_formatting="common_mark"), fake)
    failed = [c for c in result if c.name == "text format"]
    assert [c.status for c in failed] == [FAIL]
    assert "redmine.text_formatting: textile" in failed[0].fix


def test_markup_that_matches_is_ok_and_an_unmeasured_one_never_is() -> None:
    fake = FakeRedmine()
    fake.markup = "textile"
    assert [c.status for c in checks(config(text_formatting="textile"), fake)
            if c.name == "text format"] == [OK]
    fake.markup = None
    assert [(c.status, c.checked) for c in checks(config(), fake)
            if c.name == "text format"] == [(WARN, False)]   # not measured: exit 5


def test_a_closed_project_in_scope_fails_with_the_fix() -> None:
    from dataclasses import replace

    fake = FakeRedmine()
    fake.projects["demo"] = replace(fake.projects["demo"], status="closed")
    scope = [c for c in checks(config(), fake) if c.name == "project scope"]
    assert [c.status for c in scope] == [FAIL] and "read-only" in scope[0].detail
    assert "reopen it" in scope[0].fix


def test_an_archived_project_is_named_not_taken_for_a_disabled_api() -> None:
    from redmine_sync.errors import ProjectUnavailable

    fake = FakeRedmine()

    def refused(identifier: str) -> object:
        raise ProjectUnavailable(f"project {identifier!r}: 403")
    fake.project = refused  # type: ignore[method-assign]
    result = checks(config(), fake)
    failed = [c for c in result if c.name == "projects"]
    assert failed[0].status == FAIL and "archived" in failed[0].detail
    assert not [c for c in result if c.name == "REST API" and c.status == FAIL]


def test_unlisted_subprojects_are_named() -> None:
    from dataclasses import replace

    fake = FakeRedmine()
    fake.projects["demo"] = replace(fake.projects["demo"], subprojects=("demo-app", "demo-x"))
    scope = [c for c in checks(config(projects=("demo", "demo-x")), fake)
             if c.name == "project scope" and "subproject" in c.detail]
    assert [c.status for c in scope] == [WARN] and "demo-app" in scope[0].detail
    assert "demo-x" not in scope[0].detail


def test_private_issues_the_bots_role_cannot_see_fail() -> None:
    fake = FakeRedmine()
    fake.visibility = "default"
    scope = [c for c in checks(config(), fake) if c.name == "project scope"]
    assert [c.status for c in scope] == [FAIL] and "private issues" in scope[0].detail
    assert "Issues visibility: All issues" in scope[0].fix


def test_a_label_the_field_does_not_allow_is_named_with_its_place(tmp_path: Path) -> None:
    (tmp_path / "10.yaml").write_text((RULES / "10-triage.yaml").read_text().replace(
        "[ui]", "[shiny]"))
    failed = [c for c in checks(config(rules_dir=tmp_path), FakeRedmine())
              if c.name == "rules" and c.status == FAIL]
    assert len(failed) == 1 and "10.yaml:8" in failed[0].detail
    assert "label 'shiny' is not an allowed value" in failed[0].detail


def test_label_values_a_non_admin_cannot_read_are_never_ok() -> None:
    from dataclasses import replace

    fake = FakeRedmine()
    fake.fields["Labels"] = replace(fake.fields["Labels"], possible_values=None)
    rules = [c for c in checks(config(), fake) if c.name == "rules"]
    assert [c.status for c in rules] == [WARN] and "ui" in rules[0].fix
    assert not rules[0].checked


def test_single_value_labels_seen_on_an_issue_fail() -> None:
    from redmine_sync.model import CustomFieldDef

    fake = FakeRedmine(custom_fields=[CustomFieldDef(1, "Labels", seen_on_issue=True),
                                      CustomFieldDef(2, "Customer")])
    failed = [c for c in checks(config(), fake) if c.status == FAIL and "Labels" in c.detail]
    assert failed and "holds one value" in failed[0].detail


def test_labels_not_enabled_for_a_tracker_in_scope_fail() -> None:
    from dataclasses import replace

    fake = FakeRedmine()
    fake.fields["Labels"] = replace(fake.fields["Labels"], trackers=("Bug",))
    failed = [c for c in checks(config(), fake)
              if c.status == FAIL and "not enabled for tracker" in c.detail]
    assert failed and "Feature" in failed[0].detail and "Trackers: tick" in failed[0].fix


def test_a_required_field_the_tool_does_not_fill_is_named() -> None:
    from redmine_sync.model import CustomFieldDef
    from redmine_sync.redmine.fake import default_custom_fields

    fake = FakeRedmine(custom_fields=[*default_custom_fields(),
                                      CustomFieldDef(9, "Contract", "string", is_required=True)])
    named = [c for c in checks(config(), fake) if "'Contract' is required" in c.detail]
    assert [c.status for c in named] == [WARN] and "cannot be blank" in named[0].detail


def test_customer_values_that_look_like_ids_fail_for_a_non_admin_key() -> None:
    from redmine_sync.model import CustomFieldDef
    from redmine_sync.redmine.fake import default_custom_fields

    kinds_hidden = [CustomFieldDef(cf.id, cf.name, multiple=cf.multiple, seen_on_issue=True)
                    if cf.name == "Customer" else cf for cf in default_custom_fields()]
    fake = FakeRedmine(custom_fields=kinds_hidden)
    fake.add_issue("one", custom_fields={"Customer": "6"})
    fake.add_issue("two", custom_fields={"Customer": "29"})
    failed = [c for c in checks(config(), fake) if "look like ids" in c.detail]
    assert [c.status for c in failed] == [FAIL] and "(6, 29)" in failed[0].detail
    assert "aliases: ['6']" in failed[0].fix
    fake.add_issue("three", custom_fields={"Customer": "Acme Corp"})
    assert not [c for c in checks(config(), fake) if "look like ids" in c.detail]


def test_customer_values_that_cannot_be_read_as_shown_fail_by_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from redmine_sync.errors import RedmineAuthError
    from redmine_sync.model import CustomFieldDef
    from redmine_sync.redmine.fake import default_custom_fields

    kinds_hidden = [CustomFieldDef(cf.id, cf.name, multiple=cf.multiple, seen_on_issue=True)
                    if cf.name == "Customer" else cf for cf in default_custom_fields()]
    fake = FakeRedmine(custom_fields=kinds_hidden)

    def refused(*args: object, **kwargs: object) -> None:
        raise RedmineAuthError("Redmine refused the issue export GET /issues.csv (HTTP 403)")
    monkeypatch.setattr(fake, "iter_issues", refused)
    failed = [c for c in checks(config(), fake) if "cannot be read as shown" in c.detail]
    assert [c.status for c in failed] == [FAIL] and "HTTP 403" in failed[0].detail


def test_a_risk_tracker_redmine_does_not_have_fails_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("reports:\n  risk_tracker: Risk\n")
    failed = by_status(checks(config(source=str(path), reports=ReportsConfig(
        risk_tracker="Risk")), FakeRedmine()), FAIL)
    assert failed == [(f"config: {path}:2: reports.risk_tracker: unknown tracker 'Risk' in "
                       "this Redmine: no issue filed would show as a risk in the weekly report")]
    assert by_status(checks(config(reports=ReportsConfig(risk_tracker="Support")),
                            FakeRedmine()), FAIL) == []


def test_issues_the_bot_watches_are_a_warning() -> None:
    fake = FakeRedmine()
    issue = fake.add_issue("written while the bot auto-watched")
    assert not any(c.name == "watchers" for c in checks(config(), fake))
    fake.watchers[issue.id] = [fake.me.name]
    [warning] = [c for c in checks(config(), fake) if c.name == "watchers"]
    assert warning.status == WARN and "the bot watches 1 issue(s)" in warning.detail
    assert "Auto watch issues I contributed to" in warning.detail and warning.fix


def test_a_state_file_of_another_redmine_or_of_this_one_before_a_rebuild_is_named(
        tmp_path: Path) -> None:
    """Runs refuse a state file bound to another URL, and drop what a state file knew of
    this URL's Redmine before it was rebuilt (the bot's account was created anew)."""
    fake = FakeRedmine()
    path = tmp_path / "state.db"
    [line] = [c for c in checks(config(state_path=path), fake) if c.name == "state"]
    assert line.status == OK and "none yet" in line.detail and not path.exists()
    store = StateStore(path)
    store.bind(fake.url)
    store.rebuilt(replace(fake.me, created_on=NOW - timedelta(days=9)))
    store.close()
    [line] = [c for c in checks(config(state_path=path, url=fake.url), fake)
              if c.name == "state"]
    assert line.status == WARN and "(rebuilt)" in line.detail
    assert "the next run drops what the state held" in line.fix
    store = StateStore(path)
    store.rebuilt(fake.me)
    store.close()
    [line] = [c for c in checks(config(state_path=path, url=fake.url), fake)
              if c.name == "state"]
    assert (line.status, line.detail) == (OK, f"{path} describes this Redmine")
    [line] = [c for c in checks(config(state_path=path, url="https://other.example"), fake)
              if c.name == "state"]
    assert line.status == FAIL and "belongs to the Redmine at fake://redmine" in line.detail
