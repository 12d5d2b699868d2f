"""Time travel: the real CLI and the real daemon through simulated working days.

A local Redmine runs on a simulated clock shared with the tool (tests/integration/
simulated.py, docs/testing.md). Customers write requests of four tiers; staff answer,
reassign, close and reopen; a person removes a label the tool set and undoes an escalation.
The timer's ``apply`` drives the first days, one ``daemon`` process the rest. Whole-run
assertions, against figures an oracle in this file computes from the scenario alone (it
imports nothing from redmine_sync; it reads the shipped YAML with PyYAML):

* each SLA threshold acts once per clock cycle, in the first run after it is reached;
* each warning or breach note is posted once;
* a run with nothing new (no event, no threshold, no schedule) writes nothing;
* each scheduled report is published once per period, in the first run after it is due;
* no field a person changed is changed back by the tool.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
import yaml

from tests.integration.conftest import Admin
from tests.integration.conftest import write_config
from tests.integration.simulated import Daemon
from tests.integration.simulated import SimulatedRedmine

# On a clocked Redmine of its own: `make test` runs it beside the other integration tests.
pytestmark = [pytest.mark.integration, pytest.mark.own_redmine]

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
PROJECT = "demo"
BOT = "redmine-sync"
STAFF = {"pm.li", "dev.wang", "dev.chen", "support.zhao", "tech.sun", "sales.zhou", "pmo.wu",
         "am.liu", "am.smith"}
CUSTOMERS = {"hx.zhang": "华信银行", "nw.brown": "Northwind Logistics", "lj.wang": "蓝鲸教育",
             "df.li": "东方重工", "ts.grey": "Tailspin Travel", "hf.zhou": "禾丰餐饮"}
DAEMON_FROM = 2      # day index: the timer's apply before, one daemon process from then on
DAYS = 15            # Monday of week 1 .. Monday of week 3
SLACK = timedelta(minutes=7)   # a step right after each threshold and schedule instant


def monday() -> date:
    """The first Monday of March next year: after the instance's real stamps (a server
    clock behind its own data clears Redmine's settings cache on every request), and in
    weeks without public holidays in China."""
    first = date(datetime.now(UTC).year + 1, 3, 1)
    return first + timedelta(days=-first.weekday() % 7)


def clock_time(hhmm: str) -> dtime:
    hour, minute = map(int, hhmm.split(":"))
    return dtime(hour, minute)


def at(day: int, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    local = datetime.combine(monday() + timedelta(days=day), datetime.min.time(), TZ)
    return local.replace(hour=hour, minute=minute).astimezone(UTC)


# -- the scenario ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    when: datetime
    who: str
    issue: str                    # the scenario's key for the issue
    kind: str                     # create | note | edit | close | reopen | label+ | label-
    data: dict[str, Any] = field(default_factory=dict)


ISSUES = {  # key: customer login, tracker, urgency, requirement type, value, cost, subject
    "A": ("hx.zhang", "Bug", "urgent", "functional", "high", "low",
          "手机银行转账页面提交后白屏 / transfer page goes blank after submit"),
    "B": ("lj.wang", "Bug", "urgent", "service", "high", "low",
          "Teachers cannot export the term grade sheet to Excel"),
    "C": ("df.li", "Feature", "normal", "functional", "high", "high",
          "设备巡检工单需要支持离线填写并在联网后自动同步"),
    "D": ("ts.grey", "Support", "deferrable", "service", "low", "low",
          "How do we add a second administrator to our travel account?"),
    "E": ("nw.brown", "Bug", "normal", "service", "high", "low",
          "Route planner shows yesterday's depot closures on the dispatch board"),
    "F": ("hf.zhou", "Bug", "urgent", "service", "high", "low",
          "门店收银机打印小票时缺少会员积分信息"),
}


def scenario() -> list[Event]:
    e = Event
    return sorted([
        # Monday and Tuesday: the timer's apply
        e(at(0, "09:10"), "hx.zhang", "A", "create"),
        e(at(0, "10:30"), "lj.wang", "B", "create"),
        e(at(0, "14:00"), "pm.li", "A", "edit", {"notes": "We reproduced it and are on it.",
                                                 "priority": "High", "assignee": "dev.wang"}),
        e(at(0, "15:00"), "df.li", "C", "create"),
        e(at(1, "09:20"), "ts.grey", "D", "create"),
        e(at(1, "09:30"), "tech.sun", "B", "label-", {"label": "sla-warning"}),
        e(at(1, "10:00"), "support.zhao", "D", "note", {"notes": "Settings > Users > Invite."}),
        e(at(1, "10:05"), "pm.li", "C", "edit", {"assignee": "dev.chen"}),
        e(at(1, "16:00"), "support.zhao", "B", "note", {"notes": "A fix is being tested."}),
        # from Wednesday on: one daemon process
        e(at(2, "10:00"), "lj.wang", "B", "note", {"notes": "Any news? Grades are due Friday."}),
        e(at(2, "11:00"), "dev.wang", "A", "close", {"notes": "Fixed in 5.0.3."}),
        e(at(2, "16:00"), "support.zhao", "D", "close", {"notes": "Done, thanks."}),
        e(at(3, "10:00"), "pm.li", "A", "reopen", {"notes": "It happens again on Android."}),
        e(at(4, "15:00"), "dev.wang", "A", "close", {"notes": "Fixed for Android as well."}),
        e(at(5, "20:00"), "hf.zhou", "F", "create"),
        e(at(7, "09:05"), "nw.brown", "E", "create"),
        e(at(7, "10:00"), "am.smith", "E", "note", {"notes": "Thanks, we are checking."}),
        e(at(8, "10:00"), "tech.sun", "E", "label+", {"label": "delay-risk"}),
        e(at(8, "11:45"), "tech.sun", "E", "note", {"notes": "The fix ships tonight."}),
        e(at(9, "16:00"), "dev.chen", "C", "note", {"notes": "Planned for the next release."}),
    ], key=lambda ev: ev.when)


# -- the oracle: SLA thresholds from the scenario and the shipped YAML ------------------------

def load_sla() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "rules" / "50-sla.yaml").read_text(encoding="utf-8"))


def tier_of(customer: str) -> str:
    book = yaml.safe_load((ROOT / "rules" / "customers.yaml").read_text(encoding="utf-8"))
    found = next(c for c in book["customers"] if c["name"] == customer)
    ops = {"ge": lambda a, b: a >= b, "lt": lambda a, b: a < b}
    for tier in book["tiers"]:
        if all(ops[op](found[key], bound) for key in ("value", "fit")
               for op, bound in tier[key].items()):
            return str(tier["name"])
    raise AssertionError(f"no tier for {customer}")


def office_ranges(day: date) -> list[tuple[datetime, datetime]]:
    """China office hours of one local day, in UTC (the scenario's weeks have no holiday)."""
    if day.weekday() >= 5:
        return []
    out = []
    for span in ("09:00-12:00", "13:00-18:00"):
        a, b = span.split("-")
        out.append((datetime.combine(day, clock_time(a), TZ),
                    datetime.combine(day, clock_time(b), TZ)))
    return [(x.astimezone(UTC), y.astimezone(UTC)) for x, y in out]


def reach(start: datetime, seconds: float, calendar: str) -> datetime:
    """The instant ``seconds`` of business time after ``start``."""
    if calendar == "always":
        return start + timedelta(seconds=seconds)
    day = start.astimezone(TZ).date()
    left = seconds
    while True:
        for a, b in office_ranges(day):
            a = max(a, start)
            if b <= a:
                continue
            if (b - a).total_seconds() >= left:
                return a + timedelta(seconds=left)
            left -= (b - a).total_seconds()
        day += timedelta(days=1)


def hours(text: str) -> float:
    match = re.fullmatch(r"(\d+)h", str(text))
    assert match, f"the oracle reads durations in hours only, not {text!r}"
    return int(match[1]) * 3600.0


@dataclass(frozen=True)
class Crossing:
    issue: str
    metric: str          # first response | resolution | emergency
    cycle: int
    percent: int
    when: datetime


def expected_crossings(events: list[Event], until: datetime) -> list[Crossing]:
    sla = load_sla()
    policy = sla["policies"][0]
    assert sla["calendars"]["china-office"]["hours"] == {
        "mon-fri": ["09:00-12:00", "13:00-18:00"]}, "the oracle models these office hours"
    thresholds = [int(str(t["at"]).rstrip("%")) for t in policy["thresholds"]]
    out: list[Crossing] = []
    for key, (author, _, urgency, *_rest) in ISSUES.items():
        mine = [ev for ev in events if ev.issue == key]
        tier = tier_of(CUSTOMERS[author])
        calendar = policy["calendars_by_tier"].get(tier, policy["calendar"])
        row = {m: policy["targets"][m].get(tier, policy["targets"][m]["default"])
               for m in ("first_response", "resolution")}
        staff_notes = [ev.when for ev in mine if ev.who in STAFF and ev.data.get("notes")]
        created = mine[0].when
        clocks: list[tuple[str, int, datetime, datetime | None, float, str]] = []
        clocks.append(("first response", 1, created, min(staff_notes, default=None),
                       hours(row["first_response"].get(urgency, row["first_response"]["any"])), calendar))
        starts = [created] + [ev.when for ev in mine if ev.kind == "reopen"]
        stops = [ev.when for ev in mine if ev.kind == "close"]
        for cycle, start in enumerate(starts, 1):
            stop = next((s for s in stops if s > start), None)
            clocks.append(("resolution", cycle, start, stop,
                           hours(row["resolution"].get(urgency, row["resolution"]["any"])), calendar))
        for ev in mine:
            if ev.kind == "label+" and ev.data["label"] in ("delay-risk", "key-feature-change"):
                answer = next((t for t in staff_notes if t >= ev.when), None)
                clocks.append(("emergency", 1, ev.when, answer,
                               hours(policy["emergency"]["target"]), "always"))
        for metric, cycle, start, stop, target, cal in clocks:
            for percent in thresholds:
                when = reach(start, target * percent / 100, cal)
                if (stop is None or when < stop) and when <= until:
                    out.append(Crossing(key, metric, cycle, percent, when))
    return sorted(out, key=lambda c: c.when)


def expected_reports(first_run: datetime, until: datetime) -> set[str]:
    """Page titles: every schedule instant in the run, plus the last one before the first
    run (a new installation publishes the latest period once)."""
    titles: set[str] = set()
    day = (first_run - timedelta(days=120)).astimezone(TZ).date()
    last: dict[str, datetime] = {}
    while day <= until.astimezone(TZ).date():
        for name, (hhmm, ok) in SCHEDULES.items():
            instant = datetime.combine(day, clock_time(hhmm), TZ)
            if not ok(day) or instant > until:
                continue
            if instant <= first_run:
                last[name] = instant
            else:
                titles.add(report_title(name, instant))
        day += timedelta(days=1)
    return titles | {report_title(name, instant) for name, instant in last.items()}


def _last_working_day(day: date) -> bool:
    end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    while end.weekday() >= 5:
        end -= timedelta(days=1)
    return day == end


SCHEDULES = {  # config.example.yaml, read by hand: checked in test_schedules_are_the_shipped
    "weekly": ("17:00", lambda d: d.weekday() == 4),
    "kpi": ("17:00", lambda d: d.weekday() == 4),
    "customers": ("09:00", lambda d: d.weekday() == 0),
    "monthly": ("17:00", _last_working_day),
    "quarterly": ("09:00", lambda d: d.day == 5 and d.month in (1, 4, 7, 10)),
}


def report_title(name: str, instant: datetime) -> str:
    local = instant.astimezone(TZ)
    if name == "monthly":
        return f"Monthly_summary_{local:%Y-%m}"
    if name == "quarterly":
        quarter = (local.month - 1) // 3          # the quarter before, 0-based
        year = local.year - (quarter == 0)
        return f"Quarterly_summary_{year}-Q{quarter or 4}"
    iso = local.isocalendar()
    prefix = {"weekly": "Weekly_report", "kpi": "KPI_report", "customers": "Customer_report"}
    return f"{prefix[name]}_{iso.year}-W{iso.week:02d}"


def test_schedules_are_the_shipped() -> None:
    config = yaml.safe_load((ROOT / "config.example.yaml").read_text(encoding="utf-8"))
    assert config["reports"]["schedules"] == {
        "weekly": "0 17 * * fri", "kpi": "0 17 * * fri", "customers": "0 9 * * mon",
        "monthly": "0 17 LW * *", "quarterly": "0 9 5 1,4,7,10 *"}
    assert config["reports"]["timezone"] == "Asia/Shanghai"


def test_the_scenario_weeks_have_no_public_holiday() -> None:
    days = [monday() + timedelta(days=n) for n in range(DAYS + 1)]
    found = holidays.country_holidays("CN", years={d.year for d in days})
    assert not [d for d in days if d in found], "move monday() to weeks without holidays"


# -- driving Redmine ---------------------------------------------------------------------------

class People:
    """Customers and staff, over REST as themselves (the admin key switches user)."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        # thin drops idle keep-alive connections when its clock jumps: one per request
        admin.session.headers["Connection"] = "close"
        self.ids: dict[str, int] = {}
        self.fields = {f["name"]: f["id"] for f in admin.get("/custom_fields.json")[
            "custom_fields"]}
        self.statuses = {s["name"]: s["id"] for s in admin.get("/issue_statuses.json")[
            "issue_statuses"]}
        self.priorities = {p["name"]: p["id"] for p in admin.get(
            "/enumerations/issue_priorities.json")["issue_priorities"]}
        self.users = {u["login"]: u["id"] for u in admin.get("/users.json", limit=100)["users"]}
        self.trackers = {t["name"]: t["id"] for t in admin.get("/trackers.json")["trackers"]}

    def add_customers(self) -> None:
        reporter = next(r["id"] for r in self.admin.get("/roles.json")["roles"]
                        if r["name"] == "Reporter")
        for login, customer in CUSTOMERS.items():
            user = self.admin.send("POST", "/users.json", {"user": {
                "login": login, "firstname": login.split(".")[1].title(),
                "lastname": customer, "mail": f"{login}@customer.example",
                "password": "redmine-sync-demo"}})["user"]
            self.users[login] = user["id"]
            self.admin.send("POST", f"/projects/{PROJECT}/memberships.json", {"membership": {
                "user_id": user["id"], "role_ids": [reporter]}})

    def play(self, ev: Event) -> None:
        if ev.kind == "create":
            author, tracker, urgency, kind, value, cost, subject = ISSUES[ev.issue]
            values = {"Customer": CUSTOMERS[author], "Urgency": urgency,
                      "Requirement type": kind, "Value": value, "Cost": cost}
            body = {"project_id": PROJECT, "subject": subject, "tracker_id":
                    self.trackers[tracker], "description": f"{subject}\n\nSteps and impact "
                    "are described in the attached log; it affects our daily operations.",
                    "custom_fields": [{"id": self.fields[k], "value": v}
                                      for k, v in values.items()]}
            created = self.admin.send("POST", "/issues.json", {"issue": body}, as_user=ev.who)
            self.ids[ev.issue] = int(created["issue"]["id"])
            return
        issue: dict[str, Any] = {}
        if ev.data.get("notes"):
            issue["notes"] = ev.data["notes"]
        if "priority" in ev.data:
            issue["priority_id"] = self.priorities[ev.data["priority"]]
        if "assignee" in ev.data:
            issue["assigned_to_id"] = self.users[ev.data["assignee"]]
        if ev.kind == "close":
            issue["status_id"] = self.statuses["Closed"]
        if ev.kind == "reopen":
            issue["status_id"] = self.statuses["In Progress"]
        if ev.kind in ("label+", "label-"):
            labels = set(self.labels(ev.issue))
            labels = labels | {ev.data["label"]} if ev.kind == "label+" else \
                labels - {ev.data["label"]}
            issue["custom_fields"] = [{"id": self.fields["Labels"], "value": sorted(labels)}]
        self.admin.send("PUT", f"/issues/{self.ids[ev.issue]}.json", {"issue": issue},
                        as_user=ev.who)

    def labels(self, key: str) -> list[str]:
        issue = self.admin.get(f"/issues/{self.ids[key]}.json")["issue"]
        return list(next(f["value"] for f in issue["custom_fields"] if f["name"] == "Labels"))


# -- the run -----------------------------------------------------------------------------------

@dataclass
class Run:
    step: datetime
    mode: str                  # apply | daemon
    repeat: bool               # the second run at the same step: must write nothing
    started: datetime
    ended: datetime
    seconds: float = 0.0       # real time spent waiting for it


@dataclass
class Outcome:
    events: list[Event]
    crossings: list[Crossing]
    steps: list[datetime]
    runs: list[Run]
    ids: dict[str, int]
    issues: dict[str, dict[str, Any]]
    users: dict[int, str]
    pages: list[dict[str, Any]]
    labels_field: int
    tool_runs: list[tuple[int, datetime, datetime | None, str]]
    daemon_problems: list[str]
    seconds: float
    setup_seconds: float = 0.0


def steps_of(events: list[Event], crossings: list[Crossing], until: datetime
             ) -> list[datetime]:
    """Each event, and a run just after each threshold and each report schedule."""
    ticks = {ev.when for ev in events}
    ticks |= {c.when + SLACK for c in crossings}
    for day in range(DAYS + 1):
        for hhmm, ok in SCHEDULES.values():
            if ok(monday() + timedelta(days=day)):
                ticks.add(at(day, hhmm) + SLACK)
    return sorted(t for t in ticks if at(0, "08:00") < t <= until)


@pytest.fixture(scope="module")
def simulated() -> Iterator[SimulatedRedmine]:
    """The clocked instance; stopped after the module (the run starts it)."""
    sim = SimulatedRedmine()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def outcome(simulated: SimulatedRedmine, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Outcome]:
    t0 = time.monotonic()
    until = at(DAYS - 1, "09:30") + SLACK
    events = scenario()
    crossings = expected_crossings(events, until)
    steps = steps_of(events, crossings, until)
    simulated.start(at(0, "08:00"))
    setup = time.monotonic() - t0
    admin = Admin(simulated.env)
    people = People(admin)
    people.add_customers()
    folder = tmp_path_factory.mktemp("timetravel")
    config = write_config(folder, PROJECT)
    text = config.read_text(encoding="utf-8").replace("max_percent: 10", "max_percent: 100")
    config.write_text(text, encoding="utf-8")        # a small project: no breaker per run
    runs: list[Run] = []
    pending = list(events)
    daemon: Daemon | None = None
    try:
        for step in steps:
            simulated.set_clock(step)
            while pending and pending[0].when <= step:
                people.play(pending.pop(0))
            if step < at(DAEMON_FROM, "00:00"):
                wrote = _apply(simulated, config, step, runs, repeat=False)
                if wrote:
                    _apply(simulated, config, step, runs, repeat=True)
                continue
            if daemon is None:
                daemon = Daemon(simulated, config)
            begun, t1 = simulated.now(), time.monotonic()  # a cycle begun after the events:
            first = daemon.wait_cycle_after(_last_run_id(folder))
            runs.append(Run(step, "daemon", False, begun, simulated.now(),
                            time.monotonic() - t1))
            if _planned(folder, first):   # then the next cycle must find nothing to do
                begun, t1 = simulated.now(), time.monotonic()
                daemon.wait_cycle_after(first)
                runs.append(Run(step, "daemon", True, begun, simulated.now(),
                                time.monotonic() - t1))
        problems = daemon.problems() if daemon else []
        if daemon is not None:
            assert daemon.stop() == 0, "\n".join(daemon.lines[-20:])
            daemon = None
        found = _collect(admin, people, events, crossings, steps, runs, folder, problems,
                         time.monotonic() - t0)
        found.setup_seconds = setup
        yield found
    finally:
        if daemon is not None:
            daemon.stop()


def _last_run_id(folder: Path) -> int:
    with sqlite3.connect(folder / "state.db", timeout=30) as db:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0])


def _planned(folder: Path, run_id: int) -> bool:
    with sqlite3.connect(folder / "state.db", timeout=30) as db:
        row = db.execute("SELECT planned FROM runs WHERE id = ?", (run_id,)).fetchone()
    return bool(row and row[0])


def _apply(simulated: SimulatedRedmine, config: Path, step: datetime, runs: list[Run],
           repeat: bool) -> bool:
    begun, t1 = simulated.now(), time.monotonic()
    done = simulated.cli(config, "apply", "--format", "json")
    assert done.returncode == 0, f"apply at {step}: {done.stdout}{done.stderr}"
    runs.append(Run(step, "apply", repeat, begun, simulated.now(), time.monotonic() - t1))
    result = json.loads(done.stdout)
    return bool(result["written"] or result["reports"])


def _collect(admin: Admin, people: People, events: list[Event], crossings: list[Crossing],
             steps: list[datetime], runs: list[Run], folder: Path, problems: list[str],
             seconds: float) -> Outcome:
    issues = {key: admin.get(f"/issues/{n}.json", include="journals")["issue"]
              for key, n in people.ids.items()}
    index = admin.get(f"/projects/{PROJECT}/wiki/index.json")["wiki_pages"]
    pages = [admin.get(f"/projects/{PROJECT}/wiki/{p['title']}.json")["wiki_page"]
             for p in index]
    with sqlite3.connect(folder / "state.db") as db:
        tool_runs = [(i, _parse(s), _parse(f) if f else None, m) for i, s, f, m in
                     db.execute("SELECT id, started, finished, mode FROM runs ORDER BY id")]
    return Outcome(events, crossings, steps, runs, dict(people.ids), issues,
                   {v: k for k, v in people.users.items()}, pages, people.fields["Labels"],
                   tool_runs, problems, seconds)


def _parse(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- reading what happened ---------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    issue: str
    when: datetime
    who: str
    notes: str
    details: tuple[dict[str, Any], ...]


def journal(out: Outcome) -> list[Entry]:
    entries = []
    for key, issue in out.issues.items():
        for j in issue["journals"]:
            entries.append(Entry(key, _parse(j["created_on"]), out.users.get(
                j["user"]["id"], j["user"]["name"]), j.get("notes") or "",
                tuple(j["details"])))
    return sorted(entries, key=lambda e: e.when)


def label_moves(out: Outcome, entry: Entry) -> list[tuple[str, str]]:
    """(+label | -label) of one journal entry."""
    moves = []
    for d in entry.details:
        if d["property"] == "cf" and int(d["name"]) == out.labels_field:
            if d.get("new_value"):
                moves.append(("+", d["new_value"]))
            if d.get("old_value"):
                moves.append(("-", d["old_value"]))
    return moves


def step_window(out: Outcome, instant: datetime) -> tuple[datetime, datetime]:
    """The runs of the first step at or after ``instant``: from that step to the next one."""
    index = next(i for i, s in enumerate(out.steps) if s >= instant)
    following = out.steps[index + 1] if index + 1 < len(out.steps) else out.steps[index] + \
        timedelta(hours=1)
    return out.steps[index], following


METRIC = re.compile(r"SLA (?:warning|breached) \(SLA \S+: (first response|resolution|"
                    r"emergency|next response) at \d+% of [\d.]+ h \(threshold (\d+)%\)\)")


def threshold_notes(out: Outcome) -> list[tuple[Entry, str, int]]:
    found = []
    for entry in journal(out):
        if entry.who == BOT:
            found += [(entry, m[1], int(m[2])) for m in METRIC.finditer(entry.notes)]
    return found


# -- the whole-run assertions ------------------------------------------------------------------

def test_the_run_stays_within_its_budget(outcome: Outcome) -> None:
    runs = Counter((r.mode, r.repeat) for r in outcome.runs)
    spent = Counter()
    for r in outcome.runs:
        spent[r.mode] += r.seconds
    print(f"\ntime travel: {DAYS} days, {len(outcome.ids)} issues, {len(outcome.events)} "
          f"events, {len(outcome.steps)} steps, runs {dict(runs)}, tool runs "
          f"{len(outcome.tool_runs)}; {outcome.seconds:.0f} s (instance reset "
          f"{outcome.setup_seconds:.0f} s, apply {spent['apply']:.0f} s, daemon "
          f"{spent['daemon']:.0f} s)")
    assert outcome.daemon_problems == []
    assert all(status is not None for _, _, status, _ in outcome.tool_runs)


def test_breach_notes_once_per_clock_cycle_in_the_first_run_after(outcome: Outcome) -> None:
    _notes_once(outcome, 100)


def test_warning_notes_once_per_clock_cycle_in_the_first_run_after(outcome: Outcome) -> None:
    _notes_once(outcome, 75)


def _notes_once(out: Outcome, percent: int) -> None:
    expected = [c for c in out.crossings if c.percent == percent]
    seen = [(e, m, p) for e, m, p in threshold_notes(out) if p == percent]
    observed = Counter((e.issue, m) for e, m, _ in seen)
    print(f"\n{percent} % notes: expected {sorted(Counter((c.issue, c.metric) for c in expected).items())}, "
          f"observed {sorted(observed.items())}")
    assert observed == Counter((c.issue, c.metric) for c in expected)
    for crossing in expected:
        start, end = step_window(out, crossing.when)
        notes = [e for e, m, _ in seen if e.issue == crossing.issue and m == crossing.metric
                 and start <= e.when < end]
        assert len(notes) == 1, (crossing, [(e.when, e.notes) for e, _, _ in seen])


def test_warning_label_added_once_per_clock_and_never_against_a_person(outcome: Outcome
                                                                       ) -> None:
    """50 % adds sla-warning, 100 % swaps it for sla-breached: replayed from the oracle's
    crossings and the people's label edits, compared with the bot's journal entries."""
    for key in outcome.ids:
        marks = sorted([(c.when, "cross", c.percent) for c in outcome.crossings
                        if c.issue == key] +
                       [(ev.when, ev.kind, ev.data["label"]) for ev in outcome.events
                        if ev.issue == key and ev.kind.startswith("label")],
                       key=lambda m: m[0])
        has, removed_by_person, expected = False, False, []
        for when, kind, what in marks:
            if kind == "label-" and what == "sla-warning":
                has, removed_by_person = False, True
            elif kind == "cross" and what == 50 and not has and not removed_by_person:
                has = True
                expected.append(("+", when))
            elif kind == "cross" and what == 100 and has:
                has = False
                expected.append(("-", when))
        observed = [(sign, e.when) for e in journal(outcome) if e.issue == key and
                    e.who == BOT for sign, label in label_moves(outcome, e)
                    if label == "sla-warning"]
        assert [s for s, _ in observed] == [s for s, _ in expected], (key, observed, expected)
        for (_, got), (_, crossed) in zip(observed, expected, strict=True):
            start, end = step_window(outcome, crossed)
            assert start <= got < end, (key, got, crossed)


def test_breached_and_escalated_labels_once(outcome: Outcome) -> None:
    breached = {c.issue for c in outcome.crossings if c.percent == 100}
    for key in outcome.ids:
        adds = Counter(label for e in journal(outcome) if e.issue == key and e.who == BOT
                       for sign, label in label_moves(outcome, e) if sign == "+")
        want = 1 if key in breached else 0
        assert adds["sla-breached"] == want and adds["escalated"] == want, (key, adds)


def test_a_repeated_run_writes_nothing(outcome: Outcome) -> None:
    """Right after a run that wrote, a second one at the same instant finds nothing to do."""
    bot = [e for e in journal(outcome) if e.who == BOT]
    repeats = [r for r in outcome.runs if r.repeat]
    written = [(r.mode, e.issue, e.when, e.notes) for r in repeats for e in bot
               if r.started <= e.when <= r.ended]
    print(f"\nrepeated runs: {len(repeats)}, bot journal entries in them: {len(written)}")
    assert repeats and written == []


def test_the_bot_writes_only_after_an_event_or_a_threshold(outcome: Outcome) -> None:
    """A bot journal entry follows a person's event or an SLA threshold reached since the
    previous step; steps with neither (quiet steps) get no bot entry at all."""
    bot = [e for e in journal(outcome) if e.who == BOT]
    reasons = [ev.when for ev in outcome.events] + [c.when for c in outcome.crossings]
    unexplained = []
    for entry in bot:
        index = max(i for i, s in enumerate(outcome.steps) if s <= entry.when)
        previous = outcome.steps[index - 1] if index else outcome.steps[0] - timedelta(days=1)
        if not any(previous < r <= outcome.steps[index] for r in reasons):
            unexplained.append((entry.issue, entry.when, entry.notes, entry.details))
    quiet = [s for i, s in enumerate(outcome.steps) if not any(
        (outcome.steps[i - 1] if i else s - timedelta(days=1)) < r <= s for r in reasons)]
    print(f"\nbot journal entries: {len(bot)}, quiet steps: {len(quiet)}, "
          f"unexplained entries: {len(unexplained)}")
    assert quiet and unexplained == []


def test_a_breach_reassigns_to_the_escalation_contact_once(outcome: Outcome) -> None:
    contact = next(i for i, n in outcome.users.items() if n == "pm.li")
    for key in ("A", "E"):                 # strategic customers with an escalation contact
        first = min(c.when for c in outcome.crossings if c.issue == key and c.percent == 100)
        start, end = step_window(outcome, first)
        moves = [(e.when, d["new_value"]) for e in journal(outcome)
                 if e.issue == key and e.who == BOT for d in e.details
                 if d["name"] == "assigned_to_id" and d.get("new_value") == str(contact)]
        assert len(moves) == 1 and start <= moves[0][0] < end, (key, moves, first)


def test_each_report_published_once_per_period(outcome: Outcome) -> None:
    first = min(r.started for r in outcome.runs)
    until = max(r.ended for r in outcome.runs)
    expected = expected_reports(first, until)
    published = {p["title"]: p for p in outcome.pages if p.get("parent", {}).get("title")
                 == "Reports"}
    print(f"\nreports: {sorted(published)}")
    assert set(published) == expected
    assert all(p["version"] == 1 for p in published.values()), \
        {t: p["version"] for t, p in published.items()}
    for title, page in published.items():
        name = next(n for n in SCHEDULES if report_title(n, _parse(page["created_on"]))
                    == title or title.startswith({"weekly": "Weekly", "kpi": "KPI",
                                                  "customers": "Customer", "monthly": "Monthly",
                                                  "quarterly": "Quarterly"}[n]))
        created = _parse(page["created_on"])
        due = _due_before(name, created)
        if due > first:
            start, end = step_window(outcome, due)
            assert start <= created < end, (title, created, due)


def _due_before(name: str, instant: datetime) -> datetime:
    hhmm, ok = SCHEDULES[name]
    day = instant.astimezone(TZ).date()
    while True:
        due = datetime.combine(day, clock_time(hhmm), TZ)
        if ok(day) and due <= instant:
            return due.astimezone(UTC)
        day -= timedelta(days=1)


def test_people_edits_are_never_reverted(outcome: Outcome) -> None:
    """After a person changed a field (a label: that label), the tool never changes it."""
    touched: dict[tuple[str, str], datetime] = {}
    reverted = []
    for entry in journal(outcome):
        for d in entry.details:
            if d["property"] == "cf" and int(d["name"]) == outcome.labels_field:
                keys = [f"label {d.get('new_value') or d.get('old_value')}"]
            elif d["property"] == "attr" and d["name"] in ("priority_id", "assigned_to_id",
                                                            "status_id"):
                keys = [d["name"]]
            elif d["property"] == "cf":
                keys = [f"cf {d['name']}"]
            else:
                keys = []
            for k in keys:
                if entry.who != BOT:
                    touched.setdefault((entry.issue, k), entry.when)
                elif (entry.issue, k) in touched:
                    reverted.append((entry.issue, k, entry.when, d))
    people = set(touched)
    print(f"\npeople's edits: {sorted(people)}")
    assert ("A", "priority_id") in people and ("B", "label sla-warning") in people
    assert reverted == []


def test_the_escalation_a_person_undid_stays_undone(outcome: Outcome) -> None:
    issue = outcome.issues["A"]
    assert issue["priority"]["name"] == "High"
    assert issue["assigned_to"]["id"] == next(i for i, n in outcome.users.items()
                                              if n == "dev.wang")
    assert "sla-warning" not in next(f["value"] for f in outcome.issues["B"]["custom_fields"]
                                     if f["name"] == "Labels")
