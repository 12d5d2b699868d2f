"""The systemd units in contrib/systemd: key settings, and `systemd-analyze verify` when present."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "contrib" / "systemd"
APPLY = "redmine-sync-apply.service"
TIMER = "redmine-sync-apply.timer"
DAEMON = "redmine-sync-daemon.service"
EXECUTABLE = "/opt/redmine-sync/venv/bin/redmine-sync"
CONFIG = "--config /etc/redmine-sync/redmine-sync.yaml"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None,
                                       empty_lines_in_values=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((UNITS / name).read_text(encoding="utf-8"), source=name)
    return parser


def test_the_three_units_exist() -> None:
    assert sorted(p.name for p in UNITS.iterdir()) == sorted([APPLY, TIMER, DAEMON])


@pytest.mark.parametrize(("name", "setting", "expected"), [
    (APPLY, "Type", "oneshot"),
    (APPLY, "ExecStart", f"{EXECUTABLE} {CONFIG} apply"),
    (APPLY, "User", "redmine-sync"),
    (APPLY, "Group", "redmine-sync"),
    (APPLY, "StateDirectory", "redmine-sync"),
    (APPLY, "CacheDirectory", "redmine-sync"),   # writable under ProtectSystem=strict
    (DAEMON, "Type", "simple"),
    (DAEMON, "ExecStart", f"{EXECUTABLE} {CONFIG} daemon --interval 5m"),
    (DAEMON, "User", "redmine-sync"),
    (DAEMON, "Group", "redmine-sync"),
    (DAEMON, "StateDirectory", "redmine-sync"),
    (DAEMON, "CacheDirectory", "redmine-sync"),
    (DAEMON, "Restart", "on-failure"),
    (DAEMON, "RestartSec", "30"),
    (DAEMON, "KillSignal", "SIGTERM"),
    (DAEMON, "TimeoutStopSec", "60"),
])
def test_service_settings(name: str, setting: str, expected: str) -> None:
    assert unit(name)["Service"][setting] == expected


@pytest.mark.parametrize("name", [APPLY, DAEMON])
@pytest.mark.parametrize(("setting", "expected"), [
    ("NoNewPrivileges", "yes"),
    ("ProtectSystem", "strict"),
    ("ProtectHome", "yes"),
    ("PrivateTmp", "yes"),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
    ("CapabilityBoundingSet", ""),
])
def test_services_are_hardened(name: str, setting: str, expected: str) -> None:
    assert unit(name)["Service"][setting] == expected


@pytest.mark.parametrize("name", [APPLY, DAEMON])
def test_services_need_no_writable_paths_but_their_state_directory(name: str) -> None:
    service = unit(name)["Service"]
    assert "ReadWritePaths" not in service
    assert service["WorkingDirectory"] == "/var/lib/redmine-sync"


def test_apply_has_a_start_timeout_and_says_why_it_fails_on_purpose() -> None:
    assert unit(APPLY)["Service"]["TimeoutStartSec"]
    text = (UNITS / APPLY).read_text(encoding="utf-8")
    assert re.search(r"Exit codes 2 .* and 3 .*\n(#.*\n)*# .*OnFailure=", text)


def test_timer_runs_apply_every_5_minutes() -> None:
    timer = unit(TIMER)
    assert dict(timer["Timer"]) == {
        "OnCalendar": "*:0/5",
        "Persistent": "true",
        "RandomizedDelaySec": "30",
        "AccuracySec": "1s",
        "Unit": APPLY,
    }
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_daemon_is_enabled_at_boot_and_apply_is_not() -> None:
    assert unit(DAEMON)["Install"]["WantedBy"] == "multi-user.target"
    assert not unit(APPLY).has_section("Install")  # the timer starts it


@pytest.mark.parametrize("name", [TIMER, DAEMON])
def test_timer_and_daemon_say_use_one_of_them(name: str) -> None:
    lines = (UNITS / name).read_text(encoding="utf-8").splitlines()
    text = " ".join(line.lstrip("# ") for line in lines if line.startswith("#"))
    assert "not both (a lock stops two writers anyway)" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package: systemd)")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    for source in UNITS.iterdir():
        text = source.read_text(encoding="utf-8")
        # the venv of a real install does not exist here; verify checks that it is executable
        text = text.replace(f"ExecStart={EXECUTABLE} ", "ExecStart=/bin/true ")
        (tmp_path / source.name).write_text(text, encoding="utf-8")
    assert "/opt/" not in "".join(p.read_text() for p in tmp_path.iterdir())

    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True, text=True, timeout=60, check=False,
    )
    # verify exits 0 on unknown keys and bad values and only warns: any line about our units fails
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if "redmine-sync" in line or str(tmp_path) in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr

    calendar = subprocess.run(
        ["systemd-analyze", "calendar", unit(TIMER)["Timer"]["OnCalendar"]],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert "Normalized form: *-*-* *:00/5:00" in calendar
