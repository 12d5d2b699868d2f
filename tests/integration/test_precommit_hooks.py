"""The hooks of .pre-commit-hooks.yaml, run by pre-commit itself (``pre-commit try-repo``
on this checkout) in a team's rule repository that ``redmine-sync init`` wrote: pre-commit
installs the tool from the checkout in an environment of its own, as it would from a tag.
No Redmine is involved (the hooks run offline). One run only: installing the hook's
environment is most of the test's time; a failing rule file is the unit tests' business
(validate exits 1 with file:line)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from redmine_sync.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.packaging]
ROOT = Path(__file__).resolve().parents[2]


def test_hooks_declare_validate_and_test_rules() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"validate", "test-rules"}
    for name, hook in hooks.items():
        assert hook["entry"] == f"redmine-sync {name}"
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False  # the whole rules directory, never one file


def test_try_repo_runs_both_hooks_on_the_shipped_pack(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDMINE_URL", "REDMINE_API_KEY", "REDMINE_SYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    team = tmp_path / "team-rules"
    assert main(["init", str(team), "--url", "https://redmine.example.com"]) == 0
    git(team, "init", "-q")
    git(team, "add", ".")

    good = try_repo(team, tmp_path / "pre-commit")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "redmine-sync validate" in good.stdout and "redmine-sync test-rules" in good.stdout
    assert good.stdout.count("Passed") == 2, good.stdout



def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo <checkout> --all-files`` in ``repo`` (its environments
    in ``home``, so nothing is left in the user's cache)."""
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is in the test extras: make install"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run([pre_commit, "try-repo", str(ROOT), "--all-files",
                           "--color", "never"], cwd=repo, env=env, capture_output=True,
                          text=True, check=False, timeout=600)


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
