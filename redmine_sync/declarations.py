"""Every file kind the tool reads, with its declaration: for ``redmine-sync schema`` (JSON
Schema for editors) and the generated reference of the docs.

The declarations themselves live beside the code that reads them: ``config.SCHEMA``,
``rules.ruleset.declaration()`` (one per ``kind``), ``rules.sla_policy.declaration()`` and
``sla.calendar.CALENDAR``.
"""

from __future__ import annotations

import re
from typing import Any

from redmine_sync import schema as s
from redmine_sync.config import SCHEMA as CONFIG
from redmine_sync.rules.ruleset import STAGES
from redmine_sync.rules.ruleset import declaration as rules
from redmine_sync.sla.calendar import CALENDAR

ABOUT = {
    "config": "the config file (redmine-sync.yaml, config.example.yaml)",
    "rules": "any file of the rules directory: the kind key selects the rest",
    **{stage: f"a kind: {stage} rule file" for stage in STAGES},
    "customers": "the kind: customers file (tiers and customers)",
    "vocabulary": "the kind: vocabulary file (keywords, concepts, vagueness, duplicates)",
    "sla": "the kind: sla file (calendars, staff, policies)",
    "calendar": "one business calendar (an entry under calendars: in the sla file)",
}
KINDS = tuple(ABOUT)


def declaration(kind: str) -> s.Node:
    """The declaration of one file kind (a name of ``KINDS``)."""
    if kind == "config":
        return CONFIG
    if kind == "calendar":
        return CALENDAR
    if kind == "rules":
        return rules()
    return rules().variants[kind]


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one file kind, generated from its declaration."""
    return s.json_schema(declaration(kind), f"redmine-sync {kind}", ABOUT[kind])


def reference(kind: str) -> str:
    """The keys of one file kind as a Markdown table (docs/config.md and docs/rules.md carry
    these tables; a test keeps them equal to the declarations)."""
    rows = ["| key | value | default | meaning |", "| --- | --- | --- | --- |"]
    for path, node in s.reference(declaration(kind)):
        default = "" if node.default in (None, "", (), {}) or isinstance(node, s.Map) \
            else f"`{_shown(node.default)}`"
        rows.append(f"| `{path}` | {_cell(node.what())} | {default} | {_cell(node.doc)} |")
    return "\n".join(rows) + "\n"


GENERATED = re.compile(r"(<!-- generated: redmine-sync schema ([a-z]+) --format markdown -->\n)"
                       r"(.*?)(<!-- end of generated -->)", re.DOTALL)


def refresh(text: str) -> str:
    """``text`` (a doc page) with each generated table made equal to its declarations."""
    return GENERATED.sub(lambda m: m[1] + reference(m[2]) + m[4], text)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple) and all(isinstance(v, tuple) for v in value):
        return ", ".join(f"{k}: [{', '.join(v)}]" for k, v in value)
    if isinstance(value, tuple):
        return f"[{', '.join(map(str, value))}]"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")
