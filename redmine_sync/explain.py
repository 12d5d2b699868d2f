"""Text for ``redmine-sync explain`` and ``redmine-sync rules``. Pure rendering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from redmine_sync.plan import json_value
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


def explain_json(state: IssueState, traces: list[RuleTrace], ruleset: RuleSet,
                 world: World) -> dict[str, Any]:
    """What ``render_explain`` shows, as data (``explain --format json``)."""
    issue, analysis, customer = state.issue, state.analysis, state.customer
    terms = dict(analysis.duplicate_terms)
    changes, held = hold_for_people(state.issue.id, merge_changes(state.changes), world,
                                    ruleset)
    return {
        "issue": {"id": issue.id, "subject": issue.subject},
        "customer": {"name": customer.name, "value": customer.value, "fit": customer.fit}
        if customer else None,
        "duplicate_candidates": [{"issue": i, "score": score,
                                  "terms": matched_terms(terms.get(i, ()))}
                                 for i, score in analysis.duplicate_candidates],
        "vagueness": {"score": analysis.vague_score, "vague": analysis.is_vague,
                      "missing": list(analysis.vague_missing)},
        "rules": [{"file": t.rule.file, "stage": t.rule.stage, "rule": t.rule.name,
                   "considered": t.considered, "matched": t.matched, "changes": t.changes,
                   "lines": list(t.lines)} for t in traces],
        "changes": [{"field": c.field, "old": json_value(c.old), "new": json_value(c.new),
                     "rule": c.rule} for c in changes],
        "kept_for_people": [{"field": c.field, "current": json_value(c.old),
                             "wanted": json_value(c.new), "reason": c.reason}
                            for c in held],
        "notes": [{"text": n.text, "public": n.public, "rule": n.rule}
                  for n in (state.notes if changes else ())],
    }


def render_vocabulary() -> Iterator[str]:
    words = vocabulary()
    yield "File kinds: " + ", ".join(words["kinds"])
    for title, key, width in (("Fields (in conditions)", "fields", 26),
                              ("Operators", "operators", 13),
                              ("Actions (in then:)", "actions", 15)):
        yield f"\n{title}:"
        for entry in words[key]:
            yield f"  {entry['name']:<{width}} {entry['doc']}\n  {'':<{width}} e.g. " \
                  f"{entry['example']}"


def vocabulary() -> dict[str, Any]:
    """The rule language: file kinds, and each field, operator and action with an example."""
    fields = [{"name": name, "doc": spec.doc, "example": spec.example}
              for name, spec in FIELDS.items()]
    fields.append({"name": "cf.<Custom field>", "doc": "any custom field by name",
                   "example": "cf.Channel: survey"})
    return {
        "kinds": list(KINDS), "fields": fields,
        "operators": [{"name": name, "doc": doc, "example": example}
                      for name, (_, doc, example) in OPERATORS.items()],
        "actions": [{"name": name, "doc": action.doc, "example": action.example}
                    for name, action in actions().items()],
    }
