"""The live adapter against canned HTTP answers (the real server is in tests/contract)."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
import requests
import responses

from redmine_sync import progress
from redmine_sync.config import RetryPolicy
from redmine_sync.config import Timeouts
from redmine_sync.errors import NotFound
from redmine_sync.errors import RedmineAuthError
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import RedmineValidationError
from redmine_sync.errors import UserError
from redmine_sync.errors import WikiConflict
from redmine_sync.model import IssueUpdate
from redmine_sync.redmine.catalog import UnknownName
from redmine_sync.redmine.live import LiveRedmine

URL = "http://redmine.test"
STATUSES = {"issue_statuses": [{"id": 1, "name": "New", "is_closed": False},
                               {"id": 2, "name": "In Progress", "is_closed": False},
                               {"id": 5, "name": "Closed", "is_closed": True}]}
PRIORITIES = {"issue_priorities": [{"id": 2, "name": "Normal", "is_default": True},
                                   {"id": 3, "name": "High", "is_default": False}]}
FIELDS = {"custom_fields": [{"id": 7, "name": "Labels", "customized_type": "issue",
                             "field_format": "list", "multiple": True,
                             "possible_values": [{"value": "ui"}, {"value": "needs-info"}]}]}
ME = {"user": {"id": 9, "login": "redmine-sync", "firstname": "redmine-sync", "lastname": "bot",
               "admin": False}}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def issue_json(issue_id: int = 1, updated: str = "2026-01-05T09:00:00Z", status: str = "New",
               priority: str = "Normal", labels: list[str] | None = None, **extra: Any
               ) -> dict[str, Any]:
    status_id = {"New": 1, "In Progress": 2, "Closed": 5}[status]
    data = {
        "id": issue_id, "project": {"id": 1, "name": "Demo"},
        "tracker": {"id": 1, "name": "Bug"}, "status": {"id": status_id, "name": status},
        "priority": {"id": 2 if priority == "Normal" else 3, "name": priority},
        "author": {"id": 5, "name": "Li Na"}, "subject": f"issue {issue_id}",
        "description": None, "created_on": "2026-01-05T08:00:00Z", "updated_on": updated,
        "custom_fields": [{"id": 7, "name": "Labels", "multiple": True, "value": labels or []}],
    }
    data.update(extra)
    return data


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> LiveRedmine:
    return LiveRedmine(URL, "k" * 40, retries=RetryPolicy(attempts=4, backoff=1,
                                                          total_seconds=60),
                       timeouts=Timeouts(connect=2, read=7), sleep=clock.sleep,
                       monotonic=clock.monotonic)


def lookups(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{URL}/issue_statuses.json", json=STATUSES)
    rsps.get(f"{URL}/enumerations/issue_priorities.json", json=PRIORITIES)
    rsps.get(f"{URL}/custom_fields.json", json=FIELDS)
    rsps.get(f"{URL}/users/current.json", json=ME)


@responses.activate
def test_every_request_carries_the_timeouts_and_the_key_header(client: LiveRedmine) -> None:
    responses.get(f"{URL}/users/current.json", json=ME)
    assert client.current_user().login == "redmine-sync"
    call = responses.calls[0]
    assert call.request.req_kwargs["timeout"] == (2, 7)
    assert call.request.headers["X-Redmine-API-Key"] == "k" * 40
    assert "key=" not in call.request.url


@responses.activate
def test_busy_answers_are_retried_with_backoff_and_retry_after(client: LiveRedmine,
                                                               clock: Clock) -> None:
    responses.get(f"{URL}/users/current.json", status=503)
    responses.get(f"{URL}/users/current.json", status=429, headers={"Retry-After": "7"})
    responses.get(f"{URL}/users/current.json", json=ME)
    assert client.current_user().id == 9
    assert len(clock.sleeps) == 2
    assert 0.8 <= clock.sleeps[0] <= 1.0
    assert clock.sleeps[1] == 7


@responses.activate
def test_redmine_that_stays_down_gives_a_clear_error_within_the_budget(client: LiveRedmine,
                                                                      clock: Clock) -> None:
    responses.get(f"{URL}/users/current.json",
                  body=requests.ConnectionError("refused"))
    with pytest.raises(RedmineUnavailable) as info:
        client.current_user()
    assert "did not answer GET /users/current.json after 4 attempt(s)" in str(info.value)
    assert "connection failed" in str(info.value)
    assert len(clock.sleeps) == 3 and clock.now <= 60


@responses.activate
def test_total_time_bound_stops_early(clock: Clock) -> None:
    client = LiveRedmine(URL, "k", retries=RetryPolicy(attempts=50, backoff=10, max_backoff=10,
                                                       total_seconds=25),
                         sleep=clock.sleep, monotonic=clock.monotonic)
    responses.get(f"{URL}/users/current.json", status=502)
    with pytest.raises(RedmineUnavailable, match="HTTP 502"):
        client.current_user()
    assert clock.now <= 25


@responses.activate
@pytest.mark.parametrize(("status", "error", "text"), [
    (401, RedmineAuthError, "refused the API key"),
    (403, RedmineAuthError, "REST API is disabled"),
    (404, NotFound, "not found"),
])
def test_http_errors_become_tool_errors(client: LiveRedmine, status: int, error: type,
                                        text: str) -> None:
    responses.get(f"{URL}/users/current.json", status=status)
    with pytest.raises(error, match=text):
        client.current_user()
    assert len(responses.calls) == 1  # not retried


@responses.activate
def test_keyset_paging_asks_for_all_statuses_and_never_repeats(client: LiveRedmine) -> None:
    responses.get(f"{URL}/issue_statuses.json", json=STATUSES)
    responses.get(f"{URL}/custom_fields.json", json=FIELDS)
    page1 = [issue_json(i, f"2026-01-05T09:{i // 60:02d}:{i % 60:02d}Z") for i in range(1, 101)]
    last = page1[-1]["updated_on"]
    # the next page starts at the last timestamp again (inclusive): #100 comes back once more
    page2 = [page1[-1]] + [issue_json(i, "2026-01-05T10:00:00Z") for i in range(101, 131)]
    responses.get(f"{URL}/issues.json", json={"issues": page1})
    responses.get(f"{URL}/issues.json", json={"issues": page2})
    ids = [i.id for i in client.iter_issues(project="demo")]
    assert ids == list(range(1, 131))
    first, second = (c.request for c in responses.calls if "/issues.json" in c.request.url)
    assert first.params["status_id"] == "*" and first.params["sort"] == "updated_on,id"
    assert first.params["project_id"] == "demo" and "updated_on" not in first.params
    assert second.params["updated_on"] == f">={last}" and second.params["offset"] == "0"


@responses.activate
def test_paging_reports_its_progress_against_the_first_total(client: LiveRedmine) -> None:
    responses.get(f"{URL}/issue_statuses.json", json=STATUSES)
    responses.get(f"{URL}/custom_fields.json", json=FIELDS)
    page1 = [issue_json(i, f"2026-01-05T09:{i // 60:02d}:{i % 60:02d}Z") for i in range(1, 101)]
    page2 = [page1[-1]] + [issue_json(i, "2026-01-05T10:00:00Z") for i in range(101, 131)]
    responses.get(f"{URL}/issues.json", json={"issues": page1, "total_count": 130})
    responses.get(f"{URL}/issues.json", json={"issues": page2, "total_count": 31})
    seen: list[tuple[str, int, int | None]] = []

    class Seen:
        def advance(self, task: str, done: int, total: int | None) -> None:
            seen.append((task, done, total))

    with progress.reporting(Seen()):
        assert len(list(client.iter_issues(project="demo"))) == 130
    assert seen == [("issues read", 100, 130), ("issues read", 130, 130)]


@responses.activate
def test_the_next_page_is_asked_for_while_the_caller_works_and_stopping_is_clean(
        client: LiveRedmine) -> None:
    import threading

    responses.get(f"{URL}/issue_statuses.json", json=STATUSES)
    responses.get(f"{URL}/custom_fields.json", json=FIELDS)
    asked = threading.Event()
    page2 = [issue_json(i, "2026-01-05T10:00:00Z") for i in range(101, 111)]

    def second_page(request: Any) -> tuple[int, dict[str, str], str]:
        asked.set()
        return 200, {}, json.dumps({"issues": page2})

    responses.get(f"{URL}/issues.json", json={"issues": [
        issue_json(i, f"2026-01-05T09:{i // 60:02d}:{i % 60:02d}Z") for i in range(1, 101)]})
    responses.add_callback(responses.GET, f"{URL}/issues.json", callback=second_page)
    rows = client.iter_issues(project="demo")
    assert next(rows).id == 1
    assert asked.wait(timeout=30)  # asked for before the caller took the second issue
    rows.close()
    assert sum("/issues.json" in c.request.url for c in responses.calls) == 2


@responses.activate
def test_more_than_a_page_in_one_second_falls_back_to_offsets(client: LiveRedmine) -> None:
    from datetime import UTC
    from datetime import datetime

    responses.get(f"{URL}/issue_statuses.json", json=STATUSES)
    responses.get(f"{URL}/custom_fields.json", json=FIELDS)
    same = "2026-01-05T09:00:00Z"
    responses.get(f"{URL}/issues.json", json={"issues": [issue_json(i, same)
                                                         for i in range(1, 101)]})
    responses.get(f"{URL}/issues.json", json={"issues": [issue_json(i, same)
                                                         for i in range(101, 151)]})
    since = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert len(list(client.iter_issues(updated_since=since))) == 150
    second = [c.request for c in responses.calls if "/issues.json" in c.request.url][1]
    assert second.params["offset"] == "100" and second.params["updated_on"] == f">={same}"


@responses.activate
def test_issue_categories_are_read_once_per_project_and_an_unknown_one_is_named(
        client: LiveRedmine) -> None:
    lookups(responses)
    responses.get(f"{URL}/projects/1.json", json={"project": {
        "id": 1, "name": "Demo", "identifier": "demo",
        "issue_categories": [{"id": 4, "name": "UI"}, {"id": 5, "name": "Backend"}]}})
    for n in (1, 2):
        responses.get(f"{URL}/issues/{n}.json", json={"issue": issue_json(n)})
        responses.put(f"{URL}/issues/{n}.json", status=204)
    client.update_issue(IssueUpdate(1, category="UI"))
    client.update_issue(IssueUpdate(2, category="backend"))
    puts = [json.loads(c.request.body) for c in responses.calls if c.request.method == "PUT"]
    assert [p["issue"]["category_id"] for p in puts] == [4, 5]
    assert sum("/projects/1.json" in c.request.url for c in responses.calls) == 1
    with pytest.raises(UserError, match=r"no issue category 'Docs' \(it has: UI, Backend\)"):
        client.update_issue(IssueUpdate(1, category="Docs"))


@responses.activate
def test_update_sends_one_json_put_and_reports_what_redmine_dropped(client: LiveRedmine) -> None:
    lookups(responses)
    responses.put(f"{URL}/issues/1.json", status=204)
    responses.get(f"{URL}/issues/1.json", json={"issue": issue_json(
        1, priority="High", labels=["ui"],
        allowed_statuses=[{"id": 1, "name": "New"}])})
    result = client.update_issue(IssueUpdate(1, status="In Progress", priority="High",
                                             custom_fields={"Labels": ("ui",)}, notes="why"))
    put = next(c.request for c in responses.calls if c.request.method == "PUT")
    assert put.headers["Content-Type"] == "application/json"
    assert json.loads(put.body) == {"issue": {
        "status_id": 2, "priority_id": 3, "custom_fields": [{"id": 7, "value": ["ui"]}],
        "notes": "why", "private_notes": True}}
    assert [d.field for d in result.dropped] == ["status"]
    assert "allowed: New" in result.dropped[0].reason
    assert result.issue.priority == "High" and result.issue.cf("Labels") == ("ui",)


@responses.activate
def test_the_read_after_a_write_asks_only_what_the_checks_need(client: LiveRedmine) -> None:
    """The notes and the relations (kept in the cache for the reports) always; the statuses
    the workflow allows only when a status was set."""
    lookups(responses)
    responses.put(f"{URL}/issues/1.json", status=204)
    responses.get(f"{URL}/issues/1.json", json={"issue": issue_json(1, priority="High")})
    client.update_issue(IssueUpdate(1, priority="High", notes="why"))
    client.update_issue(IssueUpdate(1, status="New"))
    asked = [c.request.params.get("include") for c in responses.calls
             if c.request.method == "GET" and "/issues/1.json" in c.request.url]
    assert asked == ["journals,relations", "journals,relations,allowed_statuses"]


@responses.activate
def test_unknown_names_fail_before_any_write(client: LiveRedmine) -> None:
    lookups(responses)
    with pytest.raises(UnknownName, match="did you mean 'In Progress'"):
        client.update_issue(IssueUpdate(1, status="In progres"))
    assert not [c for c in responses.calls if c.request.method == "PUT"]


@responses.activate
def test_validation_errors_keep_redmine_messages(client: LiveRedmine) -> None:
    lookups(responses)
    responses.put(f"{URL}/issues/1.json", status=422,
                  json={"errors": ["Labels is not included in the list"]})
    with pytest.raises(RedmineValidationError) as info:
        client.update_issue(IssueUpdate(1, custom_fields={"Labels": ("ui",)}))
    assert info.value.errors == ("Labels is not included in the list",)


def _journal(journal_id: int, notes: str, user_id: int = 9) -> dict[str, Any]:
    return {"id": journal_id, "user": {"id": user_id, "name": "bot"}, "notes": notes,
            "created_on": "2026-01-05T09:00:00Z", "private_notes": True, "details": []}


@responses.activate
def test_timed_out_note_that_landed_is_not_sent_again(client: LiveRedmine) -> None:
    lookups(responses)
    responses.put(f"{URL}/issues/1.json", body=requests.ReadTimeout("slow"))
    responses.get(f"{URL}/issues/1.json", json={"issue": issue_json(
        1, journals=[_journal(1, "other"), _journal(2, "triage note")])},
        headers={"Date": "Mon, 05 Jan 2026 09:01:00 GMT"})
    result = client.update_issue(IssueUpdate(1, notes="triage note"))
    assert len([c for c in responses.calls if c.request.method == "PUT"]) == 1
    assert result.retried and result.ok


@responses.activate
def test_timed_out_note_that_did_not_land_is_sent_once_more(client: LiveRedmine) -> None:
    lookups(responses)
    responses.put(f"{URL}/issues/1.json", body=requests.ReadTimeout("slow"))
    responses.put(f"{URL}/issues/1.json", status=204)
    responses.get(f"{URL}/issues/1.json", json={"issue": issue_json(
        1, journals=[_journal(1, "someone else's", user_id=5)])},
        headers={"Date": "Mon, 05 Jan 2026 09:01:00 GMT"})
    client.update_issue(IssueUpdate(1, notes="triage note"))
    assert len([c for c in responses.calls if c.request.method == "PUT"]) == 2


@responses.activate
def test_wiki_create_refuses_to_overwrite_an_existing_page(client: LiveRedmine) -> None:
    responses.get(f"{URL}/projects/demo/wiki/Weekly_report.json", json={"wiki_page": {
        "title": "Weekly_report", "text": "x", "version": 3}})
    with pytest.raises(WikiConflict, match="already exists"):
        client.put_wiki_page("demo", "Weekly report", "new", base_version=None)
    assert not [c for c in responses.calls if c.request.method == "PUT"]


@responses.activate
def test_wiki_stale_version_is_a_conflict(client: LiveRedmine) -> None:
    responses.get(f"{URL}/projects/demo/wiki/Weekly_report.json", json={"wiki_page": {
        "title": "Weekly_report", "text": "x", "version": 3}})
    responses.put(f"{URL}/projects/demo/wiki/Weekly_report.json", status=409)
    with pytest.raises(WikiConflict, match="nothing was overwritten"):
        client.put_wiki_page("demo", "Weekly report", "new", base_version=2)
    put = next(c.request for c in responses.calls if c.request.method == "PUT")
    assert json.loads(put.body)["wiki_page"]["version"] == 2


@responses.activate
def test_wiki_missing_page_is_none(client: LiveRedmine) -> None:
    responses.get(f"{URL}/projects/demo/wiki/Nope.json", status=404)
    assert client.get_wiki_page("demo", "Nope") is None


@responses.activate
def test_labels_through_the_additional_tags_plugin(clock: Clock) -> None:
    client = LiveRedmine(URL, "k" * 40, sleep=clock.sleep, monotonic=clock.monotonic,
                         tags_field="Labels")
    lookups(responses)
    tagged = issue_json(1, tags=[{"id": 1, "name": "ui"}, {"id": 2, "name": "needs-info"}])
    tagged["custom_fields"] = []
    responses.get(f"{URL}/issues.json", json={"issues": [tagged]})
    responses.put(f"{URL}/issues/1.json", status=204)
    responses.get(f"{URL}/issues/1.json", json={"issue": dict(
        tagged, tags=[{"id": 1, "name": "ui"}])})
    [issue] = list(client.iter_issues())
    assert issue.cf("Labels") == ("ui", "needs-info")
    result = client.update_issue(IssueUpdate(1, custom_fields={"Labels": ("ui",)}))
    put = next(c.request for c in responses.calls if c.request.method == "PUT")
    assert json.loads(put.body) == {"issue": {"tag_list": ["ui"]}}
    assert result.ok and result.issue.cf("Labels") == ("ui",)


@responses.activate
def test_the_bot_account_shows_when_it_was_created(client: LiveRedmine) -> None:
    """Its created_on identifies the Redmine (sync._rebuilt); an unusable one is None."""
    responses.get(f"{URL}/users/current.json", json={"user": {
        **ME["user"], "created_on": "2026-12-01T08:33:15Z"}})
    responses.get(f"{URL}/users/3.json", json={"user": {
        **ME["user"], "id": 3, "created_on": "yesterday"}})
    assert client.current_user().created_on == datetime(2026, 12, 1, 8, 33, 15, tzinfo=UTC)
    assert client.user(3).created_on is None
