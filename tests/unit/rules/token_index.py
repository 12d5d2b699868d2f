"""Duplicate indexes of token texts with weights given by text, for tests.

The engine's index is built from token ids and weighs them itself (rules/lexicon.py);
these build one from plain token sets, and ``idf_weights`` is the same weighing written
out over texts, a reference the index's own is checked against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from redmine_sync.rules.duplicates import DuplicateIndex
from redmine_sync.rules.lexicon import SCRIPTS
from redmine_sync.rules.lexicon import WORD_FACTOR
from redmine_sync.rules.lexicon import Lexicon
from redmine_sync.rules.lexicon import idf
from redmine_sync.rules.text import Vocabulary
from redmine_sync.rules.text import script


def idf_weights(corpus: Iterable[frozenset[str]], *,
                word_factor: float = WORD_FACTOR) -> dict[str, float]:
    """ln(1 + N / df) of every token of the corpus (one token set per issue); a word that
    is no concept and has no digit weighs word_factor times that."""
    df: Counter[str] = Counter()
    n = 0
    for toks in corpus:
        df.update(toks)
        n += 1
    return {t: idf(n, d, SCRIPTS.index(script(t)), word_factor) for t, d in df.items()}


def given(lexicon: Lexicon, weights: Mapping[str, float]) -> None:
    """Weights given by text (tokens not given weigh the heaviest's)."""
    lexicon.default = max(weights.values(), default=1.0)
    for place, name in enumerate(lexicon.names):
        lexicon.weights[place] = weights.get(name, lexicon.default)
    for name, weight in weights.items():
        lexicon.weights[lexicon.id(name)] = weight


def index_of_tokens(docs: Iterable[tuple[int, str, Iterable[str], Iterable[str]]],
                    weights: Mapping[str, float], vocabulary: Vocabulary,
                    **options: Any) -> DuplicateIndex:
    """An index of (issue, group, tokens, subject tokens) with the weights given."""
    lexicon = Lexicon()
    given(lexicon, weights)
    ids = [(issue_id, group, lexicon.ids(frozenset(toks)), lexicon.ids(frozenset(subject)))
           for issue_id, group, toks, subject in docs]
    return DuplicateIndex(ids, lexicon, vocabulary, **options)
