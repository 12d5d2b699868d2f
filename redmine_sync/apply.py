"""Apply: write a plan to Redmine safely, one request per issue, and remember what was done.

For each issue with changes: re-read it with its journals, unless this run read it so
moments ago while planning (an issue that changed since it was listed is skipped as stale
and re-planned next run; at most two reads per written issue), check before sending that
the decision can land whole (the bot's permissions in the project, the workflow's allowed
statuses; otherwise nothing of it is sent), leave out a custom field the issue does not
have (Redmine would drop it), record the write intent, link relations, send ONE PUT with
every field and the decision's first note, re-read and report what Redmine silently
dropped and whether the note is there exactly once with the intended privacy (after a
drop the note is rewritten to tell only of what landed), then record the outcome in the
audit ledger and what the tool set (so that people win later).

A second note (the private one beside a customer-facing one: Redmine keeps one note per
write) is recorded as due before the first write and goes in a PUT of its own after it;
a run killed in between leaves it due, and the next run sends it unless the issue's
journals show it went out (due_notes.py). A decision's note goes out once; a failure that
will not change by itself is reported once, then pending. A circuit breaker refuses over-broad
runs before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from itertools import chain
from typing import Any
from typing import Protocol

from redmine_sync import progress
from redmine_sync.changes import Change
from redmine_sync.changes import Draft
from redmine_sync.changes import draft_of
from redmine_sync.changes import target
from redmine_sync.config import FieldMap
from redmine_sync.config import Limits
from redmine_sync.due_notes import send_due_note
from redmine_sync.errors import BREAKER
from redmine_sync.errors import PermissionDenied
from redmine_sync.errors import RedmineError
from redmine_sync.errors import RedmineGone
from redmine_sync.errors import RedmineSyncError
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Journal
from redmine_sync.model import Ref
from redmine_sync.notes import NoteWrite
from redmine_sync.notes import compose_notes
from redmine_sync.notes import first_line
from redmine_sync.notes import retold
from redmine_sync.outcome import Outcome
from redmine_sync.plan import IssuePlan
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.catalog import UnknownName
from redmine_sync.redmine.verify import missing_permissions
from redmine_sync.redmine.verify import needed_permissions
from redmine_sync.redmine.verify import note_problem
from redmine_sync.redmine.verify import permission_label
from redmine_sync.redmine.verify import sent_notes
from redmine_sync.redmine.verify import unshown_fields
from redmine_sync.store import StateStore

log = logging.getLogger(__name__)


class Changed(Protocol):
    """Issue plans with something to write, counted and read in order: a plan's
    (``Plan.changed``), or a spool's read back one at a time (spool.py)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[IssuePlan]: ...


class BreakerTripped(RedmineSyncError):
    """The run would change too much; nothing was written. Exit 3."""

    exit_code = BREAKER.code


@dataclass(frozen=True)
class ApplyResult:
    run_id: int
    outcomes: tuple[Outcome, ...] = ()
    recovered: tuple[str, ...] = field(default=())

    def count(self, *statuses: str) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def failed(self) -> int:
        return self.count("failed", "partial")

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "written": [o.issue_id for o in self.outcomes if o.status == "written"],
            "skipped": [{"issue": o.issue_id, "reason": o.reason} for o in self.outcomes
                        if o.status in ("skipped", "deferred")],
            "failed": [{"issue": o.issue_id, "reason": o.reason} for o in self.outcomes
                       if o.status in ("failed", "partial")],
            "pending": [{"issue": o.issue_id, "reason": o.reason} for o in self.outcomes
                        if o.status == "pending"],
            "recovered": list(self.recovered),
            "summary": {s: self.count(s) for s in
                        ("written", "partial", "skipped", "deferred", "failed", "pending")},
        }


class RunStopped(RedmineError):
    """Redmine went away (or answered unusably) mid-apply: the run stopped there. Exit 4.

    ``result`` holds what was written before and what remains (deferred to the next run).
    """

    def __init__(self, result: ApplyResult, cause: RedmineGone, uncertain: tuple[int, ...] = ()
                 ) -> None:
        written = [o.issue_id for o in result.outcomes if o.status in ("written", "partial")]
        remaining = [o.issue_id for o in result.outcomes
                     if o.status == "deferred" and o.issue_id not in uncertain]
        maybe = (f"{len(uncertain)} interrupted mid-write{_ids(list(uncertain))} (the next "
                 "run checks whether it landed); " if uncertain else "")
        super().__init__(
            f"run {result.run_id} stopped: {str(cause).splitlines()[0]} -- "
            f"{len(written)} issue(s) written before it{_ids(written)}; {maybe}"
            f"{len(remaining)} not written{_ids(remaining)}, left for the next run")
        self.result = result
        self.cause = cause
        self.uncertain = uncertain


def _ids(ids: list[int]) -> str:
    if not ids:
        return ""
    shown = ", ".join(f"#{i}" for i in ids[:10])
    return f" ({shown}{', ...' if len(ids) > 10 else ''})"


def check_breaker(changed: Iterable[tuple[int, datetime]], limits: Limits, *, in_scope: int,
                  max_changes: int | None, yes: bool,
                  held: Mapping[int, tuple[datetime, str, int]] | None = None) -> None:
    """Refuse a run that changes more issues than allowed, before anything is written.

    ``changed``: (issue id, ``updated_on``) of each issue the plan writes (counted without
    holding the plans: spool.py). Issues ``held`` on a failure already reported
    (unchanged since) do not count: they are not retried until they or the reason
    change."""
    held = held or {}
    count = sum(1 for issue_id, updated_on in changed
                if issue_id not in held or held[issue_id][0] != updated_on)
    if yes or count == 0:
        return
    allowed = max_changes if max_changes is not None else limits.max_issues
    percent = 100.0 * count / max(in_scope, 1)
    too_many = count > allowed
    too_broad = max_changes is None and percent > limits.max_percent and count > 1
    if too_many or too_broad:
        why = (f"{count} issues would change (limit {allowed})" if too_many else
               f"{count} of {in_scope} issues in scope would change ({percent:.0f} %, "
               f"limit {limits.max_percent:g} %)")
        raise BreakerTripped(
            f"circuit breaker: {why}; nothing was written. The plan is shown above. If it "
            f"is right, run again with --yes, or --max-changes {count}; otherwise fix the "
            "rules (redmine-sync explain ISSUE shows why).")


@contextmanager
def recorded_run(store: StateStore, run_id: int, clock: Callable[[], datetime],
                 planned: Callable[[], int]) -> Iterator[None]:
    """Record in the run's row how it ended when Redmine went away mid-run (stopped, with
    what was written) or anything else stopped it (error); the exception goes on."""
    try:
        yield
    except RunStopped as exc:
        stopped = exc.result
        store.finish_run(run_id, clock(), "stopped", planned=planned(),
                         written=stopped.count("written", "partial"),
                         skipped=stopped.count("deferred", "skipped"), failed=stopped.failed,
                         message=str(exc.cause).splitlines()[0])
        raise
    except BreakerTripped as exc:
        store.finish_run(run_id, clock(), "breaker", planned=planned(),
                         message=str(exc).splitlines()[0])
        raise
    except BaseException as exc:
        store.finish_run(run_id, clock(), "error", message=str(exc).splitlines()[0]
                         if str(exc) else type(exc).__name__)
        raise


def apply_plan(changed: Changed, client: RedmineClient, store: StateStore,
               run_id: int, *, fields: FieldMap, write_cap: int,
               clock: Callable[[], datetime], stop: Callable[[], bool],
               markup: str = "textile",
               read: Callable[[int], Issue | None] = lambda issue_id: None) -> ApplyResult:
    """Write each changed issue plan, in order; a failure on one issue never stops the
    others.

    ``markup`` is the instance's text format, which the notes are written in. ``read``
    gives an issue as this run read it moments ago (journals and allowed statuses), which
    then is the read before its write; None: it is read now."""
    outcomes: list[Outcome] = []
    grants = Grants(client)
    items = iter(changed)
    for index, item in enumerate(items):
        if stop():
            outcomes += [Outcome(i.issue_id, "deferred", "stopped before writing")
                         for i in chain([item], items)]
            break
        if index >= write_cap:
            outcomes += [Outcome(i.issue_id, "deferred", f"per-run write cap {write_cap}; "
                                 "next run") for i in chain([item], items)]
            break
        try:
            if index == 0:
                _no_auto_watch(client)
            outcome = _apply_issue(item, client, store, run_id, fields, clock, grants, markup,
                                   read(item.issue_id))
        except RedmineGone as exc:  # every further request would fail the same way
            started = item.issue_id in {i for i, *_ in store.intents()} or \
                bool(store.due_notes(item.issue_id))
            outcomes.append(Outcome(item.issue_id, "deferred", (
                "interrupted mid-write: the next run checks whether it landed" if started else
                "not written: the run stopped (Redmine unavailable or unusable)")))
            outcomes += [Outcome(i.issue_id, "deferred", "not written: the run stopped "
                                 "(Redmine unavailable or unusable)") for i in items]
            raise RunStopped(ApplyResult(run_id, tuple(outcomes)), exc,
                             (item.issue_id,) if started else ()) from None
        log.info("issue #%d: %s%s", item.issue_id, outcome.status,
                 f" ({outcome.reason})" if outcome.reason else "")
        outcomes.append(outcome)
        progress.advance(progress.ISSUES_WRITTEN, index + 1, len(changed))
    return ApplyResult(run_id, tuple(outcomes))


def _no_auto_watch(client: RedmineClient) -> None:
    """Before a run's first write: Redmine 5.0 makes an account watch each issue it writes
    (notes, fields, relations) while its "Auto watch" preference is on, as it is for every
    new account; the bot's is switched off, or a warning says why it could not be."""
    try:
        client.stop_auto_watch()
    except RedmineGone:
        raise
    except RedmineError as exc:
        log.warning("could not switch off the bot account's preference \"Auto watch issues "
                    "I contributed to\" (%s): Redmine makes the bot a watcher of each issue "
                    "it writes; untick it in the bot user's My account > Preferences",
                    str(exc).splitlines()[0])


class Grants:
    """The bot's permissions in each project, read once per run (None: administrator)."""

    def __init__(self, client: RedmineClient) -> None:
        self.client = client
        self.known: dict[str, frozenset[str] | None] = {}

    def of(self, project: Ref) -> frozenset[str] | None:
        key = str(project.id)  # Redmine finds a project by id too; issues carry no identifier
        if key not in self.known:
            self.known[key] = self.client.permissions(key)
        return self.known[key]


def _apply_issue(item: IssuePlan, client: RedmineClient, store: StateStore, run_id: int,
                 fields: FieldMap, clock: Callable[[], datetime], grants: Grants,
                 markup: str = "textile", current: Issue | None = None) -> Outcome:
    try:
        if current is None:  # not read moments ago by this run: read it (notes before ours)
            current = client.get_issue(item.issue_id, journals=True)
    except RedmineGone:
        raise
    except RedmineError as exc:
        return _record_all(store, run_id, clock(), item, "failed", str(exc))
    if current.updated_on != item.updated_on:
        return _record_all(store, run_id, clock(), item, "skipped",
                           "stale: changed since it was read; re-planned next run")
    changes = list(item.changes)
    person = person_names(client)
    absent = _unshown(item, changes, current, fields, client)  # Redmine would drop them
    sent = [c for c in changes if c.field not in absent]
    said = store.sent_items(item.issue_id)
    notes = [n for n in compose_notes(item, sent, markup, person)
             if not n.items <= said]   # a note of this decision that went out already: not again
    first, further = (notes[0] if notes else None), notes[1:]
    update, draft = to_update(item.issue_id, sent, fields, first)
    try:
        refusal = preflight(update, bool(draft.links or draft.unlinks), current,
                            grants.of(current.project), draft,
                            [IssueUpdate(item.issue_id, notes=n.text, private_notes=not n.public)
                             for n in further])
    except RedmineGone:
        raise
    except RedmineError as exc:
        return _record_all(store, run_id, clock(), item, "failed", str(exc).splitlines()[0])
    if refusal:
        return _hold(store, run_id, clock(), item, current.updated_on, refusal)
    held = store.held_failures().get(item.issue_id)
    if held is not None and held[0] == current.updated_on and \
            not (draft.links or draft.unlinks) and \
            held[1] == drop_reason([c.field for c in sent], absent):
        return _record_all(store, run_id, clock(), item, "pending",
                           f"{held[1]} (reported in run {held[2]})")
    seen = max((j.id for j in current.journals or ()), default=0)
    rules = _note_rules(item, changes)
    try:
        with store.transaction():  # what the next run finishes if this one is killed
            store.release_failure(item.issue_id)
            store.add_intent(run_id, item.issue_id,
                             {c.field: c.target.stored(c.new) for c in sent}, update.notes)
            for note in further:  # each in a write of its own, after the first
                store.add_due_note(item.issue_id, run_id, seen, note.text, not note.public,
                                   rules, note.items)
        for link in draft.links:
            client.add_relation(item.issue_id, link.issue_id, link.kind)
        for link in draft.unlinks:
            client.remove_relation(item.issue_id, link.issue_id, link.kind)
        for who in dict.fromkeys(draft.watchers):
            client.add_watcher(item.issue_id, who)
        for who in dict.fromkeys(draft.unwatchers):
            client.remove_watcher(item.issue_id, who)
        result = client.update_issue(update) if _has_content(update) else None
    except RedmineGone:
        raise  # the intents stay: the next run looks whether the write landed
    except (RedmineError, UserError) as exc:
        with store.transaction():
            store.clear_intent(item.issue_id)
            store.clear_due(item.issue_id, run_id=run_id)  # none of it went out: retried
        reason = str(exc).splitlines()[0]
        if isinstance(exc, PermissionDenied):  # will not change by itself: report it once
            return _hold(store, run_id, clock(), item, current.updated_on, reason)
        return _record_all(store, run_id, clock(), item, "failed", reason)
    me = client.current_user().id
    dropped = {d.field: d for d in result.dropped} if result else {}
    posted = sent_notes(update, current, result.issue, me) if result else ()
    note_failure = note_problem(update, posted)
    landed = [c for c in sent if c.target.reported_as(fields) not in dropped]
    after = result.issue if result else None
    told = None  # why the note still tells of a change Redmine dropped
    items = first.items if first else frozenset()
    if first and after is not None and len(landed) < len(sent) and posted and not note_failure:
        again = retold(first, item, landed, markup, person)
        if again is None or again.text != first.text:  # it listed them: told again
            after, told = _retold(client, grants.of(current.project), posted[0],
                                  again.text if again else "", after)
            if told is None:
                items = again.items if again else frozenset()
    retell = [retold(n, item, landed, markup, person) for n in further] \
        if len(landed) < len(sent) else further  # not yet sent: told from what landed
    lost = [c.field for c in sent if c.target.reported_as(fields) in dropped]
    with store.transaction():
        now = clock()
        problems = []
        for change in changes:
            key = change.target.reported_as(fields)
            if change.field in absent:
                problems.append(change.field)
                _record(store, run_id, now, item.issue_id, change, "failed", UNSHOWN)
                continue
            if key in dropped:
                problems.append(change.field)
                _record(store, run_id, now, item.issue_id, change, "failed",
                        f"Redmine dropped it: {dropped[key].reason}")
                continue
            shown = replace(change, new=change.target.as_written(change.new, after, fields))
            _record(store, run_id, now, item.issue_id, shown, "written")
            if change.target.owned:
                owned = _owned_after(shown, store.owned_value(item.issue_id, change.field))
                store.set_owned(item.issue_id, change.field, change.target.stored(owned),
                                run_id)
            if item.undo_of is not None:   # the next runs keep what undo put back
                store.add_undone(item.issue_id, change.field,
                                 change.target.stored(shown.new), run_id)
            else:
                store.clear_undone(item.issue_id, change.field)
        if note_failure or told:
            store.record(run_id, now, item.issue_id, "note", None, first_line(update.notes),
                         rules, "failed", note_failure or told or "")
        store.clear_intent(item.issue_id)
        if retell is not further:
            store.clear_due(item.issue_id, run_id=run_id)
            for note in filter(None, retell):
                store.add_due_note(item.issue_id, run_id, seen, note.text, not note.public,
                                   rules, note.items)
        if posted:
            store.add_sent(item.issue_id, items, run_id)
        if after is not None:
            store.keep_own_write(after)
        if (lost or absent) and not note_failure:
            store.hold_failure(item.issue_id, (after or current).updated_on,
                               drop_reason(lost, absent), run_id)
    failures = [note_failure] if note_failure else []
    for due in store.due_notes(item.issue_id):
        done = send_due_note(client, store, run_id, clock, due, after or current, me)
        after = done.issue
        failures += [done.problem] if done.problem else []
        if not done.problem:
            with store.transaction():
                store.add_sent(item.issue_id, due.items, run_id)
    if not problems and not failures:
        with store.transaction():
            store.clear_sent(item.issue_id)   # landed whole: a later decision may say it again
    written = tuple(c.field for c in changes)
    if failures:
        return Outcome(item.issue_id, "failed", "; ".join(failures), written)
    if problems:
        return Outcome(item.issue_id, "partial", "not applied: " + ", ".join(problems)
                       + (f"; {told}" if told else ""), written)
    return Outcome(item.issue_id, "written", "", written)


UNSHOWN = ("not sent: the issue does not have this custom field (not enabled for its tracker "
           "or project, or hidden from the bot's role), so Redmine would drop it")


def _unshown(item: IssuePlan, changes: list[Change], current: Issue, fields: FieldMap,
             client: RedmineClient) -> tuple[str, ...]:
    """The changes (keys) to a custom field the issue, as read before the write, does not
    have: Redmine would drop them without an error inside the write that carries the note
    telling of them, so they are left out of both. (A field Redmine does not know at all
    stays in: the write then fails naming it.)"""
    update, _ = to_update(item.issue_id, changes, fields)
    names = set()
    for name in unshown_fields(update, current):
        try:
            client.catalog().custom_field(name)
        except UnknownName:
            continue
        names.add(f"cf.{name}")
    return tuple(c.field for c in changes if c.target.reported_as(fields) in names)


def _retold(client: RedmineClient, granted: frozenset[str] | None, journal: Journal,
            text: str, issue: Issue) -> tuple[Issue, str | None]:
    """After Redmine dropped part of a write: the bot's note given ``text``, which tells
    only of the changes that landed (blank: it told of nothing else, and goes). The issue
    with the note as it now stands, and why the note still tells of the dropped changes
    when it could not be rewritten."""
    if granted is not None and not {"edit_own_issue_notes", "edit_issue_notes"} & granted:
        return issue, ("the note still tells of it: the bot's role lacks "
                       f"{permission_label('edit_own_issue_notes')} to correct it")
    try:
        client.edit_note(journal.id, text)
    except (RedmineError, UserError) as exc:  # Redmine gone too: the write itself is done
        return issue, f"the note still tells of it: {str(exc).splitlines()[0]}"
    kept = tuple(replace(j, notes=text) if j.id == journal.id else j
                 for j in issue.journals or ()
                 if j.id != journal.id or text.strip() or j.details)
    return replace(issue, journals=kept if issue.journals is not None else None), None


def drop_reason(dropped: list[str], absent: Iterable[str] = ()) -> str:
    """Why changes Redmine dropped, or would drop, are pending: the same text for the same
    fields."""
    parts = []
    if dropped:
        parts.append(f"Redmine dropped {', '.join(sorted(set(dropped)))} without an error "
                     "(read-only by the workflow for the bot's role, or not enabled for the "
                     "tracker or project)")
    if absent:
        parts.append(f"{', '.join(sorted(set(absent)))} not sent: the issue does not have "
                     "the custom field (not enabled for its tracker or project), so Redmine "
                     "would drop it")
    return "; ".join(parts) + ("; not sent again until the issue changes (fix it in "
                               "Administration > Workflow > Fields permissions or the field's "
                               "trackers)")


def preflight(update: IssueUpdate, relations: bool, current: Issue,
              granted: frozenset[str] | None, draft: Draft | None = None,
              further: Sequence[IssueUpdate] = ()) -> str | None:
    """Why this decision cannot land whole, known before anything is sent (None: it can).

    A status and the note announcing it belong together, and a note meant private must
    never go out public: if the bot's role lacks a permission the writes need (``further``:
    the notes that follow the first write), or the workflow does not allow the status,
    nothing of the decision is sent.
    """
    watch, unwatch = (bool(draft.watchers), bool(draft.unwatchers)) if draft else (False, False)
    needed = dict.fromkeys(p for u in (update, *further)
                           for p in needed_permissions(u, relations, watch, unwatch))
    missing = missing_permissions(tuple(needed), granted)
    if missing:
        return (f"the bot's role in project {current.project.name} lacks "
                + ", ".join(permission_label(p) for p in missing)
                + "; nothing of this decision was sent (grant it in Administration > Roles "
                "and permissions)")
    allowed = current.allowed_statuses
    if update.status is not None and allowed is not None and \
            update.status.casefold() not in {s.casefold() for s in allowed}:
        return (f"the workflow does not allow {current.status!r} -> {update.status!r} for the "
                f"bot on tracker {current.tracker!r} (allowed: {', '.join(allowed) or 'none'}); "
                "nothing of this decision was sent (add the transition for the bot's role in "
                "Administration > Workflow)")
    return None


def _hold(store: StateStore, run_id: int, now: datetime, item: IssuePlan,
          updated_on: datetime, reason: str) -> Outcome:
    """A failure that will not change by itself: reported once (failed), then pending
    until the issue or the reason changes."""
    held = store.held_failures().get(item.issue_id)
    if held is not None and held[0] == updated_on and held[1] == reason:
        return _record_all(store, run_id, now, item, "pending",
                           f"{reason} (reported in run {held[2]})")
    with store.transaction():
        store.hold_failure(item.issue_id, updated_on, reason, run_id)
    return _record_all(store, run_id, now, item, "failed", reason)


def _note_rules(item: IssuePlan, changes: list[Change]) -> str:
    rules = [n.rule for n in item.notes] or [c.rule for c in changes]
    return ", ".join(dict.fromkeys(rules))


def to_update(issue_id: int, changes: list[Change], fields: FieldMap,
              note: NoteWrite | None = None) -> tuple[IssueUpdate, Draft]:
    """The first PUT for an issue: every field (each change's target puts its value) and
    the decision's first ``note``; and its relations and watchers."""
    draft = draft_of(changes, fields)
    update = IssueUpdate(issue_id, custom_fields=draft.custom,
                         notes=note.text if note else None,
                         private_notes=not note.public if note else True, **draft.values)
    return update, draft


def person_names(client: RedmineClient) -> Callable[[str], str]:
    """A login's display name as Redmine shows it (the catalog's users); a name, or a login
    the catalog does not know, as written."""
    def name(who: str) -> str:
        try:
            return client.catalog().principals.get(who).name
        except UnknownName:
            return who
    return name


def _owned_after(change: Change, before: object) -> object:
    """What the tool remembers having set, as the next run will read it back: the value
    written (as Redmine shows it: people win only if a person changed it since); for
    labels also those the tool set before and a person removed since, so that they stay
    removed when the tool writes other labels (people win, one label at a time)."""
    if change.field != "labels" or not isinstance(before, list | tuple):
        return change.new
    removed = set(map(str, before)) - set(map(str, change.old or ()))  # type: ignore[call-overload]
    return tuple(sorted(set(map(str, change.new or ())) | removed))  # type: ignore[call-overload]


def _has_content(update: IssueUpdate) -> bool:
    return bool(update.changed_fields() or update.notes)


def _record(store: StateStore, run_id: int, now: datetime, issue_id: int, change: Change,
            outcome: str, reason: str = "") -> None:
    """One ledger row: the change's key, its values as its target keeps them."""
    store.record(run_id, now, issue_id, change.field, change.target.stored(change.old),
                 change.target.stored(change.new), change.rule, outcome, reason)


def _record_all(store: StateStore, run_id: int, now: datetime, item: IssuePlan, outcome: str,
                reason: str) -> Outcome:
    with store.transaction():
        for change in item.changes:
            _record(store, run_id, now, item.issue_id, change, outcome, reason)
        if not item.changes:
            store.record(run_id, now, item.issue_id, "note", None,
                         first_line(item.notes[0].text) if item.notes else "",
                         _note_rules(item, []), outcome, reason)
    return Outcome(item.issue_id, outcome, reason)


def recover_intents(store: StateStore, issues: dict[int, Issue], run_id: int, now: datetime,
                    fields: FieldMap) -> tuple[str, ...]:
    """Writes a killed run may or may not have made: see what Redmine shows, record it.
    (A relation cannot be told from the issues as listed: it counts as landed.)"""
    messages = []
    with store.transaction():
        for issue_id, old_run, stored, _note in store.intents():
            issue = issues.get(issue_id)
            store.clear_intent(issue_id)
            if issue is None:
                continue
            wanted = [(target(key), raw) for key, raw in stored.items()]
            landed = all(t.holds(issue, t.decoded(raw), fields) is not False
                         for t, raw in wanted)
            outcome = "written" if landed else "not written"
            for key, raw in stored.items():
                store.record(run_id, now, issue_id, key, None, raw, f"run {old_run}",
                             outcome, "recovered after an interrupted run")
                if landed:
                    store.set_owned(issue_id, key, raw, old_run)
            verb = "had" if landed else "had not"
            messages.append(f"#{issue_id}: the interrupted run {old_run} {verb} written its "
                            "changes")
    return tuple(messages)


