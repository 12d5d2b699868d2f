#!/usr/bin/env python3
"""The figures the reports must show for a generated history, computed independently.

    scripts/history/oracle.py EVENTS.json --now 2026-11-30T18:00:00Z [--rules rules]

Reads the event list (scripts/history/events.py, with the issue ids build-history adds), the
shipped calendar, policy and customers from the rules directory (plain YAML), and prints the
figures as JSON, worded like the reports ("83.3% (50/60)", "median 4.5 h, p90 20.0 h").
It imports nothing from redmine_sync: business time, clocks, thresholds and every figure are
computed here from the definitions in docs/reports.md and docs/sla.md, with the public
holidays of the ``holidays`` package that the calendar names.

The tool's run at ``now`` is part of what the reports show: its SLA thresholds add labels,
raise the priority and reassign escalated issues, so the oracle applies the policy's
threshold actions to the open issues too.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import Counter
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED = ("Closed", "Rejected")
KANBAN = (("Requirement confirmed", "New"), ("In development", "In Progress"),
          ("Testing", "Testing"), ("Acceptance", "Awaiting acceptance"))
PRIORITIES = ("Immediate", "Urgent", "High", "Normal", "Low")
UNITS = {"m": 60, "h": 3600}


# -- business time ----------------------------------------------------------------------------


class Calendar:
    """Working hours in a zone minus public holidays, plus make-up working days; or 24x7."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.always = bool(spec.get("always"))
        self.zone = ZoneInfo(spec.get("timezone", "UTC"))
        self.hours: dict[int, list[tuple[time, time]]] = {}
        for key, ranges in (spec.get("hours") or {}).items():
            first, _, last = key.partition("-")
            a, b = DAYS.index(first), DAYS.index(last or first)
            for day in range(a, b + 1):
                self.hours[day] = [tuple(time.fromisoformat(x) for x in r.split("-"))
                                   for r in ranges]
        country = (spec.get("holidays") or {}).get("country")
        self.country = country
        self._years: dict[int, tuple[set[date], set[date]]] = {}

    def ranges(self, day: date) -> list[tuple[time, time]]:
        """A make-up working day has Monday's hours; a public holiday none."""
        if self.country:
            off, on = self._holidays(day.year)
            if day in on:
                return self.hours.get(0, [])
            if day in off:
                return []
        return self.hours.get(day.weekday(), [])

    def _holidays(self, year: int) -> tuple[set[date], set[date]]:
        """The public holidays and the make-up working days of a year."""
        if year not in self._years:
            found = holidays.country_holidays(self.country, years=year)
            self._years[year] = (set(found), {d for d in found.weekend_workdays
                                              if d.year == year})
        return self._years[year]

    def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The business intervals inside [start, end)."""
        if self.always:
            return [(start, end)] if end > start else []
        out = []
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        while datetime.combine(day, time(), self.zone) < end:
            for a, b in self.ranges(day):
                s = datetime.combine(day, a, self.zone)
                e = datetime.combine(day, b, self.zone)
                s, e = max(s, start), min(e, end)
                if e > s:
                    out.append((s, e))
            day += timedelta(days=1)
        return out

    def seconds(self, start: datetime, end: datetime) -> float:
        return sum((e - s).total_seconds() for s, e in self.intervals(start, end))


# -- replaying an issue ---------------------------------------------------------------------


def moments(issue: dict[str, Any]) -> list[tuple[datetime, dict[str, Any], dict[str, Any] | None]]:
    """(time, values after, journal) from creation on; values: status, priority, labels..."""
    cf = issue["custom_fields"]
    values = {"status": "New", "priority": issue["priority"], "owner": issue["assigned_to"],
              "labels": tuple(sorted(cf.get("Labels", []))), "due": None, "done": 0,
              "satisfaction": None, "subject": issue["subject"],
              "description": issue["description"]}
    out = [(parse(issue["created"]), dict(values), None)]
    for j in issue["journals"]:
        s = j["set"]
        changes = {"status": s.get("status"), "priority": s.get("priority"),
                   "owner": s.get("assigned_to"), "due": s.get("due_date"),
                   "done": s.get("done_ratio"), "subject": s.get("subject"),
                   "description": s.get("description")}
        for key, value in changes.items():
            if value is not None:
                values[key] = value
        fields = s.get("custom_fields", {})
        if "Labels" in fields:
            values["labels"] = tuple(sorted(fields["Labels"]))
        if "Satisfaction" in fields:
            values["satisfaction"] = fields["Satisfaction"]
        out.append((parse(j["at"]), dict(values), j))
    return out


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- clocks ---------------------------------------------------------------------------------


class Clock:
    def __init__(self, metric: str, target: float, started: datetime, stopped: datetime | None,
                 met: bool, running: list[tuple[datetime, datetime]], calendar: Calendar,
                 now: datetime) -> None:
        self.metric, self.target, self.stopped, self.met = metric, target, stopped, met
        self.elapsed = 0.0
        self.reached: datetime | None = None
        for a, b in running:
            for s, e in calendar.intervals(a, b):
                length = (e - s).total_seconds()
                if self.reached is None and self.elapsed + length >= target - 1e-6:
                    self.reached = s + timedelta(seconds=max(target - self.elapsed, 0.0))
                self.elapsed += length
        end = stopped if stopped is not None else now
        self.breached = self.reached is not None and (
            self.reached < end if stopped is not None else self.reached <= now)
        self.calendar = calendar
        self.now = now

    @property
    def open(self) -> bool:
        return self.stopped is None

    @property
    def fraction(self) -> float:
        return self.elapsed / self.target

    def due(self) -> datetime | None:
        """Breach instant, or when the target is reached if it keeps running from now."""
        if self.breached:
            return self.reached
        remaining = self.target - self.elapsed
        t = self.now
        while True:
            for s, e in self.calendar.intervals(t, t + timedelta(days=7)):
                length = (e - s).total_seconds()
                if length >= remaining - 1e-6:
                    return s + timedelta(seconds=remaining)
                remaining -= length
            t += timedelta(days=7)


class Policy:
    def __init__(self, rules: Path) -> None:
        sla = yaml.safe_load((rules / "50-sla.yaml").read_text(encoding="utf-8"))
        self.calendars = {name: Calendar(spec) for name, spec in sla["calendars"].items()}
        policy = sla["policies"][0]
        self.policy = policy
        self.auto = [a.casefold() for a in sla.get("auto_replies", [])]
        self.emergency_labels = set(policy["emergency"]["when"]["labels"]["contains-any"])
        self.emergency_target = duration(policy["emergency"]["target"])
        self.thresholds = policy["thresholds"]
        book = yaml.safe_load((rules / "customers.yaml").read_text(encoding="utf-8"))
        self.customers = {c["name"]: c for c in book["customers"]}
        self.tier_order = [t["name"] for t in book["tiers"]]

    def calendar(self, tier: str, metric: str) -> Calendar:
        if metric == "emergency":
            return self.calendars[self.policy["emergency"]["calendar"]]
        name = self.policy.get("calendars_by_tier", {}).get(tier, self.policy["calendar"])
        return self.calendars[name]

    def target(self, metric: str, tier: str, urgency: str) -> float | None:
        if metric == "emergency":
            return self.emergency_target
        table = self.policy["targets"].get(metric)
        if not table:
            return None
        row = table.get(tier) or table.get("default") or {}
        for key in (urgency, "any"):
            if key in row:
                return duration(row[key])
        return None

    def paused(self, values: dict[str, Any]) -> bool:
        return values["status"] == "Feedback" or "needs-info" in values["labels"]

    def auto_reply(self, note: str) -> bool:
        return any(note.strip().casefold().startswith(a) for a in self.auto)


def duration(text: str) -> float:
    return float(text[:-1]) * UNITS[text[-1]]


def clocks(issue: dict[str, Any], policy: Policy, contacts: set[str], now: datetime
           ) -> list[Clock]:
    """first_response, resolution cycles and the emergency clock, as of now."""
    history = [m for m in moments(issue) if m[0] <= now]
    tier, urgency = issue["custom_fields"]["Tier"], issue["custom_fields"]["Urgency"]
    author = issue["author"]

    def response(j: dict[str, Any] | None) -> bool:
        return (j is not None and not j["private"] and bool(j["notes"].strip())
                and j["by"] != author and j["by"] not in contacts
                and not policy.auto_reply(j["notes"]))

    def closed(k: int) -> bool:
        return history[k][1]["status"] in CLOSED

    def clock(metric: str, begin: int, end: int | None, met: bool) -> Clock | None:
        target = policy.target(metric, tier, urgency)
        if target is None:
            return None
        running = []
        last = len(history) if end is None else end
        for k in range(begin, last):
            a = history[k][0]
            b = history[k + 1][0] if k + 1 < len(history) else now
            if b > a and not policy.paused(history[k][1]):
                running.append((a, b))
        return Clock(metric, target, history[begin][0], None if end is None else history[end][0],
                     met, running, policy.calendar(tier, metric), now)

    out: list[Clock | None] = []
    first = next((k for k in range(1, len(history)) if response(history[k][2])), None)
    stop = next((k for k in range(1, len(history)) if k == first or closed(k)), None)
    out.append(clock("first_response", 0, stop, stop is not None and stop == first))
    begin: int | None = 0
    for k in range(1, len(history)):
        if begin is not None and closed(k):
            out.append(clock("resolution", begin, k, True))
            begin = None
        elif begin is None and not closed(k):
            begin = k
    if begin is not None:
        out.append(clock("resolution", begin, None, False))
    start = next((k for k in range(len(history))
                  if policy.emergency_labels & set(history[k][1]["labels"])), None)
    if start is not None:
        end = next((k for k in range(start, len(history))
                    if response(history[k][2]) or closed(k)
                    or not policy.emergency_labels & set(history[k][1]["labels"])), None)
        out.append(clock("emergency", start, end, end is not None and response(history[end][2])))
    return [c for c in out if c is not None]


# -- the tool's run at now: threshold actions ----------------------------------------------------


def run_thresholds(values: dict[str, Any], issue_clocks: list[Clock], policy: Policy,
                   customer: str) -> dict[str, Any]:
    """Labels, priority and owner after the policy's thresholds fired (each once)."""
    values = dict(values)
    labels = set(values["labels"])
    for c in issue_clocks:
        for threshold in policy.thresholds:
            at = float(str(threshold["at"]).rstrip("%")) / 100
            # a clock stopped in time exactly at a threshold has not passed it
            if c.fraction < at or (not c.open and not c.breached and c.fraction <= at):
                continue
            for action in threshold["then"]:
                labels |= set(action.get("add_labels", []))
                labels -= set(action.get("remove_labels", []))
                if "set" in action and "priority" in action["set"]:
                    values["priority"] = action["set"]["priority"]
                if "raise" in action and "priority" in action["raise"]:  # never lower
                    target = action["raise"]["priority"]
                    if PRIORITIES.index(target) < PRIORITIES.index(values["priority"]):
                        values["priority"] = target
                if "assign" in action:
                    known = policy.customers.get(customer, {})
                    values["owner"] = (known.get("escalation_contact")
                                       or known.get("account_manager") or values["owner"])
    values["labels"] = tuple(sorted(labels))
    return values


# -- figures ----------------------------------------------------------------------------------


def percent(x: float) -> str:
    return f"{round(x * 100, 1):g}%"


def ratio(num: int, den: int) -> str:
    return f"{percent(num / den)} ({num}/{den})" if den else "n/a"


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def spread(hours: list[float]) -> str:
    if not hours:
        return "n/a"
    return f"median {statistics.median(hours):.1f} h, p90 {nearest_rank(hours, 90):.1f} h"


def attainment(cs: list[Clock]) -> tuple[int, int]:
    met = sum(1 for c in cs if c.met and not c.breached)
    breached = sum(1 for c in cs if c.breached)
    return met, met + breached


def figures(history: dict[str, Any], rules: Path, now: datetime) -> dict[str, Any]:
    policy = Policy(rules)
    zone = ZoneInfo(history["timezone"])
    contacts = {c["login"] for cust in history["customers"] for c in cust["contacts"]}
    issues = [i for i in history["issues"] if parse(i["created"]) <= now]
    state: dict[int, dict[str, Any]] = {}
    all_clocks: dict[int, list[Clock]] = {}
    for issue in issues:
        history_now = [m for m in moments(issue) if m[0] <= now]
        cs = clocks(issue, policy, contacts, now)
        all_clocks[issue["id"]] = cs
        values = history_now[-1][1]
        closings = [t for t, v, j in history_now[1:] if j and j["set"].get("status") in CLOSED]
        values = {**values, "closed_on": closings[-1] if closings else None,
                  "history": history_now}
        if values["status"] not in CLOSED:
            values = run_thresholds(values, cs, policy, issue["customer"])
        state[issue["id"]] = values
    by_id = {i["id"]: i for i in issues}
    open_ids = sorted(i for i, v in state.items() if v["status"] not in CLOSED)
    every = [c for cs in all_clocks.values() for c in cs]
    out: dict[str, Any] = {"now": now.isoformat(), "issues": len(issues)}

    # KPI: service levels
    kpi = {
        "SLA attainment": ratio(*attainment(every)),
        "Emergencies answered in time": ratio(*attainment(
            [c for c in every if c.metric == "emergency"])),
        "First response time": spread([c.elapsed / 3600 for c in every
                                       if c.metric == "first_response" and c.met]),
        "Resolution time": spread([c.elapsed / 3600 for c in every
                                   if c.metric == "resolution" and c.met]),
    }
    cycles = [(v["closed_on"] - parse(by_id[i]["created"])).total_seconds() / 86400
              for i, v in sorted(state.items()) if v["status"] in CLOSED and v["closed_on"]]
    kpi["Resolution cycle"] = f"median {statistics.median(cycles):.1f} d" if cycles else "n/a"
    rejected = [i for i, v in state.items()
                if v["status"] == "Rejected" or "rejected" in v["labels"]]
    kpi["Rejected requests"] = ratio(len(rejected), len(state))
    confirmed = edited = 0
    ever_closed = reopened = 0
    for v in state.values():
        hist = v["history"]
        statuses = [(k, hist[k - 1][1]["status"], hist[k][1]["status"])
                    for k in range(1, len(hist)) if hist[k - 1][1]["status"] != hist[k][1]["status"]]
        first_open = next((k for k, _, new in statuses if new not in CLOSED), None)
        if first_open is not None:
            confirmed += 1
            edited += any(hist[k][1]["subject"] != hist[k - 1][1]["subject"]
                          or hist[k][1]["description"] != hist[k - 1][1]["description"]
                          for k in range(first_open + 1, len(hist)))
        if v["status"] in CLOSED or any(new in CLOSED for _, _, new in statuses):
            ever_closed += 1
            reopened += any(old in CLOSED and new not in CLOSED for _, old, new in statuses)
    kpi["Requirement deviation"] = ratio(edited, confirmed)
    kpi["Reopen rate"] = ratio(reopened, ever_closed)
    answers = [float(v["satisfaction"]) for _, v in sorted(state.items())
               if v["satisfaction"] not in (None, "")]
    kpi["Satisfaction"] = (f"{sum(answers) / len(answers):.1f} (n = {len(answers)})"
                           if answers else "n/a")
    out["kpi"] = kpi

    tier_of = {i["id"]: i["custom_fields"]["Tier"] for i in issues}
    by_tier: dict[str, list[Clock]] = {}
    by_priority: dict[str, list[Clock]] = {}
    for i, cs in sorted(all_clocks.items()):
        by_tier.setdefault(tier_of[i], []).extend(cs)
        by_priority.setdefault(state[i]["priority"], []).extend(cs)
    out["sla_by_tier"] = {t: ratio(*attainment(by_tier[t])) for t in policy.tier_order
                          if t in by_tier and attainment(by_tier[t])[1]}
    out["sla_by_priority"] = {p: ratio(*attainment(by_priority[p])) for p in PRIORITIES
                              if p in by_priority and attainment(by_priority[p])[1]}
    backlog = [state[i] for i in open_ids]
    out["backlog_by_tier"] = {t: n for t in policy.tier_order
                              if (n := sum(1 for i in open_ids if tier_of[i] == t))}
    out["backlog_by_status"] = dict(Counter(v["status"] for v in backlog))
    out["backlog_by_priority"] = dict(Counter(v["priority"] for v in backlog))
    labels = Counter(label for v in backlog for label in v["labels"])
    if any(not v["labels"] for v in backlog):
        labels["no label"] = sum(1 for v in backlog if not v["labels"])
    out["backlog_by_label"] = dict(labels)

    # Weekly report (the week holding now, in the reports' zone)
    local = now.astimezone(zone)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(), zone)
    week_end = monday + timedelta(days=7)
    closed_week = [i for i in sorted(state) if state[i]["status"] in CLOSED
                   and state[i]["closed_on"] and monday <= state[i]["closed_on"] < week_end]
    out["weekly"] = {
        "completion": (percent(len(closed_week) / (len(closed_week) + len(open_ids)))
                       if closed_week or open_ids else "n/a", len(closed_week), len(open_ids)),
        "finished": [i for i in closed_week if i not in rejected],
        "new": [i["id"] for i in issues if monday <= parse(i["created"]) < week_end],
        "risks": risks(state, all_clocks, open_ids, local.date(), zone),
        "next_week": [i for i in open_ids if state[i]["due"] and
                      (monday + timedelta(days=7)).date() <= date.fromisoformat(state[i]["due"])
                      <= (monday + timedelta(days=13)).date()],
        "kanban": [[stage, i, state[i]["owner"], state[i]["due"], state[i]["done"]]
                   for stage, status in KANBAN for i in sorted(state)
                   if state[i]["status"] == status],
    }

    # Customer report: health per customer
    since = now - timedelta(days=30)
    health = {}
    for name in {i["customer"] for i in issues}:
        mine = [i for i in issues if i["customer"] == name]
        still = [i["id"] for i in mine if i["id"] in open_ids]
        kinds = {i["id"]: risk_kinds(all_clocks[i["id"]], state[i["id"]], local.date())
                 for i in mine if i["id"] in open_ids}
        recent = [i for i in mine if since <= parse(i["created"]) <= now]
        scores = [float(state[i["id"]]["satisfaction"]) for i in mine
                  if state[i["id"]]["satisfaction"] not in (None, "")]
        health[name] = {
            "open": len(still),
            "breached": sum(1 for k in kinds.values() if "breached" in k),
            "at_risk": sum(1 for k in kinds.values() if "at_risk" in k and "breached" not in k),
            "volume": len(recent),
            "kinds": dict(Counter(i["custom_fields"]["Requirement type"] for i in recent)),
            "satisfaction": (f"{sum(scores) / len(scores):.1f} (n = {len(scores)})"
                             if scores else "n/a"),
        }
    out["customers"] = health
    return out


def risk_kinds(cs: list[Clock], values: dict[str, Any], today: date) -> set[str]:
    kinds = {"breached" if c.breached else "at_risk" for c in cs
             if c.open and (c.breached or c.fraction >= 0.75)}
    if values["due"] and date.fromisoformat(values["due"]) < today:
        kinds.add("overdue")
    return kinds


def risks(state: dict[int, dict[str, Any]], all_clocks: dict[int, list[Clock]],
          open_ids: list[int], today: date, zone: ZoneInfo) -> list[str]:
    """One line per risk, in the weekly report's order and words (issue by id)."""
    names = {"first_response": "first response", "resolution": "resolution",
             "emergency": "emergency response"}
    out = []
    for i in open_ids:
        for c in all_clocks[i]:
            if not c.open:
                continue
            metric = names.get(c.metric, c.metric)
            if c.breached:
                at = c.reached.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                out.append(f"#{i}: {metric} SLA breached at {at}")
            elif c.fraction >= 0.75:
                due = c.due().astimezone(zone).strftime("%Y-%m-%d %H:%M")
                out.append(f"#{i}: {metric} at {percent(c.fraction)} of its SLA target, "
                           f"due {due}")
        due_day = state[i]["due"]
        if due_day and date.fromisoformat(due_day) < today:
            out.append(f"#{i}: overdue, due {due_day}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="oracle", description=__doc__.split("\n")[0])
    p.add_argument("events", type=Path)
    p.add_argument("--now", required=True, help="the reports' now, ISO with zone")
    p.add_argument("--rules", type=Path, default=Path(__file__).resolve().parents[2] / "rules")
    args = p.parse_args(argv)
    history = json.loads(args.events.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    json.dump(figures(history, args.rules, now), sys.stdout, ensure_ascii=False, indent=1,
              default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
