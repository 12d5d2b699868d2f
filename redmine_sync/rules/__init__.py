"""The rule language: load YAML rule files, evaluate them (purely) into a plan.

    ruleset = load_rules([Path("rules")])
    world = build_world(ruleset, issues, now, fields=config.fields, teams=teams)
    plan = evaluate(ruleset, issues, world)
"""

from __future__ import annotations

from redmine_sync.rules.engine import build_world
from redmine_sync.rules.engine import evaluate
from redmine_sync.rules.engine import evaluate_issue
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.rules.ruleset import load_rules
from redmine_sync.rules.ruleset import load_rules_text

__all__ = ["RuleSet", "build_world", "evaluate", "evaluate_issue", "load_rules",
           "load_rules_text"]
