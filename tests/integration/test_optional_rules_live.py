"""The pack's optional rules on the real Redmine (enabled in a copy of the pack), on
back-dated history and the tool run on simulated days, each figure worked out by the test
from the history alone: the satisfaction survey (asked once, within 7 days of the
closing; the customer's first numeric reply after it lands in the Satisfaction field),
requirement change control (one change request per edit after the confirmation and after
the last request or decision, naming what changed; its private note beside a public
screening answer) and the terms of an assignment (a planned completion date in working
days of the office calendar, checked with the history oracle's own calendar; the owner
asked once for acceptance criteria)."""

from __future__ import annotations

import html
import re
import shutil
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from redmine_sync.config import load_config
from redmine_sync.redmine.live import LiveRedmine
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from tests.integration.backdate import backdate
from tests.integration.conftest import ROOT
from tests.integration.conftest import Admin
from tests.integration.conftest import cli_env
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

sys.path.insert(0, str(ROOT / "scripts"))
from history.oracle import Policy  # the oracle's calendar: imports no redmine_sync

pytestmark = pytest.mark.integration


def enabled_pack(folder: Path) -> Path:
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    for name, count in (("60-satisfaction.yaml", 2), ("12-change-control.yaml", 1),
                        ("41-assignment-terms.yaml", 2)):
        path = rules / name
        text = path.read_text(encoding="utf-8")
        assert text.count("enabled: false") == count
        path.write_text(text.replace("enabled: false", "enabled: true"), encoding="utf-8")
    return rules


def tool_notes(issue: dict[str, Any]) -> list[str]:
    return [j["notes"] for j in issue["journals"] if j.get("notes")
            and j["user"]["name"] == "redmine-sync bot"]


def bot_public_notes(issue: dict[str, Any]) -> list[str]:
    return [j["notes"] for j in issue["journals"] if j.get("notes")
            and not j.get("private_notes") and j["user"]["name"] == "redmine-sync bot"]


def cf(issue: dict[str, Any], name: str) -> Any:
    return next(f.get("value") for f in issue["custom_fields"] if f["name"] == name)


DAY = timedelta(days=1)
CUSTOMER = "client.nw"   # a Northwind Logistics user (made by backdate, no project member)


def run_at(config: Path, local_redmine: dict[str, str], now: datetime) -> None:
    """One apply of every issue (a fresh look: back-dated issues are older than the last
    run's writes) with the tool's clock at ``now``."""
    loaded = load_config(str(config), env=cli_env(local_redmine))
    store = StateStore(loaded.state_path)
    try:
        result = apply_run(LiveRedmine.from_config(loaded), loaded, store, lambda: now,
                           full=True, yes=True)
    finally:
        store.close()
    assert result.applied is not None and not result.applied.failed, result.applied


def answer(text: str) -> int | None:
    """The oracle's reading of a reply: a whole first line "8", "8/10" or "8分", 0-10."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    found = re.fullmatch(r"(\d{1,2})\s*(?:/\s*10|分)?", first)
    return int(found[1]) if found and int(found[1]) <= 10 else None


def test_surveys_over_simulated_days_follow_the_seven_day_window(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    """Closings back-dated around the 7-day window, the tool run on two simulated days 9
    days apart (it did not run in between); which request is asked when, and which reply
    lands, is worked out from the history alone (oracle: asked at the first run 0-7 days
    after the closing, never twice; the first whole-number reply 0-10 after the closing)."""
    project = admin.new_demo_project("survey", seed=False)
    config = write_config(tmp_path, project, enabled_pack(tmp_path))
    base = datetime.now(UTC).replace(microsecond=0) - 20 * DAY
    runs = [base, base + 9 * DAY]

    def closed(subject: str, at: datetime, replies: tuple[tuple[datetime, str], ...] = (),
               status: str = "Closed") -> dict[str, Any]:
        return {"subject": subject, "author": CUSTOMER, "created": at - 3 * DAY,
                "fields": {"Customer": "Northwind Logistics"},
                "journals": [{"at": at - DAY, "user": CUSTOMER, "notes": "7"},  # before: no
                             {"at": at, "user": "support.zhao", "status": status},
                             *({"at": t, "user": CUSTOMER, "notes": n} for t, n in replies)]}
    first = {   # made before the first run
        "too old": closed("Print the invoices", base - 8 * DAY),
        "answered": closed("Export as PDF", base - 6.5 * DAY, ((base - 6 * DAY, "8/10"),)),
        "thanked": closed("Export as CSV", base - 0.5 * DAY, ((base - 0.2 * DAY, "Thanks!"),)),
        "rejected": closed("Resell the app", base - 1 * DAY, status="Rejected")}
    second = {  # closed between the runs
        "missed": closed("Archive the reports", base + 1 * DAY),
        "late answer": closed("Sign the PDF", base + 3 * DAY, ((base + 4 * DAY, "9分"),)),
        "fresh": closed("Mail the reports", base + 8.5 * DAY)}
    ids = dict(zip(first, backdate(project, list(first.values())), strict=True))
    spec = {**first, **second}
    asked_at: dict[str, datetime | None] = {}   # the oracle: when each is asked, if ever
    for name, row in spec.items():
        closing = row["journals"][1]
        asked_at[name] = next((r for r in runs if closing["status"] != "Rejected"
                               and timedelta(0) <= r - closing["at"] <= 7 * DAY), None)

    def surveys() -> dict[str, int]:
        return {name: len([n for n in bot_public_notes(issue(i))
                           if "reply with a number from 0 (not at all) to 10" in n])
                for name, i in ids.items()}

    def issue(issue_id: int) -> dict[str, Any]:
        return admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]

    run_at(config, local_redmine, runs[0])
    assert surveys() == {n: int(asked_at[n] == runs[0]) for n in first}
    ids.update(zip(second, backdate(project, list(second.values())), strict=True))
    run_at(config, local_redmine, runs[1])
    assert surveys() == {n: int(asked_at[n] is not None) for n in spec}, asked_at
    assert sum(surveys().values()) == 4
    for name, row in spec.items():   # the first rating after the closing, if any
        closing = row["journals"][1]
        replies = [answer(j["notes"]) for j in row["journals"] if j["at"] > closing["at"]]
        expected = next((r for r in replies if r is not None), None) \
            if closing["status"] != "Rejected" else None
        got = cf(issue(ids[name]), "Satisfaction")
        assert (int(got) if got else None) == expected, name
        assert ("survey-sent" in (cf(issue(ids[name]), "Labels") or [])) == \
            (asked_at[name] is not None), name


def test_change_requests_over_simulated_days_one_per_edit_after_confirmation(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    """Back-dated confirmations, edits and a person's decision, the tool run on two
    simulated days; the oracle: a request on each run for the parts edited after the
    confirmation and after the last request or decision, naming them."""
    project = admin.new_demo_project("change", seed=False)
    config = write_config(tmp_path, project, enabled_pack(tmp_path))
    base = datetime.now(UTC).replace(microsecond=0) - 20 * DAY
    runs = [base, base + 3 * DAY]
    criteria = "Acceptance criteria"
    fields = {"Customer": "Northwind Logistics", "Tier": "strategic", criteria: "CSV, monthly"}

    def request(subject: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        return {"subject": subject, "author": CUSTOMER, "created": base - 11 * DAY,
                "description": "Finance needs the invoices.", "fields": fields,
                "journals": events}
    confirm = {"user": "pm.li", "status": "In Progress"}
    first = {
        "edited after": request("Export the invoices", [
            {**confirm, "at": base - 9 * DAY},
            {"at": base - 8 * DAY, "user": CUSTOMER, "description": "Signed PDF, please."}]),
        "edited before": request("Export the orders", [
            {"at": base - 10 * DAY, "user": CUSTOMER, "description": "Orders as PDF."},
            {**confirm, "at": base - 9 * DAY}]),
        "never confirmed": request("Export the payments", [
            {"at": base - 8 * DAY, "user": CUSTOMER, "subject": "Export all payments"}])}
    ids = dict(zip(first, backdate(project, list(first.values())), strict=True))
    later = {   # between the runs: a person approves the request, then more edits
        "edited after": [
            {"at": base + 1 * DAY, "user": "pm.li", "fields": {"Labels": ["change-approved"]}},
            {"at": base + 2 * DAY, "user": CUSTOMER, "fields": {criteria: "PDF/A, signed"}}],
        "edited before": [
            {"at": base + 2 * DAY, "user": CUSTOMER, "subject": "Export the orders daily"}]}
    # the oracle: what each run asks about, from the history alone
    expected = [{"edited after": {"description"}},
                {"edited after": {criteria}, "edited before": {"subject"}}]

    def raised() -> dict[str, list[str]]:
        out = {}
        for name, issue_id in ids.items():
            issue = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]
            out[name] = [html.unescape(n) for n in tool_notes(issue) if "Change request: " in n]
        return out

    run_at(config, local_redmine, runs[0])
    seen = raised()
    assert {n: len(r) for n, r in seen.items()} == \
        {n: int(n in expected[0]) for n in first}, seen
    assert "the description changed after the requirement was confirmed" in \
        seen["edited after"][0]
    for name, events in later.items():
        backdate(project, [{"id": ids[name], "journals": events}])
    run_at(config, local_redmine, runs[1])
    seen = raised()
    assert {n: len(r) for n, r in seen.items()} == \
        {n: sum(n in e for e in expected) for n in first}, seen
    assert f"the {criteria} changed" in seen["edited after"][1]
    assert "the subject changed" in seen["edited before"][0]


def test_an_assignment_gets_a_planned_date_and_the_owner_is_asked_once(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("terms", seed=False)
    config = write_config(tmp_path, project, enabled_pack(tmp_path))
    owner = next(u for u in admin.get("/users.json", limit=100)["users"]
                 if u["login"] == "pm.li")
    issue_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Encrypt the exported reports",
        "description": "Exports must be encrypted at rest.",
        "assigned_to_id": owner["id"]}})["issue"]["id"]
    office = Policy(tmp_path / "rules").calendars["china-office"]
    today = datetime.now(UTC).astimezone(office.zone).date()
    start = today + timedelta(days=40)   # Redmine refuses a due date before it (422)
    later_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "Encrypt the archive next quarter",
        "description": "Archives must be encrypted too.", "start_date": start.isoformat(),
        "assigned_to_id": owner["id"]}})["issue"]["id"]
    for _ in range(2):   # the second run finds the date set and the owner asked
        done = run_cli(local_redmine, config, "apply", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr

    def working_days_after(day: date, left: int = 15) -> date:
        while left:
            day += timedelta(days=1)
            left -= bool(office.ranges(day))
        return day

    issue = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]
    assert date.fromisoformat(issue["due_date"]) == working_days_after(today)
    later = admin.get(f"/issues/{later_id}.json", include="journals")["issue"]
    assert date.fromisoformat(later["due_date"]) == working_days_after(start)
    assert any(f"15 working days from the start date {start.isoformat()}"
               in html.unescape(n) for n in tool_notes(later))
    asked = [n for n in tool_notes(issue) if "has no acceptance criteria" in n]
    assert len(asked) == 1 and f"{owner['firstname']} {owner['lastname']}: request" in asked[0]
    assert "needs-acceptance" in cf(issue, "Labels")
