"""Text features for initial screening: tokens, similarity, duplicate search, vagueness.

Everything here is pure and deterministic: no I/O, no clock, no shared mutable state.
Every word list and threshold is a parameter; the rule files supply them.

Text is compared after NFKC normalisation and case folding, so full-width letters,
"…" and "..." or "Home" and "home" are the same. In a phrase (a concept surface
form, a rubric phrase or marker) "…" stands for any text within one sentence, as in
"在…时" or "make…better". Phrases made of Latin words match whole words only (a
trailing plural "s"/"es" is allowed), so "app" does not match "appointment"; Chinese,
Japanese and Korean phrases match anywhere.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType

CONCEPT_PREFIX = "concept:"
CONCEPT_SHARE = 0.6
"""Share of the similarity given to concepts when both texts have concepts and words."""
FULL_CONCEPTS = 2
"""Shared concepts from which concepts get their full share, see similarity()."""

_CJK = "\u3041-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LATIN = "0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_RUNS = re.compile(f"([{_CJK}\U00020000-\U0002fa1f]+)|([{_LATIN}]+)")
_HAS_CJK = re.compile(f"[{_CJK}\U00020000-\U0002fa1f]")
_IS_LATIN = re.compile(f"[{_LATIN}]")
_SENTENCE_GAP = r"[^.!?;。！？；\n]*?"
_SPACES = re.compile(r"\s+")

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
    # Chinese function words (they also split runs of characters, see tokens())
    "的", "了", "吗", "吧", "呢", "啊", "呀", "嘛", "哦", "也", "都", "很", "把", "被", "让",
    "我", "你", "我们", "你们", "他们", "她们", "这个", "那个", "这些", "那些", "一下",
    "一些", "一个", "可以", "能否", "能不能", "是否", "是不是", "什么", "怎么", "已经",
    "就是", "还是", "或者", "以及", "因为", "所以", "但是", "如果", "非常", "比较",
)


def normalize(text: str) -> str:
    """NFKC, then case folding: the form every comparison in this module uses."""
    return unicodedata.normalize("NFKC", text).casefold()


# ---------------------------------------------------------------- phrases


@dataclass(frozen=True)
class _Phrase:
    """A normalised phrase; parts are the pieces between "…" placeholders."""

    text: str
    parts: tuple[str, ...]
    pattern: re.Pattern[str] | None  # None: a plain substring test is exact

    def found_in(self, norm: str) -> bool:
        """Whether the phrase occurs in already normalised text."""
        if not all(part in norm for part in self.parts):
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
    return tuple(_phrase(t, what) for t in texts)


def _first_found(phrases: tuple[_Phrase, ...], norm: str) -> _Phrase | None:
    return next((p for p in phrases if p.found_in(norm)), None)


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Vocabulary:
    """Concepts (name -> surface forms in any language) and extra stop words.

    Stop words are added to BUILTIN_STOPWORDS. A stop word with Chinese, Japanese or
    Korean characters splits the text where it occurs; a Latin one drops that word.
    """

    concepts: Mapping[str, tuple[str, ...]]
    stopwords: tuple[str, ...] = ()
    _concepts: tuple[tuple[str, tuple[_Phrase, ...]], ...] = field(
        init=False, repr=False, compare=False)
    _latin_stop: frozenset[str] = field(init=False, repr=False, compare=False)
    _cjk_stop: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        concepts = MappingProxyType({name: tuple(forms) for name, forms in self.concepts.items()})
        object.__setattr__(self, "concepts", concepts)
        object.__setattr__(self, "_concepts", tuple(
            (CONCEPT_PREFIX + name, _phrases(forms, f"concept {name!r}"))
            for name, forms in sorted(concepts.items())))
        words = {normalize(w).strip() for w in (*BUILTIN_STOPWORDS, *self.stopwords)} - {""}
        cjk = sorted((w for w in words if _HAS_CJK.search(w)), key=lambda w: (-len(w), w))
        latin = {w for w in words if not _HAS_CJK.search(w)}
        object.__setattr__(self, "_latin_stop", frozenset(latin | {_stem(w) for w in latin}))
        object.__setattr__(self, "_cjk_stop",
                           re.compile("|".join(map(re.escape, cjk))) if cjk else None)


def tokens(text: str, vocab: Vocabulary) -> frozenset[str]:
    """Word tokens of the text plus "concept:<name>" for each concept mentioned.

    Latin words are lower-cased, lose a plural "s"/"es"/"ies" and single letters;
    words with digits are kept as they are. Runs of Chinese, Japanese or Korean
    characters become overlapping character pairs ("首页美观" -> 首页, 页美, 美观), a
    lone character stays as it is. Stop words are removed first.
    """
    norm = normalize(text)
    found = [name for name, forms in vocab._concepts if any(f.found_in(norm) for f in forms)]
    if vocab._cjk_stop is not None:
        norm = vocab._cjk_stop.sub(" ", norm)
    out: set[str] = set(found)
    stop = vocab._latin_stop
    for cjk, latin in _RUNS.findall(norm):
        if cjk:
            out.update(_bigrams(cjk))
        elif latin not in stop and (len(latin) > 1 or latin.isdigit()):
            stem = _stem(latin)
            if stem not in stop:
                out.add(stem)
    return frozenset(out)


def _bigrams(run: str) -> Iterable[str]:
    if len(run) == 1:
        return (run,)
    return (run[i:i + 2] for i in range(len(run) - 1))


def _stem(word: str) -> str:
    """Strip a simple English plural: pages -> page, boxes -> box, entries -> entry."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# ---------------------------------------------------------------- similarity


def similarity(a: frozenset[str], b: frozenset[str], *, concept_share: float = CONCEPT_SHARE,
               full_concepts: int = FULL_CONCEPTS) -> float:
    """How alike two token sets are, from 0 to 1; symmetric, 1 for equal non-empty sets.

    Concept tokens and word tokens are compared separately, each with the Dice
    coefficient 2|A∩B| / (|A| + |B|). When both sets have concepts and both have
    words, the result is w * concept Dice + (1 - w) * word Dice, where w is
    concept_share if no concept is shared (the disagreement counts in full), else
    concept_share * min(1, shared concepts / full_concepts): one common concept is
    weak evidence, full_concepts of them count in full. When only one kind of token
    is present on both sides, that kind's Dice alone.

    With the defaults (0.6, 2) two texts in different languages naming the same two or
    more concepts and nothing else score 0.6; naming one common concept, 0.3.
    """
    ac, aw = _split(a)
    bc, bw = _split(b)
    return _score(len(ac & bc), len(ac), len(bc), len(aw & bw), len(aw), len(bw),
                  concept_share, full_concepts)


def _split(toks: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    concepts = frozenset(t for t in toks if t.startswith(CONCEPT_PREFIX))
    return concepts, toks - concepts


def _dice(shared: int, size_a: int, size_b: int) -> float:
    return 2 * shared / (size_a + size_b)


def _score(c_shared: int, c_a: int, c_b: int, w_shared: int, w_a: int, w_b: int,
           share: float, full: int) -> float:
    use_c, use_w = bool(c_a and c_b), bool(w_a and w_b)
    if use_c and use_w:
        dc, dw = _dice(c_shared, c_a, c_b), _dice(w_shared, w_a, w_b)
        return _blend(dc, dw, _weight(c_shared, share, full))
    if use_c:
        return _dice(c_shared, c_a, c_b)
    if use_w:
        return _dice(w_shared, w_a, w_b)
    return 0.0


def _weight(c_shared: int, share: float, full: int) -> float:
    """The concepts' weight in the blend, see similarity()."""
    if c_shared == 0 or c_shared >= full:
        return share
    return share * c_shared / full


def _blend(dc: float, dw: float, weight: float) -> float:
    return min(1.0, max(0.0, dw + weight * (dc - dw)))


# ---------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Candidate:
    """A possible duplicate: its issue, score and what it has in common (for people)."""

    issue_id: int
    score: float
    shared: tuple[str, ...]


@dataclass(frozen=True)
class _Doc:
    group: str
    concepts: frozenset[str]
    words: frozenset[str]


class DuplicateIndex:
    """Inverted index over token sets, to find likely duplicates of one issue.

    Only documents sharing a token with the query are scored, and the query's most
    common tokens are skipped when finding documents to score if sharing only them
    cannot reach min_score (prefix filtering), so the results are exact.
    """

    def __init__(self, docs: Iterable[tuple[int, str, frozenset[str]]], *,
                 concept_share: float = CONCEPT_SHARE, full_concepts: int = FULL_CONCEPTS) -> None:
        self._share = concept_share
        self._full = full_concepts
        self._docs: dict[int, _Doc] = {}
        postings: dict[str, list[int]] = {}
        for issue_id, group, toks in docs:
            if issue_id in self._docs:
                raise ValueError(f"issue {issue_id} is indexed twice")
            concepts, words = _split(toks)
            self._docs[issue_id] = _Doc(group, concepts, words)
            for tok in toks:
                postings.setdefault(tok, []).append(issue_id)
        self._postings = postings
        self._has_wordless = any(not d.words for d in self._docs.values())

    def __len__(self) -> int:
        return len(self._docs)

    def candidates(self, issue_id: int, group: str, toks: frozenset[str], *,
                   min_score: float, same_group: bool, limit: int = 5,
                   shared_words: int = 4) -> tuple[Candidate, ...]:
        """Other documents scoring at least min_score, best first, then older (lower) id.

        With same_group only documents of the same non-empty group count. Documents
        with no token in common with toks are never candidates.
        """
        if limit <= 0 or (same_group and not group):
            return ()
        concepts, words = _split(toks)
        ids: set[int] = set().union(*(self._postings[t] for t in
                                      self._probe(concepts, words, min_score)))
        ids.discard(issue_id)
        found: list[tuple[float, int]] = []
        for doc_id in ids:
            doc = self._docs[doc_id]
            if same_group and doc.group != group:
                continue
            score = _score(len(concepts & doc.concepts), len(concepts), len(doc.concepts),
                           len(words & doc.words), len(words), len(doc.words), self._share,
                           self._full)
            if score >= min_score:
                found.append((-score, doc_id))
        return tuple(Candidate(doc_id, -neg, self._shared(concepts, words, doc_id, shared_words))
                     for neg, doc_id in heapq.nsmallest(limit, found))

    def _probe(self, concepts: frozenset[str], words: frozenset[str],
               min_score: float) -> list[str]:
        """Query tokens whose postings must be read: rarest first, until the rest can't win."""
        order = sorted((t for t in concepts | words if t in self._postings),
                       key=lambda t: (len(self._postings[t]), t))
        rest_c = sum(1 for t in order if t in concepts)
        rest_w = len(order) - rest_c
        for i, tok in enumerate(order):
            if self._bound(rest_c, len(concepts), rest_w, len(words)) < min_score:
                return order[:i]
            if tok in concepts:
                rest_c -= 1
            else:
                rest_w -= 1
        return order

    def _bound(self, c_shared: int, c_q: int, w_shared: int, w_q: int) -> float:
        """Best score a document can get sharing at most these many concepts and words."""
        dc = _dice(c_shared, c_q, c_shared) if c_shared else 0.0
        dw = _dice(w_shared, w_q, w_shared) if w_shared else 0.0
        best = dw
        if c_q and w_q:
            best = max(best, _blend(dc, dw, _weight(c_shared, self._share, self._full)))
        if c_q and (not w_q or self._has_wordless):
            best = max(best, dc)
        return best

    def _shared(self, concepts: frozenset[str], words: frozenset[str], doc_id: int,
                limit: int) -> tuple[str, ...]:
        """Shared concept names, then the rarest few shared words."""
        doc = self._docs[doc_id]
        names = sorted(c.removeprefix(CONCEPT_PREFIX) for c in concepts & doc.concepts)
        common = sorted(words & doc.words - set(names), key=lambda t: (len(self._postings[t]), t))
        return (*names, *common[:max(0, limit)])


# ---------------------------------------------------------------- vagueness


@dataclass(frozen=True)
class Rubric:
    """What a clear request shows; see vagueness()."""

    min_length: int = 30
    vague_phrases: tuple[str, ...] = ()
    scenario_markers: tuple[str, ...] = ()
    effect_markers: tuple[str, ...] = ()
    threshold: int = 2
    _vague: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)
    _scenario: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)
    _effect: tuple[_Phrase, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_vague", _phrases(self.vague_phrases, "vague phrase"))
        object.__setattr__(self, "_scenario", _phrases(self.scenario_markers, "scenario marker"))
        object.__setattr__(self, "_effect", _phrases(self.effect_markers, "effect marker"))


@dataclass(frozen=True)
class Vagueness:
    """The score, whether it reaches the threshold, and what to ask the requester for."""

    score: int
    vague: bool
    missing: tuple[str, ...]


def vagueness(subject: str, description: str, rubric: Rubric) -> Vagueness:
    """Score how vague a request is; at or above rubric.threshold it is vague.

    +1 the description has fewer than min_length characters (after NFKC, with runs of
    white space counted as one; a Chinese character counts as one);
    +1 no scenario marker in subject or description;
    +1 no effect marker in subject or description;
    +2 a vague phrase in subject or description (the first one in rubric order is named).
    An empty marker list disables its check. missing lists what to ask for, in that order.
    """
    text = normalize(f"{subject}\n{description}")
    missing: list[str] = []
    score = 0
    if len(_SPACES.sub(" ", normalize(description)).strip()) < rubric.min_length:
        score += 1
        missing.append(f"a description of at least {rubric.min_length} characters")
    if rubric._scenario and _first_found(rubric._scenario, text) is None:
        score += 1
        missing.append("the scenario (when and where it happens)")
    if rubric._effect and _first_found(rubric._effect, text) is None:
        score += 1
        missing.append("the expected effect")
    phrase = _first_found(rubric._vague, text)
    if phrase is not None:
        score += 2
        missing.append(f'a concrete request instead of "{phrase.text}"')
    return Vagueness(score, score >= rubric.threshold, tuple(missing))
