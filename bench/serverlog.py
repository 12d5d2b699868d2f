"""Redmine's own time per request, from its production.log (``Completed 200 OK in N ms``).

The client's figures include the machine's load on the client side and the network
stack; the log says how long Redmine itself took for each request, by kind. bench/
compare.py reads the part of the log a measured command wrote (from the size the log
had before it ran):

    mark = serverlog.Mark(path)   # before the command
    ... run it ...
    mark.kinds()                  # {"GET /issues/N.json?include=journals": [count, ms], ...}

The log is found under REDMINE_LOCAL_DIR (scripts/redmine-local's instance); where it
cannot be read, ``kinds()`` is empty and nothing else changes.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

STARTED = re.compile(r'\[([0-9a-f-]{36})\] Started (\w+) "([^"]+)"')
COMPLETED = re.compile(r"\[([0-9a-f-]{36})\] Completed (\d+) .*? in (\d+)ms")


def default_log() -> Path | None:
    base = os.environ.get("REDMINE_LOCAL_DIR")
    path = Path(base) / "log" / "production.log" if base else None
    return path if path and os.access(path, os.R_OK) else None


def kind(method: str, url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/[0-9]+", "/N", parts.path)
    include = ",".join(sorted(",".join(parse_qs(parts.query).get("include", [])).split(",")))
    return f"{method} {path}" + (f"?include={include}" if include.strip(",") else "")


class Mark:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_log()
        self.offset = self.path.stat().st_size if self.path else 0

    def kinds(self) -> dict[str, list[int]]:
        """Count and milliseconds by kind of the requests Redmine completed since the mark."""
        if self.path is None:
            return {}
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        started: dict[str, str] = {}
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in text.splitlines():
            if (match := STARTED.search(line)) is not None:
                started[match[1]] = kind(match[2], match[3])
            elif (match := COMPLETED.search(line)) is not None and match[1] in started:
                row = found[started.pop(match[1])]
                row[0] += 1
                row[1] += int(match[3])
        return dict(found)
