"""The rule files the tests build (tests/rule_files.py) load as the rules they describe."""

from __future__ import annotations

from datetime import date

from redmine_sync.rules import load_rules_text
from redmine_sync.rules.sla_policy import Duration
from tests.rule_files import renewal_customers
from tests.rule_files import sla_yaml


def test_sla_yaml_is_one_policy_with_what_was_asked() -> None:
    sla = load_rules_text(sla_yaml("{first_response: {default: {any: 2h}}}", name="fast",
                                   staff="{roles: [Developer]}", write="{state: SLA state}",
                                   thresholds={"50%": "[{add_labels: [sla-warning]}]",
                                               "100%": "[{add_labels: [sla-breached]}]"}),
                          "sla.yaml").sla
    assert sla is not None
    [policy] = sla.policies
    assert (policy.name, policy.calendar, len(policy.pause)) == ("fast", "always", 1)
    assert [t.at for t in policy.thresholds] == [0.5, 1.0]
    assert policy.targets["first_response"]["default"]["any"] == Duration(2.0, "h")
    assert sla.staff_roles == ("Developer",)
    bare = load_rules_text(sla_yaml("{resolution: {default: {any: 10h}}}", pause=None)).sla
    assert bare is not None and bare.policies[0].pause == ()


def test_renewal_customers_tracks_the_renewal_and_the_launch_by_the_issue() -> None:
    book = load_rules_text(renewal_customers(date(2026, 12, 18), 7, lang="zh",
                                             launch=date(2026, 12, 10))).customers
    [customer] = book.customers
    assert (customer.name, customer.account_manager, customer.lang) == \
        ("Northwind Logistics", "am.smith", "zh")
    assert [(d.day, d.what, d.issue) for d in customer.key_dates] == [
        (date(2026, 12, 18), "renewal", 7), (date(2026, 12, 10), "launch", 7)]
