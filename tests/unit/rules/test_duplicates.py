"""Duplicate search: IDF-weighted matching over words and glossary concepts."""

from __future__ import annotations

import itertools
import math
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate_issue
from redmine_sync.rules import load_rules
from redmine_sync.rules.duplicates import DuplicateIndex
from redmine_sync.rules.text import Vocabulary
from redmine_sync.rules.text import tokens
from tests.unit.rules.token_index import idf_weights
from tests.unit.rules.token_index import index_of_tokens

ROOT = Path(__file__).resolve().parents[3]
RULES = load_rules([ROOT / "rules"])
VOCAB = RULES.vocabulary
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MIN_SCORE = RULES.duplicates.min_score


def _corpus() -> dict[int, dict[str, Any]]:
    data = yaml.safe_load((ROOT / "bench" / "screening" / "tune.yaml").read_text("utf-8"))
    return {r["id"]: r for r in data["requests"]}


CORPUS = _corpus()


def _issue(r: dict[str, Any]) -> Issue:
    return Issue(id=r["id"], project=Ref(1, r["area"]), tracker="Feature", status="New",
                 priority="Normal", subject=r["subject"], description=r["description"],
                 author=Ref(2, "customer"), created_on=NOW, updated_on=NOW,
                 custom_fields={"Customer": r["customer"]})


ISSUES = [_issue(r) for r in CORPUS.values()]
WORLD = build_world(RULES, ISSUES, NOW)


def _screen(issue_id: int) -> tuple[set[str], tuple[tuple[int, float], ...]]:
    state, _ = evaluate_issue(RULES, _issue(CORPUS[issue_id]), WORLD)
    return state.labels(), state.analysis.duplicate_candidates


def _pair_score(a: int, b: int) -> float:
    index = WORLD.duplicates.index  # type: ignore[union-attr]
    return index.score(index.tokens_of(b), index.tokens_of(a)).score


# ---------------------------------------------------------------- the issue's cases


@pytest.mark.parametrize(("older", "newer"), [
    (1, 2),    # 扫码点餐页面加载太慢 / 小程序点单界面打开很卡: 点餐/点单, 加载/打开, 慢/卡
    (15, 16),  # 支持人脸识别登录 / Support face recognition login: across languages
])
def test_the_quoted_pairs_are_found(older: int, newer: int) -> None:
    labels, candidates = _screen(newer)
    assert candidates and candidates[0][0] == older, candidates
    assert labels & {"duplicate", "duplicate-candidate"}


@pytest.mark.parametrize(("a", "b"), [
    (31, 33),  # export the shipment list to Excel / import shipments from an Excel file
    (15, 17),  # face recognition login / SMS code login
    (20, 22),  # edit a standing order (banking) / edit an order sent to the kitchen
])
def test_look_alikes_stay_apart(a: int, b: int) -> None:
    assert CORPUS[b].get("near") == a and CORPUS[b]["label"] == "clear"
    assert _pair_score(a, b) < MIN_SCORE
    _, candidates = _screen(b)
    assert a not in [i for i, _ in candidates]


def test_candidates_explain_themselves() -> None:
    state, _ = evaluate_issue(RULES, _issue(CORPUS[16]), WORLD)
    [(issue_id, matched)] = state.analysis.duplicate_terms[:1]
    assert issue_id == 15
    terms = dict(matched)
    assert {"face-recognition", "login", "password"} <= set(terms)
    assert list(terms.values()) == sorted(terms.values(), reverse=True)  # heaviest first
    import html

    note = html.unescape("\n".join(n.text for n in state.notes)).replace("\u2060", "")
    assert "face-recognition 4.21" in note  # as read: the terms are escaped for the markup and "Terms in common (weight): #15:" in note


# ---------------------------------------------------------------- the score


VOCAB_SMALL = Vocabulary({"export": ("导出", "export"), "import": ("导入", "import"),
                          "excel": ("excel",), "order": ("订单", "order")},
                         opposites=(("export", "import"),))


def _index(texts: dict[int, str], vocab: Vocabulary = VOCAB_SMALL, **kw: Any) -> DuplicateIndex:
    toks = {i: tokens(t, vocab) for i, t in texts.items()}
    return index_of_tokens([(i, "", t, frozenset()) for i, t in toks.items()],
                          idf_weights(toks.values()), vocab, subject_share=0.0, **kw)


def test_idf_weights_rare_terms_more_and_concepts_more_than_words() -> None:
    weights = idf_weights([frozenset({"concept:a", "b"}), frozenset({"concept:a"}),
                           frozenset({"concept:a", "c", "14"})])
    assert weights["concept:a"] == pytest.approx(math.log(2))
    assert weights["14"] == pytest.approx(math.log(4))
    assert weights["b"] == pytest.approx(0.5 * math.log(4))


def test_weighted_dice_across_languages_counts_what_can_match() -> None:
    index = _index({1: "导出订单到 Excel 表格", 2: "export the orders to excel", 3: "其他"})
    a, b = index.tokens_of(1), index.tokens_of(2)
    assert a is not None and b is not None
    # 表格 and 到 cannot match English words: only the concepts are compared
    assert index.score(a, b).score == pytest.approx(1.0)


def test_opposites_halve_and_single_terms_are_no_duplicates() -> None:
    texts = {1: "export orders to excel", 2: "import orders from excel", 3: "excel macros"}
    index, plain = _index(texts), _index(texts, opposite_factor=1.0)
    one, two, three = (index.tokens_of(i) for i in texts)
    assert one is not None and two is not None and three is not None
    assert plain.score(one, two).score > 0
    assert index.score(one, two).score == pytest.approx(0.5 * plain.score(one, two).score)
    assert index.score(one, three).score == 0.0  # only "excel" in common


def test_self_is_never_a_candidate_and_ties_go_to_the_older() -> None:
    index = _index({5: "export orders to excel", 3: "export orders to excel",
                    4: "export orders to excel"})
    found = index.candidates(4, "", index.tokens_of(4)[0], min_score=0.5,  # type: ignore[index]
                             same_group=False)
    assert [c.issue_id for c in found] == [3, 5]
    assert all(c.score == pytest.approx(1.0) for c in found)


def test_same_group_keeps_one_customer() -> None:
    toks = tokens("export orders to excel", VOCAB_SMALL)
    index = index_of_tokens([(1, "a", toks, frozenset()), (2, "b", toks, frozenset())],
                           idf_weights([toks, toks]), VOCAB_SMALL)
    assert [c.issue_id for c in index.candidates(3, "a", toks, min_score=0.1,
                                                 same_group=True)] == [1]


def test_an_issue_is_indexed_once() -> None:
    toks = frozenset({"x"})
    with pytest.raises(ValueError, match="indexed twice"):
        index_of_tokens([(1, "", toks, toks), (1, "", toks, toks)], {"x": 1.0}, VOCAB_SMALL)


WORDS = ["导出", "导入", "订单", "excel", "order", "export", "import", "report", "slow", "慢",
         "报表", "14", "android", "安卓", "崩溃", "crash", "menu", "菜单"]


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6), min_size=2,
                     max_size=14),
       subjects=st.lists(st.integers(0, 3), min_size=14, max_size=14),
       min_score=st.sampled_from([0.2, 0.35, 0.5, 0.7]))
def test_index_finds_exactly_what_scoring_every_issue_finds(
        docs: list[list[str]], subjects: list[int], min_score: float) -> None:
    texts = {i: " ".join(words) for i, words in enumerate(docs, 1)}
    toks = {i: tokens(t, VOCAB) for i, t in texts.items()}
    subj = {i: tokens(" ".join(docs[i - 1][:subjects[i - 1]]), VOCAB) for i in texts}
    index = index_of_tokens([(i, "", toks[i], subj[i]) for i in texts],
                           idf_weights(toks.values()), VOCAB)
    for i in texts:
        found = index.candidates(i, "", toks[i], min_score=min_score, same_group=False,
                                 limit=20, subject=subj[i])
        brute = sorted(((index.score((toks[i], subj[i]), (toks[j], subj[j])).score, j)
                        for j in texts if j != i), key=lambda s: (-s[0], s[1]))
        expected = [(j, round(s, 9)) for s, j in brute if s >= min_score - 1e-9 and s > 0]
        assert [(c.issue_id, round(c.score, 9)) for c in found] == expected


def test_scores_are_deterministic() -> None:
    again = build_world(load_rules([ROOT / "rules"]), list(reversed(ISSUES)), NOW)
    for a, b in itertools.islice(itertools.combinations(sorted(CORPUS), 2), 0, 400, 7):
        index = again.duplicates.index  # type: ignore[union-attr]
        assert index.score(index.tokens_of(b), index.tokens_of(a)).score == _pair_score(a, b)


def test_scores_are_the_same_in_every_process() -> None:
    """Sets are walked in a different order in each process (string hashing is salted);
    the scores must not depend on it, down to the last bit."""
    import os
    import subprocess
    import sys

    script = ("from pathlib import Path; from tests.unit.rules.test_duplicates import "
              "_pair_score; print([repr(_pair_score(a, b)) for a, b in "
              "[(1, 2), (15, 16), (26, 27), (31, 33), (23, 25), (7, 9)]])")
    runs = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,
                           capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert len(runs) == 1, runs


def test_own_tokens_are_kept_with_their_place_in_the_subject() -> None:
    """Tokens only one indexed issue has (an order number) are kept apart from its class,
    and whether they are in its subject with them."""
    subjects = {1: "export orders 1001", 2: "export orders 1002", 3: "export orders"}
    texts = {i: s + " to excel, 77" + str(i) for i, s in subjects.items()}
    toks = {i: tokens(t, VOCAB_SMALL) for i, t in texts.items()}
    subj = {i: tokens(s, VOCAB_SMALL) for i, s in subjects.items()}
    index = index_of_tokens([(i, "", toks[i], subj[i]) for i in texts],
                                     idf_weights(toks.values()), VOCAB_SMALL)
    for i in texts:
        assert index.tokens_of(i) == (toks[i], subj[i])
    assert index.class_of(1) == index.class_of(2) != index.class_of(3)
    assert index.tokens_of(4) is None and len(index) == 3
    # a new request naming issue 1's order number finds it first
    query = tokens("export orders 1001 to excel", VOCAB_SMALL)
    found = index.candidates(9, "", query, min_score=0.1, same_group=False)
    assert found[0].issue_id == 1 and "1001" in found[0].shared


def test_the_run_index_weighs_as_idf_weights_does() -> None:
    """The engine's index (token ids, weights from every issue of the run) scores as an
    index of the same texts with idf_weights."""
    index = WORLD.duplicates.index  # type: ignore[union-attr]
    toks = {i.id: tokens(i.subject, VOCAB) | tokens(i.description, VOCAB) for i in ISSUES}
    subj = {i.id: tokens(i.subject, VOCAB) for i in ISSUES}
    plain = index_of_tokens([(i, "", toks[i], subj[i]) for i in toks],
                                     idf_weights(toks.values()), VOCAB)
    for a, b in itertools.islice(itertools.combinations(sorted(toks), 2), 0, 300, 11):
        assert index.score((toks[a], subj[a]), (toks[b], subj[b])) == \
            plain.score((toks[a], subj[a]), (toks[b], subj[b]))
