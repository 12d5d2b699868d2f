"""The words of the reports: headings, labels, column names, KPI names and definitions, and
sentences with ``{placeholders}``, one YAML file per language.

The package ships ``templates/en.yaml`` and ``templates/zh.yaml`` with the same keys. A
user's templates directory may hold ``<lang>.yaml`` files that change some of them: same
sections and keys, only the keys to change. An unknown key, a value that is not text, or a
placeholder the shipped text does not have is an error naming the file and the key. The
``kanban`` section takes any key (the kanban columns are configurable). A language the
package does not ship may be added in the templates directory; keys it lacks fall back to
English. Reading these files is the only I/O of the report builders.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

TEMPLATES = resources.files("redmine_sync.reports").joinpath("templates")  # also in a wheel
FALLBACK = "en"
OPEN_SECTIONS = ("kanban",)
_LANG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class Texts:
    """Texts by dotted key (``headings.risks``, ``kpis.reopen_rate.definition``)."""

    lang: str
    entries: Mapping[str, str]

    def __call__(self, key: str, **values: object) -> str:
        """The text of ``key`` with its placeholders filled in."""
        try:
            template = self.entries[key]
        except KeyError:
            raise KeyError(f"no report text {key!r}") from None
        return template.format_map(values)

    def get(self, key: str, default: str) -> str:
        return self.entries.get(key, default)

    def keys(self) -> frozenset[str]:
        return frozenset(self.entries)


def shipped_languages() -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(".yaml") for p in TEMPLATES.iterdir()
                        if p.name.endswith(".yaml")))


def load_texts(lang: str, override_dir: Path | None = None) -> Texts:
    """The shipped texts of ``lang`` with the overrides of ``override_dir/<lang>.yaml``."""
    if not _LANG.fullmatch(lang):
        raise ValueError(f"report language {lang!r} is not a language code such as en or zh")
    if override_dir is not None and not override_dir.is_dir():
        raise ValueError(f"report templates directory {override_dir} does not exist")
    shipped = TEMPLATES / f"{lang}.yaml"
    override = override_dir / f"{lang}.yaml" if override_dir is not None else None
    if override is not None and not override.is_file():
        override = None
    if not shipped.is_file() and override is None:
        raise ValueError(f"no report texts for language {lang!r}; shipped: "
                         f"{', '.join(shipped_languages())} (or add {lang}.yaml to the "
                         "templates directory)")
    base = read_texts(shipped if shipped.is_file() else TEMPLATES / f"{FALLBACK}.yaml")
    entries = dict(base)
    if override is not None:
        entries.update(_checked(read_texts(override), base, override))
    return Texts(lang, entries)


def read_texts(path: Path | Traversable) -> dict[str, str]:
    """One texts file, flattened to dotted keys."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read report texts: {exc}") from None
    if data is None:
        return {}
    out: dict[str, str] = {}
    _flatten(data, "", path, out)
    return out


def _flatten(data: Any, prefix: str, path: Path | Traversable, out: dict[str, str]) -> None:
    if isinstance(data, Mapping):
        for key, value in data.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), path, out)
        return
    if "." not in prefix:
        raise ValueError(f"{path}: {prefix or 'the file'}: expected a section of texts "
                         "(key: text lines)")
    if isinstance(data, str):
        out[prefix] = data
        return
    raise ValueError(f"{path}: {prefix}: expected a text, got {type(data).__name__} "
                     "(quote it)")


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a text uses; ValueError when its braces are not well formed."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _checked(override: Mapping[str, str], base: Mapping[str, str], path: Path
             ) -> dict[str, str]:
    out = {}
    for key, text in override.items():
        if key not in base and key.partition(".")[0] not in OPEN_SECTIONS:
            raise ValueError(f"{path}: unknown key {key!r}{_suggest(key, base)}")
        try:
            used = placeholders(text)
        except ValueError as exc:
            raise ValueError(f"{path}: {key}: {exc} (write {{{{ and }}}} for braces)") from None
        extra = used - placeholders(base.get(key, ""))
        if extra:
            allowed = ", ".join(sorted(placeholders(base.get(key, "")))) or "none"
            raise ValueError(f"{path}: {key}: unknown placeholder(s) "
                             f"{', '.join(sorted(extra))} (allowed: {allowed})")
        out[key] = text
    return out


def _suggest(key: str, base: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(key, list(base), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
