"""One suite, two backends: FakeRedmine and the real Redmine 5.0 behave the same to the tool."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from redmine_sync.errors import PermissionDenied
from redmine_sync.errors import RedmineValidationError
from redmine_sync.errors import WikiConflict
from redmine_sync.model import IssueUpdate
from redmine_sync.redmine.catalog import UnknownName
from tests.contract.conftest import GROUP
from tests.contract.conftest import STAFF
from tests.contract.conftest import FakeHarness
from tests.contract.conftest import LiveHarness

Harness = FakeHarness | LiveHarness


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def test_key_belongs_to_the_bot_user(harness: Harness) -> None:
    me = harness.client.current_user()
    assert me.login == harness.bot_login
    assert not me.admin
    assert me.created_on is not None and me.created_on.tzinfo is not None  # the instance's


def test_issue_reads_carry_names_not_ids(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("首页需要更美观"), customer="华信银行")
    issue = harness.client.get_issue(issue_id)
    assert issue.subject.startswith("首页需要更美观")
    assert issue.priority == "Normal" and issue.status == "New" and not issue.is_closed
    assert issue.cf("Customer") == "华信银行"
    assert issue.cf("Labels") == ()
    assert issue.project.name
    assert issue.created_on.tzinfo is not None
    assert "In Progress" in (issue.allowed_statuses or ())


def test_listing_includes_closed_issues_in_updated_order(harness: Harness) -> None:
    first = harness.create_issue(unique("open one"))
    second = harness.create_issue(unique("closed one"))
    harness.close(second)
    since = harness.client.get_issue(first).updated_on
    listed = list(harness.client.iter_issues(project=harness.project, updated_since=since))
    ids = [i.id for i in listed]
    assert first in ids and second in ids
    assert ids.index(first) < ids.index(second)
    assert len(ids) == len(set(ids))
    assert next(i for i in listed if i.id == second).is_closed
    keys = [(i.updated_on, i.id) for i in listed]
    assert keys == sorted(keys)


def test_updated_since_is_inclusive_to_the_second_and_leaves_out_older(harness: Harness) -> None:
    old = harness.create_issue(unique("old"))
    newer = harness.create_issue(unique("newer"))
    harness.human_comment(newer, "bump")
    cutoff = harness.client.get_issue(newer).updated_on
    listed = list(harness.client.iter_issues(project=harness.project, updated_since=cutoff))
    assert newer in [i.id for i in listed]
    # Redmine's ">=" means "> cutoff - 1s": never anything older than that
    assert all(i.updated_on >= cutoff - timedelta(seconds=1) for i in listed)
    later = list(harness.client.iter_issues(project=harness.project,
                                            updated_since=cutoff + timedelta(hours=1)))
    assert old not in [i.id for i in later] and newer not in [i.id for i in later]


def test_one_update_sets_fields_labels_and_a_private_note(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("needs triage"))
    result = harness.client.update_issue(IssueUpdate(
        issue_id, priority="High", status="In Progress",
        custom_fields={"Labels": ("ui", "needs-info")}, notes="Triaged by rule x",
        private_notes=True))
    assert result.ok, result.dropped
    issue = harness.client.get_issue(issue_id)
    assert issue.priority == "High" and issue.status == "In Progress"
    assert set(issue.cf("Labels") or ()) == {"ui", "needs-info"}
    notes = [j for j in issue.journals or () if j.notes == "Triaged by rule x"]
    assert len(notes) == 1 and notes[0].private
    changes = {d.field: (d.old, d.new) for j in issue.journals or () for d in j.details}
    assert changes["status"] == ("New", "In Progress")
    assert changes["priority"] == ("Normal", "High")


def test_journals_are_sorted_by_id(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("chatty"))
    for text in ("one", "two", "three"):
        harness.human_comment(issue_id, text)
    journals = harness.client.get_issue(issue_id).journals or ()
    assert [j.notes for j in journals] == ["one", "two", "three"]
    assert [j.id for j in journals] == sorted(j.id for j in journals)
    assert journals[0].user.name


def test_public_note_is_public(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("ask customer"))
    harness.client.update_issue(IssueUpdate(issue_id, notes="Please describe the scenario",
                                            private_notes=False))
    journal = (harness.client.get_issue(issue_id).journals or ())[-1]
    assert journal.notes == "Please describe the scenario" and not journal.private


def test_status_redmine_silently_ignores_is_reported_as_dropped(harness: Harness) -> None:
    blocker = harness.create_issue(unique("blocker"))
    blocked = harness.create_issue(unique("blocked"))
    harness.block(blocker, blocked)
    result = harness.client.update_issue(IssueUpdate(blocked, status="Closed", priority="High"))
    assert [d.field for d in result.dropped] == ["status"]
    assert result.dropped[0].actual == "New"
    assert result.issue.priority == "High"


def test_value_outside_the_list_is_refused_with_redmines_reason(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("bad label"))
    with pytest.raises(RedmineValidationError, match="Labels is not included in the list"):
        harness.client.update_issue(IssueUpdate(issue_id, custom_fields={
            "Labels": ("no-such-label",)}))


def test_unknown_names_are_refused_before_writing(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("typo"))
    before = harness.client.get_issue(issue_id).updated_on
    with pytest.raises(UnknownName, match="did you mean 'High'"):
        harness.client.update_issue(IssueUpdate(issue_id, priority="Hihg"))
    assert harness.client.get_issue(issue_id).updated_on == before


def test_assign_to_user_and_group_and_back(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("route me"))
    assert harness.client.update_issue(IssueUpdate(issue_id, assigned_to=STAFF)).ok
    assert harness.client.get_issue(issue_id).assigned_to is not None
    assert harness.client.update_issue(IssueUpdate(issue_id, assigned_to=GROUP)).ok
    assignee = harness.client.get_issue(issue_id).assigned_to
    assert assignee is not None and assignee.name == GROUP
    assert harness.client.update_issue(IssueUpdate(issue_id, assigned_to="")).ok
    assert harness.client.get_issue(issue_id).assigned_to is None


def test_duplicate_relation_is_created_once(harness: Harness) -> None:
    original = harness.create_issue(unique("make home page prettier"))
    copy = harness.create_issue(unique("首页更美观"))
    rel = harness.client.add_relation(copy, original, "duplicates")
    again = harness.client.add_relation(copy, original, "duplicates")
    assert rel == again
    assert (rel.issue_id, rel.issue_to_id, rel.type) == (copy, original, "duplicates")
    assert [r.id for r in harness.client.relations(original)] == [rel.id]


def test_listed_and_written_issues_carry_their_relations(harness: Harness) -> None:
    blocker = harness.create_issue(unique("blocker"))
    blocked = harness.create_issue(unique("blocked"))
    harness.client.add_relation(blocker, blocked, "blocks")
    listed = {i.id: i for i in harness.client.iter_issues(harness.project)}
    for issue_id in (blocker, blocked):  # the reports' blockers read them from the list
        assert [(r.issue_id, r.issue_to_id, r.type) for r in listed[issue_id].relations] == [
            (blocker, blocked, "blocks")]
    written = harness.client.update_issue(IssueUpdate(blocked, priority="High"))
    assert [(r.issue_id, r.type) for r in written.issue.relations] == [(blocker, "blocks")]


def test_wiki_create_update_conflict_and_unchanged(harness: Harness) -> None:
    title = f"Report {uuid.uuid4().hex[:6]}"
    client = harness.client
    assert client.get_wiki_page(harness.project, title) is None
    created = client.put_wiki_page(harness.project, title, "# v1\n周报", base_version=None)
    assert created.outcome == "created" and created.page.version == 1
    assert created.page.title == title.replace(" ", "_")
    with pytest.raises(WikiConflict):
        client.put_wiki_page(harness.project, title, "again", base_version=None)
    updated = client.put_wiki_page(harness.project, title, "# v2", base_version=1)
    assert updated.outcome == "updated" and updated.page.version == 2
    with pytest.raises(WikiConflict):
        client.put_wiki_page(harness.project, title, "# v3 from a stale read", base_version=1)
    same = client.put_wiki_page(harness.project, title, "# v2", base_version=2)
    assert same.outcome == "unchanged" and same.page.version == 2
    page = client.get_wiki_page(harness.project, title)
    assert page is not None and page.text.strip() == "# v2" and page.version == 2


def test_catalog_knows_the_instance(harness: Harness) -> None:
    catalog = harness.client.catalog()
    assert {"New", "Closed", "Rejected"} <= set(catalog.statuses.names())
    assert catalog.statuses.get("Closed").is_closed
    assert catalog.priorities.names()[:2] == ("Low", "Normal")
    assert "Bug" in catalog.trackers
    assert {"Labels", "Customer"} <= set(catalog.custom_fields())


def test_project_and_permissions(harness: Harness) -> None:
    project = harness.client.project(harness.project)
    assert "wiki" in project.modules and "Labels" in project.custom_fields
    perms = harness.client.permissions(harness.project)
    assert perms is not None and {"edit_issues", "add_issue_notes"} <= perms


def test_server_time_is_close_to_issue_stamps(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("clock"))
    stamp = harness.client.get_issue(issue_id).updated_on
    server_now = harness.client.server_time()
    if harness.kind == "live" and server_now is None:
        # thin (the local server) sends no Date header: the tool must say so, not guess
        return
    assert server_now is not None and abs(server_now - stamp) < timedelta(minutes=5)


def test_updated_on_lists_the_issues_asked_for(harness: Harness) -> None:
    first, second = harness.create_issue(unique("one")), harness.create_issue(unique("two"))
    harness.close(second)
    got = harness.client.updated_on([first, second, 99_999_999])
    assert got == {i: harness.client.get_issue(i, journals=False).updated_on
                   for i in (first, second)}
    newest = max(got.values())   # with since: those changed at or after it, as they show
    since = harness.client.updated_on([first, second], newest)
    assert {i for i, stamp in got.items() if stamp >= newest} <= since.keys()
    assert since.items() <= got.items()   # Redmine may add the second before (finer stamps)
    assert harness.client.updated_on([first, second], newest + timedelta(seconds=2)) == {}


def test_the_bot_watches_what_it_writes_until_its_auto_watch_is_off(harness: Harness) -> None:
    harness.bot_auto_watches()
    before = harness.client.watched(harness.project)
    noted, related = harness.create_issue(unique("noted")), harness.create_issue(unique("b"))
    harness.client.update_issue(IssueUpdate(noted, notes="seen", private_notes=True))
    assert harness.client.watched(harness.project) == before + 1  # Redmine 5.0's default
    harness.client.remove_watcher(noted, harness.bot_login)
    harness.client.stop_auto_watch()
    harness.client.update_issue(IssueUpdate(noted, priority="High", notes="again"))
    harness.client.add_relation(noted, related, "relates")
    assert harness.client.watched(harness.project) == before


def test_the_bot_rewrites_its_own_note_and_the_issue_stays_as_it_was(harness: Harness) -> None:
    issue_id = harness.create_issue(unique("told"))
    result = harness.client.update_issue(IssueUpdate(issue_id, priority="High",
                                                     notes="told of two", private_notes=True))
    [note] = [j for j in result.issue.journals or () if j.notes == "told of two"]
    harness.client.edit_note(note.id, "told of one")
    after = harness.client.get_issue(issue_id)
    assert [(j.notes, j.private) for j in after.journals or () if j.id == note.id] == [
        ("told of one", True)]
    assert after.updated_on == result.issue.updated_on  # the next run sees no change
    harness.client.edit_note(note.id, "")  # a note without changes (Redmine split them off)
    left = harness.client.get_issue(issue_id).journals or ()
    assert note.id not in {j.id for j in left} and any(j.details for j in left)
    harness.human_comment(issue_id, "a person's note")
    [theirs] = [j for j in harness.client.get_issue(issue_id).journals or ()
                if j.notes == "a person's note"]
    with pytest.raises(PermissionDenied):  # the bot may edit its own notes only
        harness.client.edit_note(theirs.id, "rewritten")
