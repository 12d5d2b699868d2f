#!/usr/bin/env python3
"""The tool's CPU for a run in which nothing changed, over N issues of the fake Redmine.

Run by bench/compare.py as a child process, once with each tree's code on PYTHONPATH
(so the same script measures the code before and after a change):

    quiet.py setup   --config C --issues N   plan --full: fills the state store
    quiet.py settle  --config C --issues N   only the end of setup, on a store that a
                                             ``plan --full`` filled (bench/compare.py's
                                             memory step leaves one at 100,000 issues)
    quiet.py measure --config C              one incremental plan, nothing changed

REDMINE_URL points at the fake (bench/fakeredmine.py).

``setup`` fills the journal cache (the fake's issues have no journals), runs a full plan
(every decision streamed, none kept) and sets the cursor as an apply that wrote every
decision would. The fake takes no writes: where the state store keeps the issues due
(their plans were not empty), they are set to "nothing ahead", as after that apply.
``measure`` prints the CPU seconds of the run itself (``sync._plan``: the listing, the
cache, the rules), not of starting Python and loading the rules.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from fakeredmine import Catalogue

from redmine_sync import sync
from redmine_sync.config import load_config
from redmine_sync.redmine.live import LiveRedmine
from redmine_sync.store import StateStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("setup", "settle", "measure"))
    parser.add_argument("--config", required=True)
    parser.add_argument("--issues", type=int, default=0)
    parser.add_argument("--project", default="bench")
    args = parser.parse_args()
    config = load_config(args.config)
    client = LiveRedmine.from_config(config)
    store = StateStore(config.state_path)
    projects = sync.scope_of(config, None)
    now = datetime.now(UTC)
    out: dict[str, float | int] = {}
    if args.mode == "setup":
        catalogue = Catalogue(args.issues, args.project)
        with store.transaction():
            for n in range(1, args.issues + 1):
                store.cache_journals(n, catalogue.updated_on(n), ())
        start = time.perf_counter()
        plan = sync.plan_run(client, config, now, store=store, full=True,
                             each=lambda item: None)
        out = {"seconds": time.perf_counter() - start, "evaluated": plan.evaluated}
    if args.mode in ("setup", "settle"):
        newest = Catalogue(args.issues, args.project).updated_on(args.issues)
        store.set_cursor(",".join(p or "*" for p in projects), newest)
        with contextlib.suppress(sqlite3.OperationalError):  # no index: the code before it
            store.db.execute("UPDATE sla_wakes SET wake = NULL WHERE wake = ''")
    if args.mode == "measure":
        ruleset = sync.load_ruleset(config)
        cpu, wall = time.process_time(), time.perf_counter()
        plan, _ = sync._plan(client, config, now, projects, None, store, False,
                             ruleset=ruleset)
        out = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
               "evaluated": plan.evaluated, "changed": len(plan.changed)}
    store.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
