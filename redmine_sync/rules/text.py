"""Text features for initial screening: tokens, similarity, duplicate search, vagueness.

Everything here is pure and deterministic: no I/O, no clock, no shared mutable state.
Every word list and threshold is a parameter; the rule files supply them.

Text is compared as normalize() leaves it, so full-width letters, "…" and "...",
"Home" and "home", or a wrapped and an unwrapped line are the same. In a phrase (a
concept surface form, a rubric phrase or marker) "…" stands for any text within one
sentence, as in "在…时" or "make…better". Phrases made of Latin words match whole
words only (a trailing plural "s"/"es" is allowed), so "app" does not match
"appointment"; Chinese, Japanese and Korean phrases match anywhere.
"""

from __future__ import annotations

import heapq
import operator
import re
import sys
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from itertools import chain
from types import MappingProxyType

CONCEPT_PREFIX = "concept:"
CONCEPT_SHARE = 0.6
"""Share of the similarity given to concepts when both texts have concepts and words."""
FULL_CONCEPTS = 2
"""Shared concepts from which concepts get their full share, see similarity()."""

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
    # Chinese function words (they also split runs of characters, see tokens())
    "的", "了", "吗", "吧", "呢", "啊", "呀", "嘛", "哦", "也", "都", "很", "把", "被", "让", "和",
    "我", "你", "我们", "你们", "他们", "她们", "这个", "那个", "这些", "那些", "一下",
    "一些", "一个", "可以", "能否", "能不能", "是否", "是不是", "什么", "怎么", "已经",
    "就是", "还是", "或者", "以及", "因为", "所以", "但是", "如果", "非常", "比较",
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
    return next((p for p in phrases if p.found_in(norm)), None)


# ---------------------------------------------------------------- tokens


_Form = tuple[str, _Phrase]  # ("concept:<name>", one of its surface forms)


@dataclass(frozen=True)
class Vocabulary:
    """Concepts (name -> surface forms in any language) and extra stop words.

    Stop words are added to BUILTIN_STOPWORDS. A stop word made of Chinese, Japanese or
    Korean characters splits the text where it occurs; any other drops that word.
    """

    concepts: Mapping[str, tuple[str, ...]]
    stopwords: tuple[str, ...] = ()
    _by_word: Mapping[str, tuple[_Form, ...]] = field(init=False, repr=False, compare=False)
    _by_char: Mapping[str, tuple[_Form, ...]] = field(init=False, repr=False, compare=False)
    _char_keys: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _unkeyed: tuple[_Form, ...] = field(init=False, repr=False, compare=False)
    _latin_stop: frozenset[str] = field(init=False, repr=False, compare=False)
    _cjk_stop: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        concepts = MappingProxyType({name: tuple(p.text for p in _phrases(forms, f"concept {name!r}"))
                                     for name, forms in self.concepts.items()})
        object.__setattr__(self, "concepts", concepts)
        self._index_forms(concepts)
        words = {normalize(w).strip() for w in (*BUILTIN_STOPWORDS, *self.stopwords)} - {""}
        cjk = sorted((w for w in words if _CJK_RUN.fullmatch(w)), key=lambda w: (-len(w), w))
        latin = words.difference(cjk)
        object.__setattr__(self, "_latin_stop", frozenset(latin | {_stem(w) for w in latin}))
        object.__setattr__(self, "_cjk_stop",
                           re.compile("|".join(map(re.escape, cjk))) if cjk else None)

    def _index_forms(self, concepts: Mapping[str, tuple[str, ...]]) -> None:
        """Key each surface form by a word or character the text must contain for it."""
        by_word: dict[str, list[_Form]] = {}
        by_char: dict[str, list[_Form]] = {}
        unkeyed: list[_Form] = []
        for name, forms in sorted(concepts.items()):
            for form in forms:
                entry = (CONCEPT_PREFIX + name, _phrase(form, f"concept {name!r}"))
                first = entry[1].parts[0]
                run = _LATIN_RUN.match(first)
                if run is None and _CJK_RUN.match(first):
                    by_char.setdefault(first[0], []).append(entry)
                elif run is None:
                    unkeyed.append(entry)
                else:
                    word = run.group()
                    plural = (word + "s", word + "es") if word == first else ()
                    for key in (word, *plural):
                        by_word.setdefault(key, []).append(entry)
        object.__setattr__(self, "_by_word", {k: tuple(v) for k, v in by_word.items()})
        object.__setattr__(self, "_by_char", {k: tuple(v) for k, v in by_char.items()})
        object.__setattr__(self, "_char_keys", re.compile(
            "[" + "".join(map(re.escape, sorted(by_char))) + "]") if by_char else None)
        object.__setattr__(self, "_unkeyed", tuple(unkeyed))


def tokens(text: str, vocab: Vocabulary) -> frozenset[str]:
    """Word tokens of the text plus "concept:<name>" for each concept mentioned.

    Latin words are lower-cased, lose a plural "s"/"es"/"ies" and single letters;
    words with digits are kept as they are. Runs of Chinese, Japanese or Korean
    characters become overlapping character pairs ("首页美观" -> 首页, 页美, 美观), a
    lone character stays as it is. Stop words are removed first.
    """
    norm = normalize(text)
    split = norm if vocab._cjk_stop is None else vocab._cjk_stop.sub(" ", norm)
    out: set[str] = set()
    for run in _CJK_RUN.findall(split):
        if len(run) > 1:
            out.update(map(operator.add, run, run[1:]))
        else:
            out.add(run)
    latin = _LATIN_RUN.findall(split)
    stop = vocab._latin_stop
    words = {w for w in set(latin).difference(stop) if len(w) > 1 or w.isdigit()}
    out.update({_stem(w) if w[-1] == "s" else w for w in words}.difference(stop))
    out.update(_concepts_in(norm, latin, vocab))
    return frozenset(map(sys.intern, out))  # one copy of each token across all issues


def _concepts_in(norm: str, latin_runs: list[str], vocab: Vocabulary) -> set[str]:
    """Concept tokens whose surface forms occur in the normalised text."""
    found: set[str] = set()
    keyed = [vocab._by_word[w] for w in vocab._by_word.keys() & latin_runs]
    if vocab._char_keys is not None:
        keyed += [vocab._by_char[c] for c in set(vocab._char_keys.findall(norm))]
    for forms in (*keyed, vocab._unkeyed):
        for concept, form in forms:
            if concept not in found and form.found_in(norm):
                found.add(concept)
    return found


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


@dataclass(frozen=True, slots=True)
class _Class:
    """Indexed documents that differ only in tokens no other indexed document has.

    concepts and words are the tokens the members share with other documents (the same
    for every member); n_concepts and n_words count all of one member's tokens. Members
    are in ascending id order, also within each group.
    """

    concepts: frozenset[str]
    words: frozenset[str]
    n_concepts: int
    n_words: int
    members: tuple[int, ...]
    by_group: Mapping[str, tuple[int, ...]]


_EPS = 1e-9  # slack on bounds, so rounding never drops a document at exactly min_score
_SCORE_COST = 32  # scoring a document costs about this many set insertions


def _in_at_least(k: int, sets: list[frozenset[int]]) -> set[int]:
    """Members of at least k of the sets."""
    if k <= 1:
        return set().union(*sets)
    if k >= len(sets):
        return set(frozenset.intersection(*sets)) if len(sets) == k else set()
    counts = Counter(chain.from_iterable(sets))
    return {i for i, n in counts.items() if n >= k}


class DuplicateIndex:
    """Inverted index over token sets, to find likely duplicates of one issue.

    Results are exact (the same as scoring every document with similarity()), yet only
    a few documents are scored:
    - documents that differ only in tokens of their own (a token no other indexed
      document has, such as an order number) score alike against any query that has none
      of those tokens, so they form one class, scored once; its members come out in id
      order, so a class of hundreds of near-identical requests costs one score. The few
      documents that do share such a token with the query are scored one by one;
    - classes are chosen with set operations: two texts that both name concepts but
      share none score (1 - concept_share) times their word Dice, so below
      1 - concept_share (0.4 by default) they are skipped;
    - sharing k concepts, a class needs some word Dice to reach min_score, and a word
      Dice of x or more needs a shared word among the rarest words of both sides
      (prefix filtering: sharing only the commonest words cannot reach x).
    """

    def __init__(self, docs: Iterable[tuple[int, str, frozenset[str]]], *,
                 concept_share: float = CONCEPT_SHARE, full_concepts: int = FULL_CONCEPTS) -> None:
        self._share = concept_share
        self._full = full_concepts
        self._docs: dict[int, _Doc] = {}
        for issue_id, group, toks in docs:
            if issue_id in self._docs:
                raise ValueError(f"issue {issue_id} is indexed twice")
            concepts, words = _split(toks)
            self._docs[issue_id] = _Doc(group, concepts, words)
        self._build()

    def tokens_of(self, issue_id: int) -> frozenset[str] | None:
        """The tokens an indexed document was given (None if it is not indexed)."""
        doc = self._docs.get(issue_id)
        return None if doc is None else doc.concepts | doc.words

    def _build(self) -> None:
        df = Counter(chain.from_iterable(chain(d.concepts, d.words) for d in self._docs.values()))
        self._rank = {t: i for i, t in enumerate(sorted(df, key=lambda t: (df[t], t)))}
        singles = frozenset(t for t, n in df.items() if n == 1)
        self._owner: dict[str, int] = {}  # token -> the one document that has it
        alike: dict[tuple[frozenset[str], frozenset[str], int, int], list[int]] = {}
        for doc_id, doc in self._docs.items():
            own_c, own_w = doc.concepts & singles, doc.words & singles
            for tok in chain(own_c, own_w):
                self._owner[tok] = doc_id
            key = (doc.concepts - own_c if own_c else doc.concepts,
                   doc.words - own_w if own_w else doc.words, len(doc.concepts), len(doc.words))
            alike.setdefault(key, []).append(doc_id)
        self._classes: list[_Class] = []
        concepts: dict[str, set[int]] = {}
        reach: dict[str, list[tuple[float, int]]] = {}
        for cid, ((shared_c, shared_w, n_c, n_w), ids) in enumerate(alike.items()):
            ids.sort()
            by_group: dict[str, list[int]] = {}
            for doc_id in ids:
                by_group.setdefault(self._docs[doc_id].group, []).append(doc_id)
            self._classes.append(_Class(shared_c, shared_w, n_c, n_w, tuple(ids),
                                        {g: tuple(m) for g, m in by_group.items()}))
            for tok in shared_c:
                concepts.setdefault(tok, set()).add(cid)
            # The members' own words are their rarest, so shared word i is at n_w - len + i.
            pos = n_w - len(shared_w)
            for tok in sorted(shared_w, key=self._rank.__getitem__):
                reach.setdefault(tok, []).append((-_dice(n_w - pos, n_w, n_w - pos), cid))
                pos += 1
        self._concept_postings = {tok: frozenset(ids) for tok, ids in concepts.items()}
        self._conceptless = frozenset(i for i, c in enumerate(self._classes) if not c.n_concepts)
        self._wordless = frozenset(i for i, c in enumerate(self._classes)
                                   if c.n_concepts and not c.n_words)
        self._word_postings: dict[str, tuple[list[float], list[int]]] = {}
        for tok, entries in reach.items():
            entries.sort()
            self._word_postings[tok] = ([e[0] for e in entries], [e[1] for e in entries])

    def __len__(self) -> int:
        return len(self._docs)

    def candidates(self, issue_id: int, group: str, toks: frozenset[str], *,
                   min_score: float, same_group: bool, limit: int = 5,
                   shared_words: int = 4) -> tuple[Candidate, ...]:
        """Other documents scoring at least min_score, best first, then older (lower) id.

        With same_group only documents of the same non-empty group count. Documents
        with no token in common with toks are never candidates. shared lists the shared
        concept names, then up to shared_words shared words, rarest first.
        """
        if limit <= 0 or (same_group and not group):
            return ()
        concepts, words = _split(toks)
        n_c, n_w = len(concepts), len(words)
        share, full = self._share, self._full
        found: list[tuple[float, int]] = []
        # Documents sharing a token of their own with the query: scored one by one.
        owner = self._owner
        apart = {owner[t] for t in owner.keys() & toks}
        apart.discard(issue_id)
        for doc_id in apart:
            doc = self._docs[doc_id]
            if same_group and doc.group != group:
                continue
            score = _score(len(concepts & doc.concepts), n_c, len(doc.concepts),
                           len(words & doc.words), n_w, len(doc.words), share, full)
            if score >= min_score:
                found.append((-score, doc_id))
        apart.add(issue_id)
        # Everyone else: one score per class, its first members in id order.
        classes = self._classes
        class_of: dict[int, int] = {}
        for cid in self._scan(concepts, words, min_score - _EPS):
            cls = classes[cid]
            members = cls.by_group.get(group, ()) if same_group else cls.members
            if not members:
                continue
            score = _score(len(concepts & cls.concepts), n_c, cls.n_concepts,
                           len(words & cls.words), n_w, cls.n_words, share, full)
            if score < min_score:
                continue
            taken = 0
            for doc_id in members:
                if doc_id not in apart:
                    found.append((-score, doc_id))
                    class_of[doc_id] = cid
                    taken += 1
                    if taken == limit:
                        break
        out = []
        said: dict[int, tuple[str, ...]] = {}  # by class: its members share the same tokens
        for neg, doc_id in heapq.nsmallest(limit, found):
            home = class_of.get(doc_id)
            if home is None:
                doc = self._docs[doc_id]
                said_of = self._shared(concepts & doc.concepts, words & doc.words, shared_words)
            elif home in said:
                said_of = said[home]
            else:
                cls = classes[home]
                said_of = said[home] = self._shared(concepts & cls.concepts, words & cls.words,
                                                   shared_words)
            out.append(Candidate(doc_id, -neg, said_of))
        return tuple(out)

    def _scan(self, concepts: frozenset[str], words: frozenset[str], least: float) -> set[int]:
        """A superset of the classes whose members (bar those sharing a token of their own
        with the query) can score `least` or more."""
        postings = [self._concept_postings[t] for t in concepts if t in self._concept_postings]
        if not words:
            return set().union(*postings)
        size = len(words)
        ranked = self._rarest_first(self._word_postings.keys() & words)
        ids = self._reaching(ranked, size, least)
        if not concepts:
            return ids
        ids &= self._conceptless
        if self._share < 1 and least <= 1 - self._share:  # sharing no concept can do
            ids |= self._reaching(ranked, size, least / (1 - self._share))
        for k in range(1, len(postings) + 1):
            need = self._need(k, len(concepts), least)
            ids |= self._with_words(_in_at_least(k, postings), ranked, size, need)
        ids |= self._wordless & set().union(*postings)
        return ids

    def _need(self, k: int, c_size: int, least: float) -> float:
        """Word Dice a document sharing k of c_size concepts needs to score `least`."""
        weight = _weight(k, self._share, self._full)
        best_dc = _dice(k, c_size, k)
        if weight >= 1:
            return 0.0 if best_dc >= least else 2.0
        return (least - weight * best_dc) / (1 - weight)

    def _with_words(self, ids: set[int], ranked: list[str], size: int, least: float) -> set[int]:
        """Those of ids whose word Dice with the query can reach `least`."""
        if least <= 0 or not ids:
            return ids
        if least > 1:
            return set()
        if len(ids) * _SCORE_COST <= self._reach_cost(ranked, size, least):
            return ids  # cheaper to score them all
        return ids & self._reaching(ranked, size, least)

    def _probe(self, ranked: list[str], size: int, least: float) -> list[str]:
        """The query's rarest words, one of which a word Dice of `least` must share."""
        rest = len(ranked)
        while rest and _dice(rest, size, rest) >= least:
            rest -= 1
        return ranked[:len(ranked) - rest]

    def _reaching(self, ranked: list[str], size: int, least: float) -> set[int]:
        """Documents whose word Dice with the query can reach `least` (a superset)."""
        if least > 1:
            return set()
        found: set[int] = set()
        for tok in self._probe(ranked, size, least):
            bounds, ids = self._word_postings[tok]
            found.update(ids[:bisect_right(bounds, -least)])
        return found

    def _reach_cost(self, ranked: list[str], size: int, least: float) -> int:
        return sum(bisect_right(self._word_postings[t][0], -least)
                   for t in self._probe(ranked, size, least))

    def _rarest_first(self, toks: Iterable[str]) -> list[str]:
        """The indexed tokens among toks, rarest first (ties by token)."""
        rank = self._rank
        return sorted(rank.keys() & toks, key=rank.__getitem__)

    def _shared(self, concepts: frozenset[str], words: frozenset[str],
                limit: int) -> tuple[str, ...]:
        """The shared concepts' names, then the rarest few shared words."""
        names = sorted(c.removeprefix(CONCEPT_PREFIX) for c in concepts)
        common = self._rarest_first(words.difference(names))
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
    """The score, whether it reaches the threshold, and what to ask the requester for:
    ``missing`` in English, ``gaps`` as (kind, detail) for notes in other languages (kinds:
    length, scenario, effect, phrase; detail: the minimum length, the vague phrase)."""

    score: int
    vague: bool
    missing: tuple[str, ...]
    gaps: tuple[tuple[str, str], ...] = field(default=(), compare=False)


def vagueness(subject: str, description: str, rubric: Rubric) -> Vagueness:
    """Score how vague a request is; at or above rubric.threshold it is vague.

    +1 the description has fewer than min_length characters (as normalize() leaves it:
    runs of white space count as one; a Chinese character counts as one);
    +1 no scenario marker in subject or description;
    +1 no effect marker in subject or description;
    +2 a vague phrase in subject or description (the first one in rubric order is named).
    An empty marker list disables its check. missing lists what to ask for, in that order.
    """
    text = normalize(f"{subject}\n{description}")
    gaps: list[tuple[str, str]] = []
    score = 0
    if len(normalize(description)) < rubric.min_length:
        score += 1
        gaps.append(("length", str(rubric.min_length)))
    if rubric._scenario and _first_found(rubric._scenario, text) is None:
        score += 1
        gaps.append(("scenario", ""))
    if rubric._effect and _first_found(rubric._effect, text) is None:
        score += 1
        gaps.append(("effect", ""))
    phrase = _first_found(rubric._vague, text)
    if phrase is not None:
        score += 2
        gaps.append(("phrase", phrase.text))
    missing = tuple(GAP_TEXTS["en"][kind].format(detail=detail) for kind, detail in gaps)
    return Vagueness(score, score >= rubric.threshold, missing, tuple(gaps))


# What to ask for, per language of the request (notes use the requester's language).
GAP_TEXTS = {
    "en": {"length": "a description of at least {detail} characters",
           "scenario": "the scenario (when and where it happens)",
           "effect": "the expected effect",
           "phrase": 'a concrete request instead of "{detail}"'},
    "zh": {"length": "至少 {detail} 个字的描述",
           "scenario": "使用场景（何时、何处发生）",
           "effect": "期望达到的效果",
           "phrase": "具体的需求，而不是“{detail}”"},
}
