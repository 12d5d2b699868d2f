"""Rule files -> ``RuleSet``: every file parsed, checked and compiled, all problems at once.

A rules directory holds YAML files, each with a ``kind``:

- ``triage``, ``tiering``, ``priority``, ``routing``: rule files, evaluated in that stage
  order (files of one stage by file name, rules in file order); ``match: first`` or ``all``.
- ``customers``: customers with value and fit scores, the tiers, how to identify them.
- ``vocabulary``: keyword lists, bilingual concepts, the vagueness rubric, duplicate search.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from functools import cache
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from redmine_sync import schema as s
from redmine_sync.errors import Problem
from redmine_sync.errors import UserError
from redmine_sync.rules.actions import ActionFn
from redmine_sync.rules.actions import _template_ok
from redmine_sync.rules.actions import action_node
from redmine_sync.rules.actions import compile_action
from redmine_sync.rules.compile import compile_condition
from redmine_sync.rules.conditions import ALWAYS
from redmine_sync.rules.conditions import Condition
from redmine_sync.rules.customers import COMPARATORS
from redmine_sync.rules.customers import IDENTIFY_BY
from redmine_sync.rules.customers import Customer
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.customers import KeyDate
from redmine_sync.rules.customers import Tier
from redmine_sync.rules.language import LANGS
from redmine_sync.rules.sla_policy import SlaConfig
from redmine_sync.rules.sla_policy import declaration as sla_declaration
from redmine_sync.rules.sla_policy import parse_sla
from redmine_sync.rules.source import Problems
from redmine_sync.rules.source import Where
from redmine_sync.rules.text import Rubric
from redmine_sync.rules.text import Vocabulary
from redmine_sync.schema import did_you_mean
from redmine_sync.yamlsrc import Located
from redmine_sync.yamlsrc import load_file
from redmine_sync.yamlsrc import load_text
from redmine_sync.yamlsrc import parse as parse_yaml

STAGES = ("triage", "tiering", "priority", "routing", "followup")
KINDS = (*STAGES, "customers", "vocabulary", "sla")
RULE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Rule:
    name: str
    stage: str
    file: str
    description: str
    when: Condition
    actions: tuple[ActionFn, ...]
    reason: str | None = None
    enforce: bool = False


@dataclass(frozen=True)
class RuleFile:
    path: str
    stage: str
    match: str
    when: Condition
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class DuplicateSearch:
    min_score: float = s.key(s.number(minimum=0, maximum=1), "candidates scoring below this "
                             "are not shown", 0.3)
    same_customer: bool = s.key(s.BOOLEAN, "only compare requests of the same customer", True)


@dataclass(frozen=True)
class NameUse:
    """A Redmine name a rule relies on (status, label, group...), and where it is written."""

    kind: str
    name: str
    where: Problem


@dataclass(frozen=True)
class RuleSet:
    files: tuple[RuleFile, ...] = ()
    customers: CustomerBook = CustomerBook()
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary({}))
    rubric: Rubric = Rubric()
    keyword_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    duplicates: DuplicateSearch = DuplicateSearch()
    teams: tuple[str, ...] = ()
    journal_fields: tuple[str, ...] = ()   # conditions on who spoke last: journals are read
    names: tuple[NameUse, ...] = ()
    sla: SlaConfig | None = None
    customers_file: str | None = None  # None: no kind: customers file was given
    sources: tuple[str, ...] = ()      # every file the rules were read from (CSV included)

    def rules(self) -> tuple[Rule, ...]:
        return tuple(r for f in self.files for r in f.rules)

    def enforced(self, rule_names: str) -> bool:
        """Whether any of the (comma-joined) rules says ``enforce: true``."""
        enforcing = self._enforcing
        return bool(enforcing) and any(n in enforcing for n in rule_names.split(", "))

    @cached_property
    def _enforcing(self) -> frozenset[str]:
        """The names of the rules that say ``enforce: true`` (asked once per change)."""
        return frozenset(r.name for r in self.rules() if r.enforce)


CUSTOMER_KEYS = ("name", "aliases", "domains", "projects", "industry", "value", "fit",
                 "account_manager", "escalation_contact", "key_dates", "lang")
KEY_DATE_KINDS = ("launch", "anniversary", "birthday", "renewal")
CONDITION = s.Anything(words="a condition", doc="a condition (docs/rules.md, Conditions)")
WORDS = s.ListOf(s.name())


def _rule_file_node(stage: str) -> s.Map:
    rule = s.Map({
        "name": s.text("unique name: plans, the audit and notes refer to it"),
        "description": s.text("for people"),
        "when": replace(CONDITION, doc="the rule fires when this holds (default: always)"),
        "then": s.ListOf(action_node(), doc="the actions, in order"),
        "reason": s.text("why, in the plan and the private note; placeholders allowed"),
        "enforce": s.boolean("true: the rule re-applies what people changed", False),
        "enabled": s.boolean("false: the rule is checked but never fires (how optional "
                             "shipped rules come)", True),
    }, required=("name", "then"), words="a rule (a mapping with name, when and then)")
    return s.Map({
        "kind": s.one_of((stage,), f"{stage} rules"),
        "match": s.one_of(("first", "all"), "first: only the first matching rule fires; all: "
                          "every one", "first"),
        "description": s.text("for people"),
        "when": replace(CONDITION, doc="the file's rules only see issues where this holds"),
        "rules": s.ListOf(rule, doc="the rules, in order"),
    }, required=("rules",))


def _customers_node() -> s.Map:
    said = {"lt": "below", "le": "at most", "gt": "above", "ge": "at least"}
    bounds = s.Map({op: s.number(f"the score is {said.get(op, op)} this") for op in COMPARATORS},
                   words="bounds such as {ge: 60} or {lt: 60}")
    tier = s.Map({
        "name": s.name("the tier (set_tier writes it)"),
        "label": s.text("label added with the tier"),
        "value": replace(bounds, doc="bounds on the customer's value score"),
        "fit": replace(bounds, doc="bounds on the customer's fit score"),
    }, required=("name",), words="a tier such as {name: strategic, value: {ge: 60}}")
    customer = s.Map({
        "name": s.name("as written in the Customer field"),
        "aliases": replace(WORDS, doc="other names it is written as"),
        "domains": replace(WORDS, doc="e-mail domains of its people (identify: email_domain)"),
        "projects": replace(WORDS, doc="its projects (identify: project)"),
        "industry": s.name("for reports"),
        "value": s.number("value score (0-100)"),
        "fit": s.number("fit score (0-100)"),
        "account_manager": s.name("login of the account manager (assign: account_manager)"),
        "escalation_contact": s.name("who is told of escalations"),
        "key_dates": s.ListOf(s.Map({
            "date": s.a_date("the day"), "what": s.one_of(KEY_DATE_KINDS, "what happens"),
            "note": s.name("for people"),
            "issue": s.integer("the issue tracking it: renewal reminders (reports."
                               "renewal_reminder) note or assign it", minimum=1)},
            required=("date", "what"),
            words="a key date such as {date: 2026-12-10, what: launch}"),
            doc="launches, anniversaries, birthdays, renewals (shown in reports)"),
        "lang": s.one_of(LANGS, "language of notes and reports for this customer"),
    }, required=("name", "value", "fit"), words="a customer (name, value and fit)")
    return s.Map({
        "kind": s.one_of(("customers",), "what the file holds"),
        "description": s.text("for people"),
        "identify": s.one_of(IDENTIFY_BY, "how an issue's customer is found", "field"),
        "tiers": s.ListOf(tier, doc="tiers, first match wins"),
        "customers": s.ListOf(customer, doc="the customers"),
        "customers_csv": s.text("a CSV file of more customers (name, value, fit, domains...)"),
    })


def _vocabulary_node() -> s.Map:
    ask = s.MapOf(s.MapOf(s.name()), doc="lang: {gap: the question asked for it}")
    return s.Map({
        "kind": s.one_of(("vocabulary",), "what the file holds"),
        "description": s.text("for people"),
        "keywords": s.MapOf(WORDS, doc="keyword lists, used in conditions as @name"),
        "concepts": s.MapOf(WORDS, doc="concept: its Chinese and English forms"),
        "stopwords": replace(WORDS, doc="words the text analyses ignore"),
        "opposites": s.ListOf(s.ListOf(s.name(), length=2),
                              doc="pairs of opposite concepts, e.g. [export, import]"),
        "glossary": s.boolean("use the shipped bilingual glossary too", True),
        "vagueness": s.Map({
            "min_length": s.integer("shorter descriptions are vague", Rubric.min_length,
                                    minimum=0),
            "vague_phrases": replace(WORDS, doc="phrases that say nothing"),
            "scenario_markers": replace(WORDS, doc="words that describe a scenario"),
            "pain_markers": replace(WORDS, doc="words that describe a pain"),
            "effect_markers": replace(WORDS, doc="words that describe the effect wanted"),
            "threshold": s.integer("this many gaps make a request vague", Rubric.threshold,
                                   minimum=0),
            "ask": ask,
        }, doc="the vagueness rubric"),
        "duplicates": replace(s.section(DuplicateSearch), doc="duplicate search"),
    })


@cache
def declaration() -> s.Tagged:
    """What a file in the rules directory may hold, by its ``kind``."""
    return s.Tagged("kind", {**{stage: _rule_file_node(stage) for stage in STAGES},
                             "customers": _customers_node(),
                             "vocabulary": _vocabulary_node(), "sla": sla_declaration()},
                    doc="a redmine-sync rule file")


def rule_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and every *.yaml / *.yml directly inside named directories."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in RULE_SUFFIXES and p.is_file())
        else:
            out.append(path)
    return out


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load and compile; raise ``UserError`` listing every problem in every file."""
    problems = Problems()
    docs: list[Located] = []
    files = rule_paths(paths)
    if not files:
        raise UserError("no rule files found", hint="pass a directory with *.yaml rule files")
    for path in files:
        try:
            docs.append(load_file(path))
        except UserError as exc:  # a missing or unreadable file is a problem too
            problems.items.extend(exc.problems or [
                Problem(str(path), None, None, "", str(exc.args[0]),
                        "check the path (validate takes rule files or directories)")])
    ruleset = _build(docs, problems)
    _check_references(ruleset, problems)
    if problems.items:
        found = problems.sorted()
        raise UserError(f"{len(found)} problem(s) in the rules", found)
    csv_files = [str(p) for doc in docs if (p := _csv_path(doc)) is not None]
    return replace(ruleset, sources=(*map(str, files), *csv_files))


def load_rules_text(text: str, name: str = "rules.yaml") -> RuleSet:
    """One rule file from a string (tests, fixtures)."""
    problems = Problems()
    ruleset = _build([load_text(text, name)], problems)
    _check_references(ruleset, problems)
    if problems.items:
        raise UserError("problems in the rules", problems.sorted())
    return ruleset


def _build(docs: list[Located], problems: Problems) -> RuleSet:
    rule_files: list[RuleFile] = []
    parts: dict[str, Any] = {}
    for doc in docs:
        shape = s.check_paths(doc, declaration())
        problems.items.extend(p for _, p in shape)
        bad = [path for path, _ in shape]
        if any(path in ((), ("kind",)) for path in bad):
            continue
        # the builders collect the deeper problems (conditions, actions, names) from what
        # is left once every value of a wrong shape is taken out, so none sees a wrong type
        doc = replace(doc, data=s.without(doc.data, bad))
        where = Where(doc, (), problems.except_below(bad))
        kind = doc.data["kind"]
        if kind == "customers":
            parts["customers"] = _customers(doc, where)
            parts["customers_file"] = doc.file
        elif kind == "vocabulary":
            parts.update(_vocabulary(doc, where))
        elif kind == "sla":
            parts["sla"] = parse_sla(doc.data, where)
        else:
            rule_files.append(_rule_file(doc, kind, where))
    order = {stage: i for i, stage in enumerate(STAGES)}
    rule_files.sort(key=lambda f: (order[f.stage], Path(f.path).name))
    _unique_names(rule_files, docs, problems)
    names = tuple(NameUse(kind, name, doc.problem(path, "", value=True))
                  for kind, name, doc, path in problems.names if kind != "calendar")
    return RuleSet(files=tuple(rule_files), teams=tuple(sorted(problems.teams)), names=names,
                   journal_fields=tuple(sorted(problems.journal_fields)), **parts)


# The builders below read files already checked against ``declaration()`` with every value
# of a wrong shape taken out: what they find has its declared type, or is absent (then the
# declared default applies) or None (a list item already reported).

def _rule_file(doc: Located, stage: str, where: Where) -> RuleFile:
    data, node = doc.data, declaration().variants[stage]
    when = compile_condition(data["when"], where.at("when")) if "when" in data else ALWAYS
    rules = []
    for i, item in enumerate(data.get("rules") or []):
        known, journals = len(where.problems.names), set(where.problems.journal_fields)
        rule = _rule(item, stage, doc.file, where.at("rules", i))
        if rule is not None and item.get("enabled", True) is False:
            del where.problems.names[known:]   # its names are checked once it is enabled
            where.problems.journal_fields.intersection_update(journals)   # nor read for it
        elif rule is not None:
            rules.append(rule)
    return RuleFile(doc.file, stage, node.get(data, "match"), when, tuple(rules))


def _rule(data: dict[str, Any] | None, stage: str, file: str, where: Where) -> Rule | None:
    if data is None or data.get("name") is None:
        return None
    name = str(data["name"])
    if not name.strip():
        where.at("name").error("every rule needs a name")
    when = compile_condition(data["when"], where.at("when")) if "when" in data else ALWAYS
    then = data.get("then") or []
    if not then:
        where.at("then").error("expected a list of actions", value="then" in data)
    actions = tuple(a for i, item in enumerate(then)
                    if (a := compile_action(item, where.at("then", i))) is not None)
    reason = data.get("reason")
    if reason is not None and not _template_ok(reason, where.at("reason")):
        reason = None
    return Rule(name, stage, file, data.get("description") or "", when, actions, reason,
                bool(data.get("enforce")))


def _unique_names(files: list[RuleFile], docs: list[Located], problems: Problems) -> None:
    seen: dict[str, str] = {}
    by_file = {d.file: d for d in docs}
    for rule_file in files:
        for index, rule in enumerate(rule_file.rules):
            if rule.name in seen:
                problems.add(by_file[rule_file.path], ("rules", index, "name"),
                             f"rule name '{rule.name}' is already used in {seen[rule.name]}",
                             "rule names must be unique: plans and the audit refer to them",
                             value=True)
            seen.setdefault(rule.name, rule_file.path)


def _check_references(ruleset: RuleSet, problems: Problems) -> None:
    calendars = tuple(ruleset.sla.calendars) if ruleset.sla else ()
    for kind, name, doc, path in problems.names:
        if kind == "calendar" and name not in calendars:
            problems.add(doc, path, f"unknown calendar '{name}'",
                         did_you_mean(name, calendars) if calendars else
                         "define it under calendars: in a kind: sla file", value=True)
    for name, doc, path in problems.keyword_refs:
        if name not in ruleset.keyword_lists:
            problems.add(doc, path, f"unknown keyword list '@{name}'",
                         did_you_mean(name, tuple(ruleset.keyword_lists)) if
                         ruleset.keyword_lists else "define it under keywords: in a "
                         "kind: vocabulary file", value=True)


# -- data files ---------------------------------------------------------------------------

def _vocabulary(doc: Located, where: Where) -> dict[str, Any]:
    data = doc.data
    keywords = _word_lists(data.get("keywords") or {})
    concepts = _word_lists(data.get("concepts") or {})
    stopwords = tuple(str(w) for w in data.get("stopwords") or [] if w is not None)
    opposites = tuple((str(p[0]), str(p[1])) for p in data.get("opposites") or [] if p)
    if declaration().variants["vocabulary"].get(data, "glossary"):
        shipped, shipped_opposites = glossary()
        concepts = {name: (*shipped.get(name, ()), *concepts.get(name, ()))
                    for name in {**shipped, **concepts}}
        opposites = (*shipped_opposites, *opposites)
    out: dict[str, Any] = {"keyword_lists": keywords}
    try:
        out["vocabulary"] = Vocabulary(concepts, stopwords, opposites)
    except ValueError as exc:
        where.at("concepts").error(str(exc))
    if data.get("vagueness") is not None:
        try:
            out["rubric"] = _rubric(data["vagueness"])
        except ValueError as exc:
            where.at("vagueness").error(str(exc))
    if data.get("duplicates") is not None:
        out["duplicates"] = DuplicateSearch(**s.given(DuplicateSearch, data["duplicates"]))
    return out


@cache
def glossary() -> tuple[dict[str, tuple[str, ...]], tuple[tuple[str, str], ...]]:
    """The shipped bilingual glossary: concepts (name -> Chinese and English forms) and
    pairs of opposite concepts. Extended by the concepts of a vocabulary file."""
    text = resources.files("redmine_sync.rules").joinpath("glossary.yaml").read_text("utf-8")
    data = parse_yaml(text)
    concepts = {str(k): tuple(str(f) for f in v) for k, v in data["concepts"].items()}
    return concepts, tuple((str(a), str(b)) for a, b in data["opposites"])


def _word_lists(data: dict[Any, Any]) -> dict[str, tuple[str, ...]]:
    return {str(name): tuple(str(w) for w in words if w is not None)
            for name, words in data.items() if words is not None}


def _rubric(data: dict[str, Any]) -> Rubric:
    lists = ("vague_phrases", "scenario_markers", "pain_markers", "effect_markers")
    given: dict[str, Any] = {k: tuple(str(w) for w in data[k] if w is not None)
             for k in lists if data.get(k) is not None}
    ask = {str(k): {str(a): str(b) for a, b in v.items() if b is not None}
           for k, v in (data.get("ask") or {}).items() if v is not None}
    numbers = {k: data[k] for k in ("min_length", "threshold") if data.get(k) is not None}
    return Rubric(ask=ask, **numbers, **given)


def _customers(doc: Located, where: Where) -> CustomerBook:
    data = doc.data
    tiers = [_tier(row) for row in data.get("tiers") or [] if row is not None]
    customers = [c for i, row in enumerate(data.get("customers") or [])
                 if row is not None and (c := _customer(row, where.at("customers", i)))]
    csv_path = _csv_path(doc)
    if csv_path is not None:
        customers += _customers_csv(csv_path, where.at("customers_csv"))
    where.at("tiers").names("label", *(t.label for t in tiers if t.label))
    where.at("customers").names("assigned_to", *(c.account_manager for c in customers
                                                 if c.account_manager))
    return CustomerBook.build(customers, tiers,
                              declaration().variants["customers"].get(data, "identify"))


def _tier(data: dict[str, Any]) -> Tier:
    bounds = {axis: {op: float(v) for op, v in (data.get(axis) or {}).items() if v is not None}
              for axis in ("value", "fit")}
    return Tier(str(data["name"]), bounds, data.get("label"))


def _customer(data: Any, where: Where) -> Customer | None:
    if not isinstance(data, dict) or "name" not in data:
        where.error("a customer needs at least name, value and fit")
        return None
    where.unknown_keys(data, CUSTOMER_KEYS)
    try:
        value, fit = float(data["value"]), float(data["fit"])
    except (KeyError, TypeError, ValueError):
        where.error(f"customer {data.get('name')!r}: value and fit must be numbers")
        return None
    return Customer(
        key_dates=_key_dates(data.get("key_dates") or [], where.at("key_dates")),
        name=str(data["name"]), value=value, fit=fit,
        aliases=tuple(map(str, data.get("aliases") or ())),
        domains=tuple(map(str, data.get("domains") or ())),
        projects=tuple(map(str, data.get("projects") or ())),
        industry=str(data.get("industry") or ""),
        account_manager=data.get("account_manager"),
        escalation_contact=data.get("escalation_contact"),
        lang=_lang(data.get("lang"), where.at("lang")),
    )


def _lang(value: Any, where: Where) -> str | None:
    if value is None:
        return None
    if value not in LANGS:
        where.error(f"unknown language {value!r}", f"expected one of {', '.join(LANGS)}")
        return None
    return str(value)


def _key_dates(data: Any, where: Where) -> tuple[KeyDate, ...]:
    """[{date: 2026-12-10, what: launch, note: ..., issue: 42}]; what: a KEY_DATE_KINDS."""
    out = []
    for i, row in enumerate(data if isinstance(data, list) else [None]):
        spot = where.at(i)
        if not isinstance(row, dict) or not isinstance(row.get("date"), date) \
                or row.get("what") not in KEY_DATE_KINDS:
            spot.error("a key date is {date: 2026-12-10, what: launch|anniversary|birthday, "
                       "note: text}")
            continue
        issue = row.get("issue")
        out.append(KeyDate(row["date"], str(row["what"]), str(row.get("note", "")),
                           issue if isinstance(issue, int) else None))
    return tuple(out)


def _csv_path(doc: Located) -> Path | None:
    """The customers CSV a kind: customers file names (relative to that file), if any."""
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "customers" or \
            not data.get("customers_csv"):
        return None
    return Path(doc.file).parent / str(data["customers_csv"])


def _customers_csv(path: Path, where: Where) -> list[Customer]:
    """Columns: name, value, fit, and optionally domains/aliases/projects (';'-separated)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        where.error(f"cannot read {path}: {exc}")
        return []
    out = []
    for number, row in enumerate(rows, start=2):
        data: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        for key in ("aliases", "domains", "projects"):
            if key in data:
                data[key] = [p.strip() for p in str(data[key]).split(";") if p.strip()]
        customer = _customer(data, where)
        if customer is None:
            where.error(f"{path.name} line {number}: not a valid customer row")
            continue
        out.append(customer)
    return out
