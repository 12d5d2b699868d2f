"""Installed as an administrator would: a wheel built from the checkout, installed in a
fresh virtualenv outside it, then ``init --from-redmine``, ``doctor``, ``validate`` and
``plan`` against the local Redmine, run from a folder that knows nothing of the checkout.

The wheel is built offline (``pip wheel --no-build-isolation``: setuptools comes with the
test extras). Its dependencies are installed by pip the ordinary way, so they come from
pip's cache when ``make install`` already fetched them; on a machine without a registry,
point pip at a wheelhouse (``PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR``), which it honours here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redmine_sync.cli import main

# Slow and self-contained: `make test` runs it on a second instance (scripts/run-tests).
pytestmark = [pytest.mark.integration, pytest.mark.second_redmine]
ROOT = Path(__file__).resolve().parents[2]
# What the build reads: the package (its pack/ links to the three below) and the metadata.
BUILD_INPUTS = ("pyproject.toml", "README.md", "redmine_sync", "rules", "config.example.yaml",
                "contrib")


@pytest.fixture
def env(local_redmine: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("REDMINE_URL", local_redmine["REDMINE_URL"])
    monkeypatch.setenv("REDMINE_API_KEY", local_redmine["REDMINE_API_KEY"])
    monkeypatch.delenv("REDMINE_SYNC_CONFIG", raising=False)
    return local_redmine


def test_init_from_redmine_reads_the_local_redmine(
        env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["init", str(tmp_path / "bot"), "--from-redmine", "--project", "demo"]) == 0
    out = capsys.readouterr().out
    text = (tmp_path / "bot" / "redmine-sync.yaml").read_text(encoding="utf-8")
    assert "MISSING" not in out and "# MISSING" not in text  # the instance has every name
    assert re.search(rf"fitted to {env['REDMINE_URL']}: \d+ tracker\(s\), \d+ status\(es\), "
                     r"\d+ role\(s\), \d+ issue custom field\(s\)", out), out
    assert "Bug, Feature, Support" in text.split("#   trackers:")[1].split("\n")[0]
    assert "Sync bot" in text.split("#   roles:")[1].split("\n")[0]
    assert "Testing" in text.split("#   statuses:")[1].split("#   roles")[0]
    assert f"  text_formatting: common_mark   # as {env['REDMINE_URL']} renders it" in text
    # the bot's key cannot read the Labels field's values: said, never passed for checked
    assert re.search(r"NOT CHECKED: \d+ value\(s\) of the custom field 'Labels'", out), out
    assert "and labels the rules name exist" not in out
    # an administrator's key checks the labels too
    monkeypatch.setenv("REDMINE_API_KEY", env["REDMINE_LOCAL_ADMIN_KEY"])
    assert main(["init", str(tmp_path / "admin"), "--from-redmine", "--project", "demo"]) == 0
    out = capsys.readouterr().out
    assert "custom fields and labels the rules name exist" in out
    # a key Redmine refuses: exit 4, nothing written
    monkeypatch.setenv("REDMINE_API_KEY", "0" * 40)
    assert main(["init", str(tmp_path / "refused"), "--from-redmine"]) == 4
    assert not (tmp_path / "refused").exists()


def test_a_wheel_installed_outside_the_checkout_inits_checks_and_plans(
        env: dict[str, str], tmp_path: Path) -> None:
    started = time.monotonic()
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_INPUTS:  # a copy: the build writes build/ and *.egg-info beside it
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(source)], cwd=tmp_path)
    wheel, = (tmp_path / "dist").glob("redmine_sync-*.whl")
    built = time.monotonic()

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        cwd=tmp_path)
    installed = time.monotonic()

    work = tmp_path / "admin-home"
    work.mkdir()
    shutil.rmtree(source)  # nothing of the checkout is left to lean on
    show = "import redmine_sync, sys; print(redmine_sync.__file__); print(sys.path)"
    where = run([str(python), "-c", show], cwd=work).stdout
    assert where.startswith(str(venv)), where
    assert str(ROOT) not in where

    tool = str(venv / "bin" / "redmine-sync")
    init = run([tool, "init", "team", "--from-redmine", "--project", "demo"], cwd=work)
    assert "wrote team/redmine-sync.yaml" in init.stdout
    assert "MISSING" not in init.stdout
    config = work / "team" / "redmine-sync.yaml"
    assert sorted(p.name for p in (work / "team" / "rules").iterdir()) == sorted(
        p.name for p in (ROOT / "rules").iterdir())
    # its own state file, as an administrator sets it (state.path is relative to the config)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  # path: ~/.local/state/redmine-sync/state.db",
                                   "  path: state.db"), encoding="utf-8")
    # the bot's key cannot check everything (the Labels field's trackers and values): exit 5
    doctor = run([tool, "--config", str(config), "doctor"], cwd=work, code=5)
    assert "ok    permissions      demo: all 7 needed" in doctor.stdout
    assert "FAIL" not in doctor.stdout
    validate = run([tool, "--config", str(config), "validate", "--online"], cwd=work, code=5)
    assert "names checked against Redmine, except:" in validate.stdout
    plan = run([tool, "--config", str(config), "plan", "--project", "demo"], cwd=work)
    assert "issue(s)" in plan.stdout, plan.stdout
    assert (work / "team" / "state.db").is_file()
    show = "from redmine_sync import shipped; print(sorted(shipped.systemd_units()))"
    units = run([str(python), "-c", show], cwd=work).stdout
    assert "redmine-sync-apply.timer" in units
    print(f"wheel built in {built - started:.1f} s, installed in {installed - built:.1f} s, "
          f"init+doctor+validate+plan in {time.monotonic() - installed:.1f} s")


def run(args: list[str], cwd: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "REDMINE_SYNC_CONFIG")}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=600)
    assert done.returncode == code, \
        f"{args[:4]} exit {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done
