"""Rows appended to a table of bench/RESULTS.md, shared by the benchmark scripts."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def row_start() -> str:
    """The first cells of a results row: date, commit and machine."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    return (f"| {datetime.now(UTC):%Y-%m-%d} | {commit or '?'} | {platform.machine()} "
            f"py{platform.python_version()} |")


def add_rows(results: Path, header: str, lines: list[str], new_table: list[str]) -> None:
    """Add ``lines`` at the end of the table whose header row is ``header``; if there is
    none yet, append ``new_table`` (the lines that start it, ending with ``header`` and its
    separator row) first."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    rows = text.splitlines()
    if header not in rows:
        rows += new_table
    end = rows.index(header) + 2
    while end < len(rows) and rows[end].startswith("| "):
        end += 1
    rows[end:end] = lines
    results.write_text("\n".join(rows) + "\n", encoding="utf-8")
