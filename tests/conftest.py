from __future__ import annotations

import os

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly how many tests ran against the real Redmine, so a green run can't hide it."""
    ran = [r for key in ("passed", "failed") for r in terminalreporter.stats.get(key, [])
           if getattr(r, "when", "") == "call" and "integration" in r.keywords]
    url = os.environ.get("REDMINE_URL", "the local Redmine (scripts/redmine-local)")
    terminalreporter.write_line(
        f"integration: {len(ran)} test(s) ran against the real Redmine at {url}")
