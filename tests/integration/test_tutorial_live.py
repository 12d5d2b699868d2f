"""docs/tutorial.md cannot rot: its ``sh`` blocks run, in order and in one bash, against
the local Redmine on a fresh project holding a few customer requests, and what the page
promises is checked (a first apply that wrote, a second plan with nothing left to do)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Admin

# Slow and self-contained: `make test` runs it on a second instance (scripts/run-tests).
pytestmark = [pytest.mark.integration, pytest.mark.second_redmine]
ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
REQUESTS = (
    ("Tailspin Travel", "登录页面报错 the login page crashes",
     "urgent: error 500 when logging in, our staff cannot work"),
    ("Northwind Logistics", "Please add an export to Excel", "nice to have for the monthly report"),
    ("Contoso Retail", "Please optimise the system", "it should be better"),
)


def sh_blocks(text: str) -> list[str]:
    return BLOCK.findall(text)


def test_the_page_has_the_steps_it_promises() -> None:
    script = "\n".join(sh_blocks(TUTORIAL.read_text(encoding="utf-8")))
    for step in ("redmine-sync init --from-redmine", "redmine-sync doctor",
                 "redmine-sync validate --online", "redmine-sync plan --full",
                 "redmine-sync apply --full --max-changes", "redmine-sync history"):
        assert step in script


@pytest.fixture
def project(admin: Admin) -> str:
    identifier = admin.new_demo_project("tutorial", seed=False)
    fields = {f["name"]: f["id"] for f in admin.get("/custom_fields.json")["custom_fields"]}
    for customer, subject, description in REQUESTS:
        admin.send("POST", "/issues.json", {"issue": {
            "project_id": identifier, "tracker_id": 1, "subject": subject,
            "description": description,
            "custom_fields": [{"id": fields["Customer"], "value": customer}]}})
    return identifier


def test_the_tutorial_runs_against_the_local_redmine(
        local_redmine: dict[str, str], admin: Admin, project: str, tmp_path: Path) -> None:
    script = "\n".join(["set -euo pipefail", *sh_blocks(TUTORIAL.read_text(encoding="utf-8"))])
    home = tmp_path / "home"  # its own state and cache, as a new user's
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDMINE_SYNC")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}", HOME=str(home),
               REDMINE_URL=local_redmine["REDMINE_URL"],
               REDMINE_API_KEY=local_redmine["REDMINE_API_KEY"], PROJECT=project)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False, timeout=600)
    out = done.stdout
    print(out)  # shown when an assertion below fails
    assert done.returncode == 0, f"exit {done.returncode}\n{out}\n{done.stderr}"
    assert "wrote redmine-sync.yaml" in out and (tmp_path / "triage" / "rules").is_dir()
    assert "nothing marked MISSING" in out
    assert "no check failed" in out or "all checks passed" in out
    assert re.search(r"^\d+ passed, 0 failed$", out, re.MULTILINE), out  # test-rules
    planned = re.search(r"^(\d+) of 3 issue\(s\) would change", out, re.MULTILINE)
    assert planned and int(planned[1]) >= 2, out
    assert re.search(rf"^run \d+: {planned[1]} written, 0 partly written, 0 skipped, 0 failed",
                     out, re.MULTILINE), out
    assert out.rstrip().splitlines()[-1].startswith("0 of "), out  # nothing left to do
    written = [i for i in admin.issues(project) if _by_bot(i)]
    assert len(written) == int(planned[1])


def _by_bot(issue: dict[str, Any]) -> bool:
    return any(j["user"]["name"] == "redmine-sync bot" for j in issue.get("journals") or ())
