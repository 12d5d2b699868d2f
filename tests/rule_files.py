"""Rule files the tests write, built in one place: a one-policy SLA file and a customers
file with a contract renewal tracked by an issue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date


def sla_yaml(targets: str, *, pause: str | None = "{status: Feedback}",
             thresholds: Mapping[str, str] | None = None, write: str | None = None,
             staff: str | None = None, name: str = "p") -> str:
    """A ``kind: sla`` file with one policy ``name`` over every open issue, on a calendar
    that is always open. ``targets``: the policy's targets mapping, e.g.
    ``"{first_response: {default: {any: 2h}}}"``; ``pause``: its ``pause_when`` item (None:
    no pause); ``thresholds``: each threshold's actions by its ``at``, e.g.
    ``{"50%": "[{add_labels: [sla-warning]}]"}``; ``write`` and ``staff``: the file's
    ``write`` and ``staff`` mappings when given."""
    head = ["kind: sla", "calendars: {always: {always: true}}"]
    head += [f"staff: {staff}"] if staff else []
    head += [f"write: {write}"] if write else []
    policy = [f"  - name: {name}", "    when: {is_closed: false}", "    calendar: always"]
    policy += [f"    pause_when: [{pause}]"] if pause else []
    policy += [f"    targets: {targets}"]
    if thresholds:
        policy += ["    thresholds:"] + [f"      - {{at: {at}, then: {then}}}"
                                         for at, then in thresholds.items()]
    return "\n".join([*head, "policies:", *policy]) + "\n"


def renewal_customers(day: date | str, issue: int | str, *, lang: str = "en",
                      launch: date | str | None = None) -> str:
    """A customers file: Northwind Logistics (account manager am.smith, in ``lang``) whose
    contract renewal on ``day`` is tracked by issue ``issue`` (written as given: a wrong
    value tests the file's check); with ``launch``, a launch on that day by the same issue."""
    text = f"""\
kind: customers
customers:
  - name: Northwind Logistics
    value: 84
    fit: 90
    account_manager: am.smith
    lang: {lang}
    key_dates:
      - {{date: {day}, what: renewal, note: "2027 *service* contract", issue: {issue}}}
"""
    if launch is not None:
        text += f"      - {{date: {launch}, what: launch, issue: {issue}}}\n"
    return text
