"""Fill a state store's journal cache, with the code of the tree first on PYTHONPATH.

bench/compare.py's sampled cold SLA pass: every issue listed in ``--issues`` (JSON rows
``[id, updated_on]`` as Redmine lists them) gets its journals cached as "none" except
every K-th one, so that a cold ``sla --at-risk`` pages and evaluates every issue but
reads the journals of 1 issue in K only. Run with each tree's own code, so that each
store is written in its own schema.

    PYTHONPATH=TREE python bench/prefill.py --state DB --issues ROWS.json --sample K
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from redmine_sync.redmine.mapping import parse_time
from redmine_sync.store import StateStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--issues", required=True, type=Path)
    parser.add_argument("--sample", required=True, type=int)
    args = parser.parse_args()
    rows = json.loads(args.issues.read_text(encoding="utf-8"))
    store = StateStore(args.state)
    cached = 0
    try:
        with store.transaction():
            for index, (issue_id, updated_on) in enumerate(rows):
                if index % args.sample:
                    store.cache_journals(int(issue_id), parse_time(updated_on), ())
                    cached += 1
    finally:
        store.close()
    print(json.dumps({"issues": len(rows), "cached": cached}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
