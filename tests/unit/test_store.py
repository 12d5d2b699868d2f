from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.config import Config
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.rules import load_rules_text
from redmine_sync.store import SCHEMA_VERSION
from redmine_sync.store import LockHeld
from redmine_sync.store import StateStore
from redmine_sync.sync import read_snapshot

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def issue(updated: datetime = T0) -> Issue:
    return Issue(id=7, project=Ref(1, "demo"), tracker="Bug", status="New", priority="Normal",
                 subject="数据加密", author=Ref(2, "A"), created_on=T0, updated_on=updated,
                 custom_fields={"Labels": ("a", "b"), "Customer": "X"},
                 assigned_to=Ref(3, "Li Na"))


def test_schema_is_versioned_and_private(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (tmp_path / "s.db").stat().st_mode & 0o077 == 0
    store.close()
    StateStore(tmp_path / "s.db").close()  # reopening migrates nothing


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(UserError, match="newer redmine-sync"):
        StateStore(tmp_path / "s.db")


def test_transactions_are_atomic(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    run = store.start_run("apply", T0)
    with pytest.raises(RuntimeError), store.transaction():
        store.record(run, T0, 7, "priority", "Normal", "High", "r", "written")
        raise RuntimeError("boom")
    assert store.audit(run) == []


def test_caching_issues_is_one_unit_a_failure_midway_leaves_none(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")

    def read() -> Iterator[Issue]:  # Redmine's paging breaks after three issues
        for n in range(1, 4):
            yield replace(issue(), id=n)
        raise RuntimeError("connection reset")

    with pytest.raises(RuntimeError):
        store.cache_issues(read())
    assert store.issue_stamps() == {}
    store.cache_issues(replace(issue(), id=n) for n in range(1, 4))
    assert sorted(store.issue_stamps()) == [1, 2, 3]


def test_a_unit_inside_a_unit_is_a_savepoint(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    with store.transaction():
        store.set_cursor("demo", T0)
        with pytest.raises(RuntimeError), store.transaction():
            store.set_cursor("other", T0)
            raise RuntimeError("inner unit fails")
        store.set_pointer("Support", 2)
    assert (store.cursor("demo"), store.cursor("other"), store.pointer("Support")) == (
        T0, None, 2)
    with pytest.raises(RuntimeError), store.transaction():
        store.set_cursor("demo", T1)
        with store.transaction():
            store.cache_issues([issue()])
        raise RuntimeError("the outer unit fails after the inner one succeeded")
    assert store.cursor("demo") == T0 and store.issue_stamps() == {}
    assert not store.db.in_transaction


def test_a_failed_read_snapshot_leaves_the_cache_as_it_was(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.cache_issues([replace(issue(), id=n) for n in (1, 2)])
    before = store.issue_stamps()
    boom = RuntimeError("disk full")

    def failing_forget(ids: object) -> None:
        raise boom

    store.forget_issues = failing_forget  # type: ignore[method-assign]
    fake = FakeRedmine()
    fake.add_issue("one")  # a full pass: #1 refreshed, #2 gone from Redmine
    with pytest.raises(RuntimeError):
        read_snapshot(fake, Config(rules_dir=tmp_path, projects=("demo",)),
                      load_rules_text("kind: triage\nrules: []\n"), T1, ("demo",), store)
    assert store.issue_stamps() == before


def test_cursor_owned_intents_and_pointers(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    assert store.cursor("demo") is None
    store.set_cursor("demo", T1)
    assert store.cursor("demo") == T1
    store.set_owned(7, "labels", ("a", "b"), 1)
    assert store.owned() == {(7, "labels"): ("a", "b")}
    store.add_intent(1, 7, {"priority": "High"}, "note")
    assert store.intents() == [(7, 1, {"priority": "High"}, "note")]
    store.clear_intent(7)
    assert store.intents() == []
    store.set_pointer("Support", 3)
    assert store.pointer("Support") == 3 and store.pointer("other") == 0


def test_issue_cache_round_trip_and_own_writes_are_not_activity(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.cache_issues([issue(T0)])
    [cached] = store.cached_issues()
    assert replace(cached, activity_on=None) == issue(T0)
    assert cached.activity_on == T0
    store.mark_tool_write(7, T1)
    store.cache_issues([issue(T1)])                # our own write came back from Redmine
    assert store.cached_issues()[0].activity_on == T0
    later = datetime(2026, 1, 6, tzinfo=UTC)
    store.cache_issues([issue(later)])             # a person's update
    assert store.cached_issues()[0].activity_on == later
    store.forget_issues([7])
    assert store.cached_issues() == []


def test_a_full_pass_rewrites_only_changed_issues_and_keeps_activity(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.cache_issues([issue(T0)])
    assert store.issue_stamps() == {7: T0.isoformat()}
    edited = replace(issue(T0), subject="changed behind an unchanged timestamp")
    store.cache_issues([edited], store.issue_stamps())   # same updated_on: not rewritten
    assert store.cached_issues()[0].subject == "数据加密"
    store.cache_issues([edited])                           # no stamps: always written
    assert store.cached_issues()[0].subject == edited.subject
    assert store.with_activity([issue(T0)]) == [issue(T0)]  # a person was last: unchanged
    store.mark_tool_write(7, T1)
    store.cache_issues([issue(T1)], store.issue_stamps())
    [fresh] = store.with_activity([issue(T1)])
    assert fresh.activity_on == T0 and replace(fresh, activity_on=None) == issue(T1)


def test_a_second_writer_gets_a_clear_message(tmp_path: Path) -> None:
    first, second = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    held = r"another redmine-sync writer is running \(pid \d+\)"
    with first.writer_lock(), pytest.raises(LockHeld, match=held), second.writer_lock():
        pass
    with second.writer_lock():
        pass


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    from redmine_sync.store import MIGRATIONS

    db = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    db.execute("BEGIN")
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version=1")
    db.execute("INSERT INTO cursor VALUES ('demo', '2026-01-05T09:00:00+00:00')")
    db.execute("COMMIT")
    db.close()
    store = StateStore(tmp_path / "s.db")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.cursor("demo") == T0            # data kept
    assert store.sla_fired() == frozenset()      # new tables there


def test_a_version_7_ledger_keeps_its_relations_as_links(tmp_path: Path) -> None:
    from redmine_sync.changes import Link
    from redmine_sync.changes import target
    from redmine_sync.store import MIGRATIONS

    db = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    db.execute("BEGIN")
    for migration in MIGRATIONS[:7]:
        migration(db)
    db.execute("PRAGMA user_version=7")
    db.execute("INSERT INTO runs (id, mode, started) VALUES (3, 'apply', '2026-01-05')")
    db.execute("INSERT INTO audit (run_id, ts, issue_id, field, old, new, rule, outcome) "
               "VALUES (3, '2026-01-05', 7, 'relation', NULL, '\"duplicates #12\"', 'dup', "
               "'written'), (3, '2026-01-05', 7, 'priority', '\"Normal\"', '\"High\"', 'p', "
               "'written')")
    db.execute("INSERT INTO owned VALUES (7, 'relation', '\"relates #3\"', 3)")
    db.execute("INSERT INTO intents VALUES (8, 3, '{\"relation\": \"duplicates #2\", "
               "\"status\": \"Feedback\"}', NULL)")
    db.execute("COMMIT")
    db.close()
    store = StateStore(tmp_path / "s.db")
    relation, priority = store.audit(3)
    assert target(relation.field).decoded(relation.new) == Link("duplicates", 12)
    assert (priority.old, priority.new) == ("Normal", "High")      # other rows as they were
    assert target("relation").decoded(store.owned()[(7, "relation")]) == Link("relates", 3)
    [(_, _, changes, _)] = store.intents()
    assert target("relation").decoded(changes["relation"]) == Link("duplicates", 2)
    assert changes["status"] == "Feedback"


def test_run_totals_by_mode_and_status_and_the_last_run(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for mode, status, written, failed in (("apply", "ok", 3, 0), ("apply", "failed", 1, 2),
                                          ("undo 1", "ok", 2, 0), ("undo 2", "ok", 1, 0),
                                          ("apply", "ok", 0, 0)):
        run = store.start_run(mode, at)
        store.finish_run(run, at, status, written=written, failed=failed)
    store.start_run("apply", at)  # still running: not counted, not the last
    assert store.run_totals() == [("apply", "failed", 1, 1, 2), ("apply", "ok", 2, 3, 0),
                                  ("undo", "ok", 2, 3, 0)]
    last = store.last_run("apply")
    assert last is not None and last.id == 5
    failed = store.last_run("apply", "failed")
    assert failed is not None and failed.id == 2
    assert store.last_run("daemon") is None


def test_due_instants_are_kept_on_one_basis(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    assert store.wake_basis() is None and store.next_wake() is None
    later = T1 + timedelta(microseconds=500)
    store.set_wakes("a", {1: T1, 2: None, 3: later, 4: T0}, due={4}, closed=(), whole=True)
    assert store.wake_basis() == "a"
    assert store.due_wakes(T0) == {4}                     # due now, whatever the time
    assert store.due_wakes(T1) == {1, 4}                  # T1's own instant counts
    assert store.due_wakes(T1 + timedelta(seconds=1)) == {1, 3, 4}
    assert store.next_wake() == T1
    store.set_wakes("a", {1: None}, due=set(), closed=[3], whole=False)
    store.forget_issues([4])
    assert store.due_wakes(T1 + timedelta(days=1)) == set()
    store.set_wakes("b", {5: T0}, due=set(), closed=(), whole=True)  # starts over
    assert store.wake_basis() == "b" and store.due_wakes(T1) == {5}
    store.clear_wakes()
    assert store.wake_basis() is None and store.due_wakes(T1) == set()


def test_sla_states_are_kept_per_issue_until_it_is_evaluated_again(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.set_sla_states({1: ("strategic", "warning"), 2: ("strategic", "running"),
                          3: ("", "breached")}, gone=())
    # a later run evaluates only #2 (now breached) and #3 (closed): #1 keeps its state
    store.set_sla_states({2: ("strategic", "breached")}, gone=[3])
    assert store.sla_state_counts() == {("strategic", "warning"): 1,
                                        ("strategic", "breached"): 1}
    store.clear_sla_states()
    assert store.sla_state_counts() == {}


def test_notes_due_are_kept_per_run_and_cleared_one_by_one(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    with store.transaction():
        store.add_due_note(7, 1, 40, "left by a killed run", True, "r", {"a"})
        store.add_due_note(7, 2, 50, "this run's", True, "r", {"b"})
        store.add_due_note(8, 2, 10, "another issue's", False, "s", ())
    assert [(d.issue_id, d.run_id, d.text) for d in store.due_notes()] == [
        (7, 1, "left by a killed run"), (7, 2, "this run's"), (8, 2, "another issue's")]
    with store.transaction():
        store.clear_due(7, run_id=2)   # a failed first write takes back only its own notes
    [left] = store.due_notes(7)
    assert (left.run_id, left.seen, left.private, left.items) == (1, 40, True, frozenset("a"))
    with store.transaction():
        store.clear_due(7, seq=left.seq)
    assert [d.text for d in store.due_notes()] == ["another issue's"]


def test_an_id_shown_with_another_created_on_drops_what_the_store_held_of_it(
        tmp_path: Path) -> None:
    """A Redmine rebuilt or restored behind the same URL gives #7 to another issue: the
    old #7's marks would stand for it (a threshold fired, a field the tool set...)."""
    store = StateStore(tmp_path / "s.db")
    old, kept = issue(), replace(issue(), id=8)
    assert store.reissued([old, kept]) == ()
    store.cache_issues([old, kept])
    run = store.start_run("apply", T0)
    for issue_id in (7, 8):
        store.set_owned(issue_id, "priority", "High", run)
        store.fire(issue_id, "p", "half", run)
        store.cache_journals(issue_id, T0, ())
        store.add_due_note(issue_id, run, 0, "due", True, "r", ["x"])
        store.hold_failure(issue_id, T0, "read-only", run)
        store.add_sent(issue_id, ["y"], run)
        store.add_undone(issue_id, "status", "New", run)
        store.add_intent(run, issue_id, {"status": "Closed"}, None)
        store.record(run, T0, issue_id, "priority", "Normal", "High", "r", "written")
    store.set_wakes("k", {7: None, 8: None}, due=set(), closed=(), whole=True)
    store.set_sla_states({7: ("gold", "ok"), 8: ("gold", "ok")}, ())
    store.record_verdict(7, "p", "first_response", 0, T0, 1.0, False, None, "f")
    new = replace(issue(T1), created_on=T1)
    assert store.reissued([new, kept]) == (7,)
    assert store.owned() == {(8, "priority"): "High"}
    assert store.sla_fired() == frozenset({(8, "p", "half")})
    assert store.journals(7, T0) is None and store.journals(8, T0) == ()
    assert [d.issue_id for d in store.due_notes()] == [8]
    assert set(store.held_failures()) == {8} and set(store.undone()) == {(8, "status")}
    assert [i for i, *_ in store.intents()] == [8]
    assert store.sent_items(7) == frozenset() and store.sent_items(8) == {"y"}
    assert set(store.issue_stamps()) == {8} and store.sla_verdicts("p") == {}
    assert store.sla_state_counts() == {("gold", "ok"): 1}
    assert len(store.audit(run)) == 2                # the ledger is history: kept
    assert store.reissued([new, kept]) == ()         # the new #7 is known now


def test_every_table_keyed_by_an_issue_is_forgotten_with_it(tmp_path: Path) -> None:
    """A table added later that holds something of one issue must be in ISSUE_TABLES."""
    from redmine_sync.store import ISSUE_TABLES

    store = StateStore(tmp_path / "s.db")
    names = [r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE "
                                            "type='table' AND name NOT LIKE 'sqlite_%'")]
    keyed = {n for n in names if {"issue_id", "id"} & {r[1] for r in store.db.execute(
        f"PRAGMA table_info({n})")} and n != "runs"}
    assert keyed - {"audit", "identities"} == {t for t, _ in ISSUE_TABLES}


def test_a_version_11_database_knows_its_cached_issues_identities(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    store.cache_issues([issue()])
    store.set_owned(7, "priority", "High", 1)
    store.db.execute("DROP TABLE identities")
    store.db.execute("PRAGMA user_version=11")
    store.close()
    store = StateStore(tmp_path / "s.db")
    assert store.reissued([issue(T1)]) == ()         # the same issue, updated since
    assert store.reissued([replace(issue(T1), created_on=T1)]) == (7,)
    assert store.owned() == {}
