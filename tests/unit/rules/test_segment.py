"""The word segmenter's dictionary cache: used when valid, rebuilt when not, optional."""

from __future__ import annotations

import logging
import marshal
from pathlib import Path

import jieba
import pytest

from redmine_sync.rules import segment

WORDS = "扫码 40 n\n点餐 30 n\n页面 50 n\n加载 20 v\n"


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> jieba.Tokenizer:
    """A tokenizer over a four-word dictionary, and a cache directory of this test's own."""
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text(WORDS, encoding="utf-8")
    return jieba.Tokenizer(dictionary=str(dictionary))


def cached(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "redmine-sync").glob("jieba-*.marshal"))


def test_the_first_process_builds_and_caches_the_next_one_loads(
        small: jieba.Tokenizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    freq, total = segment._prefixes(small)
    assert freq["点餐"] == 30 and freq["扫"] == 0 and total == 140   # words and prefixes
    [path] = cached(tmp_path)
    assert marshal.loads(path.read_bytes()) == (freq, total)

    def no_build(*args: object) -> None:
        raise AssertionError("built again although the cache holds it")

    monkeypatch.setattr(small, "gen_pfdict", no_build)
    assert segment._prefixes(small) == (freq, total)


def test_another_dictionary_gets_its_own_entry(small: jieba.Tokenizer, tmp_path: Path) -> None:
    segment._prefixes(small)
    other = tmp_path / "other.txt"
    other.write_text(WORDS + "太慢 10 a\n", encoding="utf-8")
    freq, _ = segment._prefixes(jieba.Tokenizer(dictionary=str(other)))
    assert freq["太慢"] == 10 and len(cached(tmp_path)) == 2


@pytest.mark.parametrize("spoiled", [b"", b"\x00garbage", marshal.dumps(["not", "a", "pair"]),
                                     marshal.dumps(({}, 0))])
def test_a_spoiled_cache_is_rebuilt(small: jieba.Tokenizer, tmp_path: Path,
                                    spoiled: bytes) -> None:
    expected = segment._prefixes(small)
    [path] = cached(tmp_path)
    path.write_bytes(spoiled)
    assert segment._prefixes(small) == expected
    assert marshal.loads(path.read_bytes()) == expected


def test_a_cache_that_cannot_be_written_is_a_slower_start_said_in_the_log(
        small: jieba.Tokenizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with caplog.at_level(logging.INFO, logger="redmine_sync.rules.segment"):
        freq, _ = segment._prefixes(small)
    assert freq["页面"] == 50
    assert "cannot be cached" in caplog.text and str(blocked) in caplog.text
    assert not list(tmp_path.glob("**/.jieba-*.tmp"))


def test_systemd_cache_directory_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CACHE_DIRECTORY", "/var/cache/redmine-sync")
    monkeypatch.setenv("XDG_CACHE_HOME", "/elsewhere")
    assert segment.cache_dir() == Path("/var/cache/redmine-sync")
    monkeypatch.delenv("CACHE_DIRECTORY")
    assert segment.cache_dir() == Path("/elsewhere/redmine-sync")
