"""Words of a text: Chinese word segmentation (jieba) and English stemming (Snowball).

Both libraries ship their data inside the package, so nothing is downloaded. jieba's
dictionary (about 350,000 words) is read once per process, the first time a vocabulary is
built (when rules are loaded), never while the engine decides: the engine calls only the
functions returned here, which do no I/O. jieba's progress messages are silenced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from functools import lru_cache

import jieba
import snowballstemmer

logging.getLogger("jieba").setLevel(logging.WARNING)


@cache
def chinese_words() -> Callable[[str], tuple[str, ...]]:
    """A function splitting a run of Chinese characters into words (deterministic)."""
    tokenizer = jieba.Tokenizer()
    with tokenizer.get_dict_file() as dictionary:  # the dictionary jieba ships
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(dictionary)
    # Loaded by hand, so jieba neither writes its cache file nor logs; from here on
    # cutting is pure computation.
    tokenizer.initialized = True

    @lru_cache(maxsize=65536)  # requests repeat phrases; a bounded, pure cache
    def cut(run: str) -> tuple[str, ...]:
        return tuple(tokenizer.lcut(run, HMM=True))

    return cut


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case English word: exports -> export."""
    return str(_STEMMER.stemWord(word))
