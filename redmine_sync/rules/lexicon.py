"""The tokens of one run as small ints, with each token's text, script and weight.

The duplicate index compares token sets many times per run; as sets of small ints they
hash and compare faster than sets of strings, and a token's weight and script are an
array lookup instead of a dict's. Each token's text is kept once, in ``names``; an index
and the token sets it is built from share one lexicon. A token's id depends on the order
tokens were first seen, which may differ from one process to the next: nothing decided
depends on an id's value (weights are summed exactly, ties go by issue id or by text).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable

from redmine_sync.rules.text import script

SCRIPTS = ("any", "zh", "en")
"""A token's script by its number in Lexicon.scripts (see text.script)."""
WORD_FACTOR = 0.5
"""Weight of a word outside the glossary relative to a concept of the same rarity: known
product terms are better evidence than the other words of a request."""


def idf(documents: int, holding: int, token_script: int, word_factor: float) -> float:
    """ln(1 + N / df), times word_factor for a word that is no concept and has no digit."""
    return math.log(1 + documents / holding) * (1.0 if token_script == 0 else word_factor)


class Lexicon:
    """Token ids in the order first seen, and by id each token's text, script and weight.

    A token has the weight ``default`` until the lexicon is weighed: tokens no issue of
    the run has (a query's new words) keep it, the weight of the rarest token.

    The map from text to id is needed while token sets are made; ``compact`` drops it
    once they are (at 100,000 issues it holds about as many tokens, 6 MB), and it is
    made again if a new text is asked for."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.scripts = bytearray()
        self.weights = array("d")
        self.default = 1.0
        self._map: dict[str, int] | None = {}

    def __len__(self) -> int:
        return len(self.names)

    @property
    def _ids(self) -> dict[str, int]:
        if self._map is None:
            self._map = {name: place for place, name in enumerate(self.names)}
        return self._map

    def compact(self) -> None:
        """Drop the map from text to id (see the class)."""
        self._map = None

    def id(self, token: str) -> int:
        """The id of a token (a new token is added)."""
        found = self._ids.get(token)
        return self._add(token) if found is None else found

    def ids(self, toks: set[str] | frozenset[str]) -> tuple[int, ...]:
        """The ids of a set of tokens, ascending (new tokens are added)."""
        known = self._ids
        for token in toks.difference(known):
            self._add(token)
        return tuple(sorted(map(known.__getitem__, toks)))

    def known(self, token: str) -> int | None:
        """The id of a token the lexicon has, else None."""
        return self._ids.get(token)

    def _add(self, token: str) -> int:
        found = self._ids[token] = len(self.names)
        self.names.append(token)
        self.scripts.append(SCRIPTS.index(script(token)))
        self.weights.append(self.default)
        return found

    def weigh(self, holding: Counter[int], documents: int, word_factor: float) -> None:
        """Each token's idf weight, from how many of the documents hold it; a token none
        holds weighs the heaviest's (``default``)."""
        weights, scripts = self.weights, self.scripts
        for token, count in holding.items():
            weights[token] = idf(documents, count, scripts[token], word_factor)
        self._defaults(weights[token] for token in holding)
        for token in range(len(weights)):
            if token not in holding:
                weights[token] = self.default

    def _defaults(self, weights: Iterable[float]) -> None:
        self.default = max(weights, default=1.0)
