"""The tokens of one run as ids: texts, scripts and weights by id."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from redmine_sync.rules.lexicon import SCRIPTS
from redmine_sync.rules.lexicon import Lexicon
from tests.unit.rules.token_index import given
from tests.unit.rules.token_index import idf_weights


def test_ids_are_ascending_and_each_text_has_one() -> None:
    lexicon = Lexicon()
    first = lexicon.ids({"b", "concept:a", "14"})
    again = lexicon.ids(frozenset({"14", "导出", "b"}))
    assert first == tuple(sorted(first)) and again == tuple(sorted(again))
    assert len(lexicon) == 4
    assert {lexicon.names[t] for t in again} == {"14", "导出", "b"}
    assert lexicon.id("b") == lexicon.known("b") and lexicon.known("nope") is None
    assert [SCRIPTS[lexicon.scripts[lexicon.id(t)]] for t in ("concept:a", "14", "导出", "b")] \
        == ["any", "any", "zh", "en"]


def test_weights_are_the_idf_of_the_texts_and_the_rest_weigh_the_heaviest() -> None:
    docs = [frozenset({"concept:a", "b"}), frozenset({"concept:a"}),
            frozenset({"concept:a", "c", "14"})]
    lexicon = Lexicon()
    ids = [lexicon.ids(d) for d in docs]
    unseen = lexicon.id("concept:z")   # a token no document holds
    holding: Counter[int] = Counter()
    for toks in ids:
        holding.update(toks)
    lexicon.weigh(holding, len(docs), 0.5)
    expected = idf_weights(docs)
    assert {lexicon.names[t]: lexicon.weights[t] for t in holding} == expected
    assert lexicon.default == max(expected.values()) == pytest.approx(math.log(4))
    assert lexicon.weights[unseen] == lexicon.default
    assert lexicon.weights[lexicon.id("later")] == lexicon.default


def test_given_weights_and_a_compacted_map_made_again() -> None:
    lexicon = Lexicon()
    given(lexicon, {"x": 2.0, "y": 0.5})
    lexicon.compact()
    assert lexicon.known("y") is not None
    assert lexicon.weights[lexicon.id("y")] == 0.5
    assert lexicon.weights[lexicon.id("new")] == 2.0
    assert len(lexicon) == 3
