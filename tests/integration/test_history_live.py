"""Weeks of back-dated history through the whole chain, checked against an independent oracle.

scripts/build-history writes ten weeks of generated customer requests into a fresh project of
the real local Redmine; the CLI runs `apply` at the end of that history and publishes the
weekly, KPI and customer reports; the pages are read back over the REST API and compared,
figure by figure, with scripts/history/oracle.py, which computes them from the event list
alone (it imports nothing from redmine_sync).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest

from tests.integration.conftest import ROOT
from tests.integration.conftest import Admin
from tests.integration.conftest import cli_env
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

sys.path.insert(0, str(ROOT / "scripts"))
from history.events import LOCAL
from history.events import count
from history.oracle import figures

# Slow and self-contained: `make test` runs it on a second instance (scripts/run-tests).
pytestmark = [pytest.mark.integration, pytest.mark.second_redmine]

SEED = 11
# The tool runs and reports a quarter of an hour after the history ends: later than any
# write of this test, so a report "as of" that instant sees the tool's own changes too.
AFTER = timedelta(minutes=15)
REPORTS = ("weekly", "kpi", "customers")
# Runs the real CLI with its clock set to argv[1] (test-only): utc_now is replaced where the
# CLI takes it from (redmine_sync.clock, or redmine_sync.store before it), before the CLI loads.
AT_NOW = """
import importlib
import sys
from datetime import datetime
now = datetime.fromisoformat(sys.argv[1])
for name in ("redmine_sync.clock", "redmine_sync.store"):
    try:
        module = importlib.import_module(name)
    except ImportError:
        continue
    if hasattr(module, "utc_now"):
        module.utc_now = lambda: now
from redmine_sync.cli import main
sys.argv = ["redmine-sync", *sys.argv[2:]]
main()
"""


@pytest.fixture(scope="module")
def run(admin: Admin, local_redmine: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = admin.new_demo_project("history", seed=False)
    folder = tmp_path_factory.mktemp("history")
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    events = folder / "events.json"
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-history"), "--project", project,
         "--seed", str(SEED), "--end", end.isoformat(), "--events", str(events)],
        capture_output=True, text=True, check=False, env=cli_env(local_redmine))
    assert built.returncode == 0, built.stdout + built.stderr
    history = json.loads(events.read_text(encoding="utf-8"))
    now = end + AFTER
    config = write_config(folder, project)
    applied = subprocess.run(
        [sys.executable, "-c", AT_NOW, now.isoformat(), "--config", str(config),
         "apply", "--yes", "--full"],
        capture_output=True, text=True, check=False, env=cli_env(local_redmine))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    pages = {}
    for name in REPORTS:
        done = run_cli(local_redmine, config, "report", name, "--publish", "--at",
                       now.isoformat())
        assert done.returncode == 0, done.stdout + done.stderr
        title = re.search(r"/wiki/(\S+) \(version", done.stdout)
        assert title, done.stdout
        pages[name] = admin.get(f"/projects/{project}/wiki/{title[1]}.json")["wiki_page"]["text"]
    names = {u["login"]: f"{u['firstname']} {u['lastname']}"
             for u in admin.get("/users.json", limit=100)["users"]}
    return {"history": history, "pages": pages, "names": names, "project": project,
            "config": config, "now": now, "oracle": figures(history, ROOT / "rules", now)}


# -- reading the published pages (common_mark) ------------------------------------------------


def tables(text: str) -> dict[str, dict[str, str]]:
    """Two-column tables by their header ("KPI|Result"): first column -> second column;
    tables with the same header are merged."""
    out: dict[str, dict[str, str]] = {}
    for block in re.findall(r"((?:^\|.*\|\n?)+)", text, re.MULTILINE):
        rows = [[c.strip() for c in line.strip().strip("|").split("|")]
                for line in block.strip().splitlines()]
        if len(rows[0]) == 2:
            out.setdefault("|".join(rows[0]), {}).update({r[0]: r[1] for r in rows[2:]})
    return out


def rows(text: str, *header: str) -> list[list[str]]:
    """The rows of the first table whose header starts with these cells."""
    for block in re.findall(r"((?:^\|.*\|\n?)+)", text, re.MULTILINE):
        lines = [[c.strip() for c in line.strip().strip("|").split("|")]
                 for line in block.strip().splitlines()]
        if tuple(lines[0][:len(header)]) == header:
            return lines[2:]
    raise AssertionError(f"no table with the header {header!r}")


def section(text: str, heading: str) -> list[str]:
    """The bullet lines under a heading ('None.' gives [])."""
    part = text.split(f"## {heading}\n", 1)[1].split("\n#", 1)[0]
    return [line[2:] for line in part.splitlines() if line.startswith("- ")]


def ids(lines: list[str]) -> list[int]:
    """The first issue reference of each line; a character reference such as ``&#45;`` (an
    escaped "-" in a subject or business value) is not one."""
    return [int(m[1]) for line in lines if (m := re.search(r"(?<!&)#(\d+)", line))]


def shares(table: dict[str, str]) -> dict[str, str]:
    """A chart's table, 'strategic (49/126) | 38.9%' -> {'strategic': '38.9% (49/126)'}."""
    out = {}
    for label, value in table.items():
        name, counts = re.fullmatch(r"(.+) \((\d+/\d+)\)", label).groups()  # type: ignore[union-attr]
        out[name] = f"{value} ({counts})"
    return out


# -- the scenario -----------------------------------------------------------------------------


def test_the_history_is_weeks_of_varied_activity(run: dict[str, Any]) -> None:
    history = run["history"]
    size = count(history)
    assert history["weeks"] >= 8 and 150 <= size["issues"] <= 250
    assert 1000 <= size["journals"] <= 2000
    issues = history["issues"]
    local = [datetime.fromisoformat(i["created"]).astimezone(LOCAL)
             for i in issues]
    assert any(t.weekday() >= 5 for t in local) and any(t.hour < 7 or t.hour >= 20 for t in local)
    public = holidays.country_holidays("CN", years={t.year for t in local})
    assert any(t.date() in public for t in local), "requests arrive on public holidays too"
    assert {i["custom_fields"]["Tier"] for i in issues} == {
        "strategic", "potential", "stable", "ordinary"}
    assert {i["lang"] for i in issues} == {"zh", "en"}
    journals = [j for i in issues for j in i["journals"]]
    statuses = {j["set"].get("status") for j in journals}
    assert {"Feedback", "In Progress", "Testing", "Awaiting acceptance", "Closed",
            "Rejected"} <= statuses
    assert any(j["private"] for j in journals)
    assert any(j["notes"].startswith(("自动回复", "Auto-reply")) for j in journals)
    assert any("Satisfaction" in j["set"].get("custom_fields", {}) for j in journals)
    assert any("delay-risk" in j["set"].get("custom_fields", {}).get("Labels", [])
               for j in journals)


# -- KPI page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("figure", ["Resolution cycle", "Rejected requests",
                                    "Requirement deviation", "Reopen rate", "Satisfaction"])
def test_kpi_figure_matches_the_oracle(run: dict[str, Any], figure: str) -> None:
    page = {**tables(run["pages"]["kpi"])["KPI|Result"]}
    assert page[figure] == run["oracle"]["kpi"][figure]
    assert "n/a" not in page[figure]


@pytest.mark.parametrize("figure", ["SLA attainment", "Emergencies answered in time",
                                    "First response time", "Resolution time"])
def test_kpi_sla_figure_matches_the_oracle(run: dict[str, Any], figure: str) -> None:
    assert tables(run["pages"]["kpi"])["KPI|Result"][figure] == run["oracle"]["kpi"][figure]


def test_sla_attainment_by_tier_and_priority(run: dict[str, Any]) -> None:
    page, oracle = run["pages"]["kpi"], run["oracle"]
    assert shares(tables(page)["SLA attainment by tier|"]) == oracle["sla_by_tier"]
    assert tables(page)["Priority|Attainment"] == oracle["sla_by_priority"]


def test_backlog_matches_the_oracle(run: dict[str, Any]) -> None:
    found, oracle = tables(run["pages"]["kpi"]), run["oracle"]
    open_total = sum(oracle["backlog_by_status"].values())
    assert {k.rsplit(" (", 1)[0]: int(k.rsplit("(", 1)[1].rstrip(")"))
            for k in found["Open issues by tier|"]} == oracle["backlog_by_tier"]
    assert {k: int(v) for k, v in found["Status|Open"].items()} == oracle["backlog_by_status"]
    assert {k: int(v) for k, v in found["Priority|Open"].items()} == oracle[
        "backlog_by_priority"]
    assert {k: int(v) for k, v in found["Label|Open"].items()} == oracle["backlog_by_label"]
    assert open_total == sum(oracle["backlog_by_tier"].values())


# -- weekly page ------------------------------------------------------------------------------


def test_weekly_summary_finished_and_new_work(run: dict[str, Any]) -> None:
    page, weekly = run["pages"]["weekly"], run["oracle"]["weekly"]
    rate, closed, still = weekly["completion"]
    summary = section(page, "Summary")
    assert summary[0] == f"Completion rate {rate}: {closed} closed this week, {still} still open."
    assert summary[1].startswith(f"{len(weekly['finished'])} finished, {len(weekly['new'])} new,")
    assert ids(section(page, "Finished this week, for the customer")) == weekly["finished"]
    assert ids(section(page, "New requests this week")) == weekly["new"]
    assert ids(section(page, "Next week's plan")) == weekly["next_week"]
    assert weekly["finished"], "the history closes work in the week of its end"


def test_weekly_kanban_with_owners_deadlines_and_progress(run: dict[str, Any]) -> None:
    names = run["names"]
    expected = [[stage, f"#{i}", names[owner], due or "-", f"{done}%"]
                for stage, i, owner, due, done in run["oracle"]["weekly"]["kanban"]]
    found = [[stage, item.split(" ", 1)[0], owner, due, bar.split(" ")[-1]]
             for stage, item, owner, due, bar in rows(run["pages"]["weekly"], "Stage")]
    assert found == expected
    assert any(row[4] not in ("0%", "100%") for row in found)


def test_weekly_risks(run: dict[str, Any]) -> None:
    lines = section(run["pages"]["weekly"], "Risks")
    found = [re.sub(r"^(#\d+) .*?(: (?:first response|resolution|emergency response|overdue))",
                    r"\1\2", line) for line in lines]
    assert found == run["oracle"]["weekly"]["risks"]
    summary = section(run["pages"]["weekly"], "Summary")[1]
    assert summary.endswith(f", {len(found)} risks.")


# -- customer page ----------------------------------------------------------------------------


def test_customer_health_volume_and_satisfaction(run: dict[str, Any]) -> None:
    health = rows(run["pages"]["customers"], "Customer", "Open")
    oracle = run["oracle"]["customers"]
    assert {r[0] for r in health} == set(oracle)
    for name, still, _, _, volume, kinds, satisfaction in health:
        want = oracle[name]
        assert (int(still), int(volume), satisfaction) == (
            want["open"], want["volume"], want["satisfaction"]), name
        assert {k.rsplit(" ", 1)[0]: int(k.rsplit(" ", 1)[1]) for k in kinds.split(", ")
                if k != "-"} == want["kinds"], name


def test_customer_sla_standing(run: dict[str, Any]) -> None:
    health = rows(run["pages"]["customers"], "Customer", "Open")
    oracle = run["oracle"]["customers"]
    found = {r[0]: (int(r[2]), int(r[3])) for r in health}
    assert found == {n: (c["breached"], c["at_risk"]) for n, c in oracle.items()}
    assert any(b for b, _ in found.values())


# -- what-if ----------------------------------------------------------------------------------

# The shipped first-response targets, halved (the resolution rows differ: left as they are).
TIGHTER = {
    "strategic: {urgent: 4h, normal: 24h, deferrable: 72h, any: 24h}":
        "strategic: {urgent: 2h, normal: 12h, deferrable: 36h, any: 12h}",
    "potential: {urgent: 12h, normal: 48h, deferrable: 72h, any: 48h}":
        "potential: {urgent: 6h, normal: 24h, deferrable: 36h, any: 24h}",
    "default: {urgent: 24h, normal: 72h, deferrable: 120h, any: 72h}":
        "default: {urgent: 12h, normal: 36h, deferrable: 60h, any: 36h}",
}


def stamps(admin: Admin, project: str) -> dict[int, tuple[str, int]]:
    """Each issue's updated_on and number of journals, as Redmine has them."""
    ids, offset = [], 0
    while True:
        page = admin.get("/issues.json", project_id=project, status_id="*", limit=100,
                         offset=offset)
        ids += [i["id"] for i in page["issues"]]
        offset += 100
        if offset >= page["total_count"]:
            break
    out = {}
    for issue_id in ids:
        issue = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]
        out[issue_id] = (issue["updated_on"], len(issue["journals"]))
    return out


def test_what_if_a_tighter_first_response_target(run: dict[str, Any], admin: Admin,
                                                 local_redmine: dict[str, str],
                                                 tmp_path: Path) -> None:
    """Halved first-response targets replayed over the weeks of history: the attainment of
    both sides is the oracle's under each rule set, the extra breaches are listed, and
    Redmine is left as it was."""
    proposed = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", proposed)
    sla = proposed / "50-sla.yaml"
    text = sla.read_text(encoding="utf-8")
    for old, new in TIGHTER.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    sla.write_text(text, encoding="utf-8")
    before = stamps(admin, run["project"])
    done = subprocess.run(
        [sys.executable, "-c", AT_NOW, run["now"].isoformat(), "--config", str(run["config"]),
         "what-if", "--rules", str(proposed), "--format", "json"],
        capture_output=True, text=True, check=False, env=cli_env(local_redmine))
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout)
    tighter = figures(run["history"], proposed, run["now"])

    def shown(ratio: dict[str, Any]) -> str:
        return f"{ratio['percent']:g}% ({ratio['met']}/{ratio['total']})"

    current, new = found["current"], found["proposed"]
    assert shown(current["attainment"]) == run["oracle"]["kpi"]["SLA attainment"]
    assert shown(new["attainment"]) == tighter["kpi"]["SLA attainment"]
    assert {t: shown(r) for t, r in new["by_tier"].items() if r["total"]} == \
        tighter["sla_by_tier"]
    assert len(new["breaches"]) > len(current["breaches"])
    gained = {(b["issue"], b["metric"], b["cycle"]) for b in found["new_breaches"]}
    assert gained and all(metric == "first_response" for _, metric, _ in gained)
    assert len(new["breaches"]) - len(current["breaches"]) == \
        len(gained) - len(found["avoided_breaches"])
    assert gained <= {(c["issue"], c["metric"], c["cycle"]) for c in new["breaches"]}
    assert {i for i, _, _ in gained} <= {c["issue"] for c in found["changed"]}
    assert len(new["notes"]) > len(current["notes"])
    assert stamps(admin, run["project"]) == before
