"""Failure semantics of the live adapter: every transport error named, one retry budget per
run, lost answers of writes checked before a resend, answers checked for their shape."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from redmine_sync.config import RetryPolicy
from redmine_sync.config import Timeouts
from redmine_sync.errors import NotFound
from redmine_sync.errors import RedmineTLSError
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import UnusableAnswer
from redmine_sync.redmine.live import LiveRedmine
from tests.unit.redmine.test_live import ME
from tests.unit.redmine.test_live import URL
from tests.unit.redmine.test_live import Clock
from tests.unit.redmine.test_live import issue_json
from tests.unit.redmine.test_live import lookups

REL = {"id": 50, "issue_id": 1, "issue_to_id": 2, "relation_type": "relates"}


def make(clock: Clock, total: float = 60, attempts: int = 4) -> LiveRedmine:
    return LiveRedmine(URL, "k" * 40, retries=RetryPolicy(attempts=attempts, backoff=1,
                                                          total_seconds=total),
                       timeouts=Timeouts(connect=2, read=7), sleep=clock.sleep,
                       monotonic=clock.monotonic)


def writes(rsps: responses.RequestsMock) -> list[str]:
    return [f"{c.request.method} {c.request.url}" for c in rsps.calls
            if c.request.method != "GET"]


# -- transport ---------------------------------------------------------------------------

@pytest.mark.parametrize("lost", [requests.ReadTimeout("read timed out"),
                                  requests.ConnectionError("Connection reset by peer")])
def test_a_relation_whose_answer_was_lost_is_checked_not_posted_twice(lost: Exception) -> None:
    clock = Clock()
    client = make(clock)
    path = f"{URL}/issues/1/relations.json"
    with responses.RequestsMock() as rsps:
        rsps.get(path, json={"relations": []})
        rsps.post(path, body=lost)
        rsps.get(path, json={"relations": [REL]})  # it landed
        relation = client.add_relation(1, 2, "relates")
        assert relation.id == 50
        assert len(writes(rsps)) == 1


def test_a_relation_that_did_not_land_is_sent_again() -> None:
    clock = Clock()
    client = make(clock)
    path = f"{URL}/issues/1/relations.json"
    with responses.RequestsMock() as rsps:
        rsps.get(path, json={"relations": []})
        rsps.post(path, body=requests.ReadTimeout("read timed out"))
        rsps.get(path, json={"relations": []})
        rsps.post(path, json={"relation": REL}, status=201)
        assert client.add_relation(1, 2, "relates").id == 50
        assert len(writes(rsps)) == 2


def test_a_wiki_put_whose_answer_was_lost_is_not_sent_again() -> None:
    clock = Clock()
    client = make(clock)
    page = f"{URL}/projects/demo/wiki/Weekly.json"
    with responses.RequestsMock() as rsps:
        rsps.get(page, status=404)
        rsps.put(page, body=requests.ConnectionError("Connection aborted."))
        landed = {"wiki_page": {"title": "Weekly", "text": "hello\r\n", "version": 1,
                                "author": {"id": 9, "name": "bot"}}}
        rsps.get(page, json=landed)
        rsps.get(page, json=landed)
        written = client.put_wiki_page("demo", "Weekly", "hello", base_version=None)
        assert written.outcome == "created" and written.page.version == 1
        assert len(writes(rsps)) == 1


def test_an_upload_whose_answer_was_lost_is_resent() -> None:
    clock = Clock()
    client = make(clock)
    with responses.RequestsMock() as rsps:
        rsps.post(f"{URL}/uploads.json", body=requests.ReadTimeout("read timed out"))
        rsps.post(f"{URL}/uploads.json", json={"upload": {"token": "7.abc"}}, status=201)
        assert client._upload("chart.png", b"png") == "7.abc"


@pytest.mark.parametrize(("error", "said"), [
    (requests.ConnectionError("Failed to resolve: [Errno -2] Name or service not known"),
     "DNS"),
    (requests.ConnectionError("[Errno 111] Connection refused"), "connection refused"),
    (requests.ConnectionError("Connection reset by peer"), "connection reset"),
    (requests.exceptions.ChunkedEncodingError("IncompleteRead"), "cut off"),
    (requests.ReadTimeout("read timed out"), "read timeout"),
])
def test_every_transport_error_is_the_tools_own(error: Exception, said: str) -> None:
    clock = Clock()
    client = make(clock, attempts=2)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/users/current.json", body=error)
        rsps.get(f"{URL}/users/current.json", body=error)
        with pytest.raises(RedmineUnavailable, match=said):
            client.current_user()


def test_a_bad_certificate_is_named_with_how_to_trust_it_and_not_retried() -> None:
    clock = Clock()
    client = make(clock)
    error = requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate "
        "in certificate chain (_ssl.c:1006)")
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/users/current.json", body=error)
        with pytest.raises(RedmineTLSError) as caught:
            client.current_user()
    text = str(caught.value)
    assert "certificate is not trusted (self-signed certificate in certificate chain)" in text
    assert "redmine.ca_bundle" in text and "update-ca-certificates" in text
    assert clock.sleeps == []


def test_one_retry_budget_for_the_whole_run() -> None:
    """Redmine stays down: the first request spends the budget; the next ones do not get a
    budget of their own (the old code gave every request a full retry cycle)."""
    clock = Clock()
    client = make(clock, total=10, attempts=100)
    down = requests.ConnectionError("[Errno 111] Connection refused")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for _ in range(50):
            rsps.get(f"{URL}/issue_statuses.json", body=down)
        with pytest.raises(RedmineUnavailable, match="10s retry budget"):
            client.catalog().statuses.items  # noqa: B018
        with pytest.raises(RedmineUnavailable):
            client._get("/issue_statuses.json", "issue_statuses")
        with pytest.raises(RedmineUnavailable):
            client._get("/issue_statuses.json", "issue_statuses")
    assert clock.now <= 10, "each request got a retry budget of its own"


# -- 404s ----------------------------------------------------------------------------------

def test_a_404_names_what_was_not_found() -> None:
    client = make(Clock())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        lookups(rsps)
        rsps.get(f"{URL}/issues/99999.json", status=404)
        with pytest.raises(NotFound, match="issue #99999 was not found") as caught:
            client.get_issue(99999)
    assert caught.value.exit_code == 1
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/projects/nope.json", status=404)
        with pytest.raises(NotFound, match="project nope was not found"):
            client.project("nope")


# -- answer shapes -------------------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>...</body></html>"


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    (HTML, "text/html", "expected JSON, got an HTML page"),
    (b"", "application/json", "expected JSON, got an empty body"),
    (b"null", "application/json", "expected an object with issues, got null"),
    (b"[1, 2]", "application/json", "expected an object with issues, got a list of 2"),
    (b'{"errors": ["boom"]}', "application/json",
     "expected issues to be present, got an error list ['boom']"),
    (b"[" * 50000 + b"]" * 50000, "application/json", "nested too deeply"),
    (json.dumps({"issues": [issue_json(updated="yesterday")]}).encode(), "application/json",
     "expected issues[0].updated_on to be a time like 2026-11-20T08:00:00Z, got 'yesterday'"),
    (json.dumps({"issues": [issue_json(id="7")]}).encode(), "application/json",
     "expected issues[0].id to be an integer, got '7'"),
    (json.dumps({"issues": [{**issue_json(), "status": 3}]}).encode(), "application/json", "expected issues[0].status to be an object with id, name, got 3"),
    (b'{"issues": [' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"]}", "application/json",
     "nested too deeply"),
    ('{"issues": [], "x": "\udcff"}'.encode("utf-8", "surrogateescape"), "application/json",
     "expected JSON"),
])
def test_an_unusable_answer_is_named_with_what_was_expected(body: bytes, content_type: str,
                                                            expected: str) -> None:
    client = make(Clock())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        lookups(rsps)
        rsps.get(f"{URL}/issues.json", body=body, content_type=content_type)
        with pytest.raises(UnusableAnswer) as caught:
            list(client.iter_issues("demo"))
    text = str(caught.value)
    assert text.startswith("Redmine answered unusably at GET /issues.json: "), text
    assert expected in text, text
    assert caught.value.exit_code == 4


def test_a_good_issue_list_still_reads() -> None:
    client = make(Clock())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        lookups(rsps)
        rsps.get(f"{URL}/issues.json", json={"issues": [issue_json(1), issue_json(2)],
                                             "total_count": 2})
        assert [i.id for i in client.iter_issues("demo")] == [1, 2]


def test_identity_answer_checked_too() -> None:
    client = make(Clock())
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/users/current.json", json={"user": {"id": "nine"}})
        with pytest.raises(UnusableAnswer, match=r"expected user\.id to be an integer"):
            client.current_user()
    with responses.RequestsMock() as rsps:
        rsps.get(f"{URL}/users/current.json", json=ME)
        assert make(Clock()).current_user().login == "redmine-sync"
