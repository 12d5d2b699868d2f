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

    labels: str = "Labels"
    customer: str = "Customer"
    tier: str = "Tier"
    channel: str = "Channel"
    requirement_type: str = "Requirement type"
    value: str = "Value"
    cost: str = "Cost"
    urgency: str = "Urgency"
    business_value: str = "Business value"
    acceptance_criteria: str = "Acceptance criteria"
    sla_due: str = "SLA due"
    sla_state: str = "SLA state"
    satisfaction: str = "Satisfaction"

    def required(self) -> dict[str, str]:
        """Concept -> field name for the fields every run needs."""
        return {"labels": self.labels, "customer": self.customer}

    def all(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """Reads and refused-before-processing writes are retried within these bounds."""

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    total_seconds: float = 120.0


@dataclass(frozen=True)
class Limits:
    """Safety: the circuit breaker refuses a run changing more than ``max_issues`` issues or
    ``max_percent`` % of those in scope; at most ``write_cap`` issues are written per run."""

    max_issues: int = 20
    max_percent: float = 10.0
    write_cap: int = 200


DEFAULT_KANBAN = (("confirmed", ("New",)), ("development", ("In Progress",)),
                  ("testing", ("Testing",)), ("acceptance", ("Awaiting acceptance",)))
REPORT_NAMES = ("weekly", "kpi", "customers", "monthly", "quarterly")
DEFAULT_SCHEDULES = {
    "weekly": "0 17 * * fri",          # Friday 17:00
    "kpi": "0 17 * * fri",
    "customers": "0 9 * * mon",
    "monthly": "0 17 LW * *",          # the last working day, 17:00
    "quarterly": "0 9 5 1,4,7,10 *",   # the 5th day of the quarter's first month
}


@dataclass(frozen=True)
class ReportsConfig:
    """Where and how reports are published; schedules are cron expressions in ``timezone``."""

    project: str | None = None
    lang: str = "en"
    timezone: str = "UTC"
    templates_dir: Path | None = None
    parent: str = "Reports"
    schedules: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SCHEDULES))
    # kanban stage -> this Redmine's statuses in it, in the board's order
    kanban: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_KANBAN
    key_dates_days: int = 30        # key dates (and renewals) shown this many days ahead
    risk_label: str | None = "risk"  # open issues with this label are risks people added
    satisfaction_scale: str = "csat"  # csat: mean of the answers; nps: 0-10 answers


@dataclass(frozen=True)
class Config:
    url: str = DEFAULT_URL
    api_key: Secret | None = field(default=None, repr=False)
    key_source: str = "none"
    projects: tuple[str, ...] = ()
    state_path: Path = DEFAULT_STATE
    rules_dir: Path = Path("rules")
    text_formatting: str = "textile"
    labels_backend: str = "custom_field"
    fields: FieldMap = FieldMap()
    timeouts: Timeouts = Timeouts()
    retries: RetryPolicy = RetryPolicy()
    limits: Limits = Limits()
    daemon_interval: str = "5m"
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    source: str | None = None
    warnings: tuple[str, ...] = ()
    tls_verify: bool | str = True   # True: the system trust store; a path: that CA bundle


_FIELDS_SCHEMA = s.Map(dict.fromkeys(FieldMap().all(), s.STRING))
SCHEMA = s.Map({
    "redmine": s.Map({
        "url": s.STRING,
        "api_key": s.STRING,
        "key_file": s.STRING,
        "text_formatting": s.OneOf(TEXT_FORMATS),
        "ca_bundle": s.STRING,
        "verify_tls": s.BOOLEAN,
        "timeouts": s.Map({"connect": s.NUMBER, "read": s.NUMBER}),
        "retries": s.Map({
            "attempts": s.INTEGER, "backoff": s.NUMBER,
            "max_backoff": s.NUMBER, "total_seconds": s.NUMBER,
        }),
    }),
    "projects": s.ListOf(s.STRING),
    "state": s.Map({"path": s.STRING}),
    "rules_dir": s.STRING,
    "labels": s.Map({"backend": s.OneOf(LABEL_BACKENDS)}),
    "fields": _FIELDS_SCHEMA,
    "limits": s.Map({"max_issues": s.INTEGER, "max_percent": s.NUMBER, "write_cap": s.INTEGER}),
    "daemon": s.Map({"interval": s.STRING}),
    "reports": s.Map({
        "project": s.STRING, "lang": s.OneOf(("en", "zh")), "timezone": s.STRING,
        "templates_dir": s.STRING, "parent": s.STRING,
        "schedules": s.Map(dict.fromkeys(REPORT_NAMES, s.STRING)),
        "kanban": s.MapOf(s.ListOf(s.STRING)),
        "key_dates_days": s.INTEGER,
        "risk_label": s.STRING,
        "satisfaction_scale": s.OneOf(("csat", "nps")),
    }),
})

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
    redmine = data.get("redmine") or {}
    warnings: list[str] = []
    api_key, key_source = _api_key(redmine, doc, env, base, warnings)
    url = env.get("REDMINE_URL") or redmine.get("url") or DEFAULT_URL
    _check_url(url, doc)
    url, url_key = split_key(url)
    if url_key:
        warnings.append("the Redmine URL carries the API key (?key=...): it is used but never "
                        "shown; move it to REDMINE_API_KEY or redmine.key_file")
        if api_key is None:
            api_key, key_source = Secret(url_key), "the URL (?key=)"
    state = data.get("state") or {}
    return Config(
        url=url.rstrip("/"),
        api_key=api_key,
        key_source=key_source,
        projects=tuple(data.get("projects") or ()),
        state_path=_path(state.get("path"), base, default_state_path(url)),
        tls_verify=_tls_verify(redmine, base, warnings),
        rules_dir=_path(data.get("rules_dir"), base, base / "rules"),
        text_formatting=redmine.get("text_formatting", "textile"),
        labels_backend=(data.get("labels") or {}).get("backend", "custom_field"),
        fields=FieldMap(**(data.get("fields") or {})),
        timeouts=Timeouts(**(redmine.get("timeouts") or {})),
        retries=RetryPolicy(**(redmine.get("retries") or {})),
        limits=Limits(**(data.get("limits") or {})),
        daemon_interval=str((data.get("daemon") or {}).get("interval", "5m")),
        reports=_reports(data.get("reports") or {}, base),
        source=doc.file if doc else None,
        warnings=tuple(warnings),
    )


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


def _tls_verify(redmine: dict[str, Any], base: Path, warnings: list[str]) -> bool | str:
    if redmine.get("verify_tls") is False:
        warnings.append("TLS certificates are NOT checked (redmine.verify_tls: false): anyone "
                        "between this machine and Redmine can read the API key; set "
                        "redmine.ca_bundle to the CA's file instead")
        return False
    if redmine.get("ca_bundle"):
        bundle = _path(redmine["ca_bundle"], base, base)
        if not bundle.is_file():
            raise ConfigError(f"redmine.ca_bundle: {bundle} does not exist",
                              hint="give the PEM file of the CA that signed Redmine's "
                              "certificate")
        return str(bundle)
    return True


def _reports(data: dict[str, Any], base: Path) -> ReportsConfig:
    schedules = {**DEFAULT_SCHEDULES, **(data.get("schedules") or {})}
    templates = data.get("templates_dir")
    return ReportsConfig(
        project=data.get("project"), lang=data.get("lang", "en"),
        timezone=data.get("timezone", "UTC"),
        templates_dir=_path(templates, base, base) if templates else None,
        parent=data.get("parent", "Reports"), schedules=schedules,
        kanban=tuple((str(k), tuple(map(str, v or ()))) for k, v in data["kanban"].items())
        if data.get("kanban") else DEFAULT_KANBAN,
        key_dates_days=int(data.get("key_dates_days", 30)),
        risk_label=data.get("risk_label", "risk") or None,
        satisfaction_scale=data.get("satisfaction_scale", "csat"))


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
