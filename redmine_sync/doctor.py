"""``redmine-sync doctor``: is this Redmine ready for the tool? One line per check, with a fix.

Each check is a small function of (config, client) returning ``Check`` results; the
first failure that makes later checks meaningless (unreachable, key refused) stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from redmine_sync import markup
from redmine_sync.config import Config
from redmine_sync.errors import NotFound
from redmine_sync.errors import ProjectUnavailable
from redmine_sync.errors import RedmineAuthError
from redmine_sync.errors import RedmineError
from redmine_sync.errors import RedmineGone
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import UserError
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import Project
from redmine_sync.redmine import RedmineClient
from redmine_sync.rules.customers import CustomerBook
from redmine_sync.rules.online import check_config_names
from redmine_sync.rules.online import check_names
from redmine_sync.store import account_mark
from redmine_sync.store import bound_url
from redmine_sync.store import recorded_identity
from redmine_sync.sync import load_ruleset

OK, WARN, FAIL = "ok", "warn", "FAIL"
REQUIRED_PERMISSIONS = {
    "view_issues": "View issues",
    "edit_issues": "Edit issues",
    "add_issue_notes": "Add notes",
    "set_notes_private": "Set notes as private",
    "manage_issue_relations": "Manage issue relations",
    "view_wiki_pages": "View wiki",
    "edit_wiki_pages": "Edit wiki pages",
}
USEFUL_PERMISSIONS = {
    "edit_own_issue_notes": (
        "Edit own notes",
        ("a note that tells of a field Redmine dropped cannot be corrected; apply reports "
         "it as still telling of it")),
}
"""Not needed for a run, but without them something the tool does is left undone."""
MAX_SKEW_SECONDS = 60.0
MAX_LISTED = 5
SAMPLE = 100  # issues read per project to look at a field's values


@dataclass(frozen=True)
class Check:
    status: str
    name: str
    detail: str
    fix: str = ""
    checked: bool = True   # False: a warning that this key or server could not check it

    def render(self) -> str:
        line = f"{self.status:<4}  {self.name:<16} {self.detail}"
        return f"{line}\n      fix: {self.fix}" if self.fix else line


class _Stop(Exception):
    """A failure after which the remaining checks cannot run."""


def run_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    """Yield every check's result in order; stop early when Redmine cannot be used at all."""
    yield _config_check(config)
    if config.api_key is None:
        return
    steps: tuple[Callable[[Config, RedmineClient, datetime], Iterator[Check]], ...] = (
        _connection_checks, _markup_check, _project_checks, _issue_checks, _field_checks,
        _rule_checks, _permission_checks, _watch_check, _clock_check, _state_check,
    )
    for step in steps:
        try:
            yield from step(config, client, now)
        except _Stop:
            return
        except RedmineError as exc:  # a check that could not run is a failed check
            yield Check(FAIL, step.__name__.strip("_").removesuffix("_checks")
                        .removesuffix("_check").replace("_", " "), str(exc).splitlines()[0],
                        "see the message; redmine.url must be the Redmine itself")
            if isinstance(exc, RedmineGone):
                return


def _config_check(config: Config) -> Check:
    where = config.source or "no file (defaults + environment)"
    if config.api_key is None:
        return Check(FAIL, "config", f"{where}; no API key",
                     "export REDMINE_API_KEY=<the bot user's key> or set redmine.key_file")
    return Check(OK, "config", f"{where}; key from {config.key_source}")


def _connection_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    try:
        me = client.current_user()
    except RedmineUnavailable as exc:
        yield Check(FAIL, "reachable", str(exc).split(" Is it running")[0],
                    f"start Redmine or fix redmine.url / REDMINE_URL (now {config.url}); "
                    "for the local one: scripts/redmine-local up")
        raise _Stop from None
    except RedmineAuthError as exc:
        yield Check(OK, "reachable", f"{config.url} answered")
        yield _auth_failure(exc)
        raise _Stop from None
    except RedmineError as exc:
        yield Check(FAIL, "reachable", f"{config.url}: {exc}",
                    "check that redmine.url is the Redmine base URL")
        raise _Stop from None
    yield Check(OK, "reachable", f"{config.url} answered")
    yield Check(OK, "REST API", "enabled")
    if me.admin:
        yield Check(WARN, "API key", f"accepted: user {me.login} is an ADMINISTRATOR",
                    "use a dedicated non-admin bot user with only the permissions it needs")
    else:
        yield Check(OK, "API key", f"accepted: user {me.login} ({me.name})")


def _auth_failure(exc: RedmineAuthError) -> Check:
    if "403" in str(exc):
        return Check(FAIL, "REST API", "disabled (every call answers 403)",
                     "Administration > Settings > API > Enable REST web service")
    return Check(FAIL, "API key", "refused by Redmine (401); an invalid key would otherwise "
                 "silently read public data as Anonymous",
                 "copy the key from the bot user's My account > API access key")


def _markup_check(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    configured, actual = config.text_formatting, client.text_formatting()
    if actual is None:
        yield Check(WARN, "text format", f"not measured: Redmine's text preview needs a login "
                    f"here; notes and pages are written in {configured}",
                    "check Administration > Settings > General > Text formatting is "
                    f"{markup.LABELS[configured]}, or set redmine.text_formatting to match",
                    checked=False)
    elif actual != configured:
        yield Check(FAIL, "text format", f"Redmine renders {actual}, the config writes "
                    f"{configured}: pages would lose their headings, charts show as raw markup",
                    f"set redmine.text_formatting: {actual} in the config")
    else:
        yield Check(OK, "text format", f"{actual} (as the config says)")


def _project_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    if not config.projects:
        yield Check(WARN, "projects", "none configured: every visible project is in scope",
                    "list the projects to manage under projects: in the config")
        return
    for identifier in config.projects:
        try:
            project = client.project(identifier)
        except ProjectUnavailable:
            yield Check(FAIL, "projects", f"{identifier}: archived, or private and the bot is "
                        "not a member (Redmine answers 403 to it; every command would stop)",
                        "unarchive it (Administration > Projects), add the bot as a member, "
                        "or remove it from projects:")
            continue
        except (NotFound, RedmineAuthError):
            yield Check(FAIL, "projects", f"{identifier}: not found or not visible to this key",
                        "check the identifier (Settings > Identifier) and add the bot user as "
                        "a member of the project")
            continue
        yield from _scope_checks(config, client, project)
        missing = [m for m in ("issue_tracking", "wiki") if m not in project.modules]
        if missing:
            yield Check(WARN, "projects", f"{identifier}: module(s) {', '.join(missing)} disabled",
                        f"Project {identifier} > Settings > Modules: enable them")
        else:
            yield Check(OK, "projects", f"{identifier}: {project.name}")


def _issue_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    """The issue list is what every run reads: read its first issue of each project."""
    for identifier in config.projects or (None,):
        issues = client.iter_issues(project=identifier)
        try:
            first = next(iter(issues), None)
        except ProjectUnavailable:
            continue  # named by the projects check
        finally:
            close = getattr(issues, "close", None)
            if close:
                close()
        where = identifier or "all projects"
        yield Check(OK, "issues", f"{where}: readable" + ("" if first else " (none yet)"))


def _scope_checks(config: Config, client: RedmineClient, project: Project) -> Iterator[Check]:
    """What a project in scope holds that the tool cannot manage, or would not see."""
    name = project.identifier
    if project.status == "closed":
        yield Check(FAIL, "project scope", f"{name}: closed (read-only): no note, field or "
                    "page can be written there", f"reopen it (Project {name} > Settings) or "
                    "remove it from projects:")
    unlisted = [p for p in project.subprojects if p not in config.projects]
    if unlisted:
        yield Check(WARN, "project scope", f"{name}: subproject(s) {', '.join(unlisted)} not "
                    "listed: their issues are left alone (Redmine shows them under "
                    f"{name}, the tool does not)",
                    "list them under projects: to manage them too")
    try:
        visibility = client.issues_visibility(name)
    except RedmineError:
        return
    if visibility not in (None, "all"):
        seen = "public issues and its own" if visibility == "default" else "its own issues"
        yield Check(FAIL, "project scope", f"{name}: the bot's role sees only {seen}: "
                    "private issues would be skipped without a word",
                    "Administration > Roles and permissions > the bot's role > Issues "
                    "visibility: All issues")


def _field_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    known = client.catalog().custom_fields()
    required = config.fields.required()
    for concept, name in config.fields.all().items():
        status = FAIL if concept in required else WARN
        if name not in known:
            yield Check(status, "custom field", f"{name!r} ({concept}) does not exist or is not "
                        "visible to the bot",
                        f"create an issue custom field {name!r} (Administration > Custom fields) "
                        f"or map fields.{concept} to an existing one")
            continue
        definition = known[name]
        if concept == "labels" and definition.format and not (
                definition.format == "list" and definition.multiple):
            yield Check(FAIL, "custom field", f"{name!r} must be a list field with multiple "
                        f"values (it is {definition.format})", "change its format or the mapping")
            continue
        if concept == "labels" and definition.seen_on_issue and not definition.multiple:
            yield Check(FAIL, "custom field", f"{name!r} holds one value (its issues carry no "
                        "'multiple'): the tool writes a set of labels",
                        f"Administration > Custom fields > {name}: tick Multiple values, or "
                        "map fields.labels to a multi-value list field")
            continue
        yield from _field_in_projects(config, client, concept, name, status)
        yield from _field_in_trackers(config, client, concept, definition, status)
    yield from _required_fields(config, client, known)


def _field_in_projects(config: Config, client: RedmineClient, concept: str, name: str,
                       status: str) -> Iterator[Check]:
    off = [p for p in config.projects if name not in _project_fields(client, p, default=(name,))]
    if off:
        yield Check(status, "custom field", f"{name!r} ({concept}) not enabled in: "
                    f"{', '.join(off)}", "tick it in each project's Settings > Information > "
                    "Custom fields, or make it 'For all projects'")
    else:
        yield Check(OK, "custom field", f"{name!r} ({concept})")


def _field_in_trackers(config: Config, client: RedmineClient, concept: str,
                       definition: CustomFieldDef, status: str) -> Iterator[Check]:
    """A field not enabled for a tracker is dropped from every write to its issues."""
    if not definition.trackers and definition.format == "":  # a non-admin key's view
        if concept == "labels":  # the field every write sets: say it was not checked
            yield Check(WARN, "custom field", f"{definition.name!r} ({concept}): trackers not "
                        "checked: a non-admin key cannot read a field's trackers",
                        f"make sure Administration > Custom fields > {definition.name} > "
                        "Trackers ticks every tracker of the projects in scope", checked=False)
        return
    for identifier in config.projects:
        try:
            trackers = client.project(identifier).trackers
        except RedmineError:
            continue
        off = [t for t in trackers if t not in (definition.trackers or ())]
        if off:
            yield Check(status, "custom field", f"{definition.name!r} ({concept}) not enabled "
                        f"for tracker(s) {', '.join(off)} of {identifier}: Redmine drops it "
                        "from their issues", f"Administration > Custom fields > "
                        f"{definition.name} > Trackers: tick {', '.join(off)}")


def _required_fields(config: Config, client: RedmineClient,
                     known: dict[str, CustomFieldDef]) -> Iterator[Check]:
    """A required field the tool does not fill: an issue without it refuses every change."""
    filled = set(config.fields.all().values())
    for definition in known.values():
        if not definition.is_required or definition.name in filled:
            continue
        used = [p for p in config.projects if definition.name in _project_fields(client, p, ())]
        if used or not config.projects:
            yield Check(WARN, "custom field", f"{definition.name!r} is required and the tool "
                        "does not fill it: Redmine refuses every change to an issue without it "
                        f"(422 \"{definition.name} cannot be blank\")",
                        f"give it a default value, make it optional, or fill it on every issue "
                        f"of {', '.join(used) or 'the projects'}")


def _project_fields(client: RedmineClient, identifier: str,
                    default: tuple[str, ...]) -> tuple[str, ...]:
    """Fields enabled in a project; ``default`` for a project already reported as missing."""
    try:
        return client.project(identifier).custom_fields
    except RedmineError:
        return default


def _rule_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    """The names and values the rules use, against this Redmine (as validate --online)."""
    try:
        ruleset = load_ruleset(config)
    except UserError as exc:
        yield Check(FAIL, "rules", str(exc).splitlines()[0], "redmine-sync validate shows "
                    "every problem with its file and line")
        return
    catalog = client.catalog()
    for problem in check_config_names(config, catalog):
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        yield Check(FAIL, "config", f"{where}: {problem.path}: {problem.message}",
                    problem.hint)
    problems = check_names(ruleset, catalog, config.fields)
    for problem in problems[:MAX_LISTED]:
        yield Check(FAIL, "rules", f"{problem.file}:{problem.line}: {problem.message}",
                    problem.hint or "fix the rule or add it in Redmine")
    if len(problems) > MAX_LISTED:
        yield Check(FAIL, "rules", f"... and {len(problems) - MAX_LISTED} more",
                    "redmine-sync validate --online lists them all")
    yield from _customer_values(config, client, ruleset.customers)
    labels = catalog.custom_fields().get(config.fields.labels)
    used = sorted({u.name for u in ruleset.names if u.kind == "label"})
    if labels is not None and labels.possible_values is None and used:
        yield Check(WARN, "rules", f"{len(used)} label value(s) the rules set not checked: a "
                    f"non-admin key cannot read the values {config.fields.labels!r} allows",
                    f"make sure Administration > Custom fields > {config.fields.labels} lists: "
                    + ", ".join(used), checked=False)
    elif not problems:
        yield Check(OK, "rules", f"{len(ruleset.names)} name(s) and value(s) known to Redmine")


def _customer_values(config: Config, client: RedmineClient,
                     customers: CustomerBook) -> Iterator[Check]:
    """A Customer field whose kind the key cannot see (not an administrator) and whose
    values are all numbers no customer is called: a key/value list or a user field,
    which Redmine shows such a key as keys and ids only."""
    name = config.fields.customer
    definition = client.catalog().custom_fields().get(name)
    if customers.identify != "field" or definition is None or definition.format:
        return
    values: set[str] = set()
    for project in config.projects:
        try:
            for issue in islice(client.iter_issues(project), SAMPLE):
                value = issue.cf(name)
                values.update(value if isinstance(value, tuple) else [value] if value else [])
        except RedmineError as exc:
            yield Check(FAIL, "custom field", f"{name!r} (customer) values of {project} cannot "
                        f"be read as shown: {str(exc).splitlines()[0]}",
                        "the bot's key reads labels and names through the issue export "
                        "(/issues.csv); allow it, or make the field a list or text field")
            return
    known = [v for v in values if customers.find(field_value=v, project="", author_mail=None)]
    if values and not known and all(v.isdigit() for v in values):
        shown = ", ".join(sorted(values, key=int)[:5])
        yield Check(FAIL, "custom field", f"{name!r} (customer) values look like ids ({shown}): "
                    "a key/value list or user field, which Redmine shows a non-admin key as "
                    "keys only; no issue would be tiered or routed by customer",
                    "make it a list or text field, or add each key to its customer's aliases "
                    "in customers.yaml (e.g. aliases: ['" + shown.split(", ")[0] + "'])")


def _permission_checks(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    for identifier in config.projects:
        try:
            perms = client.permissions(identifier)
        except RedmineError:
            continue
        if perms is None:
            yield Check(OK, "permissions", f"{identifier}: administrator (all)")
            continue
        missing = [label for key, label in REQUIRED_PERMISSIONS.items() if key not in perms]
        if missing:
            yield Check(FAIL, "permissions", f"{identifier}: missing {', '.join(missing)}",
                        "Administration > Roles and permissions > the bot's role: tick them")
        else:
            yield Check(OK, "permissions", f"{identifier}: all {len(REQUIRED_PERMISSIONS)} needed")
        for key, (label, without) in USEFUL_PERMISSIONS.items():
            if key not in perms:
                yield Check(WARN, "permissions", f"{identifier}: no {label}: {without}",
                            f"Administration > Roles and permissions > the bot's role: "
                            f"tick {label}")


def _watch_check(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    """The bot watching issues: Redmine's "Auto watch" preference of its account was on
    when it wrote them (apply switches it off before writing)."""
    for identifier in config.projects or (None,):
        try:
            count = client.watched(identifier)
        except (RedmineAuthError, NotFound):
            continue  # named by the projects check
        if count:
            yield Check(WARN, "watchers", f"{identifier or 'all projects'}: the bot watches "
                        f"{count} issue(s) (its account's preference \"Auto watch issues I "
                        "contributed to\" was on when it wrote them; apply switches it off "
                        "before writing)",
                        "remove the bot from those issues' watchers: the issue list filtered "
                        "by Watcher = the bot's user, then each issue's Watchers box")


def _clock_check(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    server_now = client.server_time()
    if server_now is None:
        yield Check(WARN, "clock", "not measured: the server sends no Date header",
                    "serve Redmine through a web server that sends Date (Apache, nginx), and "
                    "run NTP on both machines; SLA times use Redmine's timestamps",
                    checked=False)
        return
    skew = (server_now - now).total_seconds()
    detail = f"server clock differs by {skew:+.0f}s"
    if abs(skew) > MAX_SKEW_SECONDS:
        yield Check(WARN, "clock", detail, "run NTP (timedatectl set-ntp true) on both machines; "
                    "SLA times are computed from Redmine's timestamps")
    else:
        yield Check(OK, "clock", detail)


def _state_check(config: Config, client: RedmineClient, now: datetime) -> Iterator[Check]:
    """Whether the state file describes this Redmine: bound to another URL (runs refuse
    it), or this URL's Redmine was rebuilt since (the bot's account is not the same)."""
    path = config.state_path
    url, bot = recorded_identity(path)
    if url is not None and url != bound_url(config.url):
        yield Check(FAIL, "state", f"{path} belongs to the Redmine at {url}, not {config.url}",
                    "give this Redmine its own state file: remove state.path from the config "
                    "(the default is one file per Redmine) or point it elsewhere")
        return
    me = client.current_user()
    mark = account_mark(me)
    if bot is None or mark is None or bot.split(" ")[0] != me.login:
        yield Check(OK, "state", f"{path}" + ("" if path.exists() else " (none yet: the "
                                               "first run reads every issue)"))
        return
    if bot != mark:
        yield Check(WARN, "state", f"{path} describes another Redmine at this URL: the bot's "
                    f"account {me.login} was created at {bot.split(' ', 1)[1]} there, at "
                    f"{mark.split(' ', 1)[1]} here (rebuilt)",
                    "nothing, if this Redmine replaced that one: the next run drops what the "
                    "state held of the old one's issues and reads every issue (runs and the "
                    "ledger stay); otherwise point state.path to this Redmine's own file")
        return
    yield Check(OK, "state", f"{path} describes this Redmine")
