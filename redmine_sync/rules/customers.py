"""Customers and tiers: who an issue is for, and which quadrant of value x fit they are in.

The customers file (YAML or CSV) gives each customer a value-contribution and a
strategic-fit score; tiers are thresholds on those scores, tried in order (data, not
code). How an issue finds its customer is configurable: a custom field, the project, or
the author's e-mail domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date

IDENTIFY_BY = ("field", "project", "email_domain")
COMPARATORS = {"lt": float.__lt__, "le": float.__le__, "gt": float.__gt__, "ge": float.__ge__}


@dataclass(frozen=True)
class KeyDate:
    """A day that matters to a customer (playbook section 9): a launch, an anniversary, a
    birthday or a contract renewal; ``issue``: the issue tracking it (renewal reminders)."""

    day: date
    what: str
    note: str = ""
    issue: int | None = None


@dataclass(frozen=True)
class Customer:
    name: str
    value: float
    fit: float
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    industry: str = ""
    account_manager: str | None = None
    escalation_contact: str | None = None
    key_dates: tuple[KeyDate, ...] = ()
    lang: str | None = None    # the language notes and the customer's weekly report use


@dataclass(frozen=True)
class Tier:
    """A tier: the first whose every bound holds for (value, fit) wins."""

    name: str
    bounds: Mapping[str, Mapping[str, float]]  # {"value": {"ge": 60}, "fit": {"lt": 60}}
    label: str | None = None

    def holds(self, customer: Customer) -> bool:
        scores = {"value": float(customer.value), "fit": float(customer.fit)}
        return all(COMPARATORS[op](scores[axis], float(limit))
                   for axis, ops in self.bounds.items() for op, limit in ops.items())


@dataclass(frozen=True)
class CustomerBook:
    customers: tuple[Customer, ...] = ()
    tiers: tuple[Tier, ...] = ()
    identify: str = "field"
    _by_key: Mapping[str, Customer] = field(default_factory=dict, compare=False, repr=False)
    _tier_of: dict[int, tuple[Customer, Tier | None]] = field(
        init=False, default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, customers: Iterable[Customer], tiers: Iterable[Tier],
              identify: str = "field") -> CustomerBook:
        items = tuple(customers)
        keys: dict[str, Customer] = {}
        for customer in items:
            for key in (customer.name, *customer.aliases):
                keys.setdefault(key.casefold(), customer)
            for domain in customer.domains:
                keys.setdefault("@" + domain.casefold(), customer)
            for project in customer.projects:
                keys.setdefault("project:" + project.casefold(), customer)
        return cls(items, tuple(tiers), identify, keys)

    def find(self, *, field_value: object, project: str, author_mail: str | None
             ) -> Customer | None:
        """The customer of an issue, by the configured way of identifying it."""
        if self.identify == "project":
            return self._by_key.get("project:" + project.casefold())
        if self.identify == "email_domain":
            domain = (author_mail or "").rpartition("@")[2].casefold()
            return self._by_key.get("@" + domain) if domain else None
        if isinstance(field_value, str) and field_value.strip():
            return self._by_key.get(field_value.strip().casefold())
        return None

    def tier_of(self, customer: Customer | None) -> Tier | None:
        if customer is None:
            return None
        known = self._tier_of.get(id(customer))
        if known is not None and known[0] is customer:
            return known[1]
        tier = next((t for t in self.tiers if t.holds(customer)), None)
        self._tier_of[id(customer)] = (customer, tier)  # a customer keeps its scores
        return tier
