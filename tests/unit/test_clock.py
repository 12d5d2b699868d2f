from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync import cli
from redmine_sync.clock import CLOCK_FILE_ENV
from redmine_sync.clock import utc_now
from redmine_sync.errors import ConfigError


def test_the_real_clock_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLOCK_FILE_ENV, raising=False)
    before = datetime.now(UTC)
    assert before <= utc_now() <= datetime.now(UTC)


@pytest.mark.parametrize(("text", "seconds"), [("+3600\n", 3600), ("-86400", -86400),
                                               ("+90.5\n", 90.5), ("+0", 0)])
def test_the_clock_file_shifts_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   text: str, seconds: float) -> None:
    clock = tmp_path / "offset"
    clock.write_text(text, encoding="utf-8")
    monkeypatch.setenv(CLOCK_FILE_ENV, str(clock))
    before = datetime.now(UTC) + timedelta(seconds=seconds)
    now = utc_now()
    assert before <= now <= datetime.now(UTC) + timedelta(seconds=seconds)
    assert now.tzinfo is UTC


def test_the_file_is_read_at_every_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    clock = tmp_path / "offset"
    clock.write_text("+0", encoding="utf-8")
    monkeypatch.setenv(CLOCK_FILE_ENV, str(clock))
    first = utc_now()
    clock.write_text("+172800", encoding="utf-8")  # a running daemon follows the file
    assert utc_now() - first >= timedelta(days=2)


@pytest.mark.parametrize("text", ["", "soon", "2027-03-01T09:00:00", "3600", "+1d"])
def test_a_malformed_clock_file_is_an_error_never_the_real_clock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    clock = tmp_path / "offset"
    clock.write_text(text, encoding="utf-8")
    monkeypatch.setenv(CLOCK_FILE_ENV, str(clock))
    with pytest.raises(ConfigError, match="not an offset in seconds"):
        utc_now()


def test_a_missing_clock_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.setenv(CLOCK_FILE_ENV, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read it"):
        utc_now()


def test_the_cli_says_so_with_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    clock = tmp_path / "offset"
    clock.write_text("tomorrow", encoding="utf-8")
    monkeypatch.setenv(CLOCK_FILE_ENV, str(clock))
    config = tmp_path / "config.yaml"
    config.write_text(f"redmine: {{url: 'http://127.0.0.1:9', api_key: x}}\n"
                      f"state: {{path: {tmp_path / 'state.db'}}}\n", encoding="utf-8")
    assert cli.main(["--config", str(config), "report", "weekly"]) == 1   # now, then Redmine
    err = capsys.readouterr().err
    assert f"{CLOCK_FILE_ENV}=" in err and "Traceback" not in err
