"""Assignment strategies: a fixed user or group, round-robin or least-loaded over a group's
members, or the customer's dedicated account manager (with a fallback).

    assign: {to: Support}
    assign: {round_robin: Support}
    assign: {least_loaded: "Product & R&D"}
    assign: {account_manager: true, fallback: {least_loaded: Sales}}
    assign: {escalation_contact: true}          # the customer's single contact in an escalation
    assign: {round_robin: "role:Developer"}     # members with that role in the projects

By default an issue that already has an assignee keeps it (``keep_existing: false`` to
override). Round-robin takes turns; the pointer of each group is kept in the state store;
least-loaded counts the open issues assigned in scope, including earlier decisions of
the same run, and breaks ties by name.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from redmine_sync.changes import made_why
from redmine_sync.rules.source import Where
from redmine_sync.rules.state import IssueState
from redmine_sync.rules.state import World

STRATEGIES = ("to", "round_robin", "least_loaded", "account_manager", "escalation_contact")
OPTIONS = ("fallback", "keep_existing")


def build_assign(params: Any, where: Where) -> Any:
    if not isinstance(params, dict):
        where.error("assign takes a mapping, e.g. {least_loaded: Support}")
        return None
    chosen = [k for k in params if k in STRATEGIES]
    if not where.unknown_keys(params, STRATEGIES + OPTIONS):
        return None
    if len(chosen) != 1:
        where.error("give exactly one of: " + ", ".join(STRATEGIES))
        return None
    strategy, target = chosen[0], params[chosen[0]]
    if strategy in ("round_robin", "least_loaded"):
        where.problems.teams.add(str(target))
        if not str(target).startswith("role:"):
            where.at(strategy).names("group", target)
    elif strategy == "to":
        where.at(strategy).names("assigned_to", target)
    fallback = build_assign(params["fallback"], where.at("fallback")) \
        if "fallback" in params else None
    if "fallback" in params and fallback is None:
        return None
    keep = params.get("keep_existing", True)

    def run(state: IssueState, world: World, fired: Any) -> IssueState:
        if keep and state.get("assigned_to"):
            return state
        who, why = pick(strategy, target, state, world)
        if who is None:
            return fallback(state, world, fired) if fallback else state
        state = state.change("assigned_to", who, made_why(fired.rule, f"{fired.reason}; {why}"))
        if strategy == "round_robin":
            state = replace(state, turns=(*state.turns, str(target)))
        return state
    return run


def pick(strategy: str, target: Any, state: IssueState, world: World
         ) -> tuple[str | None, str]:
    """The assignee and why, or (None, why not)."""
    if strategy == "to":
        return str(target), f"assigned to {target}"
    if strategy == "escalation_contact":
        customer = state.customer
        if customer is None or not customer.escalation_contact:
            return None, "no escalation contact"
        return customer.escalation_contact, f"escalation contact of {customer.name}"
    if strategy == "account_manager":
        customer = state.customer
        if customer is None or not customer.account_manager:
            return None, "no account manager"
        return customer.account_manager, f"account manager of {customer.name}"
    members = world.teams.get(str(target), ())
    if not members:
        return None, f"group {target} has no known members"
    if strategy == "round_robin":
        turn = world.pointers.get(str(target), 0)
        return members[turn % len(members)], f"round-robin over {target} (turn {turn + 1})"
    loads = {m: world.load.get(m, 0) for m in members}
    who = min(sorted(members), key=lambda m: loads[m])
    return who, f"least loaded in {target} ({loads[who]} open)"
