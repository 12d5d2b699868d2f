"""The word segmenter: jieba's cuts over a compact dictionary, and its cache (used when
valid, rebuilt when not, optional)."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import jieba
import pytest
import yaml

from redmine_sync.rules import segment

ROOT = Path(__file__).resolve().parents[3]
WORDS = "扫码 40 n\n点餐 30 n\n页面 50 n\n加载 20 v\n扫码点 0 n\n"


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> jieba.Tokenizer:
    """A tokenizer over a small dictionary, and a cache directory of this test's own."""
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text(WORDS, encoding="utf-8")
    return jieba.Tokenizer(dictionary=str(dictionary))


def cached(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "redmine-sync").glob("jieba-*.trie"))


def jiebas_own(tokenizer: jieba.Tokenizer) -> jieba.Tokenizer:
    """jieba's tokenizer over its own prefix dict, without its cache file in /tmp."""
    tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    tokenizer.initialized = True
    return tokenizer


def test_the_words_keep_jiebas_counts_without_its_prefixes(small: jieba.Tokenizer) -> None:
    words = segment._words(small)
    assert words.get("点餐") == 30 and words.total == 140
    assert words.get("扫") is None and words.get("扫码点") is None   # a prefix; a count of 0
    assert len(words.trie) == 4


def test_the_cuts_are_jiebas_own(small: jieba.Tokenizer, tmp_path: Path) -> None:
    """Random runs over a small dictionary: the word graph, the route's ties and the HMM
    for unknown characters all as jieba cuts them."""
    compact = segment._Tokenizer(segment._words(small))
    own = jiebas_own(jieba.Tokenizer(dictionary=str(tmp_path / "dict.txt")))
    pieces = ["扫码", "点餐", "页面", "加载", "扫", "码", "点", "慢", "太", "了", "扫码点"]
    rnd = random.Random(18)
    for _ in range(500):
        run = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        assert compact.lcut(run, HMM=True) == own.lcut(run, HMM=True), run


def test_the_shipped_dictionary_cuts_the_requests_as_jieba_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Chinese run of the demo requests and the screening corpus."""
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    texts = [ROOT / "scripts" / "demo-data.yaml", *(ROOT / "bench" / "screening").glob("*.yaml")]
    runs = sorted({run for path in texts for run in re.findall(
        r"[\u4E00-\u9FD5]+", str(yaml.safe_load(path.read_text(encoding="utf-8"))))})
    assert len(runs) > 900
    compact = segment._Tokenizer(segment._words(jieba.Tokenizer()))
    own = jiebas_own(jieba.Tokenizer())
    assert [compact.lcut(r, HMM=True) for r in runs] == [own.lcut(r, HMM=True) for r in runs]


def test_the_first_process_builds_and_caches_the_next_one_loads(
        small: jieba.Tokenizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = segment._words(small)
    [path] = cached(tmp_path)
    assert path.read_bytes() == words.dumps()

    def no_build(*args: object) -> None:
        raise AssertionError("built again although the cache holds it")

    monkeypatch.setattr(small, "gen_pfdict", no_build)
    again = segment._words(small)
    assert again.get("页面") == 50 and again.total == words.total


def test_another_dictionary_gets_its_own_entry(small: jieba.Tokenizer, tmp_path: Path) -> None:
    segment._words(small)
    other = tmp_path / "other.txt"
    other.write_text(WORDS + "太慢 10 a\n", encoding="utf-8")
    words = segment._words(jieba.Tokenizer(dictionary=str(other)))
    assert words.get("太慢") == 10 and len(cached(tmp_path)) == 2


@pytest.mark.parametrize("spoiled", [b"", b"\x00garbage", segment.marshal.dumps(["a", "b"]),
                                     segment.marshal.dumps((b"not a trie", b"", 1)),
                                     segment.marshal.dumps((b"", b"", 0))])
def test_a_spoiled_cache_is_rebuilt(small: jieba.Tokenizer, tmp_path: Path,
                                    spoiled: bytes) -> None:
    expected = segment._words(small).dumps()
    [path] = cached(tmp_path)
    path.write_bytes(spoiled)
    assert segment._words(small).dumps() == expected
    assert path.read_bytes() == expected


def test_a_cache_that_cannot_be_written_is_a_slower_start_said_in_the_log(
        small: jieba.Tokenizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with caplog.at_level(logging.INFO, logger="redmine_sync.rules.segment"):
        words = segment._words(small)
    assert words.get("页面") == 50
    assert "cannot be cached" in caplog.text and str(blocked) in caplog.text
    assert not list(tmp_path.glob("**/.jieba-*.tmp"))


def test_systemd_cache_directory_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CACHE_DIRECTORY", "/var/cache/redmine-sync")
    monkeypatch.setenv("XDG_CACHE_HOME", "/elsewhere")
    assert segment.cache_dir() == Path("/var/cache/redmine-sync")
    monkeypatch.delenv("CACHE_DIRECTORY")
    assert segment.cache_dir() == Path("/elsewhere/redmine-sync")
