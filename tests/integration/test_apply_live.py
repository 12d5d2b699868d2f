"""`redmine-sync apply`, `undo` and crash safety against the real Redmine and the demo data."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration import faultproxy as fp
from tests.integration.conftest import Admin
from tests.integration.conftest import cli_env
from tests.integration.conftest import config_with_rules
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

# Slow and self-contained: `make test` runs it on a second instance (scripts/run-tests).
pytestmark = [pytest.mark.integration, pytest.mark.second_redmine]


def visible(note: str) -> str:
    """A note's text as it reads in Redmine (user text is written escaped for the markup)."""
    import html

    return html.unescape(note).replace("\u2060", "")


cli = run_cli
_env = cli_env


def cf(issue: dict[str, Any], name: str) -> Any:
    return next((f.get("value") for f in issue.get("custom_fields", []) if f["name"] == name),
                None)


def by_subject(issues: list[dict[str, Any]], start: str) -> dict[str, Any]:
    return next(i for i in issues if i["subject"].startswith(start))


def state_of(issues: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """What matters of each issue, by subject: fields, labels, tier, relations, notes."""
    out = {}
    for issue in issues:
        notes = [j["notes"] for j in issue.get("journals", []) if j.get("notes")]
        relations = sorted(r["relation_type"] for r in issue.get("relations", []))
        out[issue["subject"]] = (
            issue["status"]["name"], issue["priority"]["name"],
            (issue.get("assigned_to") or {}).get("name"), tuple(sorted(cf(issue, "Labels") or [])),
            cf(issue, "Tier"), tuple(relations), len(notes))
    return out


def stamps(issues: list[dict[str, Any]]) -> dict[int, tuple[str, int]]:
    return {i["id"]: (i["updated_on"], len(i.get("journals", []))) for i in issues}


@pytest.fixture(scope="module")
def applied(admin: Admin, local_redmine: dict[str, str], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Any]:
    """A fresh demo project: the breaker trips first, then apply --yes writes the pack."""
    project = admin.new_demo_project("apply")
    folder = tmp_path_factory.mktemp("apply")
    config = write_config(folder, project)
    config.write_text(config.read_text(encoding="utf-8")
                      + "\nmetrics:\n  textfile: redmine_sync.prom\n", encoding="utf-8")
    bot = next(u["id"] for u in admin.get("/users.json", limit=100)["users"]
               if u["login"] == "redmine-sync")
    admin.send("PUT", f"/users/{bot}.json", {"user": {}, "pref": {  # as for a new account
        "auto_watch_on": ["issue_contributed_to"]}})
    before = admin.issues(project)
    tripped = cli(local_redmine, config, "apply")
    after_trip = admin.issues(project)
    first = cli(local_redmine, config, "apply", "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    return {"project": project, "config": config, "bot": bot, "before": before,
            "tripped": tripped,
            "after_trip": after_trip, "first": first, "after": admin.issues(project),
            "metrics": (folder / "redmine_sync.prom").read_text(encoding="utf-8")}


def test_breaker_trips_on_an_over_broad_run_and_writes_nothing(applied: dict[str, Any]) -> None:
    tripped = applied["tripped"]
    assert tripped.returncode == 3
    assert "circuit breaker: 40 issues would change (limit 20); nothing was written" \
        in tripped.stderr
    assert "to change:" in tripped.stdout  # the plan it would have applied is shown
    assert stamps(applied["after_trip"]) == stamps(applied["before"])


def test_the_pack_leaves_the_playbook_decisions_in_redmine(applied: dict[str, Any]) -> None:
    issues = applied["after"]
    conflict = by_subject(issues, "提供全部源代码")
    assert conflict["status"]["name"] == "Rejected"
    assert "rejected" in cf(conflict, "Labels")
    public = [j for j in conflict["journals"] if j.get("notes") and not j["private_notes"]]
    assert "战略" in public[-1]["notes"]
    vague = by_subject(issues, "Please optimise the system")
    assert vague["status"]["name"] == "Feedback" and "needs-info" in cf(vague, "Labels")
    encryption = by_subject(issues, "增加数据加密")
    assert encryption["priority"]["name"] == "Urgent" and cf(encryption, "Tier") == "strategic"
    assert "long-term" in cf(encryption, "Labels")
    reasons = [visible(j["notes"]) for j in encryption["journals"] if j.get("private_notes")]
    assert any("- Set priority to Urgent: high value, high cost = long-term (2), urgent +2, "
               "score 4 (" in n for n in reasons)
    assert by_subject(issues, "App 首页能不能")["assigned_to"]["name"] == "Liu Yang"
    resent = by_subject(issues, "Make the app home page prettier, please")
    assert [r["relation_type"] for r in resent["relations"]] == ["duplicates"]
    assert "duplicate" in cf(resent, "Labels")
    assert cf(by_subject(issues, "Restyle the login button"), "Tier") == "potential"


def test_the_bot_watches_none_of_the_issues_it_wrote(admin: Admin, applied: dict[str, Any]
                                                     ) -> None:
    written = [i for i in applied["after"] if len(i.get("journals", [])) >
               len(next(b for b in applied["before"] if b["id"] == i["id"]).get("journals", []))]
    assert len(written) > 20
    watched = admin.get("/issues.json", project_id=applied["project"], status_id="*",
                        watcher_id=applied["bot"], limit=1)["total_count"]
    assert watched == 0


def test_the_metrics_file_carries_the_figures_of_the_run(applied: dict[str, Any]) -> None:
    got = {(m.name, tuple(sorted(m.labels.items()))): m.value
           for family in text_string_to_metric_families(applied["metrics"])
           for m in family.samples}
    written = int(re.findall(r"run \d+: (\d+) written", applied["first"].stdout)[0])
    assert written > 20
    assert got[("redmine_sync_writes_total", ())] == written
    assert got[("redmine_sync_last_run_issues", (("outcome", "written"),))] == written
    assert got[("redmine_sync_breaker_trips_total", ())] == 1  # the run before it
    assert got[("redmine_sync_runs_total", (("mode", "apply"), ("status", "ok")))] == 1
    assert got[("redmine_sync_last_run_success", ())] == 1
    assert got[("redmine_sync_last_success_timestamp_seconds", ())] == \
        got[("redmine_sync_last_run_timestamp_seconds", ())] > time.time() - 600
    # the SLA state field the run wrote is computed by the same rules: count it per tier
    written_states: dict[tuple[str, str], int] = {}
    for issue in applied["after"]:
        if cf(issue, "SLA state"):
            key = (cf(issue, "Tier") or "none", cf(issue, "SLA state"))
            written_states[key] = written_states.get(key, 0) + 1
    tiers = {tier for tier, _ in written_states}
    assert tiers and {labels[0][1] for name, labels in got
                      if name == "redmine_sync_sla_open_issues"} == tiers
    for tier in tiers:
        assert got[("redmine_sync_issues_breached", (("tier", tier),))] == \
            written_states.get((tier, "breached"), 0)
        assert got[("redmine_sync_issues_at_risk", (("tier", tier),))] == \
            written_states.get((tier, "warning"), 0)
        assert got[("redmine_sync_sla_open_issues", (("tier", tier),))] == \
            sum(n for (t, _), n in written_states.items() if t == tier)


def test_second_apply_writes_nothing(admin: Admin, applied: dict[str, Any],
                                     local_redmine: dict[str, str]) -> None:
    before = admin.issues(applied["project"])
    again = cli(local_redmine, applied["config"], "apply", "--format", "json")
    assert again.returncode == 0, again.stderr
    assert '"written": []' in again.stdout
    assert stamps(admin.issues(applied["project"])) == stamps(before)


def test_people_win_and_undo_restores_the_rest(admin: Admin, applied: dict[str, Any],
                                               local_redmine: dict[str, str]) -> None:
    project, config = applied["project"], applied["config"]
    encryption = by_subject(admin.issues(project), "增加数据加密")
    low = next(p["id"] for p in admin.get("/enumerations/issue_priorities.json")[
        "issue_priorities"] if p["name"] == "Low")
    admin.send("PUT", f"/issues/{encryption['id']}.json", {"issue": {"priority_id": low}},
               as_user="pm.li")
    for _ in range(2):
        run = cli(local_redmine, config, "apply")
        assert run.returncode == 0, run.stderr
        issue = admin.get(f"/issues/{encryption['id']}.json")["issue"]
        assert issue["priority"]["name"] == "Low"
    explained = cli(local_redmine, config, "explain", str(encryption["id"]))
    assert "kept Low, not Urgent: kept: a person changed it after the tool set Urgent" \
        in explained.stdout

    history = cli(local_redmine, config, "history")
    first_run = min(int(line.split()[0]) for line in history.stdout.splitlines()
                    if " apply " in line and "written 40," in line)
    before = admin.issues(project)
    shown = cli(local_redmine, config, "undo", str(first_run))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "nothing was written (add --yes to write it)" in shown.stdout
    assert f"left alone: #{encryption['id']} priority: changed since by someone else" \
        in shown.stdout
    assert stamps(admin.issues(project)) == stamps(before)   # without --yes: no write

    undone = cli(local_redmine, config, "undo", str(first_run), "--yes")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "issue(s) put back" in undone.stdout and " 0 failed" in undone.stdout
    issues = admin.issues(project)
    conflict = by_subject(issues, "提供全部源代码")
    assert conflict["status"]["name"] == "New" and cf(conflict, "Labels") == []
    assert by_subject(issues, "增加数据加密")["priority"]["name"] == "Low"
    public = {i["id"]: [j for j in i.get("journals", []) if j.get("notes")
                        and not j.get("private_notes")] for i in issues}

    again = cli(local_redmine, config, "apply", "--yes", "--format", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert '"written": []' in again.stdout   # what undo put back stays
    after = admin.issues(project)
    assert {i["id"]: [j for j in i.get("journals", []) if j.get("notes")
                      and not j.get("private_notes")] for i in after} == public


def test_a_run_killed_mid_apply_ends_like_an_uninterrupted_one(
        admin: Admin, applied: dict[str, Any], local_redmine: dict[str, str],
        config_for: Callable[[str], Path]) -> None:
    project = admin.new_demo_project("crash")
    config = config_for(project)
    state_db = config.parent / "state.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "redmine_sync", "--config", str(config), "apply", "--yes"],
        env=_env(local_redmine), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if _written(state_db) >= 5:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert 5 <= _written(state_db) < 40
    again = cli(local_redmine, config, "apply", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    final = cli(local_redmine, config, "apply")
    assert "run" in final.stdout and "0 written" in final.stdout
    assert state_of(admin.issues(project)) == state_of(applied["after"])


TWO_NOTES = {
    "triage.yaml": "kind: triage\nrules:\n  - name: reject\n    when: {subject: {contains: "
                   "'reject me'}}\n    then:\n      - set: {status: Rejected}\n      - note: "
                   "{public: true, text: 'We cannot take this on.'}\n",
    "staff.yaml": "kind: followup\nmatch: all\nrules:\n  - name: staff-only\n    when: "
                  "{subject: {contains: 'reject me'}}\n    then: [{add_labels: [custom-request]}"
                  ", {note: 'Internal: the contract excludes this.'}]\n",
}  # one decision, two notes: public with the status, private in a write of its own


def notes_only(method: str, path: str, body: bytes | None) -> bool:
    """The write of a decision's second note: a PUT of an issue with a note and no field."""
    if method != "PUT" or not path.startswith("/issues/") or not body:
        return False
    return set(json.loads(body)["issue"]) <= {"notes", "private_notes"}


def test_a_run_killed_between_the_public_and_the_private_note_sends_the_private_once(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("twonotes", seed=False)
    config = config_with_rules(tmp_path, project, TWO_NOTES)
    text = config.read_text(encoding="utf-8")  # no report is due: not what this tests
    config.write_text(re.sub(r"(?m)^  schedules:.*(\n    .*)*", "  schedules: {}", text),
                      encoding="utf-8")
    issue_id = admin.send("POST", "/issues.json", {"issue": {
        "project_id": project, "subject": "please reject me"}})["issue"]["id"]
    with fp.FaultProxy(local_redmine["REDMINE_URL"], 0, fp.SEED, hold=notes_only) as proxy:
        env = {**local_redmine, "REDMINE_URL": proxy.url}  # the state file knows this URL
        process = subprocess.Popen(
            [sys.executable, "-m", "redmine_sync", "--config", str(config), "apply", "--yes"],
            env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        held = proxy.held.wait(timeout=120)
        process.send_signal(signal.SIGKILL)
        output, _ = process.communicate(timeout=30)
        assert held, f"the run never sent the second note: {output}"
        issue = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]
        assert issue["status"]["name"] == "Rejected"  # the first write landed, then the kill
        assert [j["private_notes"] for j in issue["journals"] if j.get("notes")] == [False]
        proxy.hold = None
        again = cli(env, config, "apply", "--yes")
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"#{issue_id}: the note left due by the interrupted run 1 was sent now" \
            in again.stdout, again.stdout
        final = cli(env, config, "apply", "--yes")
        assert final.returncode == 0 and "0 written" in final.stdout, final.stdout + final.stderr
    journals = admin.get(f"/issues/{issue_id}.json", include="journals")["issue"]["journals"]
    said = [(j["notes"], j["private_notes"]) for j in journals if j.get("notes")]
    assert said[0] == ("We cannot take this on.", False) and len(said) == 2, said
    assert said[1][1] and said[1][0].endswith("Internal: the contract excludes this.")


def _written(state_db: Path) -> int:
    if not state_db.exists():
        return 0
    try:
        with sqlite3.connect(state_db, timeout=1) as db:
            return int(db.execute("SELECT COUNT(DISTINCT issue_id) FROM audit WHERE "
                                  "outcome='written'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_daemon_runs_and_stops_cleanly_on_sigterm(applied: dict[str, Any], tmp_path: Path,
                                                  local_redmine: dict[str, str]) -> None:
    settled = cli(local_redmine, applied["config"], "apply", "--yes")  # earlier tests undid runs
    assert settled.returncode == 0, settled.stderr
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "redmine_sync", "--config", str(applied["config"]),
             "--log-format", "json", "daemon", "--interval", "1s"],
            env=_env(local_redmine), stdout=subprocess.DEVNULL, stderr=log_file, text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and log_path.read_text().count("0 written") < 2:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    err = log_path.read_text()
    assert process.returncode == 0, err
    assert '"message": "daemon started' in err and '"message": "daemon stopped"' in err
    assert err.count("issue(s) planned, 0 written") >= 2
    key = local_redmine["REDMINE_API_KEY"]
    assert key not in err
    state = applied["config"].parent
    assert all(key.encode() not in f.read_bytes() for f in state.iterdir() if f.is_file()
               and f.name.startswith("state.db"))


def test_redmine_stopped_mid_apply_then_faults_until_it_converges(
        admin: Admin, applied: dict[str, Any], local_redmine: dict[str, str],
        tmp_path: Path) -> None:
    """Redmine goes away mid-apply: the run ends within the retry budget plus one request
    timeout, exits 4 and says truly what it wrote. Then every run goes through a proxy
    injecting 20 % faults until nothing is left to do: the project ends as a clean run
    left the same data, no note twice, no extra wiki page, no exit 70.

    Each run's read timeout and budget are scaled to how fast Redmine answered just before
    (fp.Timing): on a busy machine a slow answer is not one of the faults."""
    project = admin.new_demo_project("faults")
    before = {i["id"]: i["updated_on"] for i in admin.issues(project)}
    timing = fp.Timing.after(fp.slowest_answer(admin, project))
    config = fp.configure(tmp_path, project, timing.settings(fp.PATIENT))
    with fp.FaultProxy(local_redmine["REDMINE_URL"], rate=0.0, seed=fp.SEED,
                       down_after=100) as proxy:
        run = fp.apply(local_redmine, config, proxy.url, "--format", "json")
        ended = time.monotonic()
    assert proxy.down_at, f"the run ended before Redmine went away ({timing})"
    took = ended - proxy.down_at
    limit = timing.budget + fp.CONNECT_TIMEOUT + timing.read
    print(f"\nRedmine stopped after {proxy.forwarded} answers; the run ended {took:.1f}s "
          f"later (budget {timing.budget:.1f}s + one request timeout {timing.read:.1f}s), "
          f"exit {run.returncode}")
    assert run.returncode == 4, run.stdout + run.stderr
    assert took <= limit + timing.slack  # the interpreter's exit on a busy machine
    stopped = re.search(r"run \d+ stopped: .*did not answer.* -- (\d+) issue\(s\) written "
                        r"before it.*?; (?:(\d+) interrupted mid-write.*?; )?(\d+) not written",
                        run.stderr)
    assert stopped, run.stderr
    print(run.stderr.strip().splitlines()[-1])
    changed = {i["id"] for i in admin.issues(project) if before[i["id"]] != i["updated_on"]}
    written, unsure, remaining = int(stopped[1]), int(stopped[2] or 0), int(stopped[3])
    assert written <= len(changed) <= written + unsure, (written, unsure, changed)
    assert written + unsure + remaining == 40 and written > 0 and remaining > 0
    summary = json.loads(run.stdout)
    assert set(summary["written"]) <= changed and "did not answer" in summary["stopped"]
    assert "Traceback" not in run.stderr

    port = int(proxy.url.rsplit(":", 1)[1])  # the same address: the state is tied to it
    codes, timeouts = [], []
    slowest = proxy.slowest
    with fp.FaultProxy(local_redmine["REDMINE_URL"], rate=fp.FAULT_RATE, seed=fp.SEED,
                       port=port) as faults:
        for _ in range(fp.MAX_RUNS):
            timing = fp.Timing.after(slowest)   # Redmine's pace in the run before
            config = fp.configure(tmp_path, project, timing.settings())
            faults.stall, faults.slowest = timing.read + 0.5, 0.0
            run = fp.apply(local_redmine, config, faults.url, "--format", "json")
            codes.append(run.returncode)
            timeouts.append(timing.read)
            slowest = faults.slowest
            assert run.returncode != 70, run.stderr
            assert "Traceback" not in run.stderr and "internal error" not in run.stderr
            if run.returncode == 0 and '"written": []' in run.stdout:
                break
    issues = admin.issues(project)
    print(f"faults injected: {dict(faults.injected)} ({sum(faults.injected.values())} of "
          f"{sum(faults.injected.values()) + faults.forwarded} requests); exit codes of the "
          f"runs: {codes}; read timeouts: {timeouts}; duplicated notes: "
          f"{fp.duplicated_notes(issues)}")
    assert codes[-1] == 0, f"did not converge in {fp.MAX_RUNS} runs: {codes}"
    assert set(faults.injected) == set(fp.KINDS)
    assert fp.duplicated_notes(issues) == 0
    assert state_of(issues) == state_of(applied["after"])
    titles = fp.wiki_titles(admin, project)
    assert titles == fp.wiki_titles(admin, applied["project"]), titles
