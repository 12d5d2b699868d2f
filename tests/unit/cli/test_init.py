"""``redmine-sync init``: the config and the pack it writes, refusals, --from-redmine."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result

from redmine_sync.cli import cli
from redmine_sync.cli.context import AppContext
from redmine_sync.config import Config
from redmine_sync.config import load_config
from redmine_sync.errors import REDMINE
from redmine_sync.errors import USER
from redmine_sync.model import CustomFieldDef
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.fake import default_custom_fields
from redmine_sync.rules import load_rules
from redmine_sync.starter import CONFIG_NAME
from redmine_sync.starter import unit_files

ROOT = Path(__file__).resolve().parents[3]
URL = "http://redmine.test"


def init(*args: str, fake: FakeRedmine | None = None) -> Result:
    seen: list[Config] = []

    def connect(config: Config, retries: object) -> FakeRedmine:
        seen.append(config)
        assert fake is not None, "init must not connect without --from-redmine"
        return fake

    return CliRunner().invoke(cli, ["init", *args], obj=AppContext(connect=connect))


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDMINE_URL", "REDMINE_API_KEY", "REDMINE_SYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_init_writes_a_config_that_loads_and_a_copy_of_the_pack(tmp_path: Path) -> None:
    result = init(str(tmp_path / "team"), "--url", "https://redmine.example.org",
                  "--project", "support", "--project", "crm")
    assert result.exit_code == 0, result.output
    config_path = tmp_path / "team" / "redmine-sync.yaml"
    assert f"wrote {config_path}" in result.output
    assert f"--config {config_path} doctor" in result.output
    config = load_config(str(config_path), env={})
    assert config.url == "https://redmine.example.org"
    assert config.projects == ("support", "crm")
    assert config.reports.project == "support"
    assert config.rules_dir == (tmp_path / "team" / "rules").resolve()
    shipped = sorted(p.relative_to(ROOT / "rules") for p in (ROOT / "rules").rglob("*.yaml"))
    copied = sorted(p.relative_to(config.rules_dir) for p in config.rules_dir.rglob("*.yaml"))
    assert copied == shipped
    for path in shipped:
        assert (config.rules_dir / path).read_bytes() == (ROOT / "rules" / path).read_bytes()
    assert len(load_rules([config.rules_dir]).rules()) > 10
    # the example's comments stay: the config explains itself
    text = config_path.read_text(encoding="utf-8")
    assert "# The API key of a dedicated bot user" in text
    assert "scripts/redmine-local" not in text and "Copy to redmine-sync.yaml" not in text
    assert text.startswith("# redmine-sync configuration, written by `redmine-sync init`.")
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_init_without_url_writes_a_placeholder_and_says_so(tmp_path: Path) -> None:
    result = init(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "edit redmine.url" in result.output
    config = load_config(str(tmp_path / "redmine-sync.yaml"), env={})
    assert config.url == "https://redmine.example.com"
    assert config.projects == ()
    assert config.reports.project is None


@pytest.mark.parametrize("existing", ["redmine-sync.yaml", "rules"])
def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, existing: str) -> None:
    target = tmp_path / existing
    if existing == "rules":
        target.mkdir()
    else:
        target.write_text("mine\n")
    result = init(str(tmp_path))
    assert result.exit_code == USER.code
    assert f"{target} already exist(s)" in result.output
    assert "move them away, or give init another directory" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]
    if existing != "rules":
        assert target.read_text() == "mine\n"


def test_init_into_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    result = init(str(tmp_path / "f"))
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def fitted_fake() -> FakeRedmine:
    """A Redmine whose fields differ from the example: 'customer' in lower case, no Tier,
    no Value/Cost, a 'Satisfactions' field; statuses without Testing."""
    labels, _, _, urgency = default_custom_fields()
    fake = FakeRedmine(custom_fields=(
        labels, CustomFieldDef(2, "customer", "string"), urgency,
        CustomFieldDef(9, "Satisfactions", "int")))
    fake.url = URL
    fake.markup = "textile"
    return fake


def test_from_redmine_writes_its_names_and_marks_what_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDMINE_API_KEY", "k" * 40)
    result = init(str(tmp_path), "--from-redmine", "--url", URL, "--project", "demo",
                  fake=fitted_fake())
    assert result.exit_code == 0, result.output
    text = (tmp_path / "redmine-sync.yaml").read_text(encoding="utf-8")
    assert "#   trackers: Bug, Feature, Support" in text
    assert "#   roles:    Manager, Developer, Reporter, Bot" in text
    assert "  text_formatting: textile   # as http://redmine.test renders it" in text
    assert "  customer: customer " in text and "found for 'Customer'" in text
    assert "  satisfaction: Satisfactions " in text
    tier = next(line for line in text.splitlines() if line.startswith("  tier: "))
    assert "MISSING: no issue custom field 'Tier' (doctor WARNs 'custom field')" in tier
    assert "    testing: [Testing]   # MISSING status(es): Testing" not in text  # fake has it
    config = load_config(str(tmp_path / "redmine-sync.yaml"), env={})
    assert config.fields.customer == "customer"
    assert config.fields.satisfaction == "Satisfactions"
    assert config.fields.tier == "Tier"  # left as it was, marked
    assert config.text_formatting == "textile"
    assert "  MISSING fields.tier: 'Tier'" in result.output
    assert "  MISSING fields.value: 'Value'" in result.output
    assert "fields.customer: 'customer' written for 'Customer' (check it)" in result.output
    # the tiers' labels are not among this Labels field's values
    assert "label 'strategic' is not an allowed value of the custom field 'Labels'" in (
        result.output)
    assert "`validate --online` and `doctor` report them" in result.output


def test_from_redmine_marks_missing_kanban_statuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDMINE_API_KEY", "k" * 40)
    monkeypatch.setattr("redmine_sync.redmine.fake.STATUSES",
                        (("New", False), ("In progress", False), ("Closed", True)))
    result = init(str(tmp_path), "--from-redmine", "--url", URL, fake=fitted_fake())
    assert result.exit_code == 0, result.output
    text = (tmp_path / "redmine-sync.yaml").read_text(encoding="utf-8")
    assert "    development: [In progress]" in text  # this Redmine's spelling
    assert "    testing: [Testing]   # MISSING status(es): Testing" in text
    assert "MISSING reports.kanban.acceptance: 'Awaiting acceptance'" in result.output
    assert "unknown status 'Rejected' in this Redmine" in result.output


def test_from_redmine_needs_a_key_and_writes_nothing_without_one(tmp_path: Path) -> None:
    result = init(str(tmp_path), "--from-redmine", "--url", URL, fake=fitted_fake())
    assert result.exit_code == REDMINE.code
    assert "needs an API key" in result.output
    assert list(tmp_path.iterdir()) == []


def test_from_redmine_needs_a_url(tmp_path: Path) -> None:
    result = init(str(tmp_path), "--from-redmine")
    assert result.exit_code == USER.code
    assert "needs the Redmine's URL" in result.output


def test_from_redmine_reads_the_key_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("k" * 40 + "\n")
    result = init(str(tmp_path / "out"), "--from-redmine", "--url", URL, "--key-file",
                  str(key), fake=fitted_fake())
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "rules" / "50-sla.yaml").is_file()


def test_systemd_units_are_written_aimed_at_the_new_config(tmp_path: Path) -> None:
    result = init(str(tmp_path), "--systemd")
    assert result.exit_code == 0, result.output
    units = {p.name: p.read_text() for p in (tmp_path / "systemd").iterdir()}
    assert set(units) == {p.name for p in (ROOT / "contrib" / "systemd").iterdir()}
    config = (tmp_path / "redmine-sync.yaml").resolve()
    for name, text in units.items():
        if name.endswith(".service"):
            start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
            assert f"--config {config} " in start, start
    again = init(str(tmp_path / "other"), "--systemd")
    assert again.exit_code == 0
    (tmp_path / "third" / "systemd").mkdir(parents=True)
    refused = init(str(tmp_path / "third"), "--systemd")
    assert refused.exit_code == USER.code and "systemd already exist(s)" in refused.output
    assert not (tmp_path / "third" / "redmine-sync.yaml").exists()


def test_the_shipped_units_expect_the_config_init_writes() -> None:
    """One name: `init /etc/redmine-sync` writes the config the shipped units start with,
    so --systemd aimed there changes nothing but the tool's path."""
    shipped = {p.name: p.read_bytes() for p in (ROOT / "contrib" / "systemd").iterdir()}
    aimed = unit_files(Path("/etc/redmine-sync") / CONFIG_NAME, None)
    assert {str(name): text for name, text in aimed.items()} == shipped
    for name, text in shipped.items():
        if name.endswith(".service"):
            assert f"--config /etc/redmine-sync/{CONFIG_NAME} ".encode() in text, name
