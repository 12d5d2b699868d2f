"""Lookups kept across runs in the state store (statuses, priorities, teams, staff, the
bot), so that an incremental run asks Redmine only for the issues that changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from redmine_sync.store import StateStore

LOOKUP_MAX_AGE = 3600.0  # statuses, group members, staff: re-read at most hourly


def remembered(store: StateStore | None, name: str, now: datetime, fetch: Callable[[], Any]
               ) -> Any:
    """A lookup from the state store if recent, else fetched and saved."""
    if store is not None:
        saved = store.lookup(name, now, LOOKUP_MAX_AGE)
        if saved is not None:
            return saved
    value = fetch()
    if store is not None:
        store.save_lookup(name, value, now)
    return value
