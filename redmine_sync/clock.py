"""The tool's clock, read in one place: the CLI and the daemon pass ``utc_now`` down as ``now``.

For testing only, ``REDMINE_SYNC_CLOCK_FILE`` names a file holding an offset in seconds
(``+3600``, ``-86400``, ``+90.5``): ``utc_now()`` is then the real clock plus that offset,
read again at every call, so a running daemon follows the file as a test moves it. The
format is libfaketime's relative offset, so the same file can shift a test Redmine started
under libfaketime (``REDMINE_LOCAL_FAKETIME=1 scripts/redmine-local up``) and the tool
together: one simulated clock for the server's stamps and the tool's decisions. See
docs/testing.md. Never set it on a real installation.
"""

from __future__ import annotations

import os
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from redmine_sync.errors import ConfigError

CLOCK_FILE_ENV = "REDMINE_SYNC_CLOCK_FILE"
OFFSET = re.compile(r"\s*([+-]\d+(?:\.\d+)?)\s*")


def utc_now() -> datetime:
    """Now, aware, in UTC (shifted by the test clock file when one is set)."""
    now = datetime.now(UTC)
    path = os.environ.get(CLOCK_FILE_ENV)
    return now + clock_offset(Path(path)) if path else now


def clock_offset(path: Path) -> timedelta:
    """The offset in a clock file; a missing or malformed file is an error, never 0."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{CLOCK_FILE_ENV}={path}: cannot read it ({exc.strerror})",
                          hint=f"unset {CLOCK_FILE_ENV} (it is for tests only)") from None
    match = OFFSET.fullmatch(text.splitlines()[0] if text.strip() else "")
    if match is None:
        raise ConfigError(f"{CLOCK_FILE_ENV}={path}: holds {text.strip()[:40]!r}, not an "
                          "offset in seconds", hint="write e.g. +3600 or -86400 (for tests "
                          f"only; unset {CLOCK_FILE_ENV} for the real clock)")
    return timedelta(seconds=float(match[1]))
