"""Words of a text: Chinese word segmentation (jieba) and English stemming (Snowball).

Both libraries ship their data inside the package, so nothing is downloaded. jieba's
dictionary (about 350,000 words) is read once per process, the first time a vocabulary is
built (when rules are loaded), never while the engine decides: the engine calls only the
functions returned here, which do no I/O. jieba's progress messages are silenced.

jieba keeps its dictionary as a Python dict of every word and every prefix of a word
(about 500,000 strings, 53 MB in each process). Here the words are held instead in a
MARISA trie (marisa-trie: about 1 MB, and finding every word that starts a text is one
call) with their counts in an array beside it; the cuts are the same as jieba's own, because
the word graph and the route through it are computed as jieba computes them.

Building the trie from jieba's text file takes a few seconds, which every CLI run would
pay; the built trie is therefore kept in the user's cache directory (``$CACHE_DIRECTORY``
under systemd, else ``$XDG_CACHE_HOME/redmine-sync`` or ``~/.cache/redmine-sync``), keyed by
jieba's version and the dictionary file, and loaded from there in a few milliseconds. A
cache that cannot be read is rebuilt; one that cannot be written is only a slower start
(said once, in the log).
"""

from __future__ import annotations

import hashlib
import io
import logging
import marshal
import math
from array import array
from collections.abc import Callable
from functools import cache
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
import marisa_trie
import snowballstemmer

from redmine_sync import cachefiles
from redmine_sync.cachefiles import cache_dir

logging.getLogger("jieba").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

COUNTS = "I"   # jieba's largest word count (883,634) and its total (60,101,967) fit in 32 bits


class Words:
    """jieba's words with their counts: a trie, and the counts by the trie's key ids.

    It answers what jieba's tokenizer asks of its ``FREQ`` dict while cutting: ``get`` gives
    a word's count, or the default for a text that is no word (jieba's prefixes had 0 there,
    which it tests only as false)."""

    def __init__(self, trie: marisa_trie.Trie, counts: array[int], total: int) -> None:
        if len(counts) != len(trie) or not len(trie) or total <= 0:
            raise ValueError("the word counts do not match the trie")
        self.trie, self.counts, self.total = trie, counts, total
        self._id = trie.get

    @classmethod
    def built(cls, freq: dict[str, int], total: int) -> Words:
        """From jieba's prefix dict (words with a count, prefixes with 0)."""
        trie = marisa_trie.Trie(word for word, count in freq.items() if count)
        counts = array(COUNTS, bytes(len(trie) * array(COUNTS).itemsize))
        for word, key in trie.iteritems():
            counts[key] = freq[word]
        return cls(trie, counts, total)

    @classmethod
    def loaded(cls, data: bytes) -> Words:
        trie_bytes, count_bytes, total = marshal.loads(data)
        counts = array(COUNTS)
        counts.frombytes(count_bytes)
        return cls(marisa_trie.Trie().frombytes(trie_bytes), counts, total)

    def dumps(self) -> bytes:
        return marshal.dumps((self.trie.tobytes(), self.counts.tobytes(), self.total))

    def get(self, word: str, default: Any = None) -> Any:
        key = self._id(word)
        return default if key is None else self.counts[key]


class _Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer over ``Words``: the word graph from the trie's prefix search."""

    def __init__(self, words: Words) -> None:
        super().__init__()
        self.FREQ, self.total, self.initialized = words, words.total, True
        self._prefixes = words.trie.prefixes
        self._key, self._counts = words.trie.get, words.counts

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        """For each position, where the dictionary's words starting there end (jieba's
        walk over its prefixes finds exactly these; a lone character stands for itself)."""
        prefixes, dag = self._prefixes, {}
        for k in range(len(sentence)):
            ends = [k + len(word) - 1 for word in prefixes(sentence[k:])]
            dag[k] = ends or [k]
        return dag

    def calc(self, sentence: str, dag: dict[int, list[int]],
             route: dict[int, tuple[float, int]]) -> None:
        """jieba's best route through the graph, with jieba's arithmetic (the same ties)."""
        key, counts = self._key, self._counts
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = math.log(self.total)
        for idx in range(n - 1, -1, -1):
            best = (-math.inf, -1)   # below any route (routes are finite)
            for x in dag[idx]:
                found = key(sentence[idx:x + 1])
                candidate = (math.log((counts[found] if found is not None else 0) or 1) - logtotal
                             + route[x + 1][0], x)
                best = max(best, candidate)
            route[idx] = best


@cache
def chinese_words() -> Callable[[str], tuple[str, ...]]:
    """A function splitting a run of Chinese characters into words (deterministic)."""
    # Loaded by hand, so jieba neither writes its own cache file in /tmp nor logs; from
    # here on cutting is pure computation.
    tokenizer = _Tokenizer(_words(jieba.Tokenizer()))

    @lru_cache(maxsize=65536)  # requests repeat phrases; a bounded, pure cache
    def cut(run: str) -> tuple[str, ...]:
        return tuple(tokenizer.lcut(run, HMM=True))

    return cut


def _words(tokenizer: jieba.Tokenizer) -> Words:
    """jieba's words: from the cache when it holds this dictionary's, else built from the
    dictionary jieba ships (and cached for the next process)."""
    with tokenizer.get_dict_file() as dictionary:
        raw = dictionary.read()
    key = hashlib.sha256(jieba.__version__.encode() + b"\0" + raw).hexdigest()[:16]
    path = cache_dir() / f"jieba-{key}.trie"
    try:
        return Words.loaded(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError, RuntimeError):
        pass   # absent or unreadable (marisa names a damaged trie a RuntimeError): build it
    built = Words.built(*tokenizer.gen_pfdict(io.BytesIO(raw)))
    _store(path, built.dumps())
    return built


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a cache that cannot be written is no error."""
    try:
        cachefiles.write(path, data)
    except OSError as exc:
        log.info("the word segmenter's dictionary cannot be cached in %s (%s): each run "
                 "builds it again, which takes a second or two", path.parent, exc)


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case English word: exports -> export."""
    return str(_STEMMER.stemWord(word))
