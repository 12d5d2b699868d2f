"""One measured command, run as a child process of bench/run.py (so its peak RSS is its own).

Every HTTP request the child sends goes through ``requests.Session.send``, which is
wrapped here to count requests by kind (issue pages, journal reads, writes, ...). The
counts and the command's own figures are written as JSON to ``--out``.

    probe.py raw    --out F --project P             raw paging with requests, no processing
    probe.py naive  --out F --project P [--budget S] python-redmine: filter + get(journals)
    probe.py cli    --out F -- ARGS...               redmine-sync ARGS (the real CLI)
    probe.py client --out F --url U [--hold]         LiveRedmine.iter_issues over all pages
    probe.py engine --out F --issues N --repeat R    bench/engine.py's measure()

The URL and key come from REDMINE_URL and REDMINE_API_KEY (except for ``client``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests  # noqa: TID251 - the probe counts requests at the transport, on purpose

ROOT = Path(__file__).resolve().parents[1]
ISSUE = re.compile(r"/issues/\d+\.json$")
RELATIONS = re.compile(r"/issues/\d+/relations\.json$")


class Counts:
    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.paths: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # time waiting for the answers, by kind

    def add(self, method: str, url: str) -> str:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        path = parts.path
        include = ",".join(query.get("include", []))
        if method == "GET" and path.endswith("/issues.json"):
            kind = "issue_pages"
        elif method == "GET" and ISSUE.search(path):
            kind = "journal_reads" if "journals" in include else "issue_reads"
        elif method == "PUT" and ISSUE.search(path):
            kind = "issue_writes"
        elif RELATIONS.search(path):
            kind = "relation_writes" if method == "POST" else "relation_reads"
        elif method == "GET":
            kind = "other_reads"
        else:
            kind = "other_writes"
        self.kinds[kind] += 1
        self.kinds["total"] += 1
        self.paths[f"{method} {re.sub(r'/[0-9]+', '/N', path)}"] += 1
        return kind

    def json(self) -> dict[str, Any]:
        return {"requests": dict(self.kinds), "by_path": dict(self.paths.most_common()),
                "request_seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


COUNTS = Counts()
_send = requests.Session.send


def _counting_send(self: requests.Session, request: requests.PreparedRequest,
                   **kwargs: Any) -> requests.Response:
    kind = COUNTS.add(str(request.method), str(request.url))
    start = time.perf_counter()
    try:
        return _send(self, request, **kwargs)
    finally:
        COUNTS.seconds[kind] += time.perf_counter() - start


requests.Session.send = _counting_send  # type: ignore[method-assign]


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"probe: {name} is not set")
    return value


def raw(args: argparse.Namespace) -> dict[str, Any]:
    """(1) What any client must do at least: every page of the project, 100 per page."""
    url, key = _env("REDMINE_URL"), _env("REDMINE_API_KEY")
    session = requests.Session()
    session.headers["X-Redmine-API-Key"] = key
    offset, seen, total = 0, 0, None
    while total is None or offset < total:
        response = session.get(f"{url}/issues.json", params={
            "project_id": args.project, "status_id": "*", "limit": 100, "offset": offset},
            timeout=60)
        response.raise_for_status()
        data = response.json()
        total = int(data["total_count"])
        seen += len(data["issues"])
        if not data["issues"]:
            break
        offset += len(data["issues"])
    return {"issues": seen}


def naive(args: argparse.Namespace) -> dict[str, Any]:
    """(2) The script a user would write: list the issues, then read each one's journals.

    When every issue would take longer than ``--budget`` seconds, only every tenth issue
    is read and the reading time and requests are extrapolated (``sampled``: true).
    """
    from redminelib import Redmine  # noqa: TID251

    redmine = Redmine(_env("REDMINE_URL"), key=_env("REDMINE_API_KEY"))
    start = time.perf_counter()
    issues = list(redmine.issue.filter(project_id=args.project, status_id="*"))
    listed = time.perf_counter()
    pages = COUNTS.kinds["total"]
    ids = [i.id for i in issues]
    pilot, rest = ids[:20], ids[20:]
    for issue_id in pilot:
        redmine.issue.get(issue_id, include=["journals"])
    per_issue = (time.perf_counter() - listed) / max(len(pilot), 1)
    sampled = (listed - start) + per_issue * len(ids) > args.budget
    todo = rest[::10] if sampled else rest
    for issue_id in todo:
        redmine.issue.get(issue_id, include=["journals"])
    done = time.perf_counter()
    read = len(pilot) + len(todo)
    per_issue = (done - listed) / max(read, 1)
    return {"issues": len(ids), "sampled": sampled, "read": read, "pages": pages,
            "list_seconds": listed - start, "read_seconds": done - listed,
            "estimated_seconds": (listed - start) + per_issue * len(ids),
            "estimated_requests": pages + len(ids)}


def cli(args: argparse.Namespace) -> dict[str, Any]:
    """(3)-(6) The real command line, exactly as a user runs it."""
    from redmine_sync.cli import main

    code = main(list(args.rest))
    return {"exit": code}


def client(args: argparse.Namespace) -> dict[str, Any]:
    """Part 3: the adapter alone over a fake Redmine: every page, mapped to Issue objects."""
    from redmine_sync.redmine.live import LiveRedmine

    redmine = LiveRedmine(args.url, "0" * 40, projects=(args.project,))
    start = time.process_time()
    if args.hold:
        held = {i.id: i for i in redmine.iter_issues(project=args.project)}
        count = len(held)
    else:
        count = sum(1 for _ in redmine.iter_issues(project=args.project))
    return {"issues": count, "cpu_seconds_in_loop": time.process_time() - start}


def engine(args: argparse.Namespace) -> dict[str, Any]:
    """Part 3: rule engine throughput on the shipped pack (bench/engine.py)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from engine import measure

    results = measure(args.issues, args.repeat)
    return {"issues": args.issues, "repeat": args.repeat,
            "results": {k: {"cpu_seconds": s, "changed": c} for k, (s, c) in results.items()}}


def peak_rss_mb() -> float | None:
    """This program's own peak RSS (VmHWM). ``ru_maxrss`` of a child started by
    subprocess also counts the parent's memory at the time of the spawn (Linux keeps the
    high-water mark across exec), which would credit the harness's memory to the probe."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("raw", "naive", "cli", "client", "engine"):
        p = sub.add_parser(name)
        p.add_argument("--out", required=True, type=Path)
        p.add_argument("--project", default="bench")
        if name == "naive":
            p.add_argument("--budget", type=float, default=180.0)
        if name == "client":
            p.add_argument("--url", required=True)
            p.add_argument("--hold", action="store_true")
        if name == "engine":
            p.add_argument("--issues", type=int, default=10_000)
            p.add_argument("--repeat", type=int, default=3)
        if name == "cli":
            p.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.mode == "cli" and args.rest[:1] == ["--"]:
        args.rest = args.rest[1:]
    handler = {"raw": raw, "naive": naive, "cli": cli, "client": client, "engine": engine}
    result = handler[args.mode](args)
    result.update(COUNTS.json(), peak_rss_mb=peak_rss_mb())
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return int(result.get("exit", 0) or 0)


if __name__ == "__main__":
    sys.exit(main())
