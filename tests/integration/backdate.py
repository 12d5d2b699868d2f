"""Back-dated issues and journals in the local Redmine, for tests of time-dependent figures.

The REST API stamps everything with the server's clock; ``backdate`` writes each issue and
journal through ``scripts/redmine-local runner`` (ActiveRecord, as its author) and then
moves ``created_on``, ``updated_on``, journal times and ``closed_on``. A spec is a list of
issues::

    {"subject": "...", "author": "client.wei", "created": datetime, "priority": "Normal",
     "fields": {"Customer": "华信银行", "Labels": ["sla-warning"]},
     "journals": [{"at": datetime, "user": "support.zhao", "notes": "...",
                   "private": False, "status": "Closed", "fields": {...},
                   "subject": "...", "description": "..."}]}

A spec with ``"id"`` (and no subject, author or created) adds its journals to that issue.
Unknown authors are created as users (customers, not project members).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RUBY = Path(__file__).with_name("backdate.rb")


def backdate(project: str, issues: list[dict[str, Any]]) -> list[int]:
    """Create the issues with their history; returns their ids in the order given."""
    spec = json.dumps({"project": project, "issues": issues}, default=_stamp)
    done = subprocess.run([str(ROOT / "scripts" / "redmine-local"), "runner", str(RUBY)],
                          input=spec, capture_output=True, text=True, check=False,
                          env=os.environ)
    assert done.returncode == 0, done.stdout + done.stderr
    return [int(i) for i in json.loads(done.stdout.strip().splitlines()[-1])]


def _stamp(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} in a back-dated spec")
        return value.isoformat()
    raise TypeError(f"cannot write {value!r} as JSON")
