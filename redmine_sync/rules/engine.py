"""The evaluation engine: (rules, issues, world) -> Plan. Pure: no I/O, no clock.

Stages run in a fixed order (triage -> tiering -> priority -> routing); each rule sees the
issue as earlier rules left it. A file with ``match: first`` stops at its first matching
rule; ``match: all`` applies every matching rule. Changes that would set a field to the
value it already has are dropped, so evaluating an already-processed issue plans nothing.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from functools import partial

from redmine_sync.changes import Change
from redmine_sync.changes import Mark
from redmine_sync.changes import Why
from redmine_sync.changes import made_change
from redmine_sync.changes import watch_marks
from redmine_sync.config import FieldMap
from redmine_sync.model import Issue
from redmine_sync.model import built
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.plan import Tally
from redmine_sync.plan import show
from redmine_sync.rules.actions import Fired
from redmine_sync.rules.actions import render
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.duplicates import Candidate
from redmine_sync.rules.duplicates import DuplicateIndex
from redmine_sync.rules.lexicon import Lexicon
from redmine_sync.rules.ruleset import Rule
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.rules.sla_stage import sla_stage
from redmine_sync.rules.sla_stage import state_name
from redmine_sync.rules.state import Analysis
from redmine_sync.rules.state import Duplicates
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World
from redmine_sync.rules.state import initial_values
from redmine_sync.rules.state import made_state
from redmine_sync.rules.text import tokens
from redmine_sync.rules.text import vagueness
from redmine_sync.rules.text import words


@dataclass(frozen=True)
class RuleTrace:
    """What ``explain`` shows for one rule."""

    rule: Rule
    considered: bool         # False when the file's own condition or an earlier rule stopped it
    matched: bool
    lines: tuple[str, ...]
    changes: int


def build_world(ruleset: RuleSet, issues: Sequence[Issue], now: datetime, *,
                fields: FieldMap = FieldMap(), teams: dict[str, tuple[str, ...]] | None = None,
                closed_statuses: Iterable[str] = ("Closed", "Rejected"),
                priorities: Iterable[str] | None = None,
                author_mails: dict[int, str] | None = None) -> World:
    """Everything shared by the issues of one run: duplicate index over open issues, load."""
    closed = frozenset(closed_statuses)
    world = World(now=now, fields=fields, customers=ruleset.customers,
                  vocabulary=ruleset.vocabulary, rubric=ruleset.rubric,
                  keyword_lists=ruleset.keyword_lists, closed_statuses=closed,
                  teams=teams or {}, author_mails=author_mails or {}, sla=ruleset.sla)
    if priorities:
        world = replace(world, priorities=tuple(priorities))
    open_issues = [i for i in issues if not i.is_closed and i.status not in closed]
    load = Counter(i.assigned_to.name for i in open_issues if i.assigned_to)
    return replace(world, duplicates=LazyIndex(open_issues, world, issues), load=dict(load))


class LazyIndex:
    """The duplicate index over the open issues, built the first time a rule asks for
    duplicates, with term weights learned from every issue of the run (open or closed).
    An indexed issue's own search reuses the tokens the index keeps."""

    def __init__(self, issues: Sequence[Issue], world: World,
                 corpus: Sequence[Issue] | None = None) -> None:
        self._issues = issues
        self._world = world
        self._corpus = issues if corpus is None else corpus
        self._found: dict[tuple[int, float, tuple[int, ...]], Duplicates] = {}

    @cached_property
    def index(self) -> DuplicateIndex:
        indexed = {i.id for i in self._issues}
        # Texts repeat (templates, forms, empty descriptions): each is split once per run,
        # and the index keeps what it needs of them compactly (see DuplicateIndex).
        lexicon = Lexicon()
        known: dict[str, tuple[int, ...]] = {}
        runs: dict[str, tuple[str, ...]] = {}
        vocabulary = self._world.vocabulary

        def split(text: str) -> tuple[int, ...]:
            found = known.get(text)
            if found is None:
                found = known[text] = lexicon.ids(words(text, vocabulary, runs))
            return found

        own = [(i.id, _group(i, self._world), split(i.description), split(i.subject))
               for i in self._issues]
        others = (frozenset(split(i.subject)).union(split(i.description))
                  for i in self._corpus if i.id not in indexed)
        index = DuplicateIndex(own, lexicon, vocabulary, corpus=others)
        self._sorted = sorted(self._issues, key=_issue_id)   # in the index's order
        return index

    def indexes(self, issue: Issue, world: World) -> bool:
        """Whether the index holds this very issue, split with the same vocabulary."""
        place = self.index.place(issue.id)
        return place is not None and self._sorted[place] is issue and \
            world.vocabulary is self._world.vocabulary

    def duplicates_of(self, issue: Issue, group: str, *, min_score: float, same_group: bool
                      ) -> Duplicates:
        """What an indexed issue's duplicate search found: its older candidates. Issues of
        one class with the same older candidates share one Duplicates, so what notes show
        of it is made once (Duplicates.shown)."""
        index = self.index
        candidates = index.candidates_of(issue.id, group, min_score=min_score,
                                         same_group=same_group, limit=10)
        older = tuple(c for c in candidates if c.issue_id < issue.id)[:5]
        # a candidate's score and terms depend only on its class and the asking class
        mine = index.class_of(issue.id)
        if index.alone(mine):   # nobody else asks with this class: nothing to share
            return found_duplicates(older)
        key = (mine, min_score, tuple(c.issue_id for c in older))
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = found_duplicates(older)
        return found

    def candidates(self, issue_id: int, group: str, toks: frozenset[str], *, min_score: float,
                   same_group: bool, limit: int = 5,
                   subject: frozenset[str] = frozenset()) -> tuple[Candidate, ...]:
        return self.index.candidates(issue_id, group, toks, min_score=min_score,
                                     same_group=same_group, limit=limit, subject=subject)


def evaluate(ruleset: RuleSet, issues: Iterable[Issue], world: World, *,
             each: Callable[[IssuePlan], None] | None = None,
             woken: dict[int, datetime | None] | None = None,
             sla_states: dict[int, tuple[str, str]] | None = None) -> Plan:
    """The plan for every issue; issues without changes are counted but not listed. With
    ``each``, every issue plan goes to it as soon as it is decided and the plan keeps only
    the totals (``plan`` over 100,000 issues then holds no list of them). ``woken``
    receives, for each issue with clocks, its next threshold instant (None: none ahead);
    ``sla_states`` its tier and SLA state (``sla_stage.state_name``)."""
    with fewer_collections():
        return _evaluated(ruleset, issues, world, each, woken, sla_states)


GEN0_WHILE_EVALUATING = 100_000
"""The cyclic collector's first threshold while ``evaluate`` runs (Python's default: 700)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While the block runs, the cyclic garbage collector runs rarely and does not walk
    the objects that existed before it, and both are as they were afterwards, also when
    the block raises.

    A cold pass makes a few small containers per change and keeps the plan, and little
    if any of it is cyclic garbage (the collector switched off gave the same peak
    memory at 20,000 issues): with Python's default threshold the collector ran about 770
    times per 20,000 issues, each full collection walking the inputs (issues, rules, the
    duplicate index) and the plan grown so far, for 12-16 % of the pass. Here its first
    threshold is raised to ``GEN0_WHILE_EVALUATING`` (a collection every 100,000 new
    containers, so cyclic garbage stays bounded: the peak memory does not grow), and what
    exists at the start is frozen (``gc.freeze``) and unfrozen at the end, unless something
    else froze objects already. A collector switched off (threshold 0) stays off."""
    threshold = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    if 0 < threshold[0] < GEN0_WHILE_EVALUATING:
        gc.set_threshold(GEN0_WHILE_EVALUATING, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if freeze:
            gc.unfreeze()


def _evaluated(ruleset: RuleSet, issues: Iterable[Issue], world: World,
               each: Callable[[IssuePlan], None] | None,
               woken: dict[int, datetime | None] | None,
               sla_states: dict[int, tuple[str, str]] | None) -> Plan:
    plans, count = [], 0
    wake: datetime | None = None   # the earliest next threshold of any issue
    tally = Tally() if each else None
    kinds: dict[tuple[str, str], tuple[str, str]] = {}  # one (tier, state) pair per kind
    for issue in issues:
        count += 1
        state, _ = evaluate_issue(ruleset, issue, world)
        rule_notes = state.notes
        marks: tuple[Mark, ...] = ()
        if ruleset.sla is not None and issue.id in world.journals:
            state, sla = sla_stage(ruleset.sla, _with_journals(state, world), world)
            if sla is not None:
                marks = sla.marks
                if sla.next_wake and (wake is None or sla.next_wake < wake):
                    wake = sla.next_wake
                if sla_states is not None:
                    kind = (str(state.values.get("tier") or ""), state_name(sla.clocks))
                    sla_states[issue.id] = kinds.setdefault(kind, kind)
                if woken is not None:
                    woken[issue.id] = sla.next_wake
        changes, held = hold_for_people(issue.id, merge_changes(state.changes), world, ruleset)
        marks = (*marks, *watch_marks(changes))
        # a rule's note explains its changes; an SLA threshold's note is the action itself
        notes = (rule_notes if changes else ()) + state.notes[len(rule_notes):]
        if changes or notes or held or marks:
            item = built(IssuePlan, {"issue_id": issue.id, "subject": issue.subject,
                                     "updated_on": issue.updated_on, "changes": changes,
                                     "notes": notes, "held": held, "sla_marks": marks,
                                     "undo_of": None})
            if tally is not None and each is not None:
                tally.add(item)
                each(item)
            else:
                plans.append(item)
            world = _with_assignment(world, issue, state)
    return Plan(world.now, count, tuple(plans), dict(world.pointers), wake,
                tally)


def _with_journals(state: IssueState, world: World) -> IssueState:
    return replace(state, issue=replace(state.issue, journals=world.journals[state.issue.id]))


def evaluate_issue(ruleset: RuleSet, issue: Issue, world: World, *, trace: bool = False
                   ) -> tuple[IssueState, list[RuleTrace]]:
    """Run every stage on one issue; with ``trace``, also say what each rule saw."""
    state = start_state(issue, world, ruleset)
    traces: list[RuleTrace] = []
    if not trace:
        return _decided(ruleset, state, world), traces
    for rule_file in ruleset.files:
        if not rule_file.rules:   # every rule of it is off
            continue
        file_ok = rule_file.when.holds(state, world)
        stopped = not file_ok
        for rule in rule_file.rules:
            if stopped:
                if trace:
                    traces.append(RuleTrace(rule, False, False, (), 0))
                continue
            if trace:
                state, matched, lines, made = _traced(rule, state, world)
                traces.append(RuleTrace(rule, True, matched, lines, made))
            else:
                because = rule.when.because(state, world)
                matched = because is not None
                if because is not None:
                    state = _fire(rule, state, world, because)
            stopped = matched and rule_file.match == "first"
    return state, traces


def _decided(ruleset: RuleSet, state: IssueState, world: World) -> IssueState:
    """evaluate_issue's loop without traces: a file whose condition fails is skipped, a
    ``match: first`` file stops at its first matching rule."""
    for rule_file in ruleset.files:
        rules = rule_file.rules
        if not rules or not rule_file.when.holds(state, world):
            continue
        first = rule_file.match == "first"
        for rule in rules:
            because = rule.when.because(state, world)
            if because is not None:
                state = _fire(rule, state, world, because)
                if first:
                    break
    return state


def hold_for_people(issue_id: int, changes: Sequence[Change], world: World, ruleset: RuleSet
                    ) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """People win: a field the tool set and a person changed since is not set back
    (unless a rule says ``enforce: true``). Labels are judged one by one. What ``undo`` put
    back is kept the same way while the field still shows it."""
    if not world.owned and not world.undone:   # a first run: nobody else touched anything
        return tuple(changes), ()
    kept, held = [], []
    for change in changes:
        owned = world.owned.get((issue_id, change.field), _NOT_OWNED)
        undone = world.undone.get((issue_id, change.field))
        if owned is _NOT_OWNED and undone is None:  # nobody else touched it: the change
            kept.append(change)
            continue
        enforced = any(ruleset.enforced(rule) for rule in change.rules)
        if undone is not None and not enforced and \
                _unchanged(change.old, change.target.decoded(undone[0])):
            held.append(_kept(change, f"kept: put back by undo (run {undone[1]})"))
        elif owned is _NOT_OWNED or enforced:
            kept.append(change)
        elif change.field == "labels":
            keep, hold = _labels_for_people(change, owned)
            kept += [keep] if keep else []
            held += [hold] if hold else []
        elif _unchanged(change.old, owned):
            kept.append(change)
        else:
            held.append(_kept(change, f"kept: a person changed it after the tool set "
                              f"{show(owned)}"))
    return tuple(kept), tuple(held)


_NOT_OWNED = object()


def _labels_for_people(change: Change, owned: object) -> tuple[Change | None, Change | None]:
    """Labels the tool added before and a person removed since are not added again."""
    current = set(map(str, change.old or ()))  # type: ignore[call-overload]
    wanted = set(map(str, change.new or ()))  # type: ignore[call-overload]
    removed_by_people = (set(map(str, owned or ())) - current) & wanted  # type: ignore
    if not removed_by_people:
        return change, None
    new = tuple(sorted(wanted - removed_by_people))
    keep = None if _unchanged(change.old, new) else replace(change, new=new)
    hold = _kept(replace(change, new=tuple(sorted(removed_by_people))),
                 f"kept: a person removed {', '.join(sorted(removed_by_people))} after the "
                 "tool added it")
    return keep, hold


def _kept(change: Change, because: str) -> Change:
    """A change kept back for people: each rule's reason says so first."""
    return replace(change, why=tuple(Why(w.rule, f"{because}; {w.reason}")
                                     for w in change.why))


def merge_changes(changes: Sequence[Change]) -> tuple[Change, ...]:
    """One change per field: first old, last new, every rule that contributed and why.
    A field changed once keeps its change as it is (IssueState records no change to the
    value a field has); one changed again is made once, and dropped when it ends where it
    began."""
    merged: dict[str, Change | list[Change]] = {}
    again = False
    for change in changes:
        key = change.target.key
        first = merged.get(key)
        if first is None:
            merged[key] = change
        elif isinstance(first, list):
            first.append(change)
        else:
            merged[key] = [first, change]
            again = True
    if not again:
        return tuple(merged.values())  # type: ignore[arg-type]
    return tuple(c for c in map(_merged, merged.values()) if c is not None)


def _merged(changes: Change | list[Change]) -> Change | None:
    """A field's changes in one (None when the last puts back the first's old value)."""
    if not isinstance(changes, list):
        return changes
    first, last = changes[0], changes[-1]
    if _unchanged(first.old, last.new):
        return None
    why = first.why
    for change in changes[1:]:
        why += tuple(w for w in change.why if w not in why)
    return made_change(first.target, first.old, last.new, why)


def _unchanged(old: object, new: object) -> bool:
    if isinstance(old, (tuple, list)) and isinstance(new, (tuple, list)):
        return len(old) == len(new) and sorted(map(str, old)) == sorted(map(str, new))
    return old == new or (old in (None, "", ()) and new in (None, "", ()))


def start_state(issue: Issue, world: World, ruleset: RuleSet) -> IssueState:
    return made_state(issue, initial_values(issue, world.fields), customer_of(issue, world),
                      analyse(issue, world, ruleset), (), (), ())


def customer_of(issue: Issue, world: World) -> Customer | None:
    """The issue's customer in the customers file (by field, project or author's e-mail)."""
    return world.customers.find(
        field_value=issue.cf(world.fields.customer), project=issue.project.name,
        author_mail=world.author_mails.get(issue.author.id))


def analyse(issue: Issue, world: World, ruleset: RuleSet) -> Analysis:
    """Duplicate candidates among older open issues, and the vagueness rubric (both lazy)."""
    return Analysis(partial(_duplicates, issue, world, ruleset),
                    partial(vagueness, issue.subject, issue.description, world.rubric))


def _duplicates(issue: Issue, world: World, ruleset: RuleSet) -> Duplicates:
    if world.duplicates is None or issue.is_closed:
        return Duplicates()
    group = _group(issue, world)
    same = ruleset.duplicates.same_customer and bool(group)
    source = world.duplicates
    if isinstance(source, LazyIndex) and source.indexes(issue, world):
        return source.duplicates_of(issue, group, min_score=ruleset.duplicates.min_score,
                                    same_group=same)
    toks, subject = _tokens(issue, world)
    candidates = source.candidates(
        issue.id, group, toks, min_score=ruleset.duplicates.min_score,
        same_group=same, limit=10, subject=subject)
    return found_duplicates(tuple(c for c in candidates if c.issue_id < issue.id)[:5])


def found_duplicates(older: tuple[Candidate, ...]) -> Duplicates:
    """Duplicates of the older candidates, best first."""
    found = tuple((c.issue_id, round(c.score, 2)) for c in older)
    return Duplicates(found[0][0] if found else None, max((s for _, s in found), default=0.0),
                      found, tuple((c.issue_id, c.matched) for c in older))


def _traced(rule: Rule, state: IssueState, world: World
            ) -> tuple[IssueState, bool, tuple[str, ...], int]:
    """A rule applied with what its condition saw, and how many changes and notes it made."""
    result = rule.when.explain(state, world, 1)
    if not result.ok:
        return state, False, result.trace, 0
    after = _fire(rule, state, world, result.because)
    made = len(after.changes) + len(after.notes) - len(state.changes) - len(state.notes)
    return after, True, result.trace, made


def _fire(rule: Rule, state: IssueState, world: World, because: tuple[str, ...]
          ) -> IssueState:
    """The actions of a rule whose condition holds, for the true leaves ``because``."""
    reason = "; ".join(because) or "always"
    fired = Fired(rule.name, reason)
    if rule.reason:
        fired = Fired(rule.name, render(rule.reason, state, fired))
    before = state
    for action in rule.actions:
        state = action(state, world, fired)
    if len(state.changes) == len(before.changes):
        state = state.with_notes(before.notes)  # nothing changed: nothing to tell
    return state


def _with_assignment(world: World, issue: Issue, state: IssueState) -> World:
    """Least-loaded and round-robin see the assignments already decided in this run."""
    new = state.get("assigned_to")
    old = issue.assigned_to.name if issue.assigned_to else None
    if new == old or not isinstance(new, str):
        return world
    pointers = dict(world.pointers)
    for team in state.turns:
        pointers[team] = pointers.get(team, 0) + 1
    load = dict(world.load)
    load[new] = load.get(new, 0) + 1
    if old:
        load[old] = max(0, load.get(old, 0) - 1)
    return world.with_tallies(pointers, load)


def _issue_id(issue: Issue) -> int:
    return issue.id


def _group(issue: Issue, world: World) -> str:
    value = issue.cf(world.fields.customer)
    return value.strip().casefold() if isinstance(value, str) else ""


def _tokens(issue: Issue, world: World) -> tuple[frozenset[str], frozenset[str]]:
    """The tokens of an issue's subject and description, and those of its subject."""
    subject = tokens(issue.subject, world.vocabulary)
    return subject | tokens(issue.description, world.vocabulary), subject
