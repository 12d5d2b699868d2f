"""SLA clocks: business calendars, policies and the clock computation."""

from __future__ import annotations
