"""Words of a text: Chinese word segmentation (jieba) and English stemming (Snowball).

Both libraries ship their data inside the package, so nothing is downloaded. jieba's
dictionary (about 350,000 words) is read once per process, the first time a vocabulary is
built (when rules are loaded), never while the engine decides: the engine calls only the
functions returned here, which do no I/O. jieba's progress messages are silenced.

Building jieba's prefix dictionary from its text file takes one to two seconds, which every
CLI run would pay; the built dictionary is therefore kept in the user's cache directory
(``$CACHE_DIRECTORY`` under systemd, else ``$XDG_CACHE_HOME/redmine-sync`` or
``~/.cache/redmine-sync``), keyed by jieba's version and the dictionary file, and loaded from
there in a fraction of that time. A cache that cannot be read is rebuilt; one that cannot be
written is only a slower start (said once, in the log).
"""

from __future__ import annotations

import hashlib
import io
import logging
import marshal
import os
import tempfile
from collections.abc import Callable
from functools import cache
from functools import lru_cache
from pathlib import Path

import jieba
import snowballstemmer

logging.getLogger("jieba").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

Prefixes = tuple[dict[str, int], int]   # jieba's FREQ (word or prefix -> count) and total


@cache
def chinese_words() -> Callable[[str], tuple[str, ...]]:
    """A function splitting a run of Chinese characters into words (deterministic)."""
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total = _prefixes(tokenizer)
    # Loaded by hand, so jieba neither writes its own cache file in /tmp nor logs; from
    # here on cutting is pure computation.
    tokenizer.initialized = True

    @lru_cache(maxsize=65536)  # requests repeat phrases; a bounded, pure cache
    def cut(run: str) -> tuple[str, ...]:
        return tuple(tokenizer.lcut(run, HMM=True))

    return cut


def _prefixes(tokenizer: jieba.Tokenizer) -> Prefixes:
    """jieba's prefix dictionary: from the cache when it holds this dictionary's, else built
    from the dictionary jieba ships (and cached for the next process)."""
    with tokenizer.get_dict_file() as dictionary:
        raw = dictionary.read()
    key = hashlib.sha256(jieba.__version__.encode() + b"\0" + raw).hexdigest()[:16]
    path = cache_dir() / f"jieba-{key}.marshal"
    try:
        freq, total = marshal.loads(path.read_bytes())
        if isinstance(freq, dict) and isinstance(total, int) and freq:
            return freq, total
    except (OSError, EOFError, ValueError, TypeError):
        pass   # absent or unreadable: build it
    built: Prefixes = tokenizer.gen_pfdict(io.BytesIO(raw))
    _store(path, marshal.dumps(built))
    return built


def cache_dir() -> Path:
    """Where the tool keeps data it can rebuild (systemd's CacheDirectory= first)."""
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "redmine-sync"


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a cache that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jieba-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.info("the word segmenter's dictionary cannot be cached in %s (%s): each run "
                 "builds it again, which takes a second or two", path.parent, exc)


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case English word: exports -> export."""
    return str(_STEMMER.stemWord(word))
