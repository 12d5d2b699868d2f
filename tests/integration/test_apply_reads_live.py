"""Requests apply makes on the real Redmine, counted at the client: each written issue is
read twice (the SLA pass's journal read, with the allowed statuses, is the read before the
write; then the verification read), and a closed issue no policy covers is not read."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from redmine_sync.clock import utc_now
from redmine_sync.config import load_config
from redmine_sync.plan import IssuePlan
from redmine_sync.plan import Plan
from redmine_sync.redmine.live import LiveRedmine
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from tests.integration import faultproxy as fp
from tests.integration.conftest import Admin
from tests.integration.conftest import cli_env
from tests.integration.conftest import config_with_rules
from tests.rule_files import sla_yaml

pytestmark = pytest.mark.integration

SLA = sla_yaml("{first_response: {default: {any: 72h}}}", name="slow", pause=None,
               staff="{roles: [Developer, Manager]}", write="{state: SLA state}",
               thresholds={"100%": "[{add_labels: [sla-breached]}]"})


def counted_reads(monkeypatch: pytest.MonkeyPatch) -> dict[int, list[str]]:
    """Each issue's reads from now on (``GET /issues/N.json``), as their ``include``s."""
    reads: dict[int, list[str]] = defaultdict(list)
    real_send = requests.Session.send

    def counting(self: requests.Session, request: requests.PreparedRequest,
                 **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        parts = url.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 2 and parts[0] == "issues":
            issue = int(parts[1].removesuffix(".json"))
            reads[issue].append(",".join(parse_qs(url.query).get("include", [""])))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", counting)
    return reads


def created(admin: Admin, project: str, count: int) -> list[int]:
    return [int(admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": f"request {n}"}})["issue"]["id"])
        for n in range(count)]


def test_apply_reads_each_written_issue_twice(admin: Admin, local_redmine: dict[str, str],
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    project = admin.new_demo_project("reads", seed=False)
    closed_id = next(s["id"] for s in admin.get("/issue_statuses.json")["issue_statuses"]
                     if s["is_closed"])

    def create(subject: str) -> int:
        return int(admin.send("POST", "/issues.json", {"issue": {
            "project_id": project, "subject": subject}})["issue"]["id"])

    opened = [create(f"request {n}") for n in range(3)]
    closed = create("done long ago")
    admin.send("PUT", f"/issues/{closed}.json", {"issue": {"status_id": closed_id}})
    config = load_config(str(config_with_rules(tmp_path, project, {"sla.yaml": SLA})),
                         env=cli_env(local_redmine))
    reads = counted_reads(monkeypatch)
    store = StateStore(config.state_path)
    try:
        result = apply_run(LiveRedmine.from_config(config), config, store, utc_now, yes=True)
    finally:
        store.close()
    assert result.applied is not None
    assert sorted(o.issue_id for o in result.applied.outcomes if o.status == "written") == \
        opened                                     # "SLA state: running" on each
    for issue in opened:
        assert len(reads[issue]) == 2, reads[issue]
        journal_read, verification = reads[issue]
        assert set(journal_read.split(",")) == {"journals", "allowed_statuses"}
        assert verification == "journals,relations"  # no status set: the statuses unasked
    assert reads[closed] == []                     # no policy covers it: no clock to read


def test_a_person_editing_between_plan_and_apply_is_not_overwritten(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    """The planning read is not reused for the write once the issue list shows the issue
    changed: the tool's labels would replace the person's."""
    project = admin.new_demo_project("race", seed=False)
    opened = created(admin, project, 2)
    labels = next(f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]
                  if f["name"] == "Labels")
    config = load_config(str(config_with_rules(tmp_path, project, {"sla.yaml": SLA})),
                         env=cli_env(local_redmine))

    def person_edits(plan: Plan, items: Iterable[IssuePlan]) -> None:  # before the writes
        assert {i.issue_id for i in items if not i.empty} == set(opened)
        time.sleep(1.1)   # Redmine's stamps are whole seconds
        admin.send("PUT", f"/issues/{opened[0]}.json", {"issue": {
            "custom_fields": [{"id": labels, "value": ["ui"]}]}}, as_user="pm.li")

    store = StateStore(config.state_path)
    try:
        result = apply_run(LiveRedmine.from_config(config), config, store,
                           lambda: utc_now() + timedelta(days=4), yes=True,
                           on_plan=person_edits)
    finally:
        store.close()
    assert result.applied is not None
    status = {o.issue_id: o.status for o in result.applied.outcomes}
    assert status == {opened[0]: "skipped", opened[1]: "written"}, result.applied.outcomes

    def shown(issue_id: int) -> list[str]:
        issue = admin.get(f"/issues/{issue_id}.json")["issue"]
        return next(f["value"] for f in issue["custom_fields"] if f["name"] == "Labels")
    assert shown(opened[0]) == ["ui"]              # the person's edit stays
    assert shown(opened[1]) == ["sla-breached"]


def test_an_issue_list_answering_500_leaves_each_issue_read_before_its_write(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Through a proxy answering 500 to the list of the next writes: every issue is read
    again before its write and written, one warning says why, nothing failed."""
    project = admin.new_demo_project("unlisted", seed=False)
    opened = created(admin, project, 3)
    with fp.FaultProxy(local_redmine["REDMINE_URL"], rate=0.0, seed=fp.SEED,
                       fail=r"^/issues\.json\?.*issue_id=") as proxy:
        config = load_config(str(config_with_rules(tmp_path, project, {"sla.yaml": SLA})),
                             env={**cli_env(local_redmine), "REDMINE_URL": proxy.url})
        reads = counted_reads(monkeypatch)
        store = StateStore(config.state_path)
        try:
            with caplog.at_level(logging.WARNING, logger="redmine_sync.sla_facts"):
                result = apply_run(LiveRedmine.from_config(config), config, store, utc_now,
                                   yes=True)
        finally:
            store.close()
    assert result.applied is not None and not result.applied.failed
    assert sorted(o.issue_id for o in result.applied.outcomes if o.status == "written") == \
        opened
    assert len(proxy.failed) == 1, proxy.failed      # asked once, then not again
    for issue in opened:  # the journal read, the read before the write, the verification
        assert len(reads[issue]) == 3, reads[issue]
    [warning] = [r.getMessage() for r in caplog.records if r.name == "redmine_sync.sla_facts"]
    assert "HTTP 500" in warning, warning
