"""`redmine-sync doctor` and `issues` against the real local Redmine."""

from __future__ import annotations

from pathlib import Path

import pytest

from redmine_sync.cli import main

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "config.example.yaml")


@pytest.fixture
def env(local_redmine: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("REDMINE_URL", local_redmine["REDMINE_URL"])
    monkeypatch.setenv("REDMINE_API_KEY", local_redmine["REDMINE_API_KEY"])
    return local_redmine


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_doctor_passes_on_the_local_redmine(env: dict[str, str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--config", EXAMPLE, "doctor"], capsys)
    assert code == 5, out + err   # nothing failed, but the bot's key could not check all
    assert "FAIL" not in out
    assert "ok    API key          accepted: user redmine-sync" in out
    assert "ok    permissions      demo: all 7 needed" in out
    assert "ok    custom field     'Labels' (labels)" in out
    # the bot's key cannot see the Labels field's trackers and values: warned, never "all passed"
    assert "warn  custom field     'Labels' (labels): trackers not checked" in out
    assert "no check failed;" in out and "warning(s) above" in out
    assert "all checks passed" not in out
    assert "check(s) could not be made with this key or server" in err


def test_doctor_fails_clearly_for_a_wrong_key(env: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDMINE_API_KEY", "0" * 40)
    code, out, err = run(["--config", EXAMPLE, "doctor"], capsys)
    assert code == 1
    assert "FAIL  API key          refused by Redmine (401)" in out
    assert "My account > API access key" in out
    assert "0" * 40 not in out + err


def test_doctor_fails_clearly_for_a_stopped_server(env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # nothing listens on port 9 of the loopback: what a stopped Redmine looks like
    monkeypatch.setenv("REDMINE_URL", "http://127.0.0.1:9")
    code, out, _ = run(["--config", EXAMPLE, "doctor"], capsys)
    assert code == 1
    assert "FAIL  reachable        Redmine at http://127.0.0.1:9 did not answer" in out
    assert "scripts/redmine-local up" in out


def test_doctor_fails_clearly_for_a_missing_custom_field(env: dict[str, str], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("projects: [demo]\nfields:\n  labels: Tags\n", encoding="utf-8")
    code, out, _ = run(["--config", str(config), "doctor"], capsys)
    assert code == 1
    assert "FAIL  custom field     'Tags' (labels) does not exist" in out
    assert "map fields.labels to an existing one" in out


def test_issues_lists_what_the_tool_reads(env: dict[str, str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--config", EXAMPLE, "issues", "--project", "demo"], capsys)
    assert code == 0, err
    assert out.splitlines()[-1].endswith("closed")
    assert "issue(s)" in out.splitlines()[-1]
