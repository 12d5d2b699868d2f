"""Mutated config and rule files never crash the tool: every case ends in exit 0, or in
exit 1 with a ``file:line`` message; never exit 70, never a traceback.

Seeded (the same cases every run): wrong types at every kind of key, unknown and missing
keys, values wrapped in lists and mappings, and whole-file damage (empty files, a bare
scalar, alias loops, alias bombs, truncation, tabs, duplicate keys, bytes that are not
UTF-8). Each rule file is validated alone, so a case costs one file's load.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from redmine_sync.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "config.example.yaml", *sorted((ROOT / "rules").glob("*.yaml"))]
CASES_PER_FILE = 24
WRONG = ("text", "24x7", "", 42, -1, 0, 3.5, 1e300, True, False, None, [], ["x", 1], {},
         {"unknown": 1}, {"ge": "lots"}, date(2026, 12, 10),
         "0 99 * * *", "Mars/Base", "99:99-25:00", "[", "{{customer}")
BROKEN_TEXTS = {
    "empty": "",
    "comments only": "# nothing here\n",
    "document marker": "---\n",
    "a bare scalar": "just text\n",
    "a list": "- a\n- b\n",
    "alias loop": "kind: triage\nrules: &r\n  - name: x\n    then: *r\n",
    "alias bomb": "kind: triage\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 7))
        + "rules: [{name: x, when: {subject: *a6}, then: [{add_labels: *a6}]}]\n",
    "tab indentation": "kind: triage\nrules:\n\t- name: x\n",
    "duplicate keys": "kind: triage\nkind: routing\nrules: []\n",
    "unclosed flow": "kind: triage\nrules: [{name: x\n",
    "deep nesting": "kind: triage\nrules: " + "[" * 5000 + "]" * 5000 + "\n",
}
LOCATED = re.compile(r"\.yaml:\d+(:\d+)?: ")


def paths(data: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*at, index))


def mutate(data: Any, rng: random.Random) -> tuple[str, Any]:
    """One structural mutation of ``data`` (changed in place, also returned)."""
    path = rng.choice([p for p in paths(data) if p])
    *parents, last = path
    parent = data
    for part in parents:
        parent = parent[part]
    how = rng.choice(("wrong type", "wrong type", "wrong type", "unknown key", "drop",
                      "wrap in a list", "wrap in a mapping"))
    if how == "wrong type":
        parent[last] = rng.choice(WRONG)
    elif how == "unknown key" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    elif how == "drop" and isinstance(parent, dict):
        del parent[last]
    elif how == "wrap in a list":
        parent[last] = [parent[last]]
    else:
        parent[last] = {"value": parent[last]}
    return f"{how} at {'.'.join(map(str, path))}", data


def cases() -> Iterator[Any]:
    for source in SOURCES:   # one stream per file: editing one file changes only its cases
        rng = random.Random(f"20261130:{source.name}")
        original = source.read_text(encoding="utf-8")
        for number in range(CASES_PER_FILE):
            what, data = mutate(yaml.safe_load(original), rng)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            yield pytest.param(source.name, text, id=f"{source.stem}-{number}: {what}")
    for what, text in BROKEN_TEXTS.items():
        for target in ("config.example.yaml", "10-triage.yaml"):
            yield pytest.param(target, text, id=f"{target}: {what}")


@pytest.mark.parametrize(("name", "text"), list(cases()))
def test_a_mutated_file_exits_0_or_1_with_a_located_message(
        name: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("REDMINE_URL", "REDMINE_API_KEY", "REDMINE_SYNC_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if name == "config.example.yaml":
        code = main(["--config", str(path), "config"])
    else:
        code = main(["validate", str(path)])
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert "Traceback" not in out.err + out.out and "internal error" not in out.err
    if code == 1:
        assert LOCATED.search(out.err), out.err


def test_bytes_that_are_not_utf8_are_named(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"kind: triage\nrules: [\xff\xfe]\n")
    assert main(["validate", str(path)]) == 1
    assert f"{path}:2:9: not UTF-8 text (byte 21)" in capsys.readouterr().err
