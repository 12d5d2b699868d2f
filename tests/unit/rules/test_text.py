"""Text features for initial screening: words (segmentation, stemming, concepts), vagueness."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from redmine_sync.rules.text import ASK_DEFAULTS
from redmine_sync.rules.text import Rubric
from redmine_sync.rules.text import Vagueness
from redmine_sync.rules.text import Vocabulary
from redmine_sync.rules.text import is_chinese
from redmine_sync.rules.text import normalize
from redmine_sync.rules.text import script
from redmine_sync.rules.text import tokens
from redmine_sync.rules.text import vagueness

VOCAB = Vocabulary({
    "slow": ("慢", "卡", "卡顿", "slow", "takes forever"),
    "login": ("登录", "login", "log in", "sign in"),
    "face-recognition": ("人脸识别", "刷脸", "face recognition"),
    "standing-order": ("定期转账", "standing order"),
    "order": ("订单", "点单", "点餐", "order"),
    "crash": ("闪退", "崩溃", "crash"),
    "android": ("安卓", "android"),
    "credit-card": ("信用卡", "card"),
}, stopwords=("希望",), opposites=(("login", "crash"),))
COMMA = "\uff0c"  # the full-width comma of Chinese text


# ---------------------------------------------------------------- words


@pytest.mark.parametrize(("text", "expected"), [
    # Chinese: words, not character pairs; glossary words first; 卡 only as a word
    ("小程序点单界面打开很卡", {"程序", "concept:order", "界面", "打开", "concept:slow"}),
    ("页面加载慢,一直卡", {"页面", "加载", "concept:slow"}),
    ("信用卡账单", {"concept:credit-card", "账单"}),
    ("安卓14系统打开卡片页面闪退",
     {"concept:android", "14", "系统", "打开", "卡片", "页面", "concept:crash"}),
    ("支持人脸识别登录", {"支持", "concept:face-recognition", "concept:login"}),
    # English: stemmed, phrases longest first ("standing order" is not "order")
    ("Exports crashed when users log in",
     {"export", "concept:crash", "user", "concept:login"}),
    ("Edit a standing order", {"edit", "concept:standing-order"}),
    ("Edit the order", {"edit", "concept:order"}),
    ("The menu takes forever on iOS 17", {"menu", "concept:slow", "ios", "17"}),
    ("\uff21\uff30\uff30 首页", {"app", "首页"}),  # full width
    ("", set()),
    ("the and 的 了 希望", set()),
])
def test_tokens(text: str, expected: set[str]) -> None:
    assert tokens(text, VOCAB) == frozenset(expected)


def test_normalize() -> None:
    assert normalize(f"\uff21pp\u3000首页{COMMA}\n  更美观\n\n…") == "app 首页, 更美观 ..."
    assert normalize("配色\n  和图标") == "配色和图标"


def test_tokens_are_deterministic_and_shared() -> None:
    a = tokens("扫码点餐页面加载太慢", VOCAB)
    b = tokens("扫码点餐页面加载太慢", Vocabulary(dict(VOCAB.concepts), ("希望",)))
    assert a == b
    assert all(x is y for x in a for y in b if x == y)  # interned: one copy per token


@pytest.mark.parametrize("forms", [["在…时"], ["App 首页"], [""], "login"])
def test_bad_concept_forms_are_refused(forms: Any) -> None:
    with pytest.raises(ValueError, match="concept 'x'"):
        Vocabulary({"x": forms})


def test_opposites_must_name_concepts() -> None:
    with pytest.raises(ValueError, match="opposites"):
        Vocabulary({"a": ("a",)}, opposites=(("a", "b"),))
    assert VOCAB.opposed("concept:login") == {"concept:crash"}


def test_script() -> None:
    assert [script(t) for t in ("concept:login", "14", "ios17", "登录", "login")] == [
        "any", "any", "any", "zh", "en"]
    assert is_chinese("App 首页能不能做得更美观一些") and not is_chinese("Make the App 好看")


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=80))
def test_tokens_are_total(text: str) -> None:
    assert all(isinstance(t, str) and t for t in tokens(text, VOCAB))


# ---------------------------------------------------------------- vagueness

RUBRIC = Rubric(
    min_length=30,
    vague_phrases=("optimise the system", "make…better", "improve the", "overall experience",
                   "优化一下", "更美观", "不好用"),
    scenario_markers=("when", "every", "page", "customers who", "每次", "在…时", "页", "时候"),
    pain_markers=("cannot", "by hand", "slow", "只能", "慢", "卡", "投诉"),
    effect_markers=("so that", "should", "would like", "希望", "以便", "增加"),
    threshold=3,
)
EN, ZH = ASK_DEFAULTS["en"], ASK_DEFAULTS["zh"]


@pytest.mark.parametrize(("subject", "description", "expected"), [
    ("Please optimise the system", "It is not good enough.",
     Vagueness(6, True, (EN["length"].format(detail=30), EN["scenario"], EN["pain"],
                         EN["effect"], EN["phrase"].format(detail="optimise the system")))),
    # the example: no scenario, no pain, no effect -> ask, in Chinese
    ("App 首页能不能做得更美观一些", "希望好看一点。",
     Vagueness(4, True, (ZH["length"].format(detail=30), ZH["pain"],
                         ZH["phrase"].format(detail="更美观")))),
    # short but clear: where (页) and what (增加); only the pain is implicit
    ("转账成功页增加分享凭证按钮", "转账成功页增加分享凭证按钮。",
     Vagueness(2, False, (ZH["length"].format(detail=30), ZH["pain"]))),
    # long but vague: a polite letter with no scenario, pain or effect
    ("Improve the overall experience",
     ("Dear team, we have been using your product for two years now and we are generally "
      "satisfied. However, the overall experience could be improved in many respects."),
     Vagueness(5, True, (EN["scenario"], EN["pain"], EN["effect"],
                         EN["phrase"].format(detail="improve the")))),
    ("Export the shipment list to Excel",
     ("Every Monday our planners copy the shipment list by hand into Excel. We would like an "
      "export button so that the review takes minutes."), Vagueness(0, False, ())),
    ("月底结账很卡", f"在月底结账时页面经常卡住十几秒{COMMA}收银员只能等待{COMMA}希望三秒内完成。",
     Vagueness(0, False, ())),
])
def test_vagueness(subject: str, description: str, expected: Vagueness) -> None:
    assert vagueness(subject, description, RUBRIC) == expected


def test_empty_rubric_lists_disable_their_checks() -> None:
    short = EN["length"].format(detail=30)
    assert vagueness("x", "short", Rubric()) == Vagueness(1, False, (short,))
    assert vagueness("x", "short", Rubric(threshold=1)).vague
    assert vagueness("x", "short", Rubric(min_length=5)) == Vagueness(0, False, ())


def test_the_questions_are_data() -> None:
    rubric = Rubric(min_length=0, effect_markers=("希望",), ask={"zh": {"effect": "您希望达到什么效果?"}})
    assert vagueness("首页", "首页太丑了,请重做一下,大家都不满意,想要新的设计。", rubric).missing == (
        "您希望达到什么效果?",)
    with pytest.raises(ValueError, match="unknown key 'goal'"):
        Rubric(ask={"en": {"goal": "?"}})


def test_rubric_lists_must_be_lists() -> None:
    with pytest.raises(TypeError):
        Rubric(vague_phrases="优化一下")  # type: ignore[arg-type]
