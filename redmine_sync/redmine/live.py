"""The only module that talks to Redmine: python-redmine with a stricter engine, plus raw calls.

python-redmine 2.5 ignores timeouts, has no retries and hides HTTP details, so requests
go through ``_Engine`` (real connect/read timeouts, retryable statuses surfaced with
their ``Retry-After``, 422 error lists kept verbatim, bodies that are not JSON named as
such) and every read goes through ``_get``, which checks the answer's shape
(``answers.py``) before anything maps it.

Failures are the tool's own errors, never a raw ``requests`` exception: a refused
certificate is ``RedmineTLSError``; timeouts, resets and DNS failures are retried within
ONE budget per client (``retries.total_seconds``; the CLI makes one client per run), after
which ``RedmineUnavailable`` stops the run. A write whose answer was lost is never blindly
resent: before a resend the adapter looks whether it landed (the note of an issue PUT,
the relation, the wiki text); an upload is resent (an unattached upload is discarded by
Redmine).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import ssl
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextlib import suppress
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Any
from typing import TypeVar
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

import requests
from redminelib import Redmine
from redminelib import exceptions as rexc
from redminelib.engines.sync import SyncEngine

from redmine_sync import markup
from redmine_sync import progress
from redmine_sync.clock import utc_now
from redmine_sync.config import Config
from redmine_sync.config import RetryPolicy
from redmine_sync.config import Timeouts
from redmine_sync.errors import NotFound
from redmine_sync.errors import PermissionDenied
from redmine_sync.errors import ProjectUnavailable
from redmine_sync.errors import RedmineAuthError
from redmine_sync.errors import RedmineError
from redmine_sync.errors import RedmineTLSError
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import RedmineValidationError
from redmine_sync.errors import UnusableAnswer
from redmine_sync.errors import UserError
from redmine_sync.errors import WikiConflict
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import CustomValue
from redmine_sync.model import Issue
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Membership
from redmine_sync.model import Project
from redmine_sync.model import Ref
from redmine_sync.model import Relation
from redmine_sync.model import UpdateResult
from redmine_sync.model import User
from redmine_sync.model import WikiPage
from redmine_sync.model import WikiWrite
from redmine_sync.redmine import answers
from redmine_sync.redmine import fields
from redmine_sync.redmine import mapping
from redmine_sync.redmine import shown as shown_values
from redmine_sync.redmine.catalog import Catalog
from redmine_sync.redmine.catalog import Lookup
from redmine_sync.redmine.catalog import Named
from redmine_sync.redmine.verify import check_wiki_base
from redmine_sync.redmine.verify import dropped_changes
from redmine_sync.redmine.verify import encode_update
from redmine_sync.redmine.verify import permission_label

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 100
RETRYABLE = frozenset({429, 502, 503, 504})
NOTE_MATCH_WINDOW = timedelta(minutes=10)
PROJECT_STATUSES = {1: "active", 5: "closed", 9: "archived"}
NON_MEMBER_ROLE = 1  # Redmine's built-in "Non member" role
DEFAULT_TIMEOUTS = Timeouts()
DEFAULT_RETRIES = RetryPolicy()


class _Busy(Exception):
    """Redmine (or a proxy in front of it) answered 429/502/503/504."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class _Engine(SyncEngine):
    """python-redmine's engine with timeouts that apply and clearer answers."""

    timeout: tuple[float, float] = (5.0, 30.0)
    verify: bool | str = True
    last_date: str | None = None

    def construct_request_kwargs(
        self, method: str, headers: Any, params: Any, data: Any
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = SyncEngine.construct_request_kwargs(method, headers, params, data)
        kwargs["timeout"] = self.timeout
        # per request, as requests lets REQUESTS_CA_BUNDLE override a session's setting
        kwargs["verify"] = self.verify
        return kwargs

    def process_response(self, response: requests.Response) -> Any:
        if response.headers.get("Date"):
            type(self).last_date = response.headers["Date"]
        if response.status_code in RETRYABLE:
            raise _Busy(response.status_code, _retry_after(response.headers.get("Retry-After")))
        if response.status_code == 422:
            errors = _json_errors(response)
            text = "; ".join(errors) or "no reason given (often an unknown parent page or field)"
            raise RedmineValidationError(f"Redmine refused the change: {text}", errors)
        if response.status_code in (200, 201):
            return _json_body(response)
        return super().process_response(response)


class LiveRedmine:
    """A real Redmine over REST. See ``redmine_sync.redmine.RedmineClient`` for the contract."""

    @classmethod
    def from_config(cls, config: Config, *, retries: RetryPolicy | None = None) -> LiveRedmine:
        tags_field = config.fields.labels if config.labels_backend == "additional_tags" else None
        return cls(config.url, config.api_key, projects=config.projects,
                   timeouts=config.timeouts, retries=retries or config.retries,
                   tags_field=tags_field, verify=config.tls_verify)

    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        projects: tuple[str, ...] = (),
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retries: RetryPolicy = DEFAULT_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        tags_field: str | None = None,
        verify: bool | str = True,
    ) -> None:
        """``tags_field``: labels live in the additional_tags plugin's tags, shown to the
        rest of the tool as that (pseudo) custom field. ``verify``: a CA bundle file,
        True (the system's trust store) or False (no certificate check at all)."""
        self.url = url.rstrip("/")
        self.projects = projects
        self.retries = retries
        self.requests_made = 0
        self.retry_seconds = 0.0  # the run's budget spent: failed attempts and waits
        self.tags_field = tags_field
        self._sleep = sleep
        self._monotonic = monotonic
        engine: type[_Engine] = type(
            "_BoundEngine", (_Engine,), {"timeout": (timeouts.connect, timeouts.read),
                                         "verify": _trust(verify)})
        self._engine_class = engine
        self._rm = Redmine(self.url, key=api_key or None, engine=engine, version="5.0.4",
                           raise_attr_exception=False)
        self._me: User | None = None
        self._catalog: Catalog | None = None
        self._markup: str | None = None
        self._tree: list[tuple[int, str, int | None]] | None = None
        self._samples: dict[str, list[dict[str, Any]]] = {}
        self._shown = shown_values.ShownValues()
        self._categories: dict[int, dict[str, tuple[int, str]]] = {}  # project id -> names

    # -- transport ---------------------------------------------------------------------

    def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                 data: dict[str, Any] | None = None) -> Any:
        self.requests_made += 1
        return self._rm.engine.request(method, f"{self.url}{path}", params=params, data=data)

    def _get(self, path: str, shape: str, params: dict[str, Any] | None = None) -> Any:
        """One GET, retried within the budget, its answer checked against ``shape``."""
        what = f"GET {path}"
        data = self._read(what, partial(self._request, "get", path, params=params))
        return answers.checked(what, data, shape)

    def _paged(self, path: str, key: str, params: dict[str, Any] | None = None
               ) -> list[dict[str, Any]]:
        """Every row of a collection that Redmine pages with offset/limit."""
        rows: list[dict[str, Any]] = []
        while True:
            data = self._get(path, key, dict(params or {}, offset=len(rows), limit=PAGE))
            page = data[key]
            rows += page
            if not page or len(rows) >= int(data.get("total_count") or 0):
                return rows

    def _read(self, what: str, call: Callable[[], T]) -> T:
        """Run a read with retries on network errors and busy answers, within the budget."""
        return self._retrying(what, call, safe=lambda exc: True)

    def _retrying(self, what: str, call: Callable[[], T],
                  safe: Callable[[BaseException], bool] = lambda exc: True) -> T:
        """Run ``call``, retrying transport failures and busy answers.

        The budget is the client's: every failed attempt and every wait counts against
        ``retries.total_seconds`` for the whole run, so a Redmine that stays down ends the
        run within that budget plus one request timeout, however many requests remain.
        ``safe(exc)`` False means resending could repeat a write: it is not resent.
        """
        policy = self.retries
        delay, attempt, last = policy.backoff, 0, ""
        while True:
            attempt += 1
            began = self._monotonic()
            try:
                return _translated(call, what)
            except (_Busy, requests.RequestException) as exc:
                self.retry_seconds += self._monotonic() - began
                _not_transient(exc, what, self.url)
                last = _describe(exc)
                if not safe(exc):
                    raise RedmineUnavailable(
                        f"the answer to {what} was lost ({last}); the write may or may not "
                        "have landed, so it was not sent again; the next run checks") from None
                if isinstance(exc, _Busy) and exc.retry_after is not None:
                    wait = exc.retry_after  # the server said when; never earlier
                else:
                    wait = min(delay, policy.max_backoff) * random.uniform(0.8, 1.0)
                if attempt >= policy.attempts or \
                        self.retry_seconds + wait > policy.total_seconds:
                    raise self._unavailable(what, attempt, last) from None
                log.warning("Redmine %s failed (%s); retry %d/%d in %.1fs",
                            what, last, attempt, policy.attempts - 1, wait)
                self._sleep(wait)
                self.retry_seconds += wait
                delay = min(delay * 2, policy.max_backoff)

    def _unavailable(self, what: str, attempts: int, last: str) -> RedmineError:
        spent = self.retry_seconds
        budget = self.retries.total_seconds
        return RedmineUnavailable(
            f"Redmine at {self.url} did not answer {what} after {attempts} attempt(s) "
            f"(last error: {last}; {spent:.0f}s of the run's {budget:g}s retry budget "
            "spent). Is it running and reachable? Check with: redmine-sync doctor"
        )

    # -- who and what ------------------------------------------------------------------

    def current_user(self) -> User:
        if self._me is None:
            self._me = mapping.user_from_json(self._get("/users/current.json", "user")["user"])
        return self._me

    def server_time(self) -> datetime | None:
        """Redmine's clock from the Date header, or None when the server sends none (thin)."""
        if not self._engine_class.last_date:
            self._get("/issue_statuses.json", "issue_statuses")
        if not self._engine_class.last_date:
            return None
        try:
            parsed = email.utils.parsedate_to_datetime(self._engine_class.last_date)
        except (TypeError, ValueError):
            return None
        return parsed.astimezone(UTC)

    def text_formatting(self) -> str | None:
        """The instance's markup, from how Redmine's text preview renders a probe.

        ``GET /preview/text`` renders with the configured formatter and needs no login
        unless the instance requires one for everything; None when it cannot be told.
        """
        if self._markup is None:
            self._markup = self._probe_markup() or ""
        return self._markup or None

    def _probe_markup(self) -> str | None:
        self.requests_made += 1
        try:
            answer = self._rm.engine.session.get(
                f"{self.url}/preview/text", params={"text": markup.PROBE},
                timeout=self._engine_class.timeout, verify=self._engine_class.verify,
                allow_redirects=False)
        except requests.RequestException as exc:
            log.warning("could not probe the text formatting: %s", _describe(exc))
            return None
        if answer.status_code != 200:
            log.info("text preview answered HTTP %d (login required?)", answer.status_code)
            return None
        return markup.classify(answer.text)

    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(
                {"statuses": self._statuses, "priorities": self._priorities,
                 "trackers": self._trackers, "principals": self._principals,
                 "versions": self._versions, "roles": self._roles},
                self._custom_fields,
            )
        return self._catalog

    def _statuses(self) -> Lookup:
        rows = self._get("/issue_statuses.json", "issue_statuses")["issue_statuses"]
        return Lookup("status", (Named(r["id"], r["name"], is_closed=bool(r.get("is_closed")))
                                 for r in rows))

    def _priorities(self) -> Lookup:
        rows = self._get("/enumerations/issue_priorities.json",
                         "issue_priorities")["issue_priorities"]
        return Lookup("priority", (Named(r["id"], r["name"], is_default=bool(r.get("is_default")))
                                   for r in rows if r.get("active", True)))

    def _trackers(self) -> Lookup:
        rows = self._get("/trackers.json", "trackers")["trackers"]
        return Lookup("tracker", (Named(t["id"], t["name"]) for t in rows))

    def _roles(self) -> Lookup:
        rows = self._get("/roles.json", "roles")["roles"]
        return Lookup("role", (Named(r["id"], r["name"]) for r in rows))

    def _principals(self) -> Lookup:
        items: dict[int, Named] = {}
        for project in self._scope_projects():
            for m in self.memberships(project):
                items[m.principal.id] = Named(m.principal.id, m.principal.name, is_group=m.is_group)
        if self.current_user().admin:
            for u in self._paged("/users.json", "users", {"status": ""}):
                name = f"{u.get('firstname') or ''} {u.get('lastname') or ''}".strip()
                items[u["id"]] = Named(u["id"], name, login=u.get("login") or "")
        me = self.current_user()
        items.setdefault(me.id, Named(me.id, me.name, login=me.login))
        users = [i for i in items.values() if not i.is_group and not i.login]
        return Lookup("user or group", items.values(),
                      hint="(assignees must be members of the project with an assignable role)",
                      more=partial(self._logins, users))

    def _versions(self) -> Lookup:
        items: dict[int, Named] = {}
        for project in self._scope_projects():
            path = f"/projects/{quote(project)}/versions.json"
            try:
                rows = self._get(path, "versions")["versions"]
            except NotFound:
                continue
            items.update((int(r["id"]), Named(int(r["id"]), r["name"])) for r in rows)
        return Lookup("version", items.values(),
                      hint="(versions of the projects in scope and those shared with them)")

    def _decoder(self) -> mapping.CustomDecoder:
        """Custom field values as shown in the web UI: labels, user and version names.

        The kinds come from ``/custom_fields.json`` (administrators only); for another key
        the values learned from the issue export are shown (``_learn_shown``), others stay
        as Redmine stores them (doctor says so).
        """
        catalog = self.catalog()

        def decode(item: dict[str, Any]) -> CustomValue:
            definition = catalog.custom_field_by_id(item["id"])
            if definition is None:
                return mapping.custom_value(item)
            if definition.format == "":
                return self._shown.decode(item)
            if definition.format in ("string", "text", "list"):
                return mapping.custom_value(item)
            return fields.decode(definition, item.get("value"), users=_names(catalog, "principals"),
                                 versions=_names(catalog, "versions"))
        return decode

    def _learn_shown(self, rows: list[dict[str, Any]]) -> None:
        """For a key that cannot read field kinds: what the digits these issues hold in
        fields of unknown kind show as, from one CSV export of those issues and fields
        (the export accepts the API key and shows values as the web UI does)."""
        catalog = self.catalog()

        def unknown(field_id: int) -> bool:
            definition = catalog.custom_field_by_id(field_id)
            return definition is not None and definition.format == ""

        wanted = self._shown.wanted(rows, unknown)
        if not wanted:
            return
        field_ids = sorted({f for fs in wanted.values() for f in fs})
        params: list[tuple[str, str]] = [
            ("set_filter", "1"), ("f[]", "status_id"), ("op[status_id]", "*"),
            ("f[]", "issue_id"), ("op[issue_id]", "="),
            ("v[issue_id][]", ",".join(map(str, sorted(wanted)))), ("encoding", "UTF-8"),
            *(("c[]", f"cf_{f}") for f in field_ids)]
        table = shown_values.parse_csv("GET /issues.csv", self._csv("/issues.csv", params))
        names = {f: catalog.custom_field_name(f) for f in field_ids}
        self._shown.learn([r for r in rows if int(r["id"]) in wanted], table, names)

    def _csv(self, path: str, params: list[tuple[str, str]]) -> str:
        """One GET of a CSV view with the API key, retried within the budget."""
        what = f"GET {path}"

        def call() -> str:
            self.requests_made += 1
            answer = self._rm.engine.session.get(
                f"{self.url}{path}", params=params, timeout=self._engine_class.timeout,
                verify=self._engine_class.verify, allow_redirects=False)
            if answer.status_code in RETRYABLE:
                raise _Busy(answer.status_code, _retry_after(answer.headers.get("Retry-After")))
            if answer.status_code in (301, 302, 401, 403):
                raise RedmineAuthError(
                    f"Redmine refused the issue export {what} to the API key (HTTP "
                    f"{answer.status_code}): custom field values of unknown kind (key/value "
                    "lists, users) cannot be shown as labels and names; give the bot "
                    "administrator rights, or make the fields list or text fields")
            kind = answer.headers.get("Content-Type", "").split(";")[0].strip()
            if answer.status_code != 200 or kind != "text/csv":
                raise UnusableAnswer(f"Redmine answered unusably at {what}: expected a CSV "
                                     f"export, got HTTP {answer.status_code} "
                                     f"{kind or 'without a content type'}")
            return answer.content.decode("utf-8-sig", errors="replace")

        return self._read(what, call)

    def _logins(self, users: list[Named]) -> Iterator[Named]:
        """Members' logins: memberships show display names only; one read per user."""
        for user in users:
            path = f"/users/{user.id}.json"
            try:
                data = self._get(path, "user")["user"]
            except NotFound:
                continue
            yield Named(user.id, user.name, login=data.get("login", ""))

    def _custom_fields(self) -> tuple[CustomFieldDef, ...]:
        try:
            rows = self._get("/custom_fields.json", "custom_fields")["custom_fields"]
        except RedmineAuthError:  # only admins may list them; projects show theirs
            return self._project_custom_fields()
        return tuple(_custom_field_def(r) for r in rows if r.get("customized_type") == "issue")

    def _project_custom_fields(self) -> tuple[CustomFieldDef, ...]:
        found: dict[int, CustomFieldDef] = {}
        for identifier in self._scope_projects():
            for field_id, name in self._project_field_refs(identifier):
                found.setdefault(field_id, CustomFieldDef(field_id, name))
            for item in self._sampled_fields(identifier):  # an issue says "multiple"
                found[int(item["id"])] = CustomFieldDef(
                    int(item["id"]), item["name"], multiple=bool(item.get("multiple")),
                    seen_on_issue=True)
        return tuple(found.values())

    def _project_field_refs(self, identifier: str) -> list[tuple[int, str]]:
        """Fields of a project as a non-admin can see them.

        The project's ``issue_custom_fields`` lists only fields ticked for it, not those
        "for all projects"; an issue of the project shows those too, so one is sampled.
        """
        refs = [(cf["id"], cf["name"]) for cf in
                self._project_json(identifier).get("issue_custom_fields", [])]
        return refs + [(cf["id"], cf["name"]) for cf in self._sampled_fields(identifier)]

    def _sampled_fields(self, identifier: str) -> list[dict[str, Any]]:
        """The ``custom_fields`` of one issue of the project (none in an empty project)."""
        if identifier not in self._samples:
            params = {"project_id": identifier, "status_id": "*", "limit": 1}
            rows = self._get("/issues.json", "issues", params)["issues"]
            self._samples[identifier] = [cf for row in rows for cf in row.get("custom_fields", [])]
        return self._samples[identifier]

    def _scope_projects(self) -> tuple[str, ...]:
        if self.projects:
            return self.projects
        return tuple(p["identifier"] for p in self._paged("/projects.json", "projects"))

    def _project_json(self, identifier: str) -> dict[str, Any]:
        path = f"/projects/{quote(identifier)}.json"
        params = {"include": "trackers,issue_custom_fields,enabled_modules"}
        try:
            data: dict[str, Any] = self._get(path, "project", params)["project"]
        except RedmineAuthError:
            raise self._project_refused(identifier) from None
        return data

    def _project_refused(self, identifier: str) -> RedmineAuthError:
        """A 403 for one project while the key works elsewhere: archived, or not visible."""
        self.current_user()  # raises the REST-API-disabled / key-refused error instead
        return ProjectUnavailable(
            f"project {identifier!r}: Redmine answered 403 although the API key works: the "
            "project is archived, or private and the bot is not a member. Fix: unarchive it "
            "(Administration > Projects), add the bot as a member, or remove it from "
            "projects: in the config")

    def project(self, identifier: str) -> Project:
        data = self._project_json(identifier)
        return Project(
            id=int(data["id"]), identifier=data["identifier"], name=data["name"],
            trackers=tuple(t["name"] for t in data.get("trackers", [])),
            custom_fields=tuple(dict.fromkeys(n for _, n in self._project_field_refs(identifier))),
            modules=tuple(m["name"] for m in data.get("enabled_modules", [])),
            status=PROJECT_STATUSES.get(int(data.get("status") or 1), "active"),
            is_public=bool(data.get("is_public", True)),
            subprojects=self._below(int(data["id"])),
        )

    def _below(self, project_id: int) -> tuple[str, ...]:
        """Identifiers of the projects under one (all levels), as this key sees them."""
        if self._tree is None:
            self._tree = [(int(p["id"]), p["identifier"], _parent_id(p))
                          for p in self._paged("/projects.json", "projects")]
        below, todo = [], [project_id]
        while todo:
            parent = todo.pop()
            for pid, identifier, up in self._tree:
                if up == parent:
                    below.append(identifier)
                    todo.append(pid)
        return tuple(below)

    def memberships(self, project: str) -> tuple[Membership, ...]:
        rows = self._paged(f"/projects/{quote(project)}/memberships.json", "memberships")
        out = []
        for m in rows:
            principal = m.get("user") or m.get("group")
            if principal is None:
                continue
            out.append(Membership(project, Ref(principal["id"], principal["name"]),
                                  m.get("group") is not None,
                                  tuple(r["name"] for r in m.get("roles") or ())))
        return tuple(out)

    def group_members(self, group: str) -> tuple[str, ...]:
        found = self.catalog().principals.get(group)
        path = f"/groups/{found.id}.json"
        data = self._get(path, "group", {"include": "users"})["group"]
        return tuple(u["name"] for u in data.get("users") or ())

    def user(self, user_id: int) -> User:
        path = f"/users/{int(user_id)}.json"
        return mapping.user_from_json(self._get(path, "user")["user"])

    def permissions(self, project: str) -> frozenset[str] | None:
        """The current user's permissions in ``project``; None means admin (everything).

        Roles from the bot's memberships (inherited ones included); in a public project
        where it is no member, the built-in "Non member" role's (id 1).
        """
        if self.current_user().admin:
            return None
        perms: set[str] = set()
        for role in self._bot_roles(project):
            perms.update(role.get("permissions", []))
        return frozenset(perms)

    def issues_visibility(self, project: str) -> str | None:
        """Which issues the bot's roles show it: "all", "default" (public ones and its
        own) or "own"; None for an administrator (all)."""
        if self.current_user().admin:
            return None
        seen = {role.get("issues_visibility", "default") for role in self._bot_roles(project)}
        for level in ("all", "default", "own"):
            if level in seen:
                return level
        return "own"

    def _bot_roles(self, project: str) -> list[dict[str, Any]]:
        """The bot's roles in a project (member roles, else "Non member" in a public one)."""
        data = self._project_json(project)
        project_id = int(data["id"])
        me = self._get("/users/current.json", "user", {"include": "memberships"})["user"]
        role_ids = {r["id"] for m in me.get("memberships") or ()
                    if m["project"]["id"] == project_id for r in m.get("roles") or ()}
        if not role_ids and data.get("is_public"):
            role_ids = {NON_MEMBER_ROLE}
        roles = []
        for role_id in sorted(role_ids):
            path = f"/roles/{role_id}.json"
            roles.append(self._get(path, "role")["role"])
        return roles

    # -- issues ------------------------------------------------------------------------

    def iter_issues(self, project: str | None = None,
                    updated_since: datetime | None = None) -> Iterator[Issue]:
        closed = frozenset(n.name for n in self.catalog().statuses.items if n.is_closed)
        decode = self._decoder()
        read = 0
        for rows, total in self._issue_pages(project, updated_since):
            self._learn_shown(rows)
            for row in rows:
                issue = _mapped("GET /issues.json", mapping.issue_from_json, row, closed,
                                None, decode)
                yield self._with_tags(issue, row)
            read += len(rows)
            progress.advance(progress.ISSUES_READ, read, max(total, read))

    def _issue_pages(self, project: str | None, updated_since: datetime | None
                     ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Keyset paging on (updated_on, id): no skips when issues change mid-scan.

        Each page restarts at the last timestamp seen (offset 0), so it repeats that page's
        last issue: one issue per page, the price of not skipping one that changes while
        the scan runs. The next page is asked for as soon as a page arrives, so Redmine
        serves it while the caller works on this one. Each page comes with the number of
        issues the first page said there were (for progress).
        """
        # relations: the reports' blockers; the list renders them with one query a page
        base: dict[str, Any] = {"status_id": "*", "sort": "updated_on,id", "limit": PAGE,
                                "include": "relations"}
        if project:  # only this project: a subproject is in scope when it is listed
            base.update(project_id=project, subproject_id="!*")

        def fetch(offset: int, cursor: str | None) -> tuple[list[dict[str, Any]], int]:
            params = dict(base, offset=offset)
            if cursor:
                params["updated_on"] = f">={cursor}"
            try:
                data = self._get("/issues.json", "issues", params)
            except RedmineAuthError:
                if not project:
                    raise
                raise self._project_refused(project) from None
            rows: list[dict[str, Any]] = data["issues"]
            return rows, int(data.get("total_count") or len(rows))

        cursor = mapping.format_time(updated_since) if updated_since else None
        offset, seen, total = 0, dict[int, str](), None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="redmine-pages") as pool:
            pending: Future[tuple[list[dict[str, Any]], int]] | None = pool.submit(
                fetch, offset, cursor)
            try:
                while pending is not None:
                    (rows, count), pending = pending.result(), None
                    total = count if total is None else total
                    if len(rows) == PAGE:
                        last = rows[-1]["updated_on"]
                        offset, cursor = ((offset + len(rows), cursor) if last == cursor
                                          else (0, last))
                        pending = pool.submit(fetch, offset, cursor)
                    fresh = [row for row in rows if seen.get(row["id"]) != row["updated_on"]]
                    seen.update((row["id"], row["updated_on"]) for row in fresh)
                    yield fresh, total
            finally:
                if pending is not None:
                    pending.cancel()

    def updated_on(self, issue_ids: Sequence[int], since: datetime | None = None
                   ) -> dict[int, datetime]:
        out: dict[int, datetime] = {}
        ids = list(dict.fromkeys(int(i) for i in issue_ids))
        changed = {} if since is None else {"updated_on": f">={mapping.format_time(since)}"}
        for start in range(0, len(ids), PAGE):
            chunk = ",".join(map(str, ids[start:start + PAGE]))
            rows = self._get("/issues.json", "issues", {
                "issue_id": chunk, "status_id": "*", "limit": PAGE, **changed})["issues"]
            for row in rows:
                out[int(row["id"])] = _mapped("GET /issues.json", mapping.updated_on, row)
        return out

    def get_issue(self, issue_id: int, *, journals: bool = True) -> Issue:
        includes = ["relations", "allowed_statuses", "attachments"]
        if journals:
            includes.append("journals")
        return self._issue(issue_id, includes)

    def issue_journals(self, issue_id: int, *, allowed_statuses: bool = False) -> Issue:
        # Redmine renders relations and attachments only when asked: a journal read
        # that does not need them costs about 40 ms instead of 65 ms on 5.0
        return self._issue(issue_id, ["journals", "allowed_statuses"] if allowed_statuses
                           else ["journals"])

    def _issue(self, issue_id: int, includes: list[str]) -> Issue:
        path = f"/issues/{int(issue_id)}.json"
        data = self._get(path, "issue", {"include": ",".join(includes)})["issue"]
        catalog = self.catalog()
        closed = frozenset(n.name for n in catalog.statuses.items if n.is_closed)
        self._learn_shown([data])
        issue = _mapped(f"GET {path}", mapping.issue_from_json, data, closed, catalog,
                        self._decoder())
        return self._with_tags(issue, data)

    def _with_tags(self, issue: Issue, data: dict[str, Any]) -> Issue:
        if self.tags_field is None:
            return issue
        tags = tuple(str(t["name"]) for t in data.get("tags", []) if t.get("name"))
        return replace(issue, custom_fields={**issue.custom_fields, self.tags_field: tags})

    def update_issue(self, update: IssueUpdate) -> UpdateResult:
        tags = None
        if self.tags_field is not None and self.tags_field in update.custom_fields:
            custom = dict(update.custom_fields)
            tags = custom.pop(self.tags_field)
            update = replace(update, custom_fields=custom)
        body = {"issue": encode_update(update, self.catalog())}
        if update.category is not None:
            body["issue"]["category_id"] = self._category_id(update.issue_id, update.category)
        if tags is not None:
            body["issue"]["tag_list"] = list(tags or ())
        path = f"/issues/{update.issue_id}.json"
        needed = "edit_issues" if update.changed_fields() else "add_issue_notes"
        with _forbidden(f"PUT {path}", needed):
            retried = self._put_issue(path, body, update)
        # the checks read the notes (journals, which the SLA cache keeps too) and, when
        # the update sets a status, the statuses the workflow allows; the cache keeps the
        # issue as read here, and the reports read its relations (blockers) there, as
        # the issue list gives them; attachments would cost Redmine more for nothing
        after = self._issue(update.issue_id, ["journals", "relations", "allowed_statuses"]
                            if update.status is not None else ["journals", "relations"])
        if tags is not None:
            update = replace(update, custom_fields={**update.custom_fields,
                                                    self.tags_field: tags})  # type: ignore[dict-item]
        return UpdateResult(after, dropped_changes(update, after, self.catalog()),
                            note_added=bool(update.notes), retried=retried)

    def _put_issue(self, path: str, body: dict[str, Any], update: IssueUpdate) -> bool:
        """PUT once; after an answer that may hide a landed write, look before resending."""
        attempts = 0

        def send() -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and update.notes and self._note_landed(update):
                log.info("issue #%d: the earlier attempt landed; not resending", update.issue_id)
                return
            self._request("put", path, data=body)

        self._retrying(f"PUT {path}", send, safe=lambda exc: True)
        return attempts > 1

    def _note_landed(self, update: IssueUpdate) -> bool:
        issue = self.issue_journals(update.issue_id)
        since = (self.server_time() or utc_now()) - NOTE_MATCH_WINDOW
        me = self.current_user().id
        return any(j.user.id == me and j.notes == update.notes
                   and j.created_on >= since
                   for j in issue.journals or ())

    def edit_note(self, journal_id: int, text: str) -> None:
        path = f"/journals/{int(journal_id)}.json"

        def send() -> None:  # the same text twice is the same note: resending is safe
            self._request("put", path, data={"journal": {"notes": text}})

        with _forbidden(f"PUT {path}", "edit_own_issue_notes"):
            try:
                self._retrying(f"PUT {path}", send)
            except NotFound:
                if text.strip():
                    raise  # blank: an earlier attempt whose answer was lost deleted it

    # -- relations ---------------------------------------------------------------------

    def relations(self, issue_id: int) -> tuple[Relation, ...]:
        path = f"/issues/{int(issue_id)}/relations.json"
        rows = self._get(path, "relations")["relations"]
        return tuple(_mapped(f"GET {path}", mapping.relation_from_json, r) for r in rows)

    def add_relation(self, issue_id: int, other_id: int, relation_type: str) -> Relation:
        for existing in self.relations(issue_id):
            if _same_relation(existing, issue_id, other_id, relation_type):
                return existing
        path = f"/issues/{int(issue_id)}/relations.json"
        body = {"relation": {"issue_to_id": int(other_id), "relation_type": relation_type}}
        attempts = 0

        def send() -> Relation:
            nonlocal attempts
            attempts += 1
            if attempts > 1:  # the earlier POST's answer was lost: did it land?
                landed = [r for r in self.relations(issue_id)
                          if _same_relation(r, issue_id, other_id, relation_type)]
                if landed:
                    log.info("issue #%d: the earlier relation POST landed", issue_id)
                    return landed[0]
            data = answers.checked(f"POST {path}", self._request("post", path, data=body),
                                   "relation")
            return mapping.relation_from_json(data["relation"])

        with _forbidden(f"POST {path}", "manage_issue_relations"):
            return self._retrying(f"POST {path}", send)

    def remove_relation(self, issue_id: int, other_id: int, relation_type: str) -> bool:
        found = [r for r in self.relations(issue_id)
                 if _same_relation(r, issue_id, other_id, relation_type)]
        for relation in found:
            path = f"/relations/{int(relation.id)}.json"

            def send(path: str = path) -> None:
                with suppress(rexc.ResourceNotFoundError):  # an earlier answer was lost
                    self._request("delete", path)

            with _forbidden(f"DELETE {path}", "manage_issue_relations"):
                self._retrying(f"DELETE {path}", send)
        return bool(found)

    # -- watchers ----------------------------------------------------------------------

    def add_watcher(self, issue_id: int, principal: str) -> None:
        who = self.catalog().principals.get(principal)   # UnknownName names it, exit 1
        path = f"/issues/{int(issue_id)}/watchers.json"

        def send() -> None:   # idempotent: Redmine keeps one watcher per person
            self._request("post", path, data={"user_id": int(who.id)})

        with _forbidden(f"POST {path}", "add_issue_watchers"):
            self._retrying(f"POST {path}", send)

    def remove_watcher(self, issue_id: int, principal: str) -> None:
        who = self.catalog().principals.get(principal)
        path = f"/issues/{int(issue_id)}/watchers/{int(who.id)}.json"

        def send() -> None:
            with suppress(rexc.ResourceNotFoundError):   # not watching (any more)
                self._request("delete", path)

        with _forbidden(f"DELETE {path}", "delete_issue_watchers"):
            self._retrying(f"DELETE {path}", send)

    def stop_auto_watch(self) -> None:
        # the preference is not in any API answer, so it cannot be read first; setting it
        # again is harmless (PUT /my/account.json needs a login, not an administrator)
        def send() -> None:
            self._request("put", "/my/account.json", data={"pref": {"auto_watch_on": [""]}})

        self._retrying("PUT /my/account.json", send)

    def watched(self, project: str | None = None) -> int:
        params: dict[str, Any] = {"watcher_id": "me", "status_id": "*", "limit": 1}
        if project:
            params["project_id"] = project
        return int(self._get("/issues.json", "issues", params).get("total_count") or 0)

    def _category_id(self, issue_id: int, name: str) -> int | str:
        """The id of an issue category of the issue's project ("" clears it)."""
        if not name:
            return ""
        project = self.get_issue(issue_id, journals=False).project
        categories = self._categories.get(project.id)
        if categories is None:  # read once per project and run
            path = f"/projects/{int(project.id)}.json"  # the categories' own list needs a manager
            data = self._get(path, "project", {"include": "issue_categories"})["project"]
            categories = {str(r["name"]).casefold(): (int(r["id"]), str(r["name"]))
                          for r in data.get("issue_categories", [])}
            self._categories[project.id] = categories
        if name.casefold() not in categories:
            known = ", ".join(shown for _, shown in categories.values()) or "none"
            raise UserError(f"project {project.name} has no issue category {name!r} "
                            f"(it has: {known})",
                            hint="add the category in the project's Settings > Issue "
                                 "categories, or change the rule that sets it")
        return categories[name.casefold()][0]

    # -- wiki --------------------------------------------------------------------------

    def _upload(self, name: str, data: bytes) -> str:
        """POST /uploads.json (raw bytes, octet-stream) -> the token to attach."""
        def send() -> Any:  # resent freely: Redmine discards uploads never attached
            self.requests_made += 1
            headers = {"Content-Type": "application/octet-stream"}
            return self._rm.engine.request("post", f"{self.url}/uploads.json",
                                           headers=headers, params={"filename": name},
                                           data=data)
        answer = answers.checked("POST /uploads.json",
                                 self._retrying("POST /uploads.json", send), "upload")
        return str(answer["upload"]["token"])

    def get_wiki_page(self, project: str, title: str) -> WikiPage | None:
        path = _wiki_path(project, title)
        try:
            data = self._get(path, "wiki_page", {"include": "attachments"})
        except NotFound:
            return None
        return _mapped(f"GET {path}", mapping.wiki_from_json, project, data["wiki_page"])

    def put_wiki_page(self, project: str, title: str, text: str, *, base_version: int | None,
                      comments: str = "", parent: str | None = None,
                      files: Sequence[tuple[str, bytes]] = ()) -> WikiWrite:
        current = self.get_wiki_page(project, title)
        check_wiki_base(current, title, base_version)
        page: dict[str, Any] = {"text": text, "comments": comments}
        if base_version is not None:
            page["version"] = base_version
        if parent:
            page["parent_title"] = mapping.wiki_title(parent)
        if files:
            with _forbidden("POST /uploads.json", "edit_wiki_pages"):
                page["uploads"] = [{"token": self._upload(name, data), "filename": name,
                                    "content_type": "image/png" if name.endswith(".png")
                                    else "application/octet-stream"}
                                   for name, data in files]
        path = _wiki_path(project, title)
        attempts = 0

        def send() -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1:  # the earlier PUT's answer was lost: did it land?
                now = self.get_wiki_page(project, title)
                if now is not None and _same_text(now.text, text):
                    log.info("wiki %s: the earlier PUT landed; not sending it again", title)
                    return
            self._request("put", path, data={"wiki_page": page})

        with _forbidden(f"PUT {path}", "edit_wiki_pages"):
            self._retrying(f"PUT {path}", send)
        after = self.get_wiki_page(project, title)
        if after is None:
            raise RedmineError(f"wiki page {title} is missing right after writing it")
        if current is None:
            return WikiWrite("created", after)
        return WikiWrite("unchanged" if after.version == current.version else "updated", after)


def _translated(call: Callable[[], T], what: str = "") -> T:
    """Run ``call``; turn python-redmine's exceptions into the tool's own."""
    try:
        return call()
    except rexc.AuthError:
        raise RedmineAuthError("Redmine refused the API key (HTTP 401)") from None
    except rexc.ForbiddenError:
        raise RedmineAuthError(
            "Redmine answered 403 Forbidden: the REST API is disabled "
            "(Administration > Settings > API) or this user lacks the permission") from None
    except rexc.ResourceNotFoundError:
        raise NotFound(f"{_named(what)} was not found (HTTP 404 at {what}), or this API key "
                       "may not see it") from None
    except rexc.ConflictError:
        raise WikiConflict("the page changed since it was read (HTTP 409); nothing was "
                           "overwritten") from None
    except rexc.JSONDecodeError:
        raise RedmineError("the answer was not JSON: is the URL really a Redmine?") from None
    except rexc.HTTPProtocolError:
        raise RedmineError("Redmine redirected between http and https: fix the URL") from None
    except rexc.ServerError:
        raise RedmineError("Redmine had an internal error (HTTP 500); see its production.log") \
            from None
    except rexc.UnknownError as exc:
        raise RedmineError(f"unexpected answer from Redmine (HTTP {exc.status_code})") from None
    except rexc.BaseRedmineError as exc:
        raise RedmineError(f"Redmine client error: {exc}") from None


@contextmanager
def _forbidden(what: str, permission: str) -> Iterator[None]:
    """A 403 to a write names the permission the bot's role lacks for it."""
    try:
        yield
    except PermissionDenied:
        raise
    except RedmineAuthError as exc:
        if "403" not in str(exc):
            raise
        raise PermissionDenied(
            f"Redmine answered 403 Forbidden to {what}: the bot's role lacks "
            f"{permission_label(permission)} in this project (Administration > Roles and "
            "permissions), or the REST API is disabled", permission) from None


def _same_text(a: str, b: str) -> bool:
    """Redmine stores CRLF and trims: compare what a reader sees."""
    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    return norm(a) == norm(b)


def _mapped(what: str, build: Callable[..., T], *args: Any) -> T:
    """Map a checked answer; whatever the shape check let through and mapping cannot use
    is still an unusable answer, never an internal error."""
    try:
        return build(*args)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise UnusableAnswer(f"Redmine answered unusably at {what}: expected values the "
                             f"tool can read, got {type(exc).__name__}: {exc}") from None


_NAMED = (
    (re.compile(r"^/issues/(\d+)(?:/relations)?\.json"), "issue #{0}"),
    (re.compile(r"^/projects/([^/]+)/wiki/([^/]+)\.json"), "wiki page {1} of project {0}"),
    (re.compile(r"^/projects/([^/]+)(?:/[a-z_]+)?\.json"), "project {0}"),
    (re.compile(r"^/users/(\d+)\.json"), "user #{0}"),
    (re.compile(r"^/groups/(\d+)\.json"), "group #{0}"),
    (re.compile(r"^/roles/(\d+)\.json"), "role #{0}"),
)


def _named(what: str) -> str:
    """What a request was about, for a 404: "issue #99999", "project demo"..."""
    path = what.partition(" ")[2].partition("?")[0]
    for pattern, noun in _NAMED:
        match = pattern.match(path)
        if match:
            return noun.format(*(unquote(g) for g in match.groups()))
    return path or "the resource"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _Busy):
        return str(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.Timeout):
        return "no answer within the read timeout"
    reason = str(exc)
    if "Name or service not known" in reason or "nodename nor servname" in reason \
            or "Temporary failure in name resolution" in reason:
        return "the host name does not resolve (DNS)"
    if "Connection refused" in reason:
        return "connection refused"
    if "reset" in reason.lower() or "aborted" in reason.lower() \
            or "RemoteDisconnected" in reason:
        return "connection reset"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return "the answer was cut off"
    return f"connection failed ({type(exc).__name__})"


def _not_transient(exc: BaseException, what: str, url: str) -> None:
    """Raise the tool's error at once for failures that retrying cannot mend."""
    if isinstance(exc, requests.exceptions.SSLError):
        raise RedmineTLSError(_tls_message(url, exc)) from None
    if isinstance(exc, (_Busy, requests.ConnectionError, requests.Timeout,
                        requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        raise UnusableAnswer(f"Redmine answered unusably at {what}: expected an answer, got "
                             "a redirect loop; fix redmine.url") from None
    raise RedmineError(f"cannot send {what} to {url}: {type(exc).__name__}; check "
                       "redmine.url") from None


def _tls_message(url: str, exc: BaseException) -> str:
    reason = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
        detail = reason.split("certificate verify failed:")[-1].split("(_ssl")[0].strip(" ')\"")
        why = f"its certificate is not trusted ({detail or 'verify failed'})"
    elif "hostname" in reason.lower() or "doesn't match" in reason:
        why = "its certificate is for another host name"
    else:
        why = f"the TLS handshake failed ({reason[:120]})"
    return (f"cannot connect securely to {url}: {why}. If the certificate is right, trust "
            "its CA: set redmine.ca_bundle to the CA's PEM file, or add the CA to the "
            "system trust store (cp ca.crt /usr/local/share/ca-certificates/ && "
            "update-ca-certificates); redmine.verify_tls: false turns checking off "
            "(not recommended, warned on every run)")


def _trust(verify: bool | str) -> bool | str:
    """What requests verifies against: a CA file, the system trust store, or nothing."""
    if verify is False or isinstance(verify, str):
        return verify
    system = ssl.get_default_verify_paths().cafile
    return system if system else True


def _json_body(response: requests.Response) -> Any:
    """The JSON of a 200/201 answer, or ``UnusableAnswer`` saying what came instead."""
    method = response.request.method if response.request is not None else "GET"
    where = f"{method} {urlsplit(response.url).path}"
    body = response.content
    if not body.strip():
        if method != "GET":
            return True
        raise UnusableAnswer(f"Redmine answered unusably at {where}: expected JSON, got an "
                             f"empty body (HTTP {response.status_code})")
    try:
        return json.loads(body)
    except RecursionError:
        raise UnusableAnswer(f"Redmine answered unusably at {where}: expected JSON, got "
                             "JSON nested too deeply to read") from None
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        start = body[:200].lstrip().lower()
        got = "an HTML page" if start.startswith((b"<!doctype html", b"<html")) or \
            kind == "text/html" else f"{kind} that is not JSON"
        raise UnusableAnswer(f"Redmine answered unusably at {where}: expected JSON, got "
                             f"{got} (is redmine.url the Redmine itself, not a login or "
                             "proxy page?)") from None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utc_now()).total_seconds())


def _json_errors(response: requests.Response) -> list[str]:
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        return []
    return [": ".join(map(str, e)) if isinstance(e, list) else str(e) for e in errors]


def _custom_field_def(row: dict[str, Any]) -> CustomFieldDef:
    values = row.get("possible_values")
    choices = tuple((str(v["value"]), str(v.get("label", v["value"]))) for v in values or ())
    kind = row.get("field_format", "")
    shown = tuple(label if kind == "enumeration" else key for key, label in choices)
    return CustomFieldDef(
        id=int(row["id"]), name=row["name"], format=kind,
        multiple=bool(row.get("multiple", False)),
        possible_values=shown if values is not None else None,
        trackers=tuple(t["name"] for t in row.get("trackers", [])),
        is_filter=bool(row.get("is_filter", False)),
        choices=choices if kind == "enumeration" else (),
        is_required=bool(row.get("is_required", False)),
    )


def _parent_id(project: dict[str, Any]) -> int | None:
    parent = project.get("parent")
    return int(parent["id"]) if parent else None


def _names(catalog: Catalog, kind: str) -> Callable[[str], str | None]:
    """id -> name through a catalog lookup, loaded only when a value needs it."""
    def name(item_id: str) -> str | None:
        found = catalog.lookup(kind).name(item_id)
        return None if found is None or found.startswith("#") else found
    return name


def _same_relation(rel: Relation, issue_id: int, other_id: int, relation_type: str) -> bool:
    forward = (rel.issue_id, rel.issue_to_id, rel.type) == (issue_id, other_id, relation_type)
    reverse_types = {"duplicated": "duplicates", "blocked": "blocks", "follows": "precedes",
                     "copied_from": "copied_to"}
    normal = reverse_types.get(relation_type)
    backward = normal is not None and (rel.issue_id, rel.issue_to_id, rel.type) == (
        other_id, issue_id, normal)
    return forward or backward


def _wiki_path(project: str, title: str) -> str:
    return f"/projects/{quote(project)}/wiki/{quote(mapping.wiki_title(title))}.json"
