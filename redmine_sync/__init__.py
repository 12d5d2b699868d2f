"""redmine-sync: a requirement-triage, customer-tiering and SLA companion for Redmine."""

from __future__ import annotations

__version__ = "0.1.0"
