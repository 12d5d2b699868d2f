"""The docs' key tables are generated from the declarations and stay equal to them; the
example config shows every config key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from redmine_sync import schema as s
from redmine_sync.declarations import GENERATED
from redmine_sync.declarations import declaration
from redmine_sync.declarations import reference

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"config.md": ("config",),
            "rules.md": ("triage", "customers", "vocabulary", "sla", "calendar")}


@pytest.mark.parametrize(("page", "kind"), [(p, k) for p, kinds in EXPECTED.items()
                                            for k in kinds])
def test_each_doc_table_equals_the_declarations(page: str, kind: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    tables = {m[2]: m[3] for m in GENERATED.finditer(text)}
    assert kind in tables, f"docs/{page} has no generated table of {kind}"
    assert tables[kind] == reference(kind), \
        f"docs/{page} is out of date: run scripts/update-doc-tables"


def test_every_declared_key_has_a_doc_line() -> None:
    for kind in ("config", "triage", "customers", "vocabulary", "sla", "calendar"):
        missing = [path for path, node in s.reference(declaration(kind))
                   if not node.doc and not path.endswith("kind")]
        assert not missing, f"{kind}: keys without a doc line: {missing}"


def test_the_example_config_shows_every_key() -> None:
    example = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    for path, _ in s.reference(declaration("config")):
        leaf = path.rsplit(".", 1)[-1]
        if "*" not in path:
            assert re.search(rf"^\s*#?\s*{leaf}:", example, re.MULTILINE), path
