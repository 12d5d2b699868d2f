"""apply against a Redmine that refuses: permissions, workflow, private notes (FakeRedmine).

Each decision lands whole or not at all, its note exactly once with the intended privacy,
and a failure that will not change by itself is reported once, then left pending.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from redmine_sync.apply import BreakerTripped
from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.errors import PermissionDenied
from redmine_sync.errors import RedmineValidationError
from redmine_sync.model import IssueUpdate
from redmine_sync.model import UpdateResult
from redmine_sync.model import User
from redmine_sync.redmine.fake import NON_MEMBER_PERMISSIONS
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from tests.unit.test_apply import clock

RULES = """\
kind: triage
match: first
when: {is_closed: false}
rules:
  - name: reject
    when: {subject: {regex: 'reject me'}}
    then:
      - set: {status: Rejected}
      - add_labels: [rejected]
      - note: {public: true, text: "We cannot take this on."}
  - name: mark
    when: {subject: {regex: '^todo'}}
    then: [{add_labels: [ui]}, {set: {priority: High}}]
"""
STAFF_NOTE = """\
kind: followup
match: all
rules:
  - name: staff-only
    when: {subject: {regex: 'reject me'}}
    then: [{add_labels: [custom-request]}, {note: "Internal: the contract excludes this."}]
"""  # a private note beside the public one of "reject"
ROOT = Path(__file__).resolve().parents[2]
Env = tuple[FakeRedmine, Config, StateStore]
PERSON = User(9, "pm.li", "Li Na")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(RULES)
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",),
                    limits=Limits(max_issues=5, max_percent=100, write_cap=100))
    return FakeRedmine(users=[PERSON]), config, StateStore(tmp_path / "state.db")


def notes(fake: FakeRedmine, issue_id: int) -> list[tuple[str, bool]]:
    """(text, private) of every note on the issue, as an administrator sees them."""
    return [(j.notes, j.private) for j in fake.issues[issue_id].journals or () if j.notes]


def lying_permissions(fake: FakeRedmine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The role reads as complete, but Redmine still applies the real (reduced) one."""
    monkeypatch.setattr(fake, "permissions", lambda project: frozenset(
        ("view_issues", "edit_issues", "add_issue_notes", "set_notes_private")))


@pytest.mark.parametrize("permission", ["set_notes_private", "add_issue_notes", "edit_issues"])
def test_a_missing_permission_fails_the_issue_before_anything_is_sent(
        env: Env, permission: str) -> None:
    fake, config, store = env
    fake.granted.discard(permission)
    issue = fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.failed == 1
    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert f"({permission})" in outcome.reason and "nothing of this decision was sent" \
        in outcome.reason
    after = fake.issues[issue.id]
    assert after.updated_on == issue.updated_on and notes(fake, issue.id) == []
    assert {row.outcome for row in store.audit(result.run_id)} == {"failed"}


def test_a_public_project_where_the_bot_is_no_member_gets_no_public_copy(env: Env) -> None:
    fake, config, store = env
    fake.granted_in["demo"] = set(NON_MEMBER_PERMISSIONS)
    issue = fake.add_issue("todo one")
    for _ in range(4):
        apply_run(fake, config, store, clock)
    assert notes(fake, issue.id) == []
    assert fake.issues[issue.id].priority == "Normal"


def test_a_note_posted_public_against_intent_is_a_failed_write(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, config, store = env
    fake.granted.discard("set_notes_private")
    lying_permissions(fake, monkeypatch)
    fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.failed == 1
    assert "posted PUBLIC" in result.outcomes[0].reason
    assert "(set_notes_private)" in result.outcomes[0].reason
    [row] = [r for r in store.audit(result.run_id) if r.field == "note"]
    assert row.outcome == "failed"


def test_a_missing_note_after_the_write_is_a_failed_write(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, config, store = env
    fake.granted.discard("add_issue_notes")
    lying_permissions(fake, monkeypatch)
    issue = fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.failed == 1 and result.count("written") == 0
    assert "the note is missing after the write" in result.outcomes[0].reason
    assert notes(fake, issue.id) == []


def test_a_field_redmine_drops_is_reported_once_then_pending(env: Env) -> None:
    fake, config, store = env
    fake.read_only = {"priority"}  # read-only by the workflow: Redmine drops it silently
    issue = fake.add_issue("todo one")
    runs = [apply_run(fake, config, store, clock).applied for _ in range(3)]
    assert [r.outcomes[0].status for r in runs] == ["partial", "pending", "pending"]  # type: ignore[union-attr]
    assert runs[0].outcomes[0].reason == "not applied: priority"  # type: ignore[union-attr]
    assert runs[0].failed == 1 and runs[1].failed == 0  # type: ignore[union-attr]
    assert "Redmine dropped priority without an error" in runs[1].outcomes[0].reason  # type: ignore[union-attr]
    [(text, private)] = notes(fake, issue.id)  # sent once, with the first write
    assert private and "* Added label ui: " in text
    assert "priority" not in text  # rewritten after the write: it tells only what landed
    assert fake.issues[issue.id].priority == "Normal"
    fake.read_only = set()  # the workflow is fixed; a person touches the issue
    fake.human_edit(issue.id, PERSON, notes="please retry")
    again = apply_run(fake, config, store, clock).applied
    assert again is not None and again.outcomes[0].status == "written"
    assert fake.issues[issue.id].priority == "High"
    said = [t for t, _ in notes(fake, issue.id)]
    assert said.count(text) == 1 and "* Set priority to High: " in said[-1]
    assert "label" not in said[-1]  # said once already


def test_a_field_the_issue_does_not_have_is_left_out_of_the_write_and_its_note(
        env: Env) -> None:
    fake, config, store = env
    issue = fake.add_issue("todo one", without=("Labels",))  # not enabled for its tracker
    puts = []
    writes = fake.update_issue
    fake.update_issue = lambda update: puts.append(update) or writes(update)  # type: ignore
    runs = [apply_run(fake, config, store, clock).applied for _ in range(2)]
    assert [r.outcomes[0].status for r in runs] == ["partial", "pending"]  # type: ignore
    assert runs[0].outcomes[0].reason == "not applied: labels"  # type: ignore[union-attr]
    assert "labels not sent: the issue does not have the custom field" \
        in runs[1].outcomes[0].reason  # type: ignore[union-attr]
    [put] = puts
    assert put.priority == "High" and put.custom_fields == {}
    [(text, private)] = notes(fake, issue.id)
    assert private and "* Set priority to High: " in text and "label" not in text
    [row] = [r for r in store.audit(runs[0].run_id) if r.field == "labels"]  # type: ignore
    assert row.outcome == "failed" and "does not have this custom field" in row.detail


def test_a_note_the_bot_may_not_correct_is_named_with_the_permission(env: Env) -> None:
    fake, config, store = env
    fake.read_only = {"priority"}
    fake.granted.discard("edit_own_issue_notes")
    issue = fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.failed == 1
    assert result.outcomes[0].reason == (
        "not applied: priority; the note still tells of it: the bot's role lacks "
        '"Edit own notes" (edit_own_issue_notes) to correct it')
    [(text, _)] = notes(fake, issue.id)
    assert "* Set priority to High: " in text
    [row] = [r for r in store.audit(result.run_id) if r.field == "note"]
    assert row.outcome == "failed" and "the note still tells of it" in row.detail


def test_a_note_that_told_only_of_dropped_changes_is_deleted(env: Env) -> None:
    fake, config, store = env
    fake.read_only = {"priority", "cf.Labels"}
    issue = fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.outcomes[0].status == "partial"
    assert notes(fake, issue.id) == []
    assert fake.issues[issue.id].priority == "Normal"


def test_when_redmine_drops_every_field_the_note_goes_out_once(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, config, store = env
    fake.granted.discard("edit_issues")  # Redmine drops every field, keeps the note
    lying_permissions(fake, monkeypatch)
    issue = fake.add_issue("todo one")
    outcomes = [apply_run(fake, config, store, clock).applied.outcomes[0].status  # type: ignore
                for _ in range(3)]
    assert outcomes == ["partial", "pending", "pending"]
    [(text, private)] = notes(fake, issue.id)
    assert private and "Set priority to High: " in text


def test_a_status_the_workflow_refuses_sends_none_of_the_decision(env: Env) -> None:
    fake, config, store = env
    fake.forbidden_statuses = {"Rejected"}
    issue = fake.add_issue("please reject me")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.failed == 1
    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert "the workflow does not allow 'New' -> 'Rejected'" in outcome.reason
    after = fake.issues[issue.id]
    assert (after.status, after.cf("Labels"), notes(fake, issue.id)) == ("New", (), [])
    assert after.updated_on == issue.updated_on
    assert {r.field: r.outcome for r in store.audit(result.run_id)} == {
        "status": "failed", "labels": "failed"}


def test_a_failure_that_will_not_change_is_reported_once_then_pending(env: Env) -> None:
    fake, config, store = env
    fake.forbidden_statuses = {"Rejected"}
    issue = fake.add_issue("please reject me")
    first = apply_run(fake, config, store, clock).applied
    assert first is not None and first.failed == 1
    stamp = fake.issues[issue.id].updated_on
    for _ in range(2):
        later = apply_run(fake, config, store, clock).applied
        assert later is not None and later.failed == 0
        [outcome] = later.outcomes
        assert outcome.status == "pending"
        assert f"reported in run {first.run_id}" in outcome.reason
        assert {r.outcome for r in store.audit(later.run_id)} == {"pending"}
        run = store.runs()[0]
        assert (run.status, run.skipped, run.message) == (
            "ok", 1, "1 pending on a failure reported before")
    assert fake.issues[issue.id].updated_on == stamp  # nothing retried
    fake.human_edit(issue.id, PERSON, notes="any news?")  # the issue changed
    changed = apply_run(fake, config, store, clock).applied
    assert changed is not None and changed.outcomes[0].status == "failed"
    fake.forbidden_statuses = set()  # the reason changed: the workflow allows it now
    fixed = apply_run(fake, config, store, clock).applied
    assert fixed is not None and fixed.outcomes[0].status == "written"
    after = fake.issues[issue.id]
    assert after.status == "Rejected" and after.cf("Labels") == ("rejected",)
    assert notes(fake, issue.id)[-1] == ("We cannot take this on.", False)
    assert store.held_failures() == {}


def test_held_failures_do_not_count_against_the_breaker(env: Env) -> None:
    fake, config, store = env
    fake.granted.discard("set_notes_private")
    for n in range(3):
        fake.add_issue(f"todo {n}")
    assert apply_run(fake, config, store, clock).applied.failed == 3  # type: ignore[union-attr]
    strict = Config(rules_dir=config.rules_dir, projects=("demo",),
                    limits=Limits(max_issues=1, max_percent=100))
    again = apply_run(fake, config=strict, store=store, clock=clock).applied
    assert again is not None and again.count("pending") == 3
    fake.add_issue("todo new")
    fake.add_issue("todo newer")
    with pytest.raises(BreakerTripped, match="2 issues would change"):
        apply_run(fake, strict, store, clock)


def test_apply_exits_non_zero_when_scheduled_reports_are_not_published(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from redmine_sync.cli import main
    from redmine_sync.errors import PermissionDenied
    from redmine_sync.redmine import live
    from redmine_sync.reports import run

    fake, config, _ = env
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(text.replace("  # path: ~/.local/state/redmine-sync/state.db",
                                 f"  path: {tmp_path / 'cli.db'}").replace(
        "rules_dir: rules", f"rules_dir: {config.rules_dir}"), encoding="utf-8")
    monkeypatch.setenv("REDMINE_API_KEY", "k" * 40)
    monkeypatch.setattr(live.LiveRedmine, "from_config", classmethod(lambda cls, c: fake))

    def refused(*args: object) -> list[str]:
        raise PermissionDenied("Redmine answered 403 Forbidden to PUT /projects/demo/wiki/"
                               'Weekly.json: the bot\'s role lacks "Edit wiki pages" '
                               "(edit_wiki_pages)", "edit_wiki_pages")

    monkeypatch.setattr(run, "publish_due", refused)
    assert main(["--config", str(path), "apply"]) == 2
    err = capsys.readouterr().err
    assert "scheduled reports not published" in err and "(edit_wiki_pages)" in err


def test_the_daemon_stops_with_exit_2_when_its_last_run_left_reports_unpublished(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from redmine_sync.daemon import run_daemon
    from redmine_sync.errors import PermissionDenied
    from redmine_sync.errors import WritesFailed
    from redmine_sync.reports import run

    fake, config, store = env

    def refused(*args: object) -> list[str]:
        raise PermissionDenied('403 to PUT wiki page Weekly: lacks "Edit wiki pages" '
                               "(edit_wiki_pages)", "edit_wiki_pages")

    monkeypatch.setattr(run, "publish_due", refused)
    stop = threading.Event()
    with pytest.raises(WritesFailed, match=r"reports not published: .*\(edit_wiki_pages\)"
                       ) as info:
        run_daemon(lambda: fake, config, store, clock, 60.0, stop, max_runs=1)
    assert info.value.exit_code == 2
    monkeypatch.undo()
    assert run_daemon(lambda: fake, config, store, clock, 60.0, stop, max_runs=1) == 1


def test_the_bot_watches_no_issue_it_writes(env: Env) -> None:
    fake, config, store = env
    assert fake.auto_watch  # Redmine 5.0's default for every new account
    issues = [fake.add_issue("todo one"), fake.add_issue("reject me")]
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.count("written") == 2
    assert all(fake.issues[i.id].journals for i in issues)
    assert fake.watchers == {} and fake.watched("demo") == 0


def test_the_writes_go_on_when_the_preference_cannot_be_switched_off(
        env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    fake, config, store = env

    def refused() -> None:
        raise PermissionDenied("Redmine answered 403 Forbidden to PUT /my/account.json",
                               "edit_own_account")
    monkeypatch.setattr(fake, "stop_auto_watch", refused)
    issue = fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.count("written") == 1
    assert fake.watchers[issue.id] == [fake.me.name]
    assert "Auto watch issues I contributed to" in caplog.text


WATCH_AND_ASSIGN = """\
kind: routing
match: all
rules:
  - name: watch-it
    when: {subject: {regex: '^todo'}}
    then: [{watch: [pm.li, Support]}, {assign: {to: pm.li}}]
"""


def with_watch_and_assign(fake: FakeRedmine, config: Config) -> None:
    """The rules above, and the group Support they watch with."""
    (config.rules_dir / "w.yaml").write_text(WATCH_AND_ASSIGN)
    fake.groups[50] = "Support"
    fake._catalog = fake._build_catalog()


def test_the_private_summary_names_people_as_redmine_shows_them(env: Env) -> None:
    fake, config, store = env
    with_watch_and_assign(fake, config)
    issue = fake.add_issue("todo one")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.count("written") == 1, result
    [(text, private)] = notes(fake, issue.id)
    assert private and "* Added watchers Li Na, Support: subject matches" in text
    assert "* Assigned to Li Na: " in text
    assert fake.watchers[issue.id] == ["Li Na", "Support"]


def test_a_public_and_a_private_note_both_reach_redmine_with_their_privacy(env: Env) -> None:
    fake, config, store = env
    (config.rules_dir / "z.yaml").write_text(STAFF_NOTE)
    issue = fake.add_issue("please reject me")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.count("written") == 1, result
    said = notes(fake, issue.id)
    assert said[0] == ("We cannot take this on.", False)
    [(private, is_private)] = said[1:]
    assert is_private and "* Set status to Rejected: " in private
    assert private.endswith("Internal: the contract excludes this.")
    assert fake.issues[issue.id].status == "Rejected"
    again = apply_run(fake, config, store, clock).applied
    assert again is not None and again.outcomes == () and notes(fake, issue.id) == said
    assert store.due_notes() == [] and store.sent_items(issue.id) == frozenset()


def test_a_second_note_redmine_refuses_is_a_failed_write_named_in_the_ledger(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, config, store = env
    (config.rules_dir / "z.yaml").write_text(STAFF_NOTE)
    issue = fake.add_issue("please reject me")
    writes = fake.update_issue

    def refuse_notes_only(update: IssueUpdate) -> UpdateResult:
        if not update.changed_fields():
            raise RedmineValidationError("Redmine refused the change: Notes is invalid",
                                         ["Notes is invalid"])
        return writes(update)
    monkeypatch.setattr(fake, "update_issue", refuse_notes_only)
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and [o.status for o in result.outcomes] == ["failed"]
    assert "Notes is invalid" in result.outcomes[0].reason
    assert notes(fake, issue.id) == [("We cannot take this on.", False)]
    assert fake.issues[issue.id].status == "Rejected"   # the fields went with the first write
    rows = {(r.field, r.outcome) for r in store.audit(result.run_id)}
    assert ("note", "failed") in rows and ("status", "written") in rows
    assert store.due_notes() == []  # reported once, not sent again


class Killed(BaseException):
    """The process dies here: nothing after it runs."""


@pytest.mark.parametrize("landed", [False, True], ids=["before", "after the second write"])
def test_a_run_killed_between_the_two_notes_sends_the_second_once_next_run(
        env: Env, monkeypatch: pytest.MonkeyPatch, landed: bool) -> None:
    fake, config, store = env
    (config.rules_dir / "z.yaml").write_text(STAFF_NOTE)
    issue = fake.add_issue("please reject me")
    writes = fake.update_issue

    def killed_at_the_second(update: IssueUpdate) -> UpdateResult:
        if update.changed_fields():
            return writes(update)
        if landed:
            writes(update)
        raise Killed
    monkeypatch.setattr(fake, "update_issue", killed_at_the_second)
    with pytest.raises(Killed):
        apply_run(fake, config, store, clock)
    assert len(store.due_notes(issue.id)) == 1
    monkeypatch.setattr(fake, "update_issue", writes)
    run = apply_run(fake, config, store, clock)
    assert run.applied is not None and run.applied.outcomes == ()  # nothing left to decide
    told = "had gone out" if landed else "was sent now"
    assert run.notes == (f"#{issue.id}: the note left due by the interrupted run 1 {told}",)
    said = notes(fake, issue.id)
    assert [private for _, private in said] == [False, True]   # each note exactly once
    assert said[1][0].endswith("Internal: the contract excludes this.")
    again = apply_run(fake, config, store, clock)
    assert again.notes == () and notes(fake, issue.id) == said
    assert store.due_notes() == [] and store.sent_items(issue.id) == frozenset()


def test_a_second_note_tells_only_of_what_the_first_write_landed(env: Env) -> None:
    fake, config, store = env
    (config.rules_dir / "z.yaml").write_text(STAFF_NOTE)
    fake.read_only = {"cf.Labels"}
    issue = fake.add_issue("please reject me")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.outcomes[0].status == "partial"
    [public, (private, _)] = notes(fake, issue.id)
    assert public == ("We cannot take this on.", False)
    assert "* Set status to Rejected: " in private and "label" not in private


def test_a_watcher_undo_removed_is_not_added_back_like_one_a_person_removed(
        env: Env) -> None:
    """undo puts back what a run did; a rule that added the watcher again next run would
    undo the undo. The watch's once-mark stays, so it stays removed (docs/rules.md)."""
    from redmine_sync.undo import plan_undo
    from redmine_sync.undo import write_undo

    fake, config, store = env
    with_watch_and_assign(fake, config)
    issue = fake.add_issue("todo: watch me")
    applied = apply_run(fake, config, store, clock).applied
    assert applied is not None and fake.watchers[issue.id] == ["Li Na", "Support"]
    undo = plan_undo(fake, store, applied.run_id, config.fields, clock())
    write_undo(undo, fake, store, fields=config.fields, limits=config.limits, clock=clock,
               yes=True)
    assert fake.watchers[issue.id] == []
    again = apply_run(fake, config, store, clock, full=True)
    assert again.plan.changed_count == 0 and fake.watchers[issue.id] == []
