"""config.yaml + environment -> ``Config`` (a frozen value; the only place that reads env).

Where the file is: ``--config PATH``, else ``$REDMINE_SYNC_CONFIG``, else
``./redmine-sync.yaml``, else ``~/.config/redmine-sync/config.yaml``, else no file at all
(defaults + environment). ``REDMINE_URL`` and ``REDMINE_API_KEY`` override the file.
The key never has to be in the YAML: ``REDMINE_API_KEY`` or ``redmine.key_file``.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from redmine_sync import schema as s
from redmine_sync.errors import ConfigError
from redmine_sync.errors import Problem
from redmine_sync.errors import UserError
from redmine_sync.schedule import parse_schedule
from redmine_sync.yamlsrc import Located
from redmine_sync.yamlsrc import load_file

TEXT_FORMATS = ("textile", "markdown", "common_mark")
LABEL_BACKENDS = ("custom_field", "additional_tags")
DEFAULT_URL = "http://127.0.0.1:3101"
STATE_DIR = Path(os.path.expanduser("~/.local/state/redmine-sync"))
DEFAULT_STATE = STATE_DIR / "state.db"


class Secret(str):
    """A string that never shows itself in repr, logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class FieldMap:
    """Names of the Redmine custom fields that carry the tool's concepts."""

    labels: str = s.key(s.STRING, "list custom field (multiple values) holding the labels; "
                        "required", "Labels")
    customer: str = s.key(s.STRING, "the customer an issue belongs to; required", "Customer")
    tier: str = s.key(s.STRING, "the customer tier, written by the tiering rules", "Tier")
    channel: str = s.key(s.STRING, "where the request came from (interview, survey, "
                         "support ticket...)", "Channel")
    requirement_type: str = s.key(s.STRING, "functional, service, sales or custom",
                                  "Requirement type")
    value: str = s.key(s.STRING, "business value (high / low) for the value x cost matrix",
                       "Value")
    cost: str = s.key(s.STRING, "cost to build (high / low) for the value x cost matrix", "Cost")
    urgency: str = s.key(s.STRING, "urgent (24 h), normal (72 h) or deferrable", "Urgency")
    business_value: str = s.key(s.STRING, "free text the weekly report quotes",
                                "Business value")
    acceptance_criteria: str = s.key(s.STRING, "what the customer accepts the work by",
                                     "Acceptance criteria")
    satisfaction: str = s.key(s.STRING, "the customer's score of a closed request (a number; "
                              "scale: reports.satisfaction_scale)", "Satisfaction")

    def required(self) -> dict[str, str]:
        """Concept -> field name for the fields every run needs."""
        return {"labels": self.labels, "customer": self.customer}

    def all(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Timeouts:
    connect: float = s.key(s.number(minimum=0.1), "seconds to wait for a connection", 5.0)
    read: float = s.key(s.number(minimum=0.1), "seconds to wait for an answer", 30.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Reads and refused-before-processing writes are retried within these bounds."""

    attempts: int = s.key(s.integer(minimum=1), "tries per request", 6)
    backoff: float = s.key(s.number(minimum=0), "first wait in seconds; doubles each time", 0.5)
    max_backoff: float = s.key(s.number(minimum=0), "longest wait in seconds", 30.0)
    total_seconds: float = s.key(s.number(minimum=0), "retrying stops after this many seconds "
                                 "in a run (exit 4, saying what remains)", 120.0)


@dataclass(frozen=True)
class Limits:
    """Safety: the circuit breaker refuses a run changing more than ``max_issues`` issues or
    ``max_percent`` % of those in scope; at most ``write_cap`` issues are written per run."""

    max_issues: int = s.key(s.integer(minimum=0), "the circuit breaker refuses a run changing "
                            "more issues than this", 20)
    max_percent: float = s.key(s.number(minimum=0, maximum=100), "... or more than this % of "
                               "the issues in scope", 10.0)
    write_cap: int = s.key(s.integer(minimum=1), "at most this many issues are written per "
                           "run; the rest follow in the next", 200)


DEFAULT_KANBAN = (("confirmed", ("New",)), ("development", ("In Progress",)),
                  ("testing", ("Testing",)), ("acceptance", ("Awaiting acceptance",)))
REPORT_NAMES = ("weekly", "kpi", "customers", "monthly", "quarterly")
_CRON: dict[str, Any] = {"words": "a cron expression", "example": '"0 17 * * fri"',
                         "parse": parse_schedule}
SCHEDULES = s.Map({
    "weekly": s.text("the weekly business-value report: Friday 17:00", "0 17 * * fri", **_CRON),
    "kpi": s.text("the KPI page: Friday 17:00", "0 17 * * fri", **_CRON),
    "customers": s.text("the customer report: Monday 09:00", "0 9 * * mon", **_CRON),
    "monthly": s.text("the monthly report: the last working day, 17:00", "0 17 LW * *",
                      **_CRON),
    "quarterly": s.text("the quarterly report: the 5th day of the quarter, 09:00",
                        "0 9 5 1,4,7,10 *", **_CRON),
}, words="a mapping of report: cron expression")
DEFAULT_SCHEDULES = SCHEDULES.defaults()


HEALTH_COMPONENTS = ("volume_trend", "kinds", "breaches", "satisfaction", "urgent_open")
HEALTH_WEIGHTS = s.Map({
    "volume_trend": s.number("request volume against the window before", 1.0, minimum=0),
    "kinds": s.number("the share of requests not of a problem kind", 1.0, minimum=0),
    "breaches": s.number("SLA attainment of the clocks met or breached", 2.0, minimum=0),
    "satisfaction": s.number("satisfaction answers of the issues closed", 2.0, minimum=0),
    "urgent_open": s.number("open issues of an urgent priority", 1.0, minimum=0),
}, words="a mapping of component: weight (0 or more)")
DEFAULT_HEALTH_WEIGHTS = HEALTH_WEIGHTS.defaults()


@dataclass(frozen=True)
class HealthSettings:
    """The customer health score (docs/reports.md): component weights, the window in days,
    the Requirement type values that mean trouble and the priorities that count as urgent."""

    weights: Mapping[str, float] = s.key(HEALTH_WEIGHTS, "each component's weight; 0 leaves "
                                         "it out", DEFAULT_HEALTH_WEIGHTS)
    days: int = s.key(s.integer(minimum=1), "the window in days; the change is against the "
                      "window before", 30)
    problem_kinds: tuple[str, ...] = s.key(s.ListOf(s.name()), "Requirement type values that "
                                           "mean something is wrong", ("service",))
    urgent_priorities: tuple[str, ...] = s.key(s.ListOf(s.name()), "priorities counted as "
                                               "urgent", ("Immediate", "Urgent"))


@dataclass(frozen=True)
class RenewalReminder:
    """What the tool does, ``key_dates_days`` ahead, on the issue tracking a contract renewal
    (``key_dates[].issue`` in the customers file): once per customer and renewal date."""

    note: bool = s.key(s.boolean(), "a private note naming the renewal, its date and the "
                       "account manager", False)
    assign: bool = s.key(s.boolean(), "assign the issue to the customer's account manager",
                         False)

    @property
    def on(self) -> bool:
        """Either reminder is asked for (both are off by default)."""
        return self.note or self.assign


@dataclass(frozen=True)
class ChangeControl:
    """Requirement change control (playbook: change request, assessment, approval): the
    label the change-request rule adds, and how a person decides (a label or a status)."""

    label: str = s.key(s.name(), "the label that marks a change request (the shipped rule "
                       "adds it)", "change-request")
    approved_label: str | None = s.key(s.name(), "a person adds it to approve the change",
                                       "change-approved")
    rejected_label: str | None = s.key(s.name(), "a person adds it to reject the change",
                                       "change-rejected")
    approved_status: str | None = s.key(s.name(), "or: a status a person sets to approve it "
                                        "(default: none)")
    rejected_status: str | None = s.key(s.name(), "or: a status a person sets to reject it "
                                        "(default: none)")


@dataclass(frozen=True)
class ReportsConfig:
    """Where and how reports are published; schedules are cron expressions in ``timezone``."""

    project: str | None = s.key(s.STRING, "the project whose wiki gets the pages (default: "
                                "the first of projects)")
    lang: str = s.key(s.one_of(("en", "zh")), "language of the pages: en or zh", "en")
    timezone: str = s.key(s.time_zone(), "weeks, months and schedules are in this zone", "UTC")
    templates_dir: Path | None = s.key(s.STRING, "your own en.yaml / zh.yaml overriding the "
                                       "shipped report texts (relative to the config file)")
    parent: str = s.key(s.STRING, "the index page; every report page is its child", "Reports")
    schedules: Mapping[str, str] = s.key(SCHEDULES, "when each report is published (cron: "
                                         "minute hour day month weekday; L, LW: last "
                                         "(work)day)", DEFAULT_SCHEDULES)
    kanban: tuple[tuple[str, tuple[str, ...]], ...] = s.key(
        s.MapOf(s.ListOf(s.name())), "kanban stages in the board's order, each with this "
        "Redmine's statuses in it (stage names: the kanban.<stage> report texts)",
        DEFAULT_KANBAN)
    key_dates_days: int = s.key(s.integer(minimum=0), "key dates and contract renewals are "
                                "shown this many days ahead", 30)
    risk_label: str | None = s.key(s.STRING, "open issues with this label are risks people "
                                   "added (empty: none)", "risk")
    satisfaction_scale: str = s.key(s.one_of(("csat", "nps")), "csat: the mean of 1-5 "
                                    "answers; nps: 0-10 answers, net promoter score", "csat")
    risk_tracker: str | None = s.key(s.name(), "open issues of this tracker are risks people "
                                     "added too (e.g. Risk; default: none)")
    health: HealthSettings = s.key(s.section(HealthSettings), "the customer health score of "
                                   "the customer report (docs/reports.md)", HealthSettings())
    renewal_reminder: RenewalReminder = s.key(
        s.section(RenewalReminder), "contract renewals: a note and/or an assignment on the "
        "renewal's issue, key_dates_days ahead (off by default)", RenewalReminder())


def _positive(text: str) -> None:
    if not float(re.sub(r"[smh\s]", "", text)) > 0:
        raise ValueError(f"the interval {text!r} is not positive")


_SECTIONS = {
    "redmine": "the Redmine: where, how to log in, how to talk to it",
    "state": "the state database: sync cursor, runs, audit ledger, what the tool set",
    "labels": "where labels live",
    "daemon": "redmine-sync daemon",
    "metrics": "Prometheus metrics of the runs",
}
_RETIRED = {  # fields.<key> that were never read
    "sla_due": "the SLA due field is named in the kind: sla rule file (write: {due: SLA due}); "
               "remove this key",
    "sla_state": "the SLA state field is named in the kind: sla rule file (write: {state: SLA "
                 "state}); remove this key",
}
_URL = s.text(words="an http(s) URL", pattern=r"https?://\S+", example="https://redmine.example.com")


@dataclass(frozen=True)
class Config:
    url: str = s.key(_URL, "base URL of the Redmine as opened in a browser (REDMINE_URL "
                     "overrides it)", DEFAULT_URL, at=("redmine", "url"))
    api_key: Secret | None = field(default=None, repr=False)
    key_source: str = "none"
    projects: tuple[str, ...] = s.key(s.ListOf(s.name()), "identifiers of the projects "
                                      "managed; empty: every project the bot can see", ())
    state_path: Path = s.key(s.STRING, "the state database (SQLite); default: one file per "
                             "Redmine in ~/.local/state/redmine-sync/", DEFAULT_STATE,
                             at=("state", "path"), shown=False)
    rules_dir: Path = s.key(s.STRING, "directory of the YAML rule files (relative to the "
                            "config file)", Path("rules"))
    text_formatting: str = s.key(s.one_of(TEXT_FORMATS), "markup of the instance (Administration "
                                 "> Settings > General): notes and wiki pages use it",
                                 "textile", at=("redmine", "text_formatting"))
    labels_backend: str = s.key(s.one_of(LABEL_BACKENDS), "where labels live: a list custom "
                                "field or the additional_tags plugin", "custom_field",
                                at=("labels", "backend"))
    fields: FieldMap = s.key(s.section(FieldMap, _RETIRED), "names of this Redmine's custom fields for "
                             "the tool's concepts", FieldMap())
    timeouts: Timeouts = s.key(s.section(Timeouts), "timeouts applied to every request",
                               Timeouts(), at=("redmine", "timeouts"))
    retries: RetryPolicy = s.key(s.section(RetryPolicy), "timeouts, resets and busy answers are "
                                 "retried with exponential backoff", RetryPolicy(),
                                 at=("redmine", "retries"))
    limits: Limits = s.key(s.section(Limits), "safety limits of a run", Limits())
    daemon_interval: str = s.key(s.text(pattern=r"\s*\d+(\.\d+)?\s*[smh]?\s*",
                                        example="5m", parse=_positive),
                                 "the daemon runs plan + apply this often (s, m or h)", "5m",
                                 at=("daemon", "interval"))
    reports: ReportsConfig = s.key(s.section(ReportsConfig), "reports posted as wiki pages",
                                   ReportsConfig())
    metrics_textfile: Path | None = s.key(
        s.text(words="a path ending in .prom", pattern=r".+\.prom",
               example="/var/lib/prometheus/node-exporter/redmine_sync.prom"),
        "after each apply (and daemon run), write Prometheus metrics to this file for "
        "node_exporter's textfile collector, atomically (docs/operations.md); relative to the "
        "config file; default: none", at=("metrics", "textfile"))
    change_control: ChangeControl = s.key(s.section(ChangeControl), "requirement changes "
                                          "after confirmation: the change-request label and "
                                          "how a person approves or rejects", ChangeControl())
    source: str | None = None
    warnings: tuple[str, ...] = ()
    tls_verify: bool | str = True   # True: the system trust store; a path: that CA bundle


# Keys read into derived values (api_key, tls_verify) rather than a field of their own.
_REDMINE_INPUTS = {
    "api_key": s.text("the bot's API key; prefer REDMINE_API_KEY or key_file"),
    "key_file": s.text("a file holding the bot's API key (chmod 600)"),
    "ca_bundle": s.text("PEM file of the CA that signed Redmine's certificate"),
    "verify_tls": s.boolean("false turns certificate checks off (warned on every run)", True),
}


def _schema() -> s.Map:
    """The config file's declaration, assembled from ``Config``'s declared fields."""
    tree: dict[str, Any] = {"redmine": {}}
    for f in fields(Config):
        if "node" not in f.metadata:
            continue
        *parents, last = f.metadata["at"] or (f.name,)
        branch = tree
        for part in parents:
            branch = branch.setdefault(part, {})
        branch[last] = f.metadata["node"]
        if f.name == "url":
            branch.update(_REDMINE_INPUTS)

    def build(branch: dict[str, Any], doc: str = "") -> s.Map:
        return s.Map({k: build(v, _SECTIONS.get(k, "")) if isinstance(v, dict) else v
                      for k, v in branch.items()}, doc=doc)

    return build(tree)


SCHEMA = _schema()
CONFIG_HINT = "see config.example.yaml for every key with comments"


def find_config(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """The config file to use, or None to run on defaults and environment only."""
    if explicit:
        return Path(explicit)
    if env.get("REDMINE_SYNC_CONFIG"):
        return Path(env["REDMINE_SYNC_CONFIG"])
    for candidate in (Path("redmine-sync.yaml"), _user_config_dir(env) / "config.yaml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load, validate and merge file + environment. Raise ``ConfigError`` with all problems."""
    env = os.environ if env is None else env
    path = find_config(explicit, env)
    if path is None:
        return _merge({}, None, env, base=Path.cwd())
    if not path.is_file():
        raise ConfigError(
            f"config file {path} does not exist",
            hint="pass --config PATH, set REDMINE_SYNC_CONFIG, or copy config.example.yaml",
        )
    doc = load_file(path)
    data = doc.data if doc.data is not None else {}
    problems = s.check(Located(doc.file, data, doc.marks, doc.value_marks), SCHEMA)
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problem(s)", problems, hint=CONFIG_HINT)
    return _merge(data, doc, env, base=path.resolve().parent)


def _merge(data: dict[str, Any], doc: Located | None, env: Mapping[str, str], base: Path) -> Config:
    """The checked file's values over the declared defaults, then the environment."""
    def get(*path: str) -> Any:
        *parents, last = path
        branch, node = data, SCHEMA
        for part in parents:
            section = node.keys[part]
            assert isinstance(section, s.Map)
            branch, node = branch.get(part) or {}, section
        return node.get(branch, last)

    redmine = data.get("redmine") or {}
    warnings: list[str] = []
    api_key, key_source = _api_key(redmine, doc, env, base, warnings)
    url = env.get("REDMINE_URL") or get("redmine", "url")
    _check_url(url, doc)
    url, url_key = split_key(url)
    if url_key:
        warnings.append("the Redmine URL carries the API key (?key=...): it is used but never "
                        "shown; move it to REDMINE_API_KEY or redmine.key_file")
        if api_key is None:
            api_key, key_source = Secret(url_key), "the URL (?key=)"
    metrics = get("metrics", "textfile")
    return Config(
        url=url.rstrip("/"),
        api_key=api_key,
        key_source=key_source,
        projects=tuple(map(str, get("projects"))),
        state_path=_path((data.get("state") or {}).get("path"), base, default_state_path(url)),
        tls_verify=_tls_verify(redmine, doc, base, warnings),
        rules_dir=_path(data.get("rules_dir"), base, base / get("rules_dir")),
        text_formatting=get("redmine", "text_formatting"),
        labels_backend=get("labels", "backend"),
        fields=FieldMap(**s.given(FieldMap, data.get("fields"))),
        timeouts=Timeouts(**s.given(Timeouts, redmine.get("timeouts"))),
        retries=RetryPolicy(**s.given(RetryPolicy, redmine.get("retries"))),
        limits=Limits(**s.given(Limits, data.get("limits"))),
        daemon_interval=get("daemon", "interval"),
        reports=_reports(data.get("reports") or {}, base),
        metrics_textfile=_path(metrics, base, base) if metrics else None,
        change_control=ChangeControl(**s.given(ChangeControl, data.get("change_control"))),
        source=doc.file if doc else None,
        warnings=tuple(warnings),
    )


def located(config: Config, path: tuple[str, ...], message: str, hint: str = "") -> Problem:
    """A problem with the value at ``path`` of the config file, at its line when the file
    (still) has it: for what only Redmine can tell wrong, such as a name it does not have."""
    if config.source is not None:
        try:
            return load_file(Path(config.source)).problem(path, message, hint, value=True)
        except UserError:   # unreadable since it was loaded: the file without a line
            pass
    return Problem(config.source or "config", None, None, ".".join(path), message, hint)


def split_key(url: str) -> tuple[str, str | None]:
    """The URL without a ``key=`` query parameter, and that key (Redmine accepts it there,
    but a URL is printed, logged and stored: the key never stays in it)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = [v for k, v in query if k == "key"]
    if not keys:
        return url, None
    rest = urlencode([(k, v) for k, v in query if k != "key"])
    return urlunsplit(parts._replace(query=rest)), keys[0].strip() or None


def default_state_path(url: str) -> Path:
    """One state file per Redmine: ``<host>_<port><path>-<hash>.db`` in the state directory."""
    parts = urlsplit(url.rstrip("/"))
    readable = re.sub(r"[^A-Za-z0-9.-]+", "_", f"{parts.hostname or 'redmine'}_"
                      f"{parts.port or ''}{parts.path}").strip("_")
    digest = hashlib.sha256(url.rstrip("/").lower().encode()).hexdigest()[:8]
    return STATE_DIR / f"{readable}-{digest}.db"


def _tls_verify(redmine: dict[str, Any], doc: Located | None, base: Path,
                warnings: list[str]) -> bool | str:
    if redmine.get("verify_tls") is False:
        warnings.append("TLS certificates are NOT checked (redmine.verify_tls: false): anyone "
                        "between this machine and Redmine can read the API key; set "
                        "redmine.ca_bundle to the CA's file instead")
        return False
    if redmine.get("ca_bundle"):
        bundle = _path(redmine["ca_bundle"], base, base)
        if not bundle.is_file():
            where = [doc.problem(("redmine", "ca_bundle"), f"{bundle} does not exist",
                                 value=True)] if doc else []
            raise ConfigError(f"redmine.ca_bundle: {bundle} does not exist", where,
                              hint="give the PEM file of the CA that signed Redmine's "
                              "certificate")
        return str(bundle)
    return True


def _reports(data: dict[str, Any], base: Path) -> ReportsConfig:
    values = s.given(ReportsConfig, data)
    if "templates_dir" in values:
        values["templates_dir"] = _path(values["templates_dir"], base, base)
    if "schedules" in values:
        values["schedules"] = {**DEFAULT_SCHEDULES, **values["schedules"]}
    if "kanban" in values:
        values["kanban"] = tuple((str(k), tuple(map(str, v or ())))
                                 for k, v in values["kanban"].items()) or DEFAULT_KANBAN
    if "risk_label" in data:
        values["risk_label"] = data["risk_label"] or None
    if "health" in values:
        values["health"] = _health(values["health"])
    if "renewal_reminder" in values:
        values["renewal_reminder"] = RenewalReminder(**s.given(RenewalReminder,
                                                               values["renewal_reminder"]))
    return ReportsConfig(**values)


def _health(data: dict[str, Any]) -> HealthSettings:
    """The checked ``reports.health`` over its defaults; weights must not all be 0."""
    values = s.given(HealthSettings, data)
    weights = {**DEFAULT_HEALTH_WEIGHTS, **{k: float(v) for k, v in
                                            (values.get("weights") or {}).items()
                                            if v is not None}}
    if sum(weights.values()) <= 0:
        raise ConfigError("reports.health.weights: every weight is 0, so there is no score",
                          hint="give at least one component a weight above 0 (docs/reports.md, "
                          "Customer health)")
    values["weights"] = weights
    for key in ("problem_kinds", "urgent_priorities"):
        if key in values:
            values[key] = tuple(map(str, values[key]))
    return HealthSettings(**values)


def _api_key(
    redmine: dict[str, Any], doc: Located | None, env: Mapping[str, str], base: Path,
    warnings: list[str],
) -> tuple[Secret | None, str]:
    if env.get("REDMINE_API_KEY"):
        return Secret(env["REDMINE_API_KEY"].strip()), "environment (REDMINE_API_KEY)"
    if redmine.get("key_file"):
        key_path = _path(redmine["key_file"], base, base)
        return Secret(_read_key_file(key_path, doc, warnings)), f"key file {key_path}"
    if redmine.get("api_key") and doc is not None:
        _warn_if_shared(Path(doc.file), warnings)
        return Secret(str(redmine["api_key"]).strip()), f"config file {doc.file}"
    return None, "none"


def _read_key_file(path: Path, doc: Located | None, warnings: list[str]) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        where = doc.problem(("redmine", "key_file"), f"cannot read key file {path}: {exc}") if doc \
            else Problem(str(path), None, None, "", str(exc))
        raise ConfigError("the API key file cannot be read", [where],
                          hint="create it with the bot user's API key and chmod 600") from None
    if not key:
        raise ConfigError(f"the API key file {path} is empty",
                          hint="put the bot user's API key (My account > API access key) in it")
    _warn_if_shared(path, warnings)
    return key


def _warn_if_shared(path: Path, warnings: list[str]) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & stat.S_IROTH:
        warnings.append(
            f"{path} holds an API key and is readable by every user (mode "
            f"{stat.S_IMODE(mode):o}); run: chmod 640 {path} (or 600)"
        )


def _check_url(url: str, doc: Located | None) -> None:
    if url.startswith(("http://", "https://")):
        return
    problem = doc.problem(("redmine", "url"), f"not an http(s) URL: {url!r}") if doc else \
        Problem("environment", None, None, "REDMINE_URL", f"not an http(s) URL: {url!r}")
    raise ConfigError("the Redmine URL is not valid", [problem],
                      hint="use the address you open in a browser, e.g. https://redmine.example.com")


def _path(value: str | None, base: Path, default: Path) -> Path:
    if not value:
        return default
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else base / path


def _user_config_dir(env: Mapping[str, str]) -> Path:
    root = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return Path(os.path.expanduser(root)) / "redmine-sync"
