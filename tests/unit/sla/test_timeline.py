"""Replaying an issue's journals: values at creation, after each journal, and the events."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref
from redmine_sync.sla.timeline import current_values
from redmine_sync.sla.timeline import events
from redmine_sync.sla.timeline import public_notes
from redmine_sync.sla.timeline import replay

AUTHOR = Ref(2, "Carol Customer")
STAFF = Ref(10, "Sam Staff")
CREATED = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, 4, hour, minute, tzinfo=UTC)


def attr(field: str, old: str | None, new: str | None) -> JournalDetail:
    return JournalDetail("attr", field, old, new)


def cf(name: str, old: str | None, new: str | None) -> JournalDetail:
    return JournalDetail("cf", f"cf.{name}", old, new)


def make_issue(journals: tuple[Journal, ...] | None, **fields: object) -> Issue:
    values: dict[str, object] = {
        "status": "In Progress", "priority": "High", "tracker": "Bug",
        "assigned_to": STAFF,
        "custom_fields": {"Labels": ("customer", "bug"), "Tier": "gold", "Urgency": "high",
                          "Components": ("ui", "api")},
    }
    values.update(fields)
    return Issue(id=1, project=Ref(1, "demo"), subject="Export fails", author=AUTHOR,
                 created_on=CREATED, updated_on=at(12), journals=journals,
                 **values)  # type: ignore[arg-type]


J5 = Journal(5, STAFF, at(10), "", False, (
    attr("status", "New", "In Progress"), attr("assigned_to", None, "Sam Staff"),
    cf("Labels", None, "customer"), cf("Labels", "triage", None)))
J7 = Journal(7, AUTHOR, at(11), "More details attached.", False, (
    cf("Urgency", "low", "high"), attr("priority", "Normal", "High"),
    attr("subject", "Export", "Export fails")))
J9 = Journal(9, STAFF, at(12), "Internal: looks like the CSV writer.", True, (
    cf("Tier", "silver", "gold"), cf("Components", None, "ui"),
    attr("tracker", "Feature", "Bug"), cf("Labels", None, "bug")))


def test_creation_values_undo_every_journal_newest_first() -> None:
    moments = replay(make_issue((J9, J5, J7)), FieldMap())
    assert [m.journal.id if m.journal else None for m in moments] == [None, 5, 7, 9]
    assert [m.at for m in moments] == [CREATED, at(10), at(11), at(12)]
    assert dict(moments[0].values) == {
        "status": "New", "priority": "Normal", "tracker": "Feature", "assigned_to": None,
        "labels": ("triage",), "tier": "silver", "cf.Urgency": "low",
        "cf.Components": ("api",), "done_ratio": "0", "due_date": None,
    }
    assert dict(moments[1].values) == {
        "status": "In Progress", "priority": "Normal", "tracker": "Feature",
        "assigned_to": "Sam Staff", "labels": ("customer",), "tier": "silver",
        "cf.Urgency": "low", "cf.Components": ("api",), "done_ratio": "0", "due_date": None,
    }
    assert moments[2].values["priority"] == "High"
    assert moments[2].values["cf.Urgency"] == "high"
    assert dict(moments[3].values) == {
        "status": "In Progress", "priority": "High", "tracker": "Bug",
        "assigned_to": "Sam Staff", "labels": ("bug", "customer"), "tier": "gold",
        "cf.Urgency": "high", "cf.Components": ("api", "ui"), "done_ratio": "0",
        "due_date": None,
    }


def test_last_moment_is_the_current_state() -> None:
    issue = make_issue((J5, J7, J9))
    assert dict(replay(issue, FieldMap())[-1].values) == current_values(issue, FieldMap())


def test_without_journals_there_is_only_creation() -> None:
    for journals in (None, ()):
        moments = replay(make_issue(journals), FieldMap())
        assert len(moments) == 1
        assert moments[0].at == CREATED
        assert moments[0].journal is None
        assert moments[0].values["status"] == "In Progress"
        assert moments[0].values["labels"] == ("bug", "customer")


def test_field_names_follow_the_field_map() -> None:
    fields = FieldMap(labels="Tags", tier="Customer tier")
    journal = Journal(3, STAFF, at(10), "", False, (
        cf("Tags", None, "vip"), cf("Customer tier", "bronze", "gold")))
    issue = make_issue((journal,), custom_fields={"Tags": ("vip",), "Customer tier": "gold"})
    first, last = replay(issue, fields)
    assert (first.values["labels"], first.values["tier"]) == ((), "bronze")
    assert (last.values["labels"], last.values["tier"]) == (("vip",), "gold")
    assert "cf.Tags" not in last.values


def test_journal_dated_before_the_previous_one_is_placed_at_it() -> None:
    early = Journal(8, STAFF, at(9, 30), "late import", False, ())
    moments = replay(make_issue((J7, early)), FieldMap())
    assert [m.at for m in moments] == [CREATED, at(11), at(11)]


def test_events_say_who_wrote_what() -> None:
    blank = Journal(11, STAFF, at(13), "   ", False, (attr("status", "In Progress", "Resolved"),))
    issue = make_issue((J5, J7, J9, blank), status="Resolved")
    found = events(replay(issue, FieldMap()))
    assert [e.journal.id for e in found] == [5, 7, 9, 11]
    # no note, public note, private note, blank note
    assert [e.public_note for e in found] == [False, True, False, False]
    assert found[1].by(AUTHOR) and found[1].by(2) and not found[1].by(None)
    assert found[1].user == AUTHOR
    assert found[1].note == "More details attached."
    assert found[0].changed() == {"status", "assigned_to", "labels"}
    assert found[1].changed() == {"priority", "cf.Urgency"}
    assert found[3].before["status"] == "In Progress"
    assert found[3].after["status"] == "Resolved"
    assert [e.journal.id for e in public_notes(replay(issue, FieldMap()))] == [7]
    assert public_notes(replay(issue, FieldMap()), by=STAFF) == ()


LABELS = ("a", "b", "c", "d")


@settings(max_examples=80, deadline=None)
@given(start=st.sets(st.sampled_from(LABELS)),
       steps=st.lists(st.tuples(st.sampled_from(LABELS), st.booleans()), max_size=12))
def test_labels_round_trip(start: set[str], steps: list[tuple[str, bool]]) -> None:
    """Undoing per-value label details from the current labels gives back the start."""
    labels = set(start)
    journals = []
    seen = [tuple(sorted(labels))]
    for i, (label, add) in enumerate(steps):
        if add == (label in labels):
            continue  # Redmine records only real changes
        detail = cf("Labels", None, label) if add else cf("Labels", label, None)
        (labels.add if add else labels.discard)(label)
        journals.append(Journal(i + 1, STAFF, CREATED + timedelta(minutes=i + 1), "", False,
                                (detail,)))
        seen.append(tuple(sorted(labels)))
    issue = make_issue(tuple(journals), custom_fields={"Labels": tuple(labels)})
    assert [m.values["labels"] for m in replay(issue, FieldMap())] == seen
