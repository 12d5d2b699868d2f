"""Text for ``redmine-sync explain`` and ``redmine-sync rules``. Pure rendering."""

from __future__ import annotations

from collections.abc import Iterator

from redmine_sync.plan import show
from redmine_sync.rules.actions import actions
from redmine_sync.rules.actions import matched_terms
from redmine_sync.rules.conditions import FIELDS
from redmine_sync.rules.conditions import OPERATORS
from redmine_sync.rules.engine import RuleTrace
from redmine_sync.rules.engine import hold_for_people
from redmine_sync.rules.engine import merge_changes
from redmine_sync.rules.ruleset import KINDS
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World


def render_explain(state: IssueState, traces: list[RuleTrace], ruleset: RuleSet,
                   world: World) -> Iterator[str]:
    issue, analysis = state.issue, state.analysis
    yield f"#{issue.id} {issue.subject}"
    yield (f"  customer: {state.customer.name if state.customer else '(unknown)'}"
           + (f" (value {state.customer.value:g}, fit {state.customer.fit:g})"
              if state.customer else ""))
    if not analysis.duplicate_candidates:
        yield "  duplicate candidates: none"
    else:
        yield "  duplicate candidates (the terms both share, with their weights):"
        terms = dict(analysis.duplicate_terms)
        for i, score in analysis.duplicate_candidates:
            yield f"    #{i} {score:.2f}: {matched_terms(terms.get(i, ()))}"
    yield (f"  vagueness: score {analysis.vague_score}"
           f"{' (vague)' if analysis.is_vague else ''}"
           + (f"; missing: {'; '.join(analysis.vague_missing)}" if analysis.vague_missing
              else ""))
    current = ""
    for trace in traces:
        if trace.rule.file != current:
            current = trace.rule.file
            yield f"\n{current} ({trace.rule.stage})"
        if not trace.considered:
            yield f"  - {trace.rule.name}: not considered (file condition false, or an " \
                  "earlier rule matched)"
            continue
        verdict = f"MATCHED, {trace.changes} change(s)" if trace.matched else "no match"
        yield f"  - {trace.rule.name}: {verdict}"
        yield from (f"      {line}" for line in trace.lines)
    yield "\nresult:"
    changes, held = hold_for_people(state.issue.id, merge_changes(state.changes), world,
                                    ruleset)
    if not changes and not held:
        yield "  no changes"
    for change in changes:
        yield f"  {change.field:<14} {show(change.old)} -> {show(change.new)}   ({change.rule})"
    for change in held:
        yield (f"  {change.field:<14} kept {show(change.old)}, not {show(change.new)}: "
               f"{change.reason}")
    for note in state.notes if changes else ():
        yield f"  {'public' if note.public else 'private'} note ({note.rule}):"
        yield from (f"    | {line}" for line in note.text.rstrip().splitlines())


def render_vocabulary() -> Iterator[str]:
    yield "File kinds: " + ", ".join(KINDS)
    yield "\nFields (in conditions):"
    for name, spec in FIELDS.items():
        yield f"  {name:<26} {spec.doc}\n  {'':<26} e.g. {spec.example}"
    yield f"  {'cf.<Custom field>':<26} any custom field by name\n  {'':<26} e.g. cf.Channel: survey"
    yield "\nOperators:"
    for name, (_, doc, example) in OPERATORS.items():
        yield f"  {name:<13} {doc}\n  {'':<13} e.g. {example}"
    yield "\nActions (in then:):"
    for name, action in actions().items():
        yield f"  {name:<15} {action.doc}\n  {'':<15} e.g. {action.example}"
