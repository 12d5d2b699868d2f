"""Nothing silent: every case where the tool used to carry on quietly, or say OK, or exit 0
(or 70) while something could not be done."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import responses

from redmine_sync.apply import RunStopped
from redmine_sync.cli import main
from redmine_sync.cli.context import AppContext
from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.config import default_state_path
from redmine_sync.config import load_config
from redmine_sync.daemon import Rules
from redmine_sync.errors import EXIT_TABLE
from redmine_sync.errors import ConfigError
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import UserError
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import IssueUpdate
from redmine_sync.model import Ref
from redmine_sync.model import UpdateResult
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.reports.publish import publish
from redmine_sync.rules import load_rules_text
from redmine_sync.rules.online import unchecked
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import load_ruleset
from tests.unit.redmine.test_live import ME
from tests.unit.test_apply import RULES

ROOT = Path(__file__).resolve().parents[2]
URL = "http://redmine.test"
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
CUSTOMERS = "kind: customers\ncustomers: []\n"


def write_config(folder: Path, rules: str = RULES, customers: str | None = CUSTOMERS,
                 extra: str = "") -> Path:
    (folder / "rules").mkdir(exist_ok=True)
    (folder / "rules" / "r.yaml").write_text(rules)
    if customers is not None:
        (folder / "rules" / "customers.yaml").write_text(customers)
    path = folder / "config.yaml"
    path.write_text(f"redmine:\n  url: {URL}\n  retries: {{attempts: 2, backoff: 0.01}}\n"
                    f"projects: [demo]\nstate: {{path: {folder / 'state.db'}}}\n"
                    f"rules_dir: rules\nlimits: {{max_issues: 5, max_percent: 100}}\n{extra}")
    return path


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDMINE_API_KEY", "a" * 40)
    monkeypatch.delenv("REDMINE_URL", raising=False)


# -- the exit code table ---------------------------------------------------------------------

def test_exit_codes_live_in_one_table() -> None:
    codes = [e.code for e in EXIT_TABLE]
    assert codes == sorted(set(codes)) and {0, 1, 2, 3, 4, 70, 130} <= set(codes)
    assert all(e.meaning for e in EXIT_TABLE)


# -- keys and TLS ------------------------------------------------------------------------------

def test_a_key_in_the_url_is_used_and_never_shown(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REDMINE_API_KEY", raising=False)
    monkeypatch.setenv("REDMINE_URL", "https://r.example/redmine?key=0123abcd&lang=en")
    config = load_config(str(ROOT / "config.example.yaml"))
    assert config.url == "https://r.example/redmine?lang=en"
    assert config.api_key == "0123abcd"
    assert any("carries the API key" in w for w in config.warnings)
    assert main(["--config", str(ROOT / "config.example.yaml"), "config"]) == 0
    out = capsys.readouterr()
    assert "0123abcd" not in out.out + out.err


def test_turning_certificate_checks_off_is_explicit_and_warned(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("redmine:\n  verify_tls: false\n")
    config = load_config(str(path), env={})
    assert config.tls_verify is False
    assert any("NOT checked" in w for w in config.warnings)
    path.write_text("redmine:\n  ca_bundle: ca.pem\n")
    with pytest.raises(ConfigError, match=r"ca\.pem does not exist"):
        load_config(str(path), env={})
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert load_config(str(path), env={}).tls_verify == str(tmp_path / "ca.pem")
    assert load_config(str(tmp_path / "c.yaml"), env={}).warnings == ()


# -- state tied to one Redmine -----------------------------------------------------------------

def test_the_state_belongs_to_one_redmine(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    store.bind("https://staging.example/")
    store.bind("https://STAGING.example")
    with pytest.raises(UserError, match=r"belongs to the Redmine at https://staging\.example"):
        store.bind("https://prod.example")
    assert default_state_path("https://staging.example") != \
        default_state_path("https://prod.example")
    assert default_state_path("http://127.0.0.1:3101").name.startswith("127.0.0.1_3101-")


def test_commands_refuse_a_state_of_another_redmine(tmp_path: Path, keyed: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    StateStore(tmp_path / "state.db").bind("https://prod.example")
    assert main(["--config", str(config), "history"]) == 1
    assert "belongs to the Redmine at https://prod.example" in capsys.readouterr().err


def test_the_default_state_file_is_per_redmine(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("redmine:\n  url: http://127.0.0.1:3131\n")
    other = load_config(str(path), env={"REDMINE_URL": "http://127.0.0.1:3101"}).state_path
    assert load_config(str(path), env={}).state_path != other


# -- identity ----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["plan"], ["issues"], ["explain", "1"],
                                     ["sla", "--at-risk"], ["validate", "--online"]])
def test_reading_commands_stop_when_the_key_is_refused(
        tmp_path: Path, keyed: None, command: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong key on a public project used to read as Anonymous with exit 0."""
    config = write_config(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{URL}/users/current.json", status=401)
        rsps.get(f"{URL}/issues.json", json={"issues": [], "total_count": 0})
        assert main(["--config", str(config), *command]) == 4
        assert [c.request.url.split("?")[0] for c in rsps.calls] == \
            [f"{URL}/users/current.json"]
    assert "refused the API key" in capsys.readouterr().err


def test_no_key_at_all_is_not_read_as_anonymous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REDMINE_API_KEY", raising=False)
    monkeypatch.delenv("REDMINE_URL", raising=False)
    config = write_config(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{URL}/issues.json", json={"issues": [], "total_count": 0})
        assert main(["--config", str(config), "plan"]) == 4
        assert not rsps.calls
    assert "no API key" in capsys.readouterr().err


# -- 404 ---------------------------------------------------------------------------------------

def test_explain_of_a_missing_issue_names_it_and_exits_1(
        tmp_path: Path, keyed: None, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{URL}/users/current.json", json=ME)
        rsps.get(f"{URL}/issues/99999.json", status=404)
        assert main(["--config", str(config), "explain", "99999"]) == 1
    err = capsys.readouterr().err
    assert "issue #99999 was not found" in err and "Traceback" not in err


# -- validate ----------------------------------------------------------------------------------

def test_validate_of_a_path_that_does_not_exist_fails(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "validate", str(tmp_path / "rulez")]) == 1
    err = capsys.readouterr().err
    assert "rulez" in err and "OK" not in err
    (tmp_path / "empty").mkdir()
    assert main(["--config", str(config), "validate", str(tmp_path / "empty")]) == 1


def test_validate_without_a_customers_file_fails(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, customers=None)
    assert main(["--config", str(config), "validate"]) == 1
    assert "no customers file" in capsys.readouterr().err
    (tmp_path / "rules" / "customers.yaml").write_text(CUSTOMERS)
    assert main(["--config", str(config), "validate"]) == 0
    assert "Redmine names not checked" in capsys.readouterr().out


def test_validate_online_says_what_it_could_not_check() -> None:
    fields = (CustomFieldDef(1, "Labels"),  # as a non-admin sees it: no allowed values
              CustomFieldDef(4, "Urgency", "list", False, ("urgent", "normal")))
    fake = FakeRedmine(custom_fields=fields)
    ruleset = load_rules_text(RULES)
    lines = unchecked(ruleset, fake.catalog(), Config().fields)
    assert len(lines) == 1
    assert lines[0].startswith("1 value(s) of the custom field 'Labels' (ui)")
    assert "administrator" in lines[0]


# -- history -----------------------------------------------------------------------------------

def test_history_shows_a_killed_run_as_interrupted_with_the_ledgers_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    store = StateStore(tmp_path / "state.db")
    store.bind(URL)
    run = store.start_run("apply", NOW)
    with store.transaction():
        for issue in (1, 2, 3):
            store.record(run, NOW, issue, "priority", "Normal", "High", "r", "written")
        store.add_intent(run, 4, {"priority": "High"}, None)
    store.close()  # killed: never finished
    assert main(["--config", str(config), "history"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert "interrupted" in line and "running" not in line
    assert "planned 4, written 3" in line and "1 write(s) not known to have landed" in line


# -- daemon ------------------------------------------------------------------------------------

def test_the_daemon_keeps_the_last_good_rules(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    write_config(tmp_path)
    config = Config(rules_dir=tmp_path / "rules")
    rules = Rules(load_ruleset(config), config)
    good = rules.good
    (tmp_path / "rules" / "r.yaml").write_text("kind: triage\nrules: [{name: x, then: 5}]\n")
    with caplog.at_level(logging.ERROR):
        assert rules.reload(config) is good
    assert "rules NOT reloaded" in caplog.text and "r.yaml" in caplog.text
    (tmp_path / "rules" / "r.yaml").write_text(RULES)
    assert rules.reload(config) is not good


# -- apply: breaker JSON, Redmine gone mid-run ---------------------------------------------

def test_apply_json_when_the_breaker_trips(tmp_path: Path, keyed: None,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    fake = FakeRedmine()
    fake.url = URL
    for n in range(6):
        fake.add_issue(f"todo {n}")
    app = AppContext(connect=lambda config, retries: fake)
    assert main(["--config", str(config), "apply", "--format", "json"], app) == 3
    out = json.loads(capsys.readouterr().out)
    assert "6 issues would change" in out["breaker"] and out["written"] == []


class Vanishing(FakeRedmine):
    """Answers the first ``writes`` PUTs, then is gone."""

    def __init__(self, writes: int) -> None:
        super().__init__(users=[User(9, "pm.li", "Li Na")])
        self.left = writes

    def update_issue(self, update: IssueUpdate) -> UpdateResult:
        if self.left == 0:
            raise RedmineUnavailable("Redmine at x did not answer PUT /issues/3.json")
        self.left -= 1
        return super().update_issue(update)

    def get_issue(self, issue_id: int, *, journals: bool = True) -> Any:
        if self.left == 0 and issue_id > 3:
            raise AssertionError("read after Redmine was gone")
        return super().get_issue(issue_id, journals=journals)


def test_apply_stops_when_redmine_is_gone_and_says_what_remains(tmp_path: Path) -> None:
    fake = Vanishing(writes=2)
    for n in range(5):
        fake.add_issue(f"todo {n}")
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    write_config(tmp_path)
    store = StateStore(tmp_path / "state.db")
    with pytest.raises(RunStopped) as caught:
        apply_run(fake, config, store, lambda: NOW)
    text = str(caught.value)
    assert "2 issue(s) written before it (#1, #2)" in text
    assert "1 interrupted mid-write (#3) (the next run checks whether it landed); " \
        "2 not written (#4, #5), left for the next run" in text
    assert caught.value.exit_code == 4
    run = store.runs(1)[0]
    assert (run.status, run.written, run.skipped) == ("stopped", 2, 3)
    assert [i for i, *_ in store.intents()] == [3]  # may have landed: the next run looks
    assert store.cursor("demo") is None


def test_apply_json_when_redmine_is_gone(tmp_path: Path, keyed: None,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    fake = Vanishing(writes=1)
    fake.url = URL
    for n in range(3):
        fake.add_issue(f"todo {n}")
    app = AppContext(connect=lambda config, retries: fake)
    assert main(["--config", str(config), "apply", "--format", "json"], app) == 4
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["written"] == [1] and "did not answer" in out["stopped"]
    assert [s["issue"] for s in out["skipped"]] == [2, 3]
    assert "run 1 stopped" in captured.err


# -- wiki: a lost answer is not a person's edit ----------------------------------------------

def test_a_landed_wiki_write_whose_answer_was_lost_is_not_a_persons_edit(
        tmp_path: Path) -> None:
    fake = FakeRedmine()
    store = StateStore(tmp_path / "state.db")
    fake.put_wiki_page("demo", "Weekly", "week 1", base_version=None)
    # the answer was lost: the store never learnt version 1 was ours
    result = publish(fake, store, "demo", "Weekly", "week 1, revised", report="weekly",
                     period="w1")
    assert (result.title, result.outcome) == ("Weekly", "updated")
    assert fake.get_wiki_page("demo", "Weekly_2") is None
    pages = fake.wiki[("demo", "weekly")]
    pages.append(replace(pages[-1], text="edited by hand", version=pages[-1].version + 1,
                         author=Ref(9, "Li Na")))  # a person's edit after ours
    again = publish(fake, store, "demo", "Weekly", "week 1, revised again", report="weekly",
                    period="w1")
    assert again.outcome == "diverted" and again.title == "Weekly_2"


# -- doctor ------------------------------------------------------------------------------------

def test_doctor_does_not_pass_when_the_issue_list_is_an_html_page(
        tmp_path: Path, keyed: None, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    project = {"project": {"id": 1, "identifier": "demo", "name": "Demo",
                           "enabled_modules": [{"name": "issue_tracking"}, {"name": "wiki"}]}}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{URL}/users/current.json", json=ME)
        rsps.get(f"{URL}/projects/demo.json", json=project)
        rsps.get(f"{URL}/issues.json", body="<!DOCTYPE html><html>Sign in</html>",
                 content_type="text/html")
        assert main(["--config", str(config), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "\nFAIL " in out and "GET /issues.json: expected JSON, got an HTML page" in out
    assert "all checks passed" not in out
