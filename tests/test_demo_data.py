"""Structure of scripts/demo-data.yaml, the data behind scripts/seed-demo.

The allowed values mirror the issue custom fields of the local Redmine the demo seeds.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
DATA_FILE = SCRIPTS / "demo-data.yaml"

TIERS = {"strategic partner", "potential", "stable", "ordinary"}
HIGH = 60  # a score at or above this is "high", below 40 is "low"; 40-59 is not used
LOW = 40
TRACKERS = {"Bug", "Feature", "Support"}
STATUSES = {
    "New",
    "In Progress",
    "Resolved",
    "Feedback",
    "Closed",
    "Rejected",
    "Testing",
    "Awaiting acceptance",
}
PRIORITIES = {"Low", "Normal", "High", "Urgent", "Immediate"}
STAFF = {
    "pm.li",
    "dev.wang",
    "dev.chen",
    "support.zhao",
    "tech.sun",
    "sales.zhou",
    "pmo.wu",
    "am.liu",
    "am.smith",
}
GROUPS = {"Product & R&D", "Support", "Sales", "Delivery", "Account managers"}
LIST_FIELDS = {
    "Labels": {
        "duplicate",
        "duplicate-candidate",
        "needs-info",
        "deferred",
        "rejected",
        "feature",
        "urgent-bug",
        "custom-request",
        "ui",
        "service",
        "sales",
        "do-first",
        "long-term",
        "quick-win",
        "defer",
        "urgent",
        "normal",
        "deferrable",
        "emergency",
        "delay-risk",
        "key-feature-change",
        "sla-warning",
        "sla-breached",
        "escalated",
        "strategic",
        "potential",
        "stable",
        "ordinary",
        "info-received",
        "nudged",
    },
    "Channel": {
        "interview",
        "survey",
        "support-ticket",
        "sales-feedback",
        "usage-data",
        "competitor-analysis",
    },
    "Requirement type": {"functional", "service", "sales", "custom"},
    "Value": {"high", "low"},
    "Cost": {"high", "low"},
    "Urgency": {"urgent", "normal", "deferrable"},
}
TEXT_FIELDS = {"Customer", "Tier", "Business value", "Acceptance criteria", "SLA due"}
MULTIPLE = {"Labels"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def issues(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["issues"]


def cases(issues: list[dict[str, Any]], case: str) -> list[dict[str, Any]]:
    return [i for i in issues if case in _as_list(i.get("case"))]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def by_key(issues: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(i for i in issues if i["key"] == key)


# --------------------------------------------------------------------------- customers


def test_eight_customers_two_per_tier(data: dict[str, Any]) -> None:
    customers = data["customers"]
    assert len(customers) == 8
    assert Counter(c["intended_tier"] for c in customers) == dict.fromkeys(TIERS, 2)
    assert len({c["name"] for c in customers}) == 8
    assert len({c["domain"] for c in customers}) == 8


def test_customer_names_mix_chinese_and_english(data: dict[str, Any]) -> None:
    chinese = [c["name"] for c in data["customers"] if CJK.search(c["name"])]
    assert 2 <= len(chinese) <= 6


@pytest.mark.parametrize(
    ("tier", "value_high", "fit_high"),
    [
        ("strategic partner", True, True),
        ("potential", False, True),
        ("stable", True, False),
        ("ordinary", False, False),
    ],
)
def test_scores_match_the_intended_tier(
    data: dict[str, Any], tier: str, value_high: bool, fit_high: bool
) -> None:
    for cust in data["customers"]:
        if cust["intended_tier"] != tier:
            continue
        for score, high in (("value", value_high), ("fit", fit_high)):
            n = cust[score]
            assert isinstance(n, int) and 0 <= n <= 100, cust["name"]
            assert (n >= HIGH) if high else (n < LOW), f"{cust['name']}: {score}={n}"


def test_account_managers_only_for_strategic_partners(data: dict[str, Any]) -> None:
    for cust in data["customers"]:
        if cust["intended_tier"] == "strategic partner":
            assert cust["account_manager"] in {"am.liu", "am.smith"}, cust["name"]
        else:
            assert cust.get("account_manager") is None, cust["name"]


def test_contacts(data: dict[str, Any]) -> None:
    logins = []
    for cust in data["customers"]:
        assert 1 <= len(cust["contacts"]) <= 2, cust["name"]
        for c in cust["contacts"]:
            assert c["firstname"] and c["lastname"], c["login"]
            assert c["mail"].endswith("@" + cust["domain"]), c["login"]
            assert re.fullmatch(r"[a-z0-9_.@-]+", c["login"]), c["login"]
            logins.append(c["login"])
    assert len(set(logins)) == len(logins)
    assert not set(logins) & (STAFF | {"admin", "redmine-sync"})


# --------------------------------------------------------------------------- issues


def test_issue_count_and_unique_keys_and_subjects(issues: list[dict[str, Any]]) -> None:
    assert 36 <= len(issues) <= 45
    assert len({i["key"] for i in issues}) == len(issues)
    assert len({i["subject"].strip() for i in issues}) == len(issues)


def test_roughly_half_chinese_half_english(issues: list[dict[str, Any]]) -> None:
    chinese = sum(1 for i in issues if CJK.search(i["subject"]))
    assert 0.4 <= chinese / len(issues) <= 0.6


def test_every_issue_names_a_known_customer_and_its_contact(data: dict[str, Any]) -> None:
    contacts = {c["login"]: cust["name"] for cust in data["customers"] for c in cust["contacts"]}
    for issue in data["issues"]:
        assert issue["customer"] in contacts.values(), issue["key"]
        assert contacts.get(issue["author"]) == issue["customer"], issue["key"]
        assert issue["custom_fields"]["Customer"] == issue["customer"], issue["key"]
        assert issue["custom_fields"]["Channel"], issue["key"]


def test_standard_fields_use_known_names(issues: list[dict[str, Any]]) -> None:
    for issue in issues:
        assert issue["tracker"] in TRACKERS, issue["key"]
        assert issue.get("priority", "Normal") in PRIORITIES, issue["key"]
        assert issue.get("status", "New") in STATUSES, issue["key"]
        assert str(issue.get("description", "")).strip(), issue["key"]
        if "assignee" in issue:
            assert issue["assignee"] in STAFF | GROUPS, issue["key"]
        if "due_in_days" in issue:
            assert isinstance(issue["due_in_days"], int), issue["key"]


def test_custom_field_values_are_allowed(issues: list[dict[str, Any]]) -> None:
    for issue in issues:
        for name, value in issue["custom_fields"].items():
            assert name in LIST_FIELDS or name in TEXT_FIELDS, f"{issue['key']}: {name}"
            if name in MULTIPLE:
                assert isinstance(value, list), f"{issue['key']}: {name}"
            values = _as_list(value)
            assert all(isinstance(v, str) and v.strip() for v in values), issue["key"]
            if name in LIST_FIELDS:
                assert set(values) <= LIST_FIELDS[name], f"{issue['key']}: {name}={value}"


def test_notes_are_by_staff_or_the_customers_own_contacts(data: dict[str, Any]) -> None:
    contacts = {c["login"]: cust["name"] for cust in data["customers"] for c in cust["contacts"]}
    for issue in data["issues"]:
        for note in issue.get("notes", []):
            by = note["by"]
            assert by in STAFF or contacts.get(by) == issue["customer"], issue["key"]
            assert note["text"].strip(), issue["key"]
            assert isinstance(note["private"], bool), issue["key"]
            if note["private"]:
                assert by in STAFF, f"{issue['key']}: customers cannot write private notes"


def test_most_issues_carry_the_triage_fields(issues: list[dict[str, Any]]) -> None:
    full = [
        i
        for i in issues
        if {"Requirement type", "Value", "Cost", "Urgency"} <= set(i["custom_fields"])
    ]
    assert len(full) >= 0.75 * len(issues)


def test_a_kanban_spread_of_statuses(issues: list[dict[str, Any]]) -> None:
    statuses = {i["status"] for i in issues if "status" in i}
    assert {"In Progress", "Testing", "Awaiting acceptance", "Closed"} <= statuses
    assert all("assignee" in i for i in issues if "status" in i)


# --------------------------------------------------------------------------- required cases


def test_a_request_sent_twice_by_the_same_customer(issues: list[dict[str, Any]]) -> None:
    [again] = cases(issues, "duplicate-resent")
    first = next(i for i in issues if i["key"] == "nw-home-prettier")
    assert again["customer"] == first["customer"] and again["author"] != first["author"]


def test_four_near_duplicate_home_page_requests(issues: list[dict[str, Any]]) -> None:
    dups = cases(issues, "duplicate-home-page")
    assert len(dups) == 4
    assert any(CJK.search(i["subject"]) for i in dups)
    assert any(not CJK.search(i["subject"]) for i in dups)
    assert max(Counter(i["customer"] for i in dups).values()) >= 2
    for issue in dups:
        assert "首页" in issue["subject"] or "home page" in issue["subject"].lower()


def test_vague_requests(issues: list[dict[str, Any]]) -> None:
    vague = cases(issues, "vague")
    assert len(vague) >= 3
    subjects = {i["subject"] for i in vague}
    assert "Please optimise the system" in subjects
    assert "系统太慢了，优化一下" in subjects  # noqa: RUF001 (the customer's own wording)
    for issue in vague:  # too little to classify: no requirement type, value or cost
        assert not {"Requirement type", "Value", "Cost"} & set(issue["custom_fields"])
        assert len(issue["description"]) < 80, issue["key"]


def test_out_of_scope_and_strategy_conflict(issues: list[dict[str, Any]]) -> None:
    assert len(cases(issues, "out-of-scope")) == 2
    assert len(cases(issues, "strategy-conflict")) >= 1


def test_urgent_requests_affecting_core_business(issues: list[dict[str, Any]]) -> None:
    urgent = cases(issues, "urgent-core")
    assert urgent
    for issue in urgent:
        assert issue["tracker"] == "Bug"
        assert issue["custom_fields"]["Urgency"] == "urgent"
        assert issue["custom_fields"]["Value"] == "high"


def test_playbook_example_pair(issues: list[dict[str, Any]]) -> None:
    encryption = by_key(issues, "hx-data-encryption")["custom_fields"]
    button = by_key(issues, "ch-login-button")["custom_fields"]
    assert (encryption["Value"], encryption["Cost"], encryption["Urgency"]) == (
        "high",
        "high",
        "urgent",
    )
    assert (button["Value"], button["Cost"], button["Urgency"]) == ("low", "low", "normal")
    assert {i["key"] for i in cases(issues, "playbook-example")} == {
        "hx-data-encryption",
        "ch-login-button",
    }


def test_delay_risk_item(issues: list[dict[str, Any]]) -> None:
    risky = cases(issues, "delay-risk")
    assert len(risky) == 1
    assert "delay-risk" in risky[0]["custom_fields"]["Labels"]
    assert risky[0].get("notes"), "the customer must be told about the remedy plan"


def test_every_requirement_type_occurs(issues: list[dict[str, Any]]) -> None:
    types = Counter(i["custom_fields"].get("Requirement type") for i in issues)
    for kind in LIST_FIELDS["Requirement type"]:
        assert types[kind] >= 2, kind


def test_some_issues_state_business_value(issues: list[dict[str, Any]]) -> None:
    assert sum(1 for i in issues if "Business value" in i["custom_fields"]) >= 5


# --------------------------------------------------------------------------- the seed script


def _load_seed_script() -> Any:
    pytest.importorskip("requests")
    if "seed_demo" in sys.modules:
        return sys.modules["seed_demo"]
    loader = importlib.machinery.SourceFileLoader("seed_demo", str(SCRIPTS / "seed-demo"))
    spec = importlib.util.spec_from_loader("seed_demo", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["seed_demo"] = module  # dataclasses look their module up there
    keep, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no cache in scripts/
    try:
        loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = keep
    return module


def test_seed_script_accepts_the_data_file() -> None:
    seed = _load_seed_script()
    assert seed.check_structure(seed.load_data(DATA_FILE)) == []


def test_seed_script_rejects_a_foreign_author(data: dict[str, Any]) -> None:
    seed = _load_seed_script()
    broken = {**data, "issues": [{**data["issues"][0], "author": "ts.rpatel"}]}
    problems = seed.check_structure(broken)
    assert any("is not a contact of its customer" in p for p in problems)
