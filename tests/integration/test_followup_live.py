# ruff: noqa: RUF001  (Chinese punctuation on purpose)
"""Following up with the customer on the real Redmine, with the shipped rules: a
customer's answer moves an issue out of Feedback and its SLA clock runs again; a breach
adds the escalation contact and the account manager as watchers and mentions the contact."""

from __future__ import annotations

import html
import re
import shutil
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.backdate import backdate
from tests.integration.conftest import ROOT
from tests.integration.conftest import Admin
from tests.integration.conftest import run_cli
from tests.integration.conftest import web_session
from tests.integration.conftest import write_config

# Slow and self-contained: `make test` runs it on a second instance (scripts/run-tests).
pytestmark = [pytest.mark.integration, pytest.mark.second_redmine]


def labels(issue: dict[str, object]) -> list[str]:
    fields = issue["custom_fields"]
    assert isinstance(fields, list)
    return sorted(next(f["value"] for f in fields if f["name"] == "Labels"))


def test_a_reply_resumes_the_clock_and_a_breach_brings_in_the_escalation_contact(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("follow", seed=False)
    now = datetime.now(UTC)
    asked = {"subject": "请优化一下系统", "author": "client.hx", "created": now - timedelta(days=3),
             "fields": {"Customer": "华信银行", "Tier": "strategic"},
             "journals": [{"at": now - timedelta(days=3) + timedelta(minutes=5),
                           "user": "redmine-sync", "status": "Feedback",
                           "fields": {"Labels": ["needs-info"]},
                           "notes": "为了准确评估您的需求，请补充场景、痛点和期望效果。"}]}
    answered = {**asked, "subject": "请优化一下系统 (2)",
                "journals": [*asked["journals"],   # type: ignore[list-item]
                             {"at": now - timedelta(hours=2), "user": "client.hx",
                              "notes": "场景：月末对账时导出超时；期望 1 分钟内完成。"}]}
    unanswered = {"subject": "导出报表超时", "author": "client.hx",
                  "created": now - timedelta(days=10),
                  "fields": {"Customer": "华信银行", "Tier": "strategic"}}
    waiting, back, breached = backdate(project, [asked, answered, unanswered])
    config = write_config(tmp_path, project)
    before = run_cli(local_redmine, config, "sla", str(back))
    assert before.returncode == 0, before.stdout + before.stderr
    assert re.search(r"first response \(cycle 1\): paused", before.stdout), before.stdout

    applied = run_cli(local_redmine, config, "apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    issue = admin.get(f"/issues/{back}.json")["issue"]
    assert issue["status"]["name"] == "New"
    assert "info-received" in labels(issue) and "needs-info" not in labels(issue)
    after = run_cli(local_redmine, config, "sla", str(back))
    assert re.search(r"first response \(cycle 1\): running", after.stdout), after.stdout
    late = admin.get(f"/issues/{breached}.json", include="watchers,journals")["issue"]
    assert {w["name"] for w in late["watchers"]} >= {"Li Na", "Liu Yang"}, late["watchers"]
    [said] = [j for j in late["journals"] if "SLA breached" in (j["notes"] or "")]
    assert said["notes"].endswith("Escalated. @pm.li")   # the escalation contact is mentioned
    summary = html.unescape(said["notes"])   # people by their names, as Redmine shows them
    assert re.search(r"Added watchers (Li Na, Liu Yang|Liu Yang, Li Na): ", summary), summary
    page = web_session(admin.url).get(f"{admin.url}/issues/{breached}", timeout=30).text
    shown = page[page.index("Escalated."):][:400]
    assert re.search(r'<a class="[^"]*user-mention" href="/users/\d+">@Li Na</a>', shown), shown
    still = admin.get(f"/issues/{waiting}.json")["issue"]   # no answer: it keeps waiting
    assert still["status"]["name"] == "Feedback"
    assert "needs-info" in labels(still) and "info-received" not in labels(still)


def test_a_stale_request_gets_one_nudge_then_closes(admin: Admin, local_redmine: dict[str, str],
                                                    tmp_path: Path) -> None:
    """The shipped stale rules switched on; the request went to Feedback 29 days ago, so
    the run after the nudge is already past the closing limit."""
    project = admin.new_demo_project("stale", seed=False)
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    shipped = (rules / "12-followup.yaml").read_text(encoding="utf-8")
    block = shipped[shipped.index("  - name: stale-close"):]
    switched = block.replace("    enabled: false\n", "    enabled: true\n")
    assert switched.count("enabled: true") == 2
    (rules / "12-followup.yaml").write_text(shipped.replace(block, switched))
    now = datetime.now(UTC)
    [stale] = backdate(project, [{
        "subject": "Please improve the system", "author": "client.st",
        "created": now - timedelta(days=30),
        "journals": [{"at": now - timedelta(days=29), "user": "redmine-sync",
                      "status": "Feedback", "fields": {"Labels": ["needs-info"]},
                      "notes": "To assess your request, please add the scenario."}]}])
    config = write_config(tmp_path, project, rules)

    def apply() -> dict[str, object]:
        done = run_cli(local_redmine, config, "apply", "--yes", "--format", "json")
        assert done.returncode == 0, done.stdout + done.stderr
        issue = admin.get(f"/issues/{stale}.json", include="journals")["issue"]
        return {"status": issue["status"]["name"], "labels": labels(issue),
                "public": [j["notes"] for j in issue["journals"]
                           if j["notes"] and not j["private_notes"]]}

    nudged = apply()
    assert nudged["status"] == "Feedback" and "nudged" in nudged["labels"]   # type: ignore
    assert sum("friendly reminder" in n for n in nudged["public"]) == 1   # type: ignore
    closed = apply()
    assert closed["status"] == "Closed"
    assert sum("closing this request" in n for n in closed["public"]) == 1   # type: ignore
    assert apply() == closed   # nothing more: one nudge, one closing note
