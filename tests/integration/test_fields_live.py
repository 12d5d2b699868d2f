"""Every custom field kind of Redmine 5 read and written through the real REST API."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redmine_sync.model import IssueUpdate
from redmine_sync.redmine.live import LiveRedmine
from tests.integration.conftest import Admin
from tests.integration.conftest import rails_runner
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kinds(admin: Admin) -> Iterator[dict[str, Any]]:
    project = admin.new_demo_project("kinds", seed=False)
    issue = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "every kind", "tracker_id": 1}})["issue"]["id"]
    prefix = f"K{uuid.uuid4().hex[:5]}"
    try:
        made = json.loads(rails_runner("field_kinds.rb", project, prefix, str(issue))
                          .strip().splitlines()[-1])
        yield {**made, "project": project, "issue": issue}
    finally:
        rails_runner("drop_fields.rb", prefix)


def client(admin: Admin, project: str) -> LiveRedmine:
    """The tool with the administrator's key: field kinds are only listed for admins."""
    return LiveRedmine(admin.url, admin.env["REDMINE_LOCAL_ADMIN_KEY"], projects=(project,))


def test_each_kind_reads_as_the_web_ui_shows_it(admin: Admin, kinds: dict[str, Any]) -> None:
    names = kinds["fields"]
    raw = {cf["name"]: cf.get("value") for cf in
           admin.get(f"/issues/{kinds['issue']}.json")["issue"]["custom_fields"]}
    assert raw[names["enumeration"]] != ["Acme Corp"]  # what Redmine sends: the key
    issue = client(admin, kinds["project"]).get_issue(kinds["issue"])
    cf = {kind: issue.cf(name) for kind, name in names.items()}
    assert cf == {
        "string": "Acme Corp", "text": "two\nlines", "link": "https://example.com/x",
        "int": "42", "float": "2.5", "date": "2026-11-30", "bool": "Yes",
        "list": ("alpha", "gamma"), "enumeration": ("Acme Corp",), "user": (kinds["user"],),
        "version": (kinds["version"],),
    }
    listed = next(client(admin, kinds["project"]).iter_issues(kinds["project"]))
    assert listed.custom_fields == issue.custom_fields


def test_each_kind_is_written_as_redmine_expects(admin: Admin, kinds: dict[str, Any]) -> None:
    names = kinds["fields"]
    tool = client(admin, kinds["project"])
    wanted = {names["enumeration"]: ("Globex",), names["bool"]: "No",
              names["version"]: (kinds["version"].replace("2026.1", "2026.2"),),
              names["list"]: ("beta",), names["string"]: "Globex Inc", names["int"]: "7"}
    result = tool.update_issue(IssueUpdate(kinds["issue"], custom_fields=wanted))
    assert result.dropped == ()
    for name, value in wanted.items():
        assert result.issue.cf(name) == value
    stored = {cf["id"]: cf.get("value") for cf in
              admin.get(f"/issues/{kinds['issue']}.json")["issue"]["custom_fields"]}
    assert stored[kinds["ids"]["bool"]] == "0"
    assert stored[kinds["ids"]["enumeration"]] != ["Globex"]  # the key, not the label


@pytest.mark.parametrize("kind", ["enumeration", "user"])
def test_a_customer_field_of_ids_is_read_as_shown_with_the_bots_key(
        admin: Admin, tmp_path: Path, local_redmine: dict[str, str], kind: str) -> None:
    """The shipped pack with Customer as a key/value list or a user field, run with the
    bot's own key (not an administrator: Redmine's REST answers show it only the key or
    the user's id): the customer is read as shown, so issues are tiered and routed as
    with a text field, and the customers report names it."""
    project = admin.new_demo_project("idcust", seed=False)
    ids = [admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": f"Route planning export fails {n}", "tracker_id": 1,
        "description": "The route planning export stops with error 500 since Monday."}},
        as_user="support.zhao")["issue"]["id"] for n in (1, 2)]
    name = f"Customer {kind[:4]} {uuid.uuid4().hex[:5]}"
    try:
        stored = rails_runner("customer_field.rb", kind, project, name, ",".join(map(str, ids)),
                              "Northwind Logistics", "Fabrikam Retail").strip().splitlines()[-1]
        raw = {cf["name"]: cf.get("value") for cf in
               admin.get(f"/issues/{ids[0]}.json")["issue"]["custom_fields"]}
        assert raw[name] == stored  # what the REST API gives: the key or the user's id
        config = write_config(tmp_path, project)
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("  customer: Customer ", f"  customer: {name} "),
                          encoding="utf-8")
        doctor = run_cli(local_redmine, config, "doctor")
        assert "values look like ids" not in doctor.stdout, doctor.stdout
        plan = run_cli(local_redmine, config, "plan", "--full")
        assert plan.returncode == 0, plan.stdout + plan.stderr
        for issue_id in ids:
            block = plan.stdout.split(f"#{issue_id} ", 1)[1].split("\n#", 1)[0]
            assert re.search(r"tier\s+\(none\) -> strategic", block), plan.stdout
            assert "account manager of Northwind Logistics" in block, plan.stdout  # routed
        report = run_cli(local_redmine, config, "report", "customers")
        assert report.returncode == 0, report.stdout + report.stderr
        assert "### Northwind Logistics (2)" in report.stdout, report.stdout
    finally:
        rails_runner("drop_fields.rb", name)
