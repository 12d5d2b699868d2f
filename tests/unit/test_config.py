from __future__ import annotations

import os
from pathlib import Path

import pytest

from redmine_sync.config import load_config
from redmine_sync.errors import ConfigError
from redmine_sync.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(str(ROOT / "config.example.yaml"), env={})
    assert config.url == "http://127.0.0.1:3101"
    assert config.projects == ("demo",)
    assert config.api_key is None
    assert config.fields.labels == "Labels"
    assert config.text_formatting == "common_mark"


def test_every_problem_reported_at_once_with_line_and_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "redmine:\n  url: http://x\n  timout: {connect: 1}\n"
                 "projects: demo\nfeilds:\n  labels: Tags\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path), env={})
    text = str(info.value)
    assert f"{path}:3:3: redmine.timout: unknown key (did you mean 'timeouts'?)" in text
    assert f"{path}:4:11: projects: expected a list, got text" in text
    assert f"{path}:5:1: feilds: unknown key (did you mean 'fields'?)" in text
    assert "config.example.yaml" in text


def test_wrong_enum_value_names_choices(tmp_path: Path) -> None:
    path = write(tmp_path, "redmine:\n  text_formatting: markdwn\n")
    with pytest.raises(ConfigError, match=r"2:20: redmine.text_formatting: unknown value "
                       r"'markdwn' \(did you mean 'markdown'\?\)"):
        load_config(str(path), env={})


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "projects: [a]\nprojects: [b]\n")
    with pytest.raises(UserError, match="2:1: projects: duplicate key"):
        load_config(str(path), env={})


def test_broken_yaml_and_binary_are_clean_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not valid YAML"):
        load_config(str(write(tmp_path, "redmine: [unclosed\n")), env={})
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UserError, match="not UTF-8"):
        load_config(str(binary), env={})


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "nope.yaml"), env={})


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "redmine:\n  url: http://file.example\n")
    env = {"REDMINE_URL": "http://env.example/", "REDMINE_API_KEY": "abc123"}
    config = load_config(str(path), env=env)
    assert config.url == "http://env.example"
    assert config.api_key == "abc123"
    assert "REDMINE_API_KEY" in config.key_source


def test_config_found_through_env_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "projects: [x]\n")
    assert load_config(None, env={"REDMINE_SYNC_CONFIG": str(path)}).projects == ("x",)


def test_no_file_means_defaults_plus_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={"HOME": str(tmp_path), "REDMINE_API_KEY": "k"})
    assert config.source is None and config.api_key == "k"


def test_key_file_is_read_and_warned_about_when_shared(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("s3cret\n")
    os.chmod(key, 0o644)
    config = load_config(str(write(tmp_path, f"redmine:\n  key_file: {key}\n")), env={})
    assert config.api_key == "s3cret"
    assert any("readable by every user" in w and "chmod 640" in w for w in config.warnings)
    os.chmod(key, 0o640)
    config = load_config(str(write(tmp_path, "redmine:\n  key_file: key\n")), env={})
    assert config.api_key == "s3cret" and not config.warnings


def test_missing_key_file_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "redmine:\n  key_file: /nonexistent/key\n")
    with pytest.raises(ConfigError, match=r":2:3: redmine.key_file: cannot read key file"):
        load_config(str(path), env={})


def test_secret_never_in_repr(tmp_path: Path) -> None:
    config = load_config(None, env={"REDMINE_API_KEY": "topsecretvalue", "HOME": str(tmp_path)})
    assert "topsecretvalue" not in repr(config)
    assert "topsecretvalue" not in repr(config.api_key)


def test_bad_url_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"expected an http\(s\) URL|not an http"):
        load_config(str(write(tmp_path, "redmine:\n  url: redmine.example\n")), env={})


def test_relative_paths_resolve_against_config_dir(tmp_path: Path) -> None:
    config = load_config(str(write(tmp_path, "rules_dir: r\nstate:\n  path: s.db\n")), env={})
    assert config.rules_dir == tmp_path.resolve() / "r"
    assert config.state_path == tmp_path.resolve() / "s.db"
