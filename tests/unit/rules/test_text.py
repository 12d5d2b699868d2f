"""Text features for initial screening: tokens, similarity, duplicate search, vagueness.

The vocabulary and rubric below are tuned on scripts/demo-data.yaml; the shipped rule
pack can use them as they are.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.rules.text import Candidate
from redmine_sync.rules.text import DuplicateIndex
from redmine_sync.rules.text import Rubric
from redmine_sync.rules.text import Vagueness
from redmine_sync.rules.text import Vocabulary
from redmine_sync.rules.text import normalize
from redmine_sync.rules.text import similarity
from redmine_sync.rules.text import tokens
from redmine_sync.rules.text import vagueness

DEMO = Path(__file__).resolve().parents[3] / "scripts" / "demo-data.yaml"

CONCEPTS = {
    "home-page": ("首页", "主页", "home page", "homepage", "home screen", "landing page",
                  "start page"),
    "prettier": ("美观", "好看", "颜值", "漂亮", "朴素", "现代", "prettier", "nicer", "look nice",
                 "looks dated", "looks plain", "modern", "beautiful", "attractive"),
    "app": ("app", "移动端", "手机端", "mobile app"),
    "login": ("登录", "登陆", "login", "log in", "sign in", "sign-in"),
    "button": ("按钮", "button"),
    "slow": ("慢", "卡顿", "性能", "slow", "sluggish", "lag", "performance"),
    "report": ("报表", "报告", "report"),
    "export": ("导出", "export"),
    "import": ("导入", "import", "bulk upload"),
    "excel": ("excel", "xlsx", "spreadsheet", "电子表格"),
    "pdf": ("pdf",),
    "invoice": ("发票", "invoice"),
    "payment": ("支付", "付款", "扣款", "转账", "payment", "checkout", "bank transfer"),
    "order": ("订单", "orders", "order list", "order status"),
    "password": ("密码", "password"),
    "notification": ("短信", "提醒", "通知", "sms", "reminder", "notification"),
    "training": ("培训", "training", "onboarding"),
    "pricing": ("优惠", "折扣", "套餐", "价格", "报价", "discount", "pricing", "price"),
    "encryption": ("加密", "encrypt", "encryption", "encrypted"),
    "integration": ("接口", "对接", "api", "integration", "edi", "connector"),
    "dark-mode": ("深色模式", "暗黑模式", "夜间模式", "dark mode", "night mode"),
    "two-factor": ("双因素", "两步验证", "二次验证", "two-factor", "2fa", "mfa"),
    "mini-program": ("小程序", "mini program", "mini-program"),
}
STOPWORDS = ("scenario", "pain", "expected", "effect", "make", "need", "want", "like",
             "场景", "痛点", "期望效果", "希望", "需要", "建议")
VOCAB = Vocabulary(CONCEPTS, STOPWORDS)
RUBRIC = Rubric(
    min_length=30,
    vague_phrases=("optimise the system", "optimize the system", "make it better",
                   "make…better", "please improve", "improve it", "优化一下", "改一改", "改改",
                   "改进一下", "完善一下", "提升一下", "不好用"),
    scenario_markers=("scenario", "when", "whenever", "every", "each time", "after", "during",
                      "since", "while", "场景", "每次", "每当", "每天", "每周", "每月", "在…时",
                      "当…时", "时候", "之后", "期间"),
    effect_markers=("expected", "expect", "so that", "in order to", "would like", "goal",
                    "should be able", "希望", "期望", "以便", "目标", "预期", "使得"),
    threshold=2,
)
CANDIDATE = 0.5  # duplicate-candidate threshold used with this vocabulary

SCENARIO = "the scenario (when and where it happens)"
EFFECT = "the expected effect"
SHORT = "a description of at least 30 characters"
COMMA = "\uff0c"  # the full-width comma of Chinese text


def _demo() -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))["issues"]
    return issues


# the request sent twice (case duplicate-resent) is the rule pack's scenario, not tuned here
ISSUES = [i for i in _demo() if i.get("case") != "duplicate-resent"]
ID = {issue["key"]: n for n, issue in enumerate(ISSUES, 1)}  # file order: older first
KEY = {n: key for key, n in ID.items()}
TOKENS = {ID[i["key"]]: tokens(f"{i['subject']}\n{i['description']}", VOCAB) for i in ISSUES}
INDEX = DuplicateIndex((ID[i["key"]], i["customer"], TOKENS[ID[i["key"]]]) for i in ISSUES)
HOME = ("hx-home-prettier-1", "hx-home-prettier-2", "nw-home-prettier", "fr-home-prettier")


def _found(key: str, *, same_group: bool = False) -> list[tuple[str, float]]:
    issue = ISSUES[ID[key] - 1]
    found = INDEX.candidates(ID[key], issue["customer"], TOKENS[ID[key]],
                             min_score=CANDIDATE, same_group=same_group)
    return [(KEY[c.issue_id], round(c.score, 3)) for c in found]


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize(("text", "expected"), [
    ("首页更美观", {"首页", "页更", "更美", "美观", "concept:home-page", "concept:prettier"}),
    ("Make the home pages prettier!",
     {"home", "page", "prettier", "concept:home-page", "concept:prettier"}),
    ("我们的首页", {"首页", "concept:home-page"}),  # function words split the run
    ("\uff21\uff30\uff30首页", {"app", "首页", "concept:app", "concept:home-page"}),  # full width
    ("Appointment reminders", {"appointment", "reminder", "concept:notification"}),
    ("2FA for 50 stops, 3 boxes and 2 entries",
     {"2fa", "50", "stop", "3", "box", "2", "entry", "concept:two-factor"}),
    ("慢", {"慢", "concept:slow"}),
    ("系统\n  太慢", {"系统", "统太", "太慢", "concept:slow"}),  # a wrapped line
    ("The page looks\n  dated", {"page", "look", "dated", "concept:prettier"}),
    ("", set()),
    ("the and 的 了", set()),
])
def test_tokens(text: str, expected: set[str]) -> None:
    assert tokens(text, VOCAB) == frozenset(expected)


def test_normalize() -> None:
    assert normalize(f"\uff21pp\u3000首页{COMMA}\n  更美观\n\n…") == "app 首页, 更美观 ..."
    assert normalize("配色\n  和图标") == "配色和图标"


@pytest.mark.parametrize("forms", [("",), ("…",), "首页"])
def test_bad_surface_forms_are_refused(forms: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        Vocabulary({"home-page": forms})


# ---------------------------------------------------------------- similarity


@pytest.mark.parametrize(("a", "b", "expected"), [
    # Chinese only: one shared concept (weight 0.3), word Dice 2*3/10
    ("订单列表筛选", "订单列表排序", 0.3 * 1 + 0.7 * 0.6),
    ("门店筛选", "门店排序", 2 * 1 / 6),
    # English only, no concepts: word Dice 2*3/8
    ("Shipment list per carrier", "Shipment lists per depot", 0.75),
    # across languages, through two shared concepts and nothing else
    ("首页更美观", "Make the home page prettier", 0.6),
    ("App 首页更美观", "make the app home page prettier", 0.6 + 0.4 * 2 / 9),
    # one shared concept is weak evidence
    ("系统太慢", "The stock levels lag", 0.3),
    # unrelated
    ("发票抬头丢失", "Make the home page prettier", 0.0),
    ("login page", "export page", 0.4 * 0.5),  # concepts disagree, half the words agree
    # a concept on one side only: words alone
    ("shipment list weekly", "weekly shipment list home page", 0.75),
    ("", "home page", 0.0),
])
def test_similarity(a: str, b: str, expected: float) -> None:
    ta, tb = tokens(a, VOCAB), tokens(b, VOCAB)
    assert similarity(ta, tb) == pytest.approx(expected)
    assert similarity(tb, ta) == pytest.approx(expected)


def test_similarity_weights_are_parameters() -> None:
    zh, en = tokens("首页更美观", VOCAB), tokens("the home page looks nicer", VOCAB)
    assert similarity(zh, en, concept_share=0.8) == pytest.approx(0.8)
    assert similarity(zh, en, full_concepts=4) == pytest.approx(0.6 * 2 / 4)


# ---------------------------------------------------------------- duplicates (demo data)


@pytest.mark.parametrize(("key", "expected"), [
    ("hx-home-prettier-1", [("hx-home-prettier-2", 0.652), ("nw-home-prettier", 0.62),
                            ("fr-home-prettier", 0.62)]),
    ("hx-home-prettier-2", [("hx-home-prettier-1", 0.652), ("nw-home-prettier", 0.619),
                            ("fr-home-prettier", 0.619)]),
    ("nw-home-prettier", [("fr-home-prettier", 0.745), ("hx-home-prettier-1", 0.62),
                          ("hx-home-prettier-2", 0.619)]),
    ("fr-home-prettier", [("nw-home-prettier", 0.745), ("hx-home-prettier-1", 0.62),
                          ("hx-home-prettier-2", 0.619)]),
    ("ch-login-button", []),
])
def test_home_page_requests_find_each_other(key: str, expected: list[tuple[str, float]]) -> None:
    assert _found(key) == expected


def test_only_the_home_page_requests_are_duplicates() -> None:
    pairs = {frozenset((KEY[a], KEY[b])) for a, b in itertools.combinations(TOKENS, 2)
             if similarity(TOKENS[a], TOKENS[b]) >= CANDIDATE}
    assert pairs == {frozenset(p) for p in itertools.combinations(HOME, 2)}
    login = TOKENS[ID["ch-login-button"]]
    assert max(similarity(login, TOKENS[ID[k]]) for k in HOME) == pytest.approx(0.05)


def test_same_group_keeps_one_customer() -> None:
    assert _found("hx-home-prettier-1", same_group=True) == [("hx-home-prettier-2", 0.652)]
    assert _found("nw-home-prettier", same_group=True) == []
    assert INDEX.candidates(ID["nw-home-prettier"], "", TOKENS[ID["nw-home-prettier"]],
                            min_score=0.0, same_group=True) == ()


def test_shared_names_concepts_then_rarest_words() -> None:
    found = INDEX.candidates(ID["hx-home-prettier-1"], "华信银行", TOKENS[ID["hx-home-prettier-1"]],
                             min_score=CANDIDATE, same_group=False, limit=1)
    assert [(c.issue_id, round(c.score, 3), c.shared) for c in found] == [
        (ID["hx-home-prettier-2"], 0.652, ("app", "home-page", "prettier", "更美", "美观", "首页"))]
    found = INDEX.candidates(ID["nw-home-prettier"], "", TOKENS[ID["nw-home-prettier"]],
                             min_score=CANDIDATE, same_group=False, limit=1, shared_words=2)
    assert found[0].shared == ("app", "home-page", "prettier", "home", "look")


# ---------------------------------------------------------------- duplicates (index)


def _toks(*words: str) -> frozenset[str]:
    return frozenset(words)


def test_self_is_never_a_candidate() -> None:
    same = _toks("concept:home-page", "首页", "美观")
    index = DuplicateIndex([(1, "", same), (2, "", same)])
    assert index.candidates(1, "", same, min_score=0.0, same_group=False) == (
        Candidate(2, 1.0, ("home-page", "美观", "首页")),)
    assert [c.issue_id for c in index.candidates(3, "", same, min_score=0.0,
                                                 same_group=False)] == [1, 2]


def test_best_first_then_older_first() -> None:
    query = _toks("a", "b", "c", "d")
    index = DuplicateIndex([(9, "x", query), (4, "x", _toks("a", "b", "c")),
                            (3, "y", query), (5, "x", query), (7, "x", _toks("e"))])
    found = index.candidates(1, "x", query, min_score=0.5, same_group=False, limit=10)
    assert [(c.issue_id, round(c.score, 3)) for c in found] == [(3, 1.0), (5, 1.0), (9, 1.0),
                                                                 (4, 0.857)]
    assert [c.issue_id for c in index.candidates(1, "x", query, min_score=0.5,
                                                 same_group=False, limit=2)] == [3, 5]
    assert [c.issue_id for c in index.candidates(1, "x", query, min_score=0.9,
                                                 same_group=True)] == [5, 9]
    assert index.candidates(1, "x", query, min_score=0.5, same_group=False, limit=0) == ()


def test_an_issue_is_indexed_once() -> None:
    with pytest.raises(ValueError, match="issue 1"):
        DuplicateIndex([(1, "", _toks("a")), (1, "", _toks("b"))])


CONCEPT = st.sampled_from(["concept:a", "concept:b", "concept:c", "concept:d"])
WORD = st.integers(0, 899).map(lambda n: f"w{29 - math.isqrt(n)}")  # w0 the most common
TOKEN_SETS = st.builds(lambda c, w: frozenset(c | w), st.sets(CONCEPT, max_size=3),
                       st.sets(WORD, max_size=14))


@settings(max_examples=150, deadline=None)
@given(docs=st.lists(st.tuples(st.sampled_from(["", "g", "h"]), TOKEN_SETS), max_size=30),
       query=TOKEN_SETS, group=st.sampled_from(["", "g"]), same_group=st.booleans(),
       min_score=st.sampled_from([0.1, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0]),
       weights=st.sampled_from([(0.6, 2), (0.5, 1), (0.8, 3), (1.0, 2), (0.0, 2)]))
@example(docs=[("", frozenset({"concept:a"})), ("", frozenset({"concept:b", "w1", "w2"}))],
         query=frozenset({"concept:a", "w1", "w2"}), group="", same_group=False,
         min_score=0.4, weights=(0.6, 2))  # no concept in common, all words: 0.4
@example(docs=[("", frozenset()), ("", frozenset({"concept:a", "concept:b"}))],
         query=frozenset({"concept:a", "concept:b", "w1"}), group="", same_group=False,
         min_score=1.0, weights=(0.6, 2))  # a document without words: concepts alone
def test_index_finds_exactly_what_brute_force_finds(
        docs: list[tuple[str, frozenset[str]]], query: frozenset[str], group: str,
        same_group: bool, min_score: float, weights: tuple[float, int]) -> None:
    share, full = weights
    index = DuplicateIndex(((n, g, t) for n, (g, t) in enumerate(docs)),
                           concept_share=share, full_concepts=full)
    scores = [(similarity(query, t, concept_share=share, full_concepts=full), n)
              for n, (g, t) in enumerate(docs)
              if n != 0 and query & t and (not same_group or (group and g == group))]
    expected = sorted((-s, n) for s, n in scores if s >= min_score)
    found = index.candidates(0, group, query, min_score=min_score, same_group=same_group,
                             limit=100)
    assert [(c.issue_id, c.score) for c in found] == [(n, -s) for s, n in expected]


# ---------------------------------------------------------------- vagueness


@pytest.mark.parametrize(("subject", "description", "expected"), [
    ("Please optimise the system",
     "The system needs to be optimised. Please do it as soon as possible.",
     Vagueness(4, True, (SCENARIO, EFFECT, 'a concrete request instead of "optimise the system"'))),
    (f"系统太慢了{COMMA}优化一下", f"最近用起来很慢{COMMA}你们优化一下吧。",
     Vagueness(5, True, (SHORT, SCENARIO, EFFECT, 'a concrete request instead of "优化一下"'))),
    ("Make the reports better", "The reports could be a lot better. Please improve them.",
     Vagueness(4, True, (SCENARIO, EFFECT, 'a concrete request instead of "make…better"'))),
    ("Export the shipment list to Excel",
     ("Scenario: every Monday our planners copy the shipment list into Excel.\n"
      "Expected effect: one button that keeps the current filters."),
     Vagueness(0, False, ())),
    ("订单列表增加按门店筛选", f"每天店长要看自己门店的订单{COMMA}希望能按门店筛选。",
     Vagueness(1, False, (SHORT,))),
    ("月底结账很卡", f"在月底结账时页面经常卡住十几秒{COMMA}收银员只能等待{COMMA}目标是三秒内完成。",
     Vagueness(0, False, ())),  # "在…时" within one sentence
    ("门店", f"在门店。时间不够用{COMMA}希望快一点",
     Vagueness(2, True, (SHORT, SCENARIO))),  # "在" and "时" in different sentences
])
def test_vagueness(subject: str, description: str, expected: Vagueness) -> None:
    assert vagueness(subject, description, RUBRIC) == expected


def test_empty_rubric_lists_disable_their_checks() -> None:
    assert vagueness("x", "short", Rubric()) == Vagueness(1, False, (SHORT,))
    assert vagueness("x", "short", Rubric(threshold=1)).vague
    assert vagueness("x", "short", Rubric(min_length=5)) == Vagueness(0, False, ())


def test_rubric_lists_must_be_lists() -> None:
    with pytest.raises(TypeError):
        Rubric(vague_phrases="优化一下")  # type: ignore[arg-type]


@pytest.mark.parametrize(("threshold", "vague"), [
    (2, {"lj-vague-ui", "ch-vague-reports", "hf-vague-slow", "ts-vague-optimise",
         "nw-home-prettier", "fr-home-prettier"}),  # "could you make it prettier?" is terse
    (3, {"lj-vague-ui", "ch-vague-reports", "hf-vague-slow", "ts-vague-optimise"}),
])
def test_vague_demo_requests(threshold: int, vague: set[str]) -> None:
    rubric = Rubric(RUBRIC.min_length, RUBRIC.vague_phrases, RUBRIC.scenario_markers,
                    RUBRIC.effect_markers, threshold)
    assert {i["key"] for i in ISSUES if vagueness(i["subject"], i["description"], rubric).vague
            } == vague
    assert {i["key"] for i in ISSUES if i.get("case") == "vague"} <= vague


# ---------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(a=st.text(max_size=60), b=st.text(max_size=60))
def test_tokens_and_similarity_are_total(a: str, b: str) -> None:
    ta, tb = tokens(a, VOCAB), tokens(b, VOCAB)
    assert all(isinstance(t, str) and t for t in ta)
    s = similarity(ta, tb)
    assert 0.0 <= s <= 1.0
    assert s == similarity(tb, ta)
    if ta:
        assert similarity(ta, ta) == 1.0
    vagueness(a, b, RUBRIC)


MIXED = st.text(alphabet=st.sampled_from(list(f"首页美观慢的 \nAPPhome pagelogin2{COMMA}。")),
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(a=MIXED, b=MIXED)
def test_similarity_properties_on_mixed_text(a: str, b: str) -> None:
    ta, tb = tokens(a, VOCAB), tokens(b, VOCAB)
    s = similarity(ta, tb)
    assert 0.0 <= s <= 1.0 and s == similarity(tb, ta)
    assert similarity(ta, ta) == (1.0 if ta else 0.0)


# ---------------------------------------------------------------- near-duplicate classes


def _ticket(n: int, *words: str) -> frozenset[str]:
    """A request with an order number of its own, like the same request filed again."""
    return frozenset({"concept:home-page", "首页", "美观", "slow", "banner", *words, f"no{n}"})


def test_hundreds_of_near_duplicates_still_give_the_best_first() -> None:
    # 300 requests that differ only in their own order number score alike; the best
    # candidate (one extra shared word) has the highest id, so a search that stopped at
    # the first K alike candidates in id order would miss it.
    docs = [(n, "acme" if n % 2 else "beta", _ticket(n)) for n in range(1, 301)]
    docs.append((999, "beta", _ticket(999, "carousel")))
    docs.append((1000, "beta", frozenset({"concept:home-page", "首页", "slow", "no7"})))
    index = DuplicateIndex(docs)
    query = _ticket(5000, "carousel")
    found = index.candidates(5000, "beta", query, min_score=0.5, same_group=False, limit=4)
    assert [c.issue_id for c in found] == [999, 1, 2, 3]
    assert found[0].score == similarity(query, _ticket(999, "carousel"))
    assert found[1].score == similarity(query, _ticket(1)) < found[0].score
    same = index.candidates(5000, "beta", query, min_score=0.5, same_group=True, limit=4)
    assert [c.issue_id for c in same] == [999, 2, 4, 6]
    # Sharing a document's own token (its order number) sets it apart from its class.
    with_no7 = index.candidates(5000, "acme", query | {"no7"}, min_score=0.5,
                                same_group=False, limit=3)
    assert [c.issue_id for c in with_no7] == [7, 999, 1]
    assert with_no7[0].shared == ("home-page", "no7", "banner", "美观", "slow")
    # An indexed issue never finds itself, and its class-mates come in id order.
    assert [c.issue_id for c in index.candidates(2, "beta", _ticket(2), min_score=0.5,
                                                 same_group=False, limit=3)] == [1, 3, 4]


def _brute(docs: list[tuple[int, str, frozenset[str]]], issue_id: int, group: str,
           query: frozenset[str], same_group: bool, min_score: float
           ) -> list[tuple[int, float]]:
    scores = [(similarity(query, t), n) for n, g, t in docs
              if n != issue_id and query & t and (not same_group or (group and g == group))]
    return [(n, s) for s, n in sorted((-s, n) for s, n in scores if s >= min_score)
            for s in [-s]]


TEMPLATE = st.builds(lambda c, w: frozenset(c | w), st.sets(CONCEPT, max_size=3),
                     st.sets(WORD, min_size=1, max_size=10))


@settings(max_examples=150, deadline=None)
@given(plan=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["", "g", "h"]),
                               st.integers(0, 2), st.booleans()), min_size=1, max_size=40),
       templates=st.lists(TEMPLATE, min_size=4, max_size=4), pick=st.integers(0, 39),
       own=st.sets(st.integers(0, 39), max_size=3), indexed=st.booleans(),
       group=st.sampled_from(["", "g"]), same_group=st.booleans(),
       min_score=st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0]))
def test_index_with_repeated_requests_finds_what_brute_force_finds(
        plan: list[tuple[int, str, int, bool]], templates: list[frozenset[str]], pick: int,
        own: set[int], indexed: bool, group: str, same_group: bool, min_score: float) -> None:
    # Many documents built from a few templates plus tokens of their own (order numbers,
    # an own concept): classes of alike documents, the case DuplicateIndex groups.
    docs = []
    for n, (tpl, g, extra, own_concept) in enumerate(plan):
        toks = templates[tpl] | {f"no{n}-{i}" for i in range(extra)}
        docs.append((n, g, toks | ({f"concept:own{n}"} if own_concept else set())))
    base = docs[pick % len(docs)]
    query = base[2] | {t for n in own if n < len(docs) for t in docs[n][2]
                       if t.startswith(("no", "concept:own"))}
    issue_id = base[0] if indexed else -1
    index = DuplicateIndex(docs)
    found = index.candidates(issue_id, group, query, min_score=min_score,
                             same_group=same_group, limit=100)
    assert [(c.issue_id, c.score) for c in found] == _brute(docs, issue_id, group, query,
                                                            same_group, min_score)
    top = index.candidates(issue_id, group, query, min_score=min_score, same_group=same_group,
                           limit=3)
    assert top == found[:3]
