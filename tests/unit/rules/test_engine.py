"""The engine: stage order, first/all, later stages see earlier decisions, idempotency, purity."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import evaluate_issue
from redmine_sync.rules import load_rules
from redmine_sync.rules import load_rules_text

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def issue(issue_id: int = 1, **fields: object) -> Issue:
    base = Issue(id=issue_id, project=Ref(1, "demo"), tracker="Feature", status="New",
                 priority="Normal", subject="subject", author=Ref(2, "A"),
                 created_on=datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
                 updated_on=datetime(2026, 11, 19, 9, 0, tzinfo=UTC),
                 description="A long enough description of the scenario and effect.")
    return replace(base, **fields)  # type: ignore[arg-type]


def run(rules: str, *issues: Issue):  # type: ignore[no-untyped-def]
    ruleset = load_rules_text(rules)
    return evaluate(ruleset, issues, build_world(ruleset, issues, NOW))


@pytest.mark.parametrize(("condition", "expected"), [
    ("{priority: normal}", True),                      # names ignore case
    ("{priority: {ne: High}}", True),
    ("{priority: {in: [High, Normal]}}", True),
    ("{priority: {not-in: [High, Normal]}}", False),
    ("{age_days: {ge: 2}}", True),
    ("{age_hours: {lt: 48}}", False),
    ("{idle_days: {gt: 0.5}}", True),
    ("{subject: {regex: '^SUB'}}", True),
    ("{text: {mentions: [Scenario]}}", True),
    ("{text: {mentions: [scen]}}", False),             # Latin keywords match whole words
    ("{text: {contains: scen}}", True),                # contains is a plain substring
    ("{labels: {contains: ui}}", True),
    ("{labels: {contains-any: [x, ui]}}", True),
    ("{labels: [ui, feature]}", True),                 # a list compares as a set
    ("{assigned_to: empty}", True),
    ("{customer: present}", False),
    ("{cf.Channel: survey}", True),
    ("{not: {tracker: Bug}}", True),
    ("{any: [{tracker: Bug}, {status: New}]}", True),
    ("{all: [{tracker: Bug}, {status: New}]}", False),
])
def test_operators(condition: str, expected: bool) -> None:
    rules = f"kind: triage\nrules:\n  - name: r\n    when: {condition}\n" \
            "    then: [{add_labels: [hit]}]\n"
    plan = run(rules, issue(custom_fields={"Labels": ("feature", "ui"), "Channel": "survey"}))
    assert bool(plan.issues) is expected


def test_first_match_stops_and_all_applies_every_rule() -> None:
    body = "rules:\n  - {name: a, then: [{add_labels: [a]}]}\n" \
           "  - {name: b, then: [{add_labels: [b]}]}\n"
    first = run("kind: triage\nmatch: first\n" + body, issue())
    every = run("kind: triage\nmatch: all\n" + body, issue())
    assert first.issues[0].changes[0].new == ("a",)
    assert every.issues[0].changes[0].new == ("a", "b")
    assert every.issues[0].changes[0].rule == "a, b"


def test_later_stages_see_earlier_decisions(tmp_path: Path) -> None:
    (tmp_path / "1.yaml").write_text(
        "kind: routing\nrules:\n  - {name: route, when: {labels: {contains: vip}}, "
        "then: [{assign: {to: Boss}}]}\n")
    (tmp_path / "2.yaml").write_text(
        "kind: triage\nrules:\n  - {name: mark, then: [{add_labels: [vip]}]}\n")
    ruleset = load_rules([tmp_path])
    assert [f.stage for f in ruleset.files] == ["triage", "routing"]
    state, _ = evaluate_issue(ruleset, issue(), build_world(ruleset, [issue()], NOW))
    assert state.get("assigned_to") == "Boss"


def test_shipped_pack_is_idempotent_on_its_own_result() -> None:
    ruleset = load_rules([ROOT / "rules"])
    raw = issue(subject="Please optimise the system", description="",
                custom_fields={"Customer": "Tailspin Travel"})
    world = build_world(ruleset, [raw], NOW)
    state, _ = evaluate_issue(ruleset, raw, world)
    assert state.changes and state.notes
    applied = replace(raw, status=str(state.get("status")), custom_fields={
        "Customer": "Tailspin Travel", "Labels": state.get("labels"), "Tier": state.get("tier")})
    again, _ = evaluate_issue(ruleset, applied, build_world(ruleset, [applied], NOW))
    assert again.changes == () and again.notes == ()


def test_least_loaded_counts_decisions_of_the_same_run() -> None:
    rules = "kind: routing\nrules:\n  - {name: r, then: [{assign: {least_loaded: T}}]}\n"
    ruleset = load_rules_text(rules)
    issues = [issue(1), issue(2), issue(3)]
    world = replace(build_world(ruleset, issues, NOW), teams={"T": ("Ann", "Bob")})
    plan = evaluate(ruleset, issues, world)
    assert [p.changes[0].new for p in plan.issues] == ["Ann", "Bob", "Ann"]


def test_explain_traces_every_rule_with_actual_values() -> None:
    ruleset = load_rules_text("kind: triage\nmatch: first\nrules:\n"
                              "  - {name: a, when: {priority: High}, then: [{add_labels: [a]}]}\n"
                              "  - {name: b, when: {priority: Normal}, then: [{add_labels: [b]}]}\n"
                              "  - {name: c, then: [{add_labels: [c]}]}\n")
    state, traces = evaluate_issue(ruleset, issue(), build_world(ruleset, [issue()], NOW),
                                   trace=True)
    assert [(t.rule.name, t.considered, t.matched) for t in traces] == [
        ("a", True, False), ("b", True, True), ("c", False, False)]
    assert "false  priority eq 'High'   (actual: 'Normal')" in traces[0].lines[-1]
    assert state.labels() == {"b"}


def test_engine_modules_do_no_io_and_read_no_clock() -> None:
    banned = re.compile(r"datetime\.now|time\.time|time\.monotonic|import requests|redminelib|"
                        r"(?<![\w.])(?<!def )open\(|urlopen|subprocess|date\.today")
    pure = [f"rules/{m}" for m in ("engine", "conditions", "actions", "assign", "prioritize",
                                   "state", "text", "duplicates", "customers", "sla_stage")]
    pure += [f"sla/{m}" for m in ("calendar", "clock", "timeline", "view")]
    pure += [f"reports/{m}" for m in ("data", "build", "doc")] + ["schedule"]
    for module in pure:
        source = (ROOT / "redmine_sync" / f"{module}.py").read_text(encoding="utf-8")
        assert not banned.search(source), module


def test_screening_reads_no_file_once_the_rules_are_loaded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """jieba's dictionary is read when a vocabulary is built, never while deciding."""
    import builtins
    import io

    from redmine_sync.rules.segment import chinese_words

    ruleset = load_rules([ROOT / "rules"])
    issues = [replace(issue(), id=n, subject=s, description=d) for n, (s, d) in enumerate([
        ("扫码点餐页面加载太慢", "午市高峰时顾客扫码点餐,页面要转十几秒才出来。"),
        ("小程序点单界面打开很卡", "周末晚上客人用小程序点单,界面打开特别卡,希望快一些。"),
        ("Support face recognition login", "Older customers forget their password."),
        ("全新的未见过的词语组合测试", "菠萝蜜饯与量子纠缠的前世今生")], start=1)]
    cached = chinese_words.cache_info().currsize

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"file opened while deciding: {args!r}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    world = build_world(ruleset, issues, NOW)
    plan = evaluate(ruleset, issues, world)
    assert plan.evaluated == 4
    assert chinese_words.cache_info().currsize == cached  # the same segmenter, not reloaded


def test_merged_changes_name_each_reason_once() -> None:
    from redmine_sync.changes import Change
    from redmine_sync.rules.engine import merge_changes

    a, b = "SLA p: first response at 150% (threshold 50%)", "SLA p: at 150% (threshold 100%)"
    [merged] = merge_changes([Change.of("labels", ("x",), "sla:p", a),
                              Change.of("labels", ("x", "y"), "sla:p", b),
                              Change.of("labels", ("x", "y", "z"), "sla:p", b),
                              Change.of("labels", ("x", "y", "z"), "sla:p", a)])
    assert merged.reason == f"{a} | {b}" and merged.rule == "sla:p"
    assert merged.new == ("x", "y", "z")


def test_streamed_plans_are_the_same_plans_with_the_same_totals() -> None:
    import json

    from redmine_sync.plan import IssuePlan
    from redmine_sync.plan import json_head
    from redmine_sync.plan import json_issue
    from redmine_sync.plan import json_tail

    ruleset = load_rules([ROOT / "rules"])
    issues = [issue(1, subject="Please optimise the system", description=""),
              issue(2, subject="数据加密", custom_fields={"Customer": "Tailspin Travel"}),
              issue(3, subject="Login button", custom_fields={"Customer": "Contoso"})]
    world = build_world(ruleset, issues, NOW)
    listed = evaluate(ruleset, issues, world)
    seen: list[IssuePlan] = []
    streamed = evaluate(ruleset, issues, world, each=seen.append)
    assert len(listed.issues) >= 2 and tuple(seen) == listed.issues and streamed.issues == ()
    assert streamed.summary() == listed.summary()
    text = json_head(NOW) + "".join(json_issue(i, p) for i, p in enumerate(seen)) + \
        json_tail(streamed, bool(seen))
    assert text == json.dumps(listed.to_json(), ensure_ascii=False, indent=2)


def test_the_collector_runs_rarely_while_evaluating_and_as_before_after() -> None:
    import gc

    from redmine_sync.plan import IssuePlan
    from redmine_sync.rules.engine import GEN0_WHILE_EVALUATING

    ruleset = load_rules([ROOT / "rules"])
    issues = [issue(1, subject="Please optimise the system", description=""),
              issue(2, subject="Login button", custom_fields={"Customer": "Contoso"})]
    world = build_world(ruleset, issues, NOW)
    before = gc.get_threshold()
    seen: list[tuple[int, int]] = []

    def each(item: IssuePlan) -> None:
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
        if len(seen) == 2:
            raise RuntimeError("stop")

    evaluate(ruleset, issues[:1], world, each=each)
    assert seen[0][0] == GEN0_WHILE_EVALUATING and seen[0][1] > 0   # the inputs frozen
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError, match="stop"):
        evaluate(ruleset, issues, world, each=each)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0   # after a raise too
    gc.set_threshold(0)   # switched off by its owner: stays off
    try:
        evaluate(ruleset, issues, world,
                 each=lambda item: seen.append((gc.get_threshold()[0], 0)))
        assert seen[-1][0] == 0 and gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


@pytest.mark.parametrize(("current", "expected"), [
    ("Normal", "Urgent"), ("High", "Urgent"), ("Urgent", None), ("Immediate", None)])
def test_raise_priority_never_lowers_it(current: str, expected: str | None) -> None:
    rules = "kind: triage\nrules:\n  - {name: escalate, then: [{raise: {priority: Urgent}}]}\n"
    plan = run(rules, issue(priority=current))
    assert [c.new for i in plan.issues for c in i.changes] == ([expected] if expected else [])


def test_raise_follows_the_instances_order_of_priorities() -> None:
    ruleset = load_rules_text(
        "kind: triage\nrules:\n  - {name: escalate, then: [{raise: {priority: P2}}]}\n")
    world = build_world(ruleset, [issue()], NOW, priorities=["P3", "P2", "P1"])
    assert evaluate(ruleset, [issue(priority="P1")], world).issues == ()
    assert evaluate(ruleset, [issue(priority="P3")], world).issues[0].changes[0].new == "P2"


def test_the_shipped_matrix_leaves_an_escalated_issue_alone() -> None:
    ruleset = load_rules([ROOT / "rules"])
    escalated = issue(priority="Urgent", custom_fields={
        "Labels": ("escalated", "sla-breached"), "Value": "high", "Cost": "low",
        "Urgency": "urgent", "Requirement type": "functional"})
    state, _ = evaluate_issue(ruleset, escalated, build_world(ruleset, [escalated], NOW))
    assert state.get("priority") == "Urgent"
    plain = replace(escalated, custom_fields={**escalated.custom_fields,
                                              "Labels": ("sla-breached",)})
    state, _ = evaluate_issue(ruleset, plain, build_world(ruleset, [plain], NOW))
    assert state.get("priority") == "Immediate"        # the matrix, when not escalated
