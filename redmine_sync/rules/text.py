"""Text features for initial screening: the words of a request, and how vague it is.

Everything here is pure and deterministic: no I/O, no clock, no shared mutable state
(segment.py loads the word segmenter once, when a Vocabulary is built). Every word list
and threshold is a parameter; the rule files supply them.

Text is compared as normalize() leaves it, so full-width letters, "…" and "...",
"Home" and "home", or a wrapped and an unwrapped line are the same.

Words: Chinese is split into words by jieba, English words are stemmed (Snowball), so
"卡顿"/"很卡" or "exports"/"exporting" are words, not character pairs or surface forms.
A word or phrase listed under a concept of the vocabulary (the shipped bilingual glossary
plus the user's own) becomes that concept, so "闪退" and "crash" are the same token.

In a rubric phrase or keyword "…" stands for any text within one sentence, as in "在…时"
or "make…better". Phrases made of Latin words match whole words only (a trailing plural
"s"/"es" is allowed), so "app" does not match "appointment"; Chinese, Japanese and Korean
phrases match anywhere.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType

from redmine_sync.rules.segment import chinese_words
from redmine_sync.rules.segment import stem

CONCEPT_PREFIX = "concept:"

_CJK = "\u3041-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LATIN = "0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_CJK_RUN = re.compile(f"[{_CJK}\U00020000-\U0002fa1f]+")
_IS_LATIN = re.compile(f"[{_LATIN}]")
_LATIN_RUN = re.compile(f"[{_LATIN}]+")
_SENTENCE_GAP = r"[^.!?;。]*?"  # NFKC has made full-width marks ASCII
_CJK_WRAP = re.compile(f"(?<=[{_CJK}])[^\\S\\n]*\\n\\s*(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e]")  # NFKC: ideographic space, full-width ASCII

BUILTIN_STOPWORDS: tuple[str, ...] = (
    # English function words
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "being", "but", "by", "can", "could", "did", "do", "does", "done", "each", "for", "from",
    "had", "has", "have", "he", "her", "here", "his", "how", "i", "if", "in", "into", "is",
    "it", "its", "just", "may", "me", "might", "more", "most", "must", "my", "no", "not",
    "of", "on", "only", "or", "other", "our", "ours", "please", "shall", "she", "should",
    "so", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "too", "up", "us", "very", "was", "we", "were", "what",
    "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
    "able", "again", "any", "because", "could", "get", "gets", "got", "let", "lets", "many",
    "much", "now", "one", "own", "same", "still", "today", "via", "without", "yet",
    # Chinese function words (single characters are dropped anyway, see tokens())
    "我们", "你们", "他们", "她们", "这个", "那个", "这些", "那些", "一下", "一些", "一个",
    "可以", "能否", "能不能", "是否", "是不是", "什么", "怎么", "已经", "就是", "还是", "或者",
    "以及", "因为", "所以", "但是", "如果", "非常", "比较", "现在", "直接", "之后", "时候",
    "一直", "经常", "还有", "这样", "那样", "然后", "目前", "需要", "希望", "麻烦", "贵司",
    "谢谢", "一点", "一次", "不能", "不会", "没有", "只能", "可能", "应该", "还是", "其他",
)


def normalize(text: str) -> str:
    """The form every comparison here uses: NFKC, case folded, white space folded.

    A line break between two Chinese, Japanese or Korean characters is dropped (it is
    where a line was wrapped); any other run of white space becomes one space.
    """
    if not unicodedata.is_normalized("NFKC", text):
        # Full-width punctuation is common in Chinese text and sends NFKC down its
        # slow path; mapping it first (same result) keeps the fast path.
        text = _FULL_WIDTH.sub(_half_width, text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    if "\n" in text:
        text = _CJK_WRAP.sub("", text)
    return _SPACES.sub(" ", text).strip().casefold()


def _half_width(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


# ---------------------------------------------------------------- phrases


@dataclass(frozen=True)
class _Phrase:
    """A normalised phrase; parts are the pieces between "…" placeholders."""

    text: str
    parts: tuple[str, ...]
    pattern: re.Pattern[str] | None  # None: a plain substring test is exact

    def found_in(self, norm: str) -> bool:
        """Whether the phrase occurs in already normalised text."""
        if self.parts[0] not in norm:
            return False
        return self.pattern is None or self.pattern.search(norm) is not None


def _phrase(text: str, what: str) -> _Phrase:
    parts = tuple(p.strip() for p in normalize(text).split("...") if p.strip())
    if not parts:
        raise ValueError(f"{what}: empty phrase {text!r}")
    plain = len(parts) == 1 and not _IS_LATIN.search(parts[0])
    pattern = None if plain else re.compile(_SENTENCE_GAP.join(_part_regex(p) for p in parts))
    return _Phrase(text, parts, pattern)


def _part_regex(part: str) -> str:
    """A phrase part; Latin edges must fall on word boundaries (plural ending allowed)."""
    regex = re.escape(part)
    if _IS_LATIN.match(part[0]):
        regex = f"(?<![{_LATIN}])" + regex
    if _IS_LATIN.match(part[-1]):
        regex += f"(?:e?s)?(?![{_LATIN}])"
    return regex


def _phrases(texts: Iterable[str], what: str) -> tuple[_Phrase, ...]:
    if isinstance(texts, str):
        raise TypeError(f"{what}: expected a list of phrases, got the string {texts!r}")
    return tuple(_phrase(t, what) for t in texts)


def _first_found(phrases: tuple[_Phrase, ...], norm: str) -> _Phrase | None:
    """The first phrase (in list order) found in normalised text. A phrase whose first part
    the text does not contain is skipped without a call: most are absent."""
    for phrase in phrases:
        if phrase.parts[0] in norm and (phrase.pattern is None
                                        or phrase.pattern.search(norm) is not None):
            return phrase
    return None


# ---------------------------------------------------------------- words


@dataclass(frozen=True)
class Vocabulary:
    """Concepts (name -> words or phrases in any language), extra stop words, opposites.

    A concept's forms are Chinese words ("闪退") or English words and phrases ("crash",
    "log in"); English forms are stemmed like the text, so "crashes" matches "crash".
    Opposites are pairs of concept names that make two otherwise alike requests different
    ("export" and "import"); the duplicate search weighs them down. Stop words are added to
    BUILTIN_STOPWORDS.
    """

    concepts: Mapping[str, tuple[str, ...]]
    stopwords: tuple[str, ...] = ()
    opposites: tuple[tuple[str, str], ...] = ()
    _cjk: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _cjk_leads: Mapping[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _latin: Mapping[tuple[str, ...], str] = field(init=False, repr=False, compare=False)
    _starts: frozenset[str] = field(init=False, repr=False, compare=False)
    _single: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _longest: int = field(init=False, repr=False, compare=False)
    _stop: frozenset[str] = field(init=False, repr=False, compare=False)
    _opposed: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    _cut: Callable[[str], tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, forms in self.concepts.items():
            if isinstance(forms, str) or not forms:
                raise ValueError(f"concept {name!r}: expected a list of words, got {forms!r}")
        concepts = MappingProxyType({str(name): tuple(forms)
                                     for name, forms in self.concepts.items()})
        object.__setattr__(self, "concepts", concepts)
        words = {normalize(w) for w in (*BUILTIN_STOPWORDS, *self.stopwords)} - {""}
        stop = words | {stem(w) for w in words if not _CJK_RUN.search(w)}
        object.__setattr__(self, "_stop", frozenset(stop))
        object.__setattr__(self, "_cut", chinese_words())
        cjk: dict[str, str] = {}
        latin: dict[tuple[str, ...], str] = {}
        for name, forms in sorted(concepts.items()):
            token = CONCEPT_PREFIX + name
            for form in forms:
                self._add_form(name, token, form, cjk, latin)
        multi = sorted((w for w in cjk if len(w) > 1), key=lambda w: (-len(w), w))
        object.__setattr__(self, "_cjk", MappingProxyType(cjk))
        leads: dict[str, set[int]] = {}  # first character -> lengths of forms starting so
        for form in multi:
            leads.setdefault(form[0], set()).add(len(form))
        object.__setattr__(self, "_cjk_leads", MappingProxyType(
            {c: tuple(sorted(sizes, reverse=True)) for c, sizes in leads.items()}))
        object.__setattr__(self, "_latin", MappingProxyType(latin))
        object.__setattr__(self, "_starts", frozenset(k[0] for k in latin if len(k) > 1))
        object.__setattr__(self, "_single", MappingProxyType(
            {k[0]: token for k, token in latin.items() if len(k) == 1}))
        object.__setattr__(self, "_longest", max(map(len, latin), default=0))
        opposed: dict[str, set[str]] = {}
        for pair in self.opposites:
            if len(pair) != 2 or any(name not in concepts for name in pair):
                raise ValueError(f"opposites: {list(pair)} must be two concept names")
            a, b = (CONCEPT_PREFIX + name for name in pair)
            opposed.setdefault(a, set()).add(b)
            opposed.setdefault(b, set()).add(a)
        object.__setattr__(self, "_opposed",
                           MappingProxyType({k: frozenset(v) for k, v in opposed.items()}))

    @staticmethod
    def _add_form(name: str, token: str, form: object, cjk: dict[str, str],
                  latin: dict[tuple[str, ...], str]) -> None:
        text = normalize(form) if isinstance(form, str) else ""
        if not text or "..." in text:
            raise ValueError(f"concept {name!r}: {form!r} is not a word or phrase")
        if _CJK_RUN.fullmatch(text):
            cjk.setdefault(text, token)
            return
        if _CJK_RUN.search(text):
            raise ValueError(f"concept {name!r}: {form!r} mixes Chinese and Latin words; "
                             "list each as its own form")
        words = tuple(_stemmed(w) for w in _LATIN_RUN.findall(text))
        if not words:
            raise ValueError(f"concept {name!r}: {form!r} has no word")
        latin.setdefault(words, token)

    @property
    def opposable(self) -> frozenset[str]:
        """The concept tokens that have an opposite."""
        return frozenset(self._opposed)

    def opposed(self, token: str) -> frozenset[str]:
        """The concept tokens declared opposite to a concept token."""
        return self._opposed.get(token, frozenset())

    def _cjk_tokens(self, run: str) -> Iterator[str]:
        """Concepts and words of a run of Chinese characters. Glossary words of two or more
        characters are taken first, leftmost and longest first; jieba splits the rest."""
        leads, cjk = self._cjk_leads, self._cjk
        start = i = 0
        n = len(run)
        while i < n:
            for size in leads.get(run[i], ()):
                concept = cjk.get(run[i:i + size])
                if concept is not None:
                    yield from self._cjk_words(run[start:i])
                    yield concept
                    i = start = i + size
                    break
            else:
                i += 1
        yield from self._cjk_words(run[start:])

    def _cjk_words(self, piece: str) -> Iterator[str]:
        if not piece:
            return
        for word in self._cut(piece):
            concept = self._cjk.get(word)
            if concept is not None:
                yield concept
            elif len(word) > 1 and word not in self._stop:
                yield word

    def _latin_tokens(self, words: list[str]) -> list[str]:
        """Concepts (longest phrase first) and stems of a text's Latin words, in order."""
        stems = [stem(w) if len(w) > 3 and w.isalpha() else w for w in words]  # _stemmed
        single, stop, starts = self._single, self._stop, self._starts
        out: list[str] = []
        i, n = 0, len(stems)
        while i < n:
            first = stems[i]
            if first in starts:
                concept, size = self._phrase(stems, i)
                if concept is not None:
                    out.append(concept)
                    i += size
                    continue
            concept = single.get(first)
            if concept is not None:
                out.append(concept)
            else:
                word = words[i]
                if (len(word) > 1 or word.isdigit()) and word not in stop and first not in stop:
                    out.append(first)
            i += 1
        return out

    def _phrase(self, stems: list[str], i: int) -> tuple[str | None, int]:
        """The concept of the longest phrase of two or more words at stems[i], and its
        length (None when there is none)."""
        for size in range(min(self._longest, len(stems) - i), 1, -1):
            concept = self._latin.get(tuple(stems[i:i + size]))
            if concept is not None:
                return concept, size
        return None, 0


def _stemmed(word: str) -> str:
    """A Latin word as compared: stemmed when it is a word of four letters or more (stem()
    keeps the stems seen; numbers and order codes, mostly seen once, are not kept)."""
    return stem(word) if len(word) > 3 and word.isalpha() else word


def tokens(text: str, vocab: Vocabulary,
           runs: dict[str, tuple[str, ...]] | None = None) -> frozenset[str]:
    """The concepts ("concept:<name>") and words a text mentions.

    Runs of Chinese characters are split into words (glossary words first, then jieba);
    single characters and stop words are dropped unless a concept lists them ("卡").
    Latin words are case folded and stemmed ("Exports" -> "export"); words with digits
    ("14", "ios17") stay as they are; English phrases of the vocabulary ("log in",
    "standing order") are found on the stemmed words, longest first.

    runs, when given, keeps the tokens of each run of Chinese characters seen (requests
    of one run repeat runs: "谢谢", a product name, a form's phrases).
    """
    return frozenset(map(sys.intern, words(text, vocab, runs)))  # one copy of each token


def words(text: str, vocab: Vocabulary,
          runs: dict[str, tuple[str, ...]] | None = None) -> set[str]:
    """tokens() as a set of fresh strings (for a caller that keeps one copy of each
    itself, like lexicon.Lexicon)."""
    norm = normalize(text)
    out: set[str] = set()
    for run in _CJK_RUN.findall(norm):
        if runs is None:
            out.update(vocab._cjk_tokens(run))
            continue
        found = runs.get(run)
        if found is None:
            found = runs[run] = tuple(vocab._cjk_tokens(run))
        out.update(found)
    latin = _LATIN_RUN.findall(norm)
    if latin:
        out.update(vocab._latin_tokens(latin))
    return out


def script(token: str) -> str:
    """The script of a token: "any" for concepts and words with digits (they match across languages), "zh" for
    Chinese, Japanese and Korean words, "en" for other words."""
    if token.startswith(CONCEPT_PREFIX):
        return "any"
    if not token.isalpha() and any(map(str.isdigit, token)):   # a letter is never a digit
        return "any"
    return "zh" if _CJK_RUN.match(token) else "en"


def is_chinese(text: str) -> bool:
    """Whether a request is written in Chinese (a fifth or more of its letters are)."""
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    latin = sum(len(run) for run in _LATIN_RUN.findall(text.casefold()))
    return cjk > 0 and cjk * 5 >= cjk + latin


# ---------------------------------------------------------------- vagueness

ASK_DEFAULTS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "en": MappingProxyType({
        "length": "a description of at least {detail} characters",
        "scenario": "the scenario (when and where it happens)",
        "pain": "the problem (what goes wrong today and what it costs)",
        "effect": "the expected effect",
        "phrase": 'a concrete request instead of "{detail}"',
    }),
    "zh": MappingProxyType({
        "length": "至少 {detail} 个字的描述",
        "scenario": "使用场景（何时、何处发生）",
        "pain": "遇到的问题（现在哪里不行，造成了什么影响）",
        "effect": "期望达到的效果",
        "phrase": "具体的需求，而不是“{detail}”",
    }),
})
"""What the needs-info note asks for, by language and kind of gap; {detail} is the
minimum length or the vague phrase. A rubric's ask overrides it."""
GAP_TEXTS = ASK_DEFAULTS


@dataclass(frozen=True)
class Rubric:
    """What a clear request shows (playbook intake record); see vagueness()."""

    min_length: int = 30
    vague_phrases: tuple[str, ...] = ()
    scenario_markers: tuple[str, ...] = ()
    pain_markers: tuple[str, ...] = ()
    effect_markers: tuple[str, ...] = ()
    threshold: int = 2
    ask: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: ASK_DEFAULTS)
    _vague: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)
    _scenario: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)
    _pain: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)
    _effect: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_vague", _phrases(self.vague_phrases, "vague phrase"))
        object.__setattr__(self, "_scenario", _phrases(self.scenario_markers, "scenario marker"))
        object.__setattr__(self, "_pain", _phrases(self.pain_markers, "pain marker"))
        object.__setattr__(self, "_effect", _phrases(self.effect_markers, "effect marker"))
        ask = {lang: MappingProxyType({**ASK_DEFAULTS.get(lang, ASK_DEFAULTS["en"]), **texts})
               for lang, texts in {**ASK_DEFAULTS, **self.ask}.items()}
        for lang, texts in ask.items():
            unknown = set(texts) - set(ASK_DEFAULTS["en"])
            if unknown:
                raise ValueError(f"ask.{lang}: unknown key {min(unknown)!r}; "
                                 f"known: {', '.join(ASK_DEFAULTS['en'])}")
        object.__setattr__(self, "ask", MappingProxyType(ask))


@dataclass(frozen=True)
class Vagueness:
    """The score, whether it reaches the threshold, and what to ask the requester for:
    ``missing`` in the request's language, ``gaps`` as (kind, detail) for notes in another
    language (kinds: length, scenario, pain, effect, phrase; detail: the minimum length,
    the vague phrase), ``ask`` the rubric's wording per language."""

    score: int
    vague: bool
    missing: tuple[str, ...]
    gaps: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    ask: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: ASK_DEFAULTS,
                                                 compare=False, repr=False)


def vagueness(subject: str, description: str, rubric: Rubric) -> Vagueness:
    """Score how vague a request is; at or above rubric.threshold it is vague.

    The playbook's intake record wants a scenario, a pain and an expected effect:
    +1 the description has fewer than min_length characters (as normalize() leaves it);
    +1 for each of scenario, pain and effect with no marker in subject or description;
    +2 a vague phrase ("please optimise the system"): one signal, not the rule.
    An empty marker list disables its check. missing lists what to ask for, in the
    request's language (Chinese or English, see is_chinese()).
    """
    text = normalize(f"{subject}\n{description}")
    gaps: list[tuple[str, str]] = []
    score = 0
    if len(normalize(description)) < rubric.min_length:
        score += 1
        gaps.append(("length", str(rubric.min_length)))
    for phrases, kind in ((rubric._scenario, "scenario"), (rubric._pain, "pain"),
                          (rubric._effect, "effect")):
        if phrases and _first_found(phrases, text) is None:
            score += 1
            gaps.append((kind, ""))
    phrase = _first_found(rubric._vague, text)
    if phrase is not None:
        score += 2
        gaps.append(("phrase", phrase.text))
    ask = rubric.ask["zh" if is_chinese(text) else "en"]
    missing = tuple(ask[kind].format(detail=detail) for kind, detail in gaps)
    return Vagueness(score, score >= rubric.threshold, missing, tuple(gaps), rubric.ask)
