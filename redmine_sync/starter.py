"""``redmine-sync init``: a new config directory from the files the package ships.

It holds ``redmine-sync.yaml`` (the commented config example with the URL and projects
given), ``rules/`` (a copy of the shipped rule pack) and, when asked, ``systemd/`` (the
shipped units). Fitted to a Redmine (``--from-redmine``), the config carries that
instance's custom field and status names, and every name the instance lacks is marked
``MISSING`` with the check that will fail on it. Nothing is written when any target
exists, and nothing half-written is left when writing fails.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import fields
from pathlib import Path
from pathlib import PurePosixPath

from redmine_sync import shipped
from redmine_sync.config import FieldMap
from redmine_sync.errors import Problem
from redmine_sync.errors import UserError
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules import load_rules
from redmine_sync.rules.online import LOOKUPS
from redmine_sync.rules.online import check_names
from redmine_sync.rules.online import unchecked

CONFIG_NAME = "redmine-sync.yaml"
RULES_NAME = "rules"
UNITS_NAME = "systemd"
_UNIT_CONFIG = f"/etc/redmine-sync/{CONFIG_NAME}"  # the shipped units' ExecStart=
_UNIT_TOOL = "/opt/redmine-sync/venv/bin/redmine-sync"
PLACEHOLDER_URL = "https://redmine.example.com"
_INIT_HEAD = ("# redmine-sync configuration, written by `redmine-sync init`. The tool finds it as\n"
              "# ./redmine-sync.yaml; from elsewhere pass --config PATH or set "
              "REDMINE_SYNC_CONFIG.\n")
# The example's lines init rewrites; a test keeps them in step with config.example.yaml.
_HEAD_LINES = ("# redmine-sync configuration. Copy to redmine-sync.yaml (or "
               "~/.config/redmine-sync/config.yaml,\n# or anywhere and pass --config PATH / set "
               "REDMINE_SYNC_CONFIG) and adjust.\n")
_URL_LINES = ("  # overrides it. The default is the local test Redmine of scripts/redmine-local.\n"
              "  url: http://127.0.0.1:3101\n")
_PROJECT_LINES = "projects:\n  - demo\n"
_REPORT_PROJECT = re.compile(r"^(  project: )demo( +)(#.*)$", re.MULTILINE)
_FORMAT = re.compile(r"^(  text_formatting: )common_mark$", re.MULTILINE)
_FIELD = re.compile(r"^(  (\w+): )(.+?)( +)(#.*)$")
_KANBAN = re.compile(r"^(    (\w+): )\[([^\]]*)\]( *#.*)?$")


@dataclass(frozen=True)
class Instance:
    """What ``--from-redmine`` read: the names of one Redmine."""

    url: str
    trackers: tuple[str, ...]
    statuses: tuple[str, ...]
    roles: tuple[str, ...]
    custom_fields: tuple[str, ...]
    text_formatting: str | None


@dataclass(frozen=True)
class Fitted:
    """One name of the config, as this Redmine spells it (None: it has no such thing)."""

    key: str
    wanted: str
    found: str | None

    @property
    def missing(self) -> bool:
        return self.found is None


def read_instance(client: RedmineClient) -> Instance:
    """Trackers, statuses, roles and issue custom fields of the Redmine ``client`` talks to."""
    catalog = client.catalog()
    return Instance(url=client.url, trackers=catalog.trackers.names(),
                    statuses=catalog.statuses.names(), roles=catalog.roles.names(),
                    custom_fields=tuple(sorted(catalog.custom_fields())),
                    text_formatting=client.text_formatting())


def fit(wanted: str, names: Sequence[str]) -> str | None:
    """``wanted`` as this Redmine spells it: the same name in any case, else a close one."""
    folded = {n.casefold(): n for n in names}
    if wanted.casefold() in folded:
        return folded[wanted.casefold()]
    close = difflib.get_close_matches(wanted.casefold(), list(folded), n=1, cutoff=0.85)
    return folded[close[0]] if close else None


def config_text(url: str, projects: Sequence[str], instance: Instance | None = None
                ) -> tuple[str, tuple[Fitted, ...], tuple[Fitted, ...]]:
    """The config to write, and (fitted to ``instance``) its field and status names."""
    text = _replace(shipped.config_example(), _HEAD_LINES, _INIT_HEAD)
    text = _replace(text, _URL_LINES, f"  # overrides it.\n  url: {url}\n")
    listed = f"projects: [{', '.join(projects)}]\n" if projects else (
        "projects: []   # empty: every project the bot can see; list identifiers to narrow\n")
    text = _replace(text, _PROJECT_LINES, listed)
    text = _sub(text, _REPORT_PROJECT, lambda m: (f"{m[1]}{projects[0]}{m[2]}{m[3]}" if projects
                                                  else f"  # project: demo{m[2]}{m[3]}"))
    if instance is None:
        return text, (), ()
    if instance.text_formatting:
        shown = f"{instance.text_formatting}   # as {instance.url} renders it"
        text = _sub(text, _FORMAT, lambda m: m[1] + shown)
    lines = text.splitlines(keepends=True)
    field_fits = _fit_fields(lines, instance)
    status_fits = _fit_kanban(lines, instance)
    return _header(instance) + "".join(lines), field_fits, status_fits


def _fit_fields(lines: list[str], instance: Instance) -> tuple[Fitted, ...]:
    concepts = {f.name for f in fields(FieldMap)}
    required = FieldMap().required()
    start = lines.index("fields:\n")
    found = []
    for i in range(start + 1, len(lines)):
        match = _FIELD.match(lines[i])
        if not lines[i].startswith("  "):
            break
        if match is None or match[2] not in concepts:
            continue
        one = Fitted(f"fields.{match[2]}", match[3], fit(match[3], instance.custom_fields))
        found.append(one)
        if one.missing:
            check = "doctor FAILs" if match[2] in required else "doctor WARNs"
            lines[i] = (f"{match[1]}{one.wanted}{match[4]}# MISSING: no issue custom field "
                        f"{one.wanted!r} ({check} 'custom field'); create it or name yours\n")
        elif one.found != one.wanted:
            lines[i] = f"{match[1]}{one.found}{match[4]}# found for {one.wanted!r}: check it\n"
    return tuple(found)


def _fit_kanban(lines: list[str], instance: Instance) -> tuple[Fitted, ...]:
    start = next(i for i, line in enumerate(lines) if line.startswith("  kanban:"))
    found = []
    for i in range(start + 1, len(lines)):
        match = _KANBAN.match(lines[i])
        if match is None:
            break
        names = [n.strip() for n in match[3].split(",") if n.strip()]
        fits = [Fitted(f"reports.kanban.{match[2]}", n, fit(n, instance.statuses)) for n in names]
        found += fits
        kept = [f.found for f in fits if f.found]
        lost = [f.wanted for f in fits if f.missing]
        note = match[4] or ""
        if lost:
            note = (f"   # MISSING status(es): {', '.join(lost)} (the stage counts nothing "
                    "of them); name this Redmine's statuses here")
        lines[i] = f"{match[1]}[{', '.join(kept or names)}]{note}\n"
    return tuple(found)


def _header(instance: Instance) -> str:
    def listed(names: Sequence[str]) -> str:
        text = ", ".join(names) if names else "(none visible to this key)"
        return textwrap.fill(text, 88, subsequent_indent="#       ")
    return (f"# Fitted by `redmine-sync init --from-redmine` to {instance.url}. Names it lacks\n"
            "# are marked MISSING below; `redmine-sync doctor` checks the custom fields and the\n"
            "# bot's permissions, `redmine-sync validate --online` every name the rules use.\n"
            f"#   trackers: {listed(instance.trackers)}\n"
            f"#   statuses: {listed(instance.statuses)}\n"
            f"#   roles:    {listed(instance.roles)} (doctor checks the bot's role in each "
            "project)\n"
            f"#   issue custom fields: {listed(instance.custom_fields)}\n#\n")


def pack_files() -> dict[PurePosixPath, bytes]:
    """The shipped rule pack, by path relative to the new rules directory."""
    return {path: file.read_bytes() for path, file in shipped.tree(shipped.rule_pack())}


def unit_files(config: Path, tool: Path | None) -> dict[PurePosixPath, bytes]:
    """The shipped systemd units (service and timer files) by file name, their ExecStart=
    aimed at ``config`` and at ``tool`` (this installation's command, when known)."""
    units = {}
    for name, text in shipped.systemd_units().items():
        text = text.replace(f"--config {_UNIT_CONFIG}", f"--config {config}")
        if tool is not None:
            text = text.replace(f"ExecStart={_UNIT_TOOL}", f"ExecStart={tool}")
        units[PurePosixPath(name)] = text.encode("utf-8")
    return units


def write_new(dest: Path, config: str, trees: Mapping[str, Mapping[PurePosixPath, bytes]]
              ) -> tuple[Path, ...]:
    """Write ``dest/redmine-sync.yaml`` and a folder ``dest/NAME/`` per tree (``rules``,
    ``systemd``); refuse when any of them exists.

    Everything is written in a temporary folder inside ``dest`` first and then moved into
    place, so an error leaves no half-written directory behind.
    """
    targets = [dest / CONFIG_NAME, *(dest / name for name in trees)]
    there = [str(t) for t in targets if t.exists() or t.is_symlink()]
    if there:
        raise UserError(f"{' and '.join(there)} already exist(s): init writes only new files "
                        "and changes none", hint="move them away, or give init another "
                        "directory: redmine-sync init DIR")
    if dest.exists() and not dest.is_dir():
        raise UserError(f"{dest} is not a directory", hint="give init a directory")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".redmine-sync-init-", dir=dest) as tmp:
            staged = Path(tmp)
            for name, files in trees.items():
                for path, data in files.items():
                    target = staged / name / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            (staged / CONFIG_NAME).write_text(config, encoding="utf-8")
            os.chmod(staged / CONFIG_NAME, 0o600)  # it may be given a key later
            for name in trees:
                shutil.move(staged / name, dest / name)
            shutil.move(staged / CONFIG_NAME, dest / CONFIG_NAME)
    except OSError as exc:
        raise UserError(f"cannot write in {dest}: {exc.strerror or exc}",
                        hint="check the directory's permissions and free space") from None
    return (dest / CONFIG_NAME, *(dest / name / p for name, files in trees.items()
                                  for p in files))


def missing_rule_names(rules_dir: Path, client: RedmineClient, fitted: Sequence[Fitted]
                       ) -> tuple[tuple[Problem, ...], tuple[str, ...]]:
    """Statuses, priorities, trackers, custom fields and labels the copied rules use that
    this Redmine lacks (what ``validate --online`` and ``doctor`` will report), and what
    this key could not check."""
    mapping = FieldMap(**{f.key.removeprefix("fields."): f.found or f.wanted for f in fitted})
    ruleset = load_rules([rules_dir])
    catalog = client.catalog()
    return (tuple(check_names(ruleset, catalog, mapping, kinds={*LOOKUPS, "custom field",
                                                                 "label"})),
            tuple(unchecked(ruleset, catalog, mapping)))


def _replace(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"config.example.yaml changed: {old.splitlines()[-1]!r} "
                             "not found once (update redmine_sync/starter.py)")
    return text.replace(old, new)


def _sub(text: str, pattern: re.Pattern[str], new: Callable[[re.Match[str]], str]) -> str:
    text, count = pattern.subn(new, text)
    if count != 1:
        raise AssertionError(f"config.example.yaml changed: {pattern.pattern!r} matched "
                             f"{count} times (update redmine_sync/starter.py)")
    return text
