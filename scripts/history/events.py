"""Weeks of customer-request history as a list of events, deterministic from a seed.

``generate(seed, end, weeks)`` returns a plain, JSON-ready mapping: the customers and their
contacts (from scripts/demo-data.yaml), and every issue with its creation and its journals
(who, when, public or private note, which fields changed). Nothing here talks to Redmine:
``write.rb`` writes the events back-dated into a project, ``oracle.py`` computes from the same
events the figures the reports must show. Times are UTC ISO strings on whole minutes.

What the history holds: requests of the four customer tiers in Chinese and English arriving
at any hour (nights, weekends and public holidays included), first responses within or past
their targets, auto-replies and private notes (which are not responses), needs-info cycles
(status Feedback, the customer answers, work resumes), the kanban stages with % done,
closures with a satisfaction score, reopenings, rejections, subject or description edits
after confirmation, customer follow-ups, emergencies (delay-risk label) answered in time or
late, due dates (some overdue). Each issue's life is planned from its creation on and cut at
``end``, so the issues of the last weeks are still open, in every stage.

The issues carry what the shipped rules would have written at intake (tier and its label,
kind labels, value-cost quadrant, priority, assignee), so a run of the tool at ``end``
changes only what time decides (the SLA thresholds).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

DEMO_DATA = Path(__file__).resolve().parents[1] / "demo-data.yaml"
LOCAL = ZoneInfo("Asia/Shanghai")   # where the customers and the staff live
TIERS = {"strategic partner": "strategic", "potential": "potential", "stable": "stable",
         "ordinary": "ordinary"}
STAFF = {"functional": ("pm.li", "dev.wang", "dev.chen"),
         "service": ("support.zhao", "tech.sun"),
         "sales": ("sales.zhou",),
         "custom": ("pmo.wu", "dev.chen")}
KIND_LABEL = {"functional": "feature", "service": "service", "sales": "sales",
              "custom": "custom-request"}
QUADRANT = {("high", "low"): "do-first", ("high", "high"): "long-term",
            ("low", "low"): "quick-win", ("low", "high"): "defer"}
QUADRANT_SCORE = {"do-first": 3, "long-term": 2, "quick-win": 1, "defer": 0}
URGENCY_SCORE = {"urgent": 2, "normal": 1, "deferrable": 0}
PRIORITY_BY_SCORE = ((5, "Immediate"), (4, "Urgent"), (3, "High"), (1, "Normal"), (0, "Low"))
SATISFACTION_FIELD = "Satisfaction"

# What customers ask about: module x ask, in each language, with the benefit when done.
MODULES = {
    "zh": ["订单", "报表", "登录", "支付", "消息推送", "权限管理", "数据导出", "审批流", "库存",
           "会员积分", "发票", "对账", "排班", "门店管理", "客服工单"],
    "en": ["orders", "reports", "sign-in", "payments", "notifications", "permissions",
           "data export", "approvals", "inventory", "loyalty points", "invoices",
           "reconciliation", "scheduling", "store admin", "help desk"],
}
ASKS = {
    "zh": [("{m}模块导出 Excel 超时", "导出超过 5 万行时超时，财务月底对账被卡住。",
            "{m}导出不再超时：月底对账提前半天完成"),
           ("{m}打开很慢，希望优化", "高峰期打开{m}要 10 秒以上，一线员工抱怨很多。",
            "{m}打开速度提升约 60%，高峰期不再排队"),
           ("{m}增加批量操作", "目前只能逐条处理，每天要重复点击上百次。",
            "{m}支持批量处理：每天节省约 2 小时人工"),
           ("{m}数据与财务系统不一致", "两边金额对不上，需要人工逐笔核对。",
            "{m}数据与财务系统自动一致，免去人工核对"),
           ("{m}需要对接我们的内部系统", "希望通过接口把{m}数据同步到内部系统。",
            "{m}数据每日自动同步到内部系统"),
           ("{m}偶发报错“系统繁忙”", "每天有几次提交时提示系统繁忙，需要重试。",
            "{m}提交成功率恢复到 99.9% 以上")],
    "en": [("{m}: Excel export times out", ("Exports above 50,000 rows time out and block "
            "the month-end close."), "{m} exports finish: month-end close half a day sooner"),
           ("{m} is slow to open", ("At peak hours {m} takes over 10 seconds "
            "to open; front-line staff complain."), "{m} opens about 60 % faster at peak"),
           ("Bulk actions in {m}", ("Today every record is handled one by one, hundreds of "
            "clicks a day."), "Bulk actions in {m}: about 2 hours of manual work saved a day"),
           ("{m} figures differ from the finance system", ("Amounts do not match and are "
            "checked by hand."), "{m} figures match finance automatically, no manual check"),
           ("Integrate {m} with our internal system", ("We need the {m} data in our "
            "internal system through an API."), "{m} data reaches the internal system daily"),
           ("{m} sometimes says 'server busy'", ("A few times a day submitting fails with "
            "'server busy' and has to be retried."), "{m} submissions succeed again (99.9 %)")],
}
SAY = {
    "zh": {"ack": "收到，我们已开始分析，今天内给您初步方案。",
           "ack2": "您好，问题已复现，正在排查，有进展第一时间同步。",
           "ask": "为了准确评估，请补充：影响的用户范围、出现时间和截图。",
           "answer": "补充如下：影响全部门店，每天上午 10 点左右出现，截图见附件。",
           "resume": "谢谢补充，信息已齐，我们继续处理。",
           "nudge": "请问目前进展如何？我们这边比较着急。",
           "reply": "方案已在测试环境验证，预计本周内上线。",
           "testing": "已提交测试，测试通过后请您验收。",
           "accept": "已部署到验收环境，请您验收。",
           "done": "已上线，请确认。感谢您的耐心！",
           "again": "上线后问题又出现了，请再看一下。",
           "reject": "该需求与产品路线不一致，暂不受理，感谢理解。",
           "private": "内部：需要评估对现有接口的影响，先不要对客户承诺日期。",
           "auto": "自动回复：您的邮件已收到，负责人休假中，我们会尽快处理。",
           "risk": "内部：依赖的第三方接口延期，交付有延期风险。",
           "inform": "特别说明：由于第三方接口延期，交付将推迟一周，补救方案如下：先上线基础功能。",
           "edit": "（需求调整）范围增加移动端支持。",
           "score": "回访：客户对本次处理满意度 {s} 分。"},
    "en": {"ack": "Thanks, we are on it and will send a first plan today.",
           "ack2": "We can reproduce it and are investigating; updates will follow.",
           "ask": "To assess this, please tell us which users are affected, since when, "
                  "and add a screenshot.",
           "answer": "All depots are affected, every morning around 10:00; screenshot "
                     "attached.",
           "resume": "Thanks, that is all we needed; work continues.",
           "nudge": "Any update on this? It is getting urgent for us.",
           "reply": "The fix is verified on staging and ships this week.",
           "testing": "The change is in testing; you can accept it once it passes.",
           "accept": "Deployed to the acceptance environment, please accept.",
           "done": "Released, please confirm. Thank you for your patience!",
           "again": "The problem is back since the release, please have another look.",
           "reject": "This does not fit our product roadmap, so we cannot take it on.",
           "private": "Internal: check the impact on the existing API before we commit "
                      "to a date.",
           "auto": "Auto-reply: I am out of office until Monday; your message will be "
                   "handled by the team.",
           "risk": "Internal: the third-party API we depend on slipped, delivery at risk.",
           "inform": "Heads-up: the third-party API slipped, delivery moves by one week; "
                     "remedy: the basic flow ships first.",
           "edit": "(scope change) Mobile support added to the scope.",
           "score": "Survey: the customer rated this {s} out of 5."},
}


@dataclass
class _Issue:
    """One issue's plan: its creation and its journals, in time order."""

    key: str
    created: datetime
    fields: dict[str, Any]
    journals: list[dict[str, Any]] = field(default_factory=list)

    def add(self, at: datetime, by: str, notes: str = "", private: bool = False,
            **changes: Any) -> datetime:
        at = max(at, self.last + timedelta(minutes=1))
        self.journals.append({"at": at, "by": by, "notes": notes, "private": private,
                              "set": changes})
        return at

    @property
    def last(self) -> datetime:
        return self.journals[-1]["at"] if self.journals else self.created


def _is_cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def _work_time(at: datetime) -> datetime:
    """The same instant if staff are at work then (09:00-18:00 local, Monday to Friday),
    else a moment in the next working morning."""
    local = at.astimezone(LOCAL)
    if local.weekday() < 5 and 9 <= local.hour < 18:
        return at
    day = local.date() + timedelta(days=0 if local.hour < 9 else 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=LOCAL).astimezone(UTC) \
        + timedelta(minutes=local.minute % 50 + 5)


def _arrival(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A creation time: mostly office hours, some evenings and nights, some weekends."""
    span = (end - start).days
    while True:
        day = (start + timedelta(days=rng.randrange(span))).astimezone(LOCAL).date()
        weekend = day.weekday() >= 5
        if weekend and rng.random() < 0.6:
            continue
        roll = rng.random()
        hour = rng.randint(9, 17) if roll < 0.72 else rng.choice([19, 20, 21, 22, 23, 0, 1, 6, 7])
        local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=LOCAL)
        at = local.astimezone(UTC)
        if start <= at < end:
            return at


def _priority(value: str, cost: str, urgency: str) -> tuple[str, str]:
    quadrant = QUADRANT[(value, cost)]
    score = QUADRANT_SCORE[quadrant] + URGENCY_SCORE[urgency]
    return quadrant, next(name for least, name in PRIORITY_BY_SCORE if score >= least)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=round(rng.uniform(low, high) * 60))


def generate(seed: int = 11, end: datetime | None = None, weeks: int = 10,
             issues: int = 180, data: Path = DEMO_DATA) -> dict[str, Any]:
    """The history: ``weeks`` weeks up to ``end`` (default: now), ``issues`` requests."""
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(weeks=weeks)
    rng = random.Random(seed)
    demo = yaml.safe_load(data.read_text(encoding="utf-8"))
    customers = demo["customers"]
    weights = {"strategic": 4, "potential": 2, "stable": 3, "ordinary": 2}
    pool = [c for c in customers for _ in range(weights[TIERS[c["intended_tier"]]])]
    planned = []
    for n in range(issues):
        customer = rng.choice(pool)
        planned.append(_plan(rng, n, customer, _arrival(rng, start, end)))
    _emergencies(rng, planned, end)
    _this_week(rng, planned, end)
    out = []
    for issue in sorted(planned, key=lambda i: (i.created, i.key)):
        journals = [j for j in issue.journals if j["at"] <= end]
        out.append({**issue.fields, "key": issue.key, "created": _iso(issue.created),
                    "journals": [{**j, "at": _iso(j["at"])} for j in journals]})
    return {"seed": seed, "start": _iso(start), "end": _iso(end), "weeks": weeks,
            "timezone": str(LOCAL), "satisfaction_field": SATISFACTION_FIELD,
            "customers": [{"name": c["name"], "tier": TIERS[c["intended_tier"]],
                           "account_manager": c.get("account_manager"),
                           "contacts": c["contacts"]} for c in customers],
            "issues": out}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plan(rng: random.Random, n: int, customer: dict[str, Any], created: datetime) -> _Issue:
    lang = "zh" if _is_cjk(customer["name"]) else "en"
    say = SAY[lang]
    tier = TIERS[customer["intended_tier"]]
    kind = rng.choices(list(STAFF), weights=[5, 3, 1, 1])[0]
    module = rng.choice(MODULES[lang])
    ask, description, benefit = rng.choice(ASKS[lang])
    value, cost = rng.choice(["high", "low"]), rng.choice(["high", "low"])
    urgency = rng.choices(["urgent", "normal", "deferrable"], weights=[2, 5, 2])[0]
    quadrant, priority = _priority(value, cost, urgency)
    tracker = "Bug" if "报错" in ask or "busy" in ask or "不一致" in ask or "differ" in ask \
        else rng.choice(["Feature", "Support"])
    labels = sorted({tier, KIND_LABEL[kind], quadrant}
                    | ({"urgent-bug"} if tracker == "Bug" and urgency == "urgent" else set()))
    owner = customer.get("account_manager") if tier == "strategic" else rng.choice(STAFF[kind])
    author = rng.choice(customer["contacts"])["login"]
    subject = ask.format(m=module)
    subject = subject[0].upper() + subject[1:]
    fields = {"tracker": tracker, "author": author, "subject": f"{subject} ({n + 1})",
              "description": description.format(m=module), "priority": priority,
              "assigned_to": owner, "customer": customer["name"], "lang": lang,
              "custom_fields": {"Customer": customer["name"], "Tier": tier,
                                "Channel": rng.choice(["interview", "survey", "support-ticket",
                                                       "sales-feedback", "usage-data"]),
                                "Requirement type": kind, "Value": value, "Cost": cost,
                                "Urgency": urgency, "Labels": labels}}
    if kind in ("functional", "custom") and rng.random() < 0.8:
        fields["custom_fields"]["Business value"] = benefit.format(m=module)
    issue = _Issue(f"h{n + 1:03d}", created, fields)
    _life(rng, issue, say, author, owner, tier, urgency)
    return issue


def _life(rng: random.Random, issue: _Issue, say: dict[str, str], author: str, owner: str,
          tier: str, urgency: str) -> None:
    """Plan the whole life of one issue from its creation on (cut at the end later)."""
    pace = 0.3 if tier == "strategic" else 1.0   # the account manager pushes: 24x7 clock

    def span(low: float, high: float) -> timedelta:
        return _hours(rng, low * pace, high * pace)

    t = issue.created
    if rng.random() < 0.1:      # an out-of-office answer from the owner's mailbox
        t = issue.add(t + timedelta(minutes=rng.randint(1, 5)), owner, say["auto"])
    if rng.random() < 0.3:
        t = issue.add(t + span(0.2, 3), rng.choice(("pm.li", "dev.wang", "tech.sun")),
                      say["private"], private=True)
    # First response: quick for urgent and strategic, sometimes late.
    quick = {"urgent": (0.3, 5), "normal": (1, 30), "deferrable": (2, 60)}[urgency]
    late = rng.random() < 0.15
    delay = span(quick[1], quick[1] * 3) if late else span(*quick)
    delay = delay * 1.6 if late and tier == "strategic" else delay
    t = _work_time(t + delay) if tier != "strategic" else t + delay
    outcome = rng.random()
    if outcome < 0.07:          # rejected at screening
        labels = sorted({*issue.fields["custom_fields"]["Labels"], "rejected"})
        issue.add(t, owner, say["reject"], status="Rejected", custom_fields={"Labels": labels})
        return
    if rng.random() < 0.12:     # needs-info: wait for the customer, then resume
        t = issue.add(t, owner, say["ask"], status="Feedback")
        t = issue.add(t + span(4, 70), author, say["answer"])
        t = issue.add(_work_time(t + span(0.5, 6)), owner, say["resume"],
                      status="In Progress", done_ratio=10)
    else:
        t = issue.add(t, owner, rng.choice((say["ack"], say["ack2"])), status="In Progress",
                      done_ratio=10, due_date=_due(rng, t, urgency))
    if rng.random() < 0.12:     # the requirement changed after it was confirmed
        t = issue.add(_work_time(t + span(3, 40)), "pm.li", say["edit"],
                      description=issue.fields["description"] + "\n\n" + say["edit"])
    if rng.random() < 0.06:     # stalled: waits on another team, nobody updates it
        return
    work = {"urgent": (2, 20), "normal": (10, 90), "deferrable": (30, 200)}[urgency]
    if rng.random() < 0.3:
        t = issue.add(t + span(10, 60), author, say["nudge"])
        t = issue.add(_work_time(t + span(0.5, 20)), owner, say["reply"])
    for status, ratio in (("In Progress", 50), ("Testing", 80), ("Awaiting acceptance", 90)):
        t = issue.add(_work_time(t + span(*work) / 3), owner,
                      say["testing"] if status == "Testing" else
                      say["accept"] if status != "In Progress" else "",
                      status=status, done_ratio=ratio)
    t = issue.add(_work_time(t + span(2, 48)), owner, say["done"], status="Closed",
                  done_ratio=100)
    if rng.random() < 0.1:      # reopened by the customer, fixed again
        t = issue.add(t + span(5, 60), author, say["again"])
        t = issue.add(_work_time(t + span(0.5, 8)), owner, say["ack2"],
                      status="In Progress", done_ratio=60)
        t = issue.add(_work_time(t + span(4, 40)), owner, say["done"], status="Closed",
                      done_ratio=100)
    if rng.random() < 0.8:      # the customer survey comes back
        score = rng.choices([5, 4, 3, 2, 1], weights=[5, 6, 3, 1, 1])[0]
        t = issue.add(_work_time(t + span(4, 48)), "support.zhao",
                      custom_fields={SATISFACTION_FIELD: str(score)})
        issue.add(t, "support.zhao", say["score"].format(s=score), private=True)


def _due(rng: random.Random, t: datetime, urgency: str) -> str:
    days = {"urgent": (2, 6), "normal": (7, 21), "deferrable": (14, 40)}[urgency]
    return (t.astimezone(LOCAL).date() + timedelta(days=rng.randint(*days))).isoformat()


def _open_at(issue: _Issue, at: datetime) -> bool:
    """Whether the planned issue exists and is open (not Closed or Rejected) at ``at``."""
    if issue.created >= at:
        return False
    status = "New"
    for j in issue.journals:
        if j["at"] <= at and "status" in j["set"]:
            status = j["set"]["status"]
    return status not in ("Closed", "Rejected")


def _emergencies(rng: random.Random, planned: list[_Issue], end: datetime) -> None:
    """Three delay risks: one told to the customer in time, one late, one not yet told."""
    chosen: list[_Issue] = []
    for when, late in ((end - timedelta(days=30), False), (end - timedelta(days=12), True),
                       (end - timedelta(minutes=50), None)):
        candidates = [i for i in planned if _open_at(i, when) and i not in chosen
                      and i.fields["custom_fields"]["Urgency"] != "deferrable"
                      and not any(when <= j["at"] <= when + timedelta(hours=6)
                                  for j in i.journals)]
        issue = rng.choice(candidates)
        chosen.append(issue)
        cf = issue.fields["custom_fields"]
        labels = sorted({*cf["Labels"], "delay-risk"})
        say = SAY[issue.fields["lang"]]
        insert = [{"at": when, "by": "pmo.wu", "notes": "", "private": False,
                   "set": {"custom_fields": {"Labels": labels}}},
                  {"at": when + timedelta(minutes=1), "by": "pmo.wu", "notes": say["risk"],
                   "private": True, "set": {}}]
        if late is not None:
            answer = when + (timedelta(hours=3, minutes=20) if late else timedelta(minutes=75))
            insert.append({"at": answer, "by": issue.fields["assigned_to"],
                           "notes": say["inform"], "private": False, "set": {}})
        issue.journals = sorted(issue.journals + insert, key=lambda j: j["at"])
        # Later label changes keep the delay-risk label.
        for j in issue.journals:
            if j["at"] > when and "Labels" in j["set"].get("custom_fields", {}):
                j["set"]["custom_fields"]["Labels"] = sorted(
                    {*j["set"]["custom_fields"]["Labels"], "delay-risk"})


def _this_week(rng: random.Random, planned: list[_Issue], end: datetime) -> None:
    """Make sure the week holding ``end`` has finished work: if fewer than four issues close
    in it, move the closing of some issues that are in acceptance at its start into it."""
    local = end.astimezone(LOCAL)
    monday = datetime(local.year, local.month, local.day, tzinfo=LOCAL) \
        - timedelta(days=local.weekday())
    week = max(monday.astimezone(UTC), end - timedelta(hours=30))
    if end - week < timedelta(minutes=20):
        return
    closing = [i for i in planned for j in i.journals
               if week <= j["at"] <= end and j["set"].get("status") == "Closed"]
    waiting = [i for i in planned if i not in closing and _open_at(i, week)
               and any(j["set"].get("status") == "Awaiting acceptance"
                       for j in i.journals if j["at"] <= week)]
    for issue in rng.sample(waiting, min(len(waiting), max(0, 4 - len(closing)))):
        kept = [j for j in issue.journals if j["at"] <= week]
        minutes = int((end - week).total_seconds() // 60) - 5
        at = week + timedelta(minutes=rng.randint(1, max(1, minutes)))
        issue.journals = [*kept, {"at": max(at, kept[-1]["at"] + timedelta(minutes=1)),
                                  "by": issue.fields["assigned_to"],
                                  "notes": SAY[issue.fields["lang"]]["done"], "private": False,
                                  "set": {"status": "Closed", "done_ratio": 100}}]


def count(history: dict[str, Any]) -> dict[str, int]:
    """Issues and journals of a generated history."""
    return {"issues": len(history["issues"]),
            "journals": sum(len(i["journals"]) for i in history["issues"])}


def iter_journals(history: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for issue in history["issues"]:
        for journal in issue["journals"]:
            yield issue, journal
