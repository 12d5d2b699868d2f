"""Duplicate search: which open requests say the same as this one, and why.

Two requests are compared by the words and concepts they share (text.tokens()), each
weighted by how rare it is in this Redmine: the inverse document frequency over every
issue the run sees, open or closed, idf(t) = ln(1 + N / df(t)). A word most requests use
("system", "希望") weighs little; "人脸识别" or "standing order" weighs a lot. The score is
the weighted Dice coefficient

    2 * w(shared) / (w(A) + w(B))

where a side's weight counts only the tokens the other side could match: concepts and
words with digits always, Chinese words only if the other side has Chinese words,
English words only if it has English words. So a Chinese and an English request are
compared on their concepts (the glossary) and anchors like "14", not marked down for
the words of the other language. A pair that differs in declared opposites (export /
import, cancel / create) is multiplied by opposite_factor; a pair sharing fewer than
min_terms tokens scores 0.

Pure and deterministic: no I/O, no clock; sums are exact (math.fsum), so a score is the
same in every process whatever order its sets are walked in; ties go to the older id.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from redmine_sync.rules.text import CONCEPT_PREFIX
from redmine_sync.rules.text import Vocabulary
from redmine_sync.rules.text import script

OPPOSITE_FACTOR = 0.5
"""Score multiplier for two requests that differ in a pair of opposite concepts."""
SUBJECT_SHARE = 0.5
"""Share of the score that compares the subjects alone (the rest compares whole texts)."""
MIN_TERMS = 2
"""Terms two requests must share to be alike at all: one common word is no evidence."""

_SCRIPTS = ("any", "zh", "en")
_EPS = 1e-9


@dataclass(frozen=True)
class Candidate:
    """A possible duplicate: its issue, its score and the terms that matched, with their
    weights, heaviest first (concepts are named without their prefix)."""

    issue_id: int
    score: float
    matched: tuple[tuple[str, float], ...]

    @property
    def shared(self) -> tuple[str, ...]:
        return tuple(term for term, _ in self.matched)


WORD_FACTOR = 0.5
"""Weight of a word outside the glossary relative to a concept of the same rarity: known
product terms are better evidence than the other words of a request."""


def idf_weights(corpus: Iterable[frozenset[str]], *,
                word_factor: float = WORD_FACTOR) -> dict[str, float]:
    """ln(1 + N / df) of every token of the corpus (one token set per issue); a word that
    is no concept and has no digit weighs word_factor times that."""
    df: Counter[str] = Counter()
    n = 0
    for toks in corpus:
        df.update(toks)
        n += 1
    return {t: math.log(1 + n / d) * (1.0 if script(t) == "any" else word_factor)
            for t, d in df.items()}


_Mass = tuple[float, float, float]  # weight of a side's tokens per script: any, zh, en
_Parts = tuple[list[float], list[float], list[float]]  # the weights summed in a _Mass
Terms = frozenset[str] | tuple[str, ...]
"""A side's tokens: a set for a query; a sorted tuple (8 bytes a token) in the index."""


@dataclass(frozen=True, slots=True)
class _Profile:
    """What scoring needs of one side: its tokens, its subject's, and their weights."""

    tokens: Terms
    mass: _Mass
    subject: Terms
    subject_mass: _Mass
    opposable: frozenset[str]  # its concepts that have opposites (usually none)


@dataclass(frozen=True, slots=True)
class _Class:
    """Indexed issues that differ only in tokens no other indexed issue has (an order
    number, a name): they score alike against any other issue, so one score serves all.
    profile.tokens holds the shared tokens only; profile.mass counts all of them."""

    profile: _Profile
    members: tuple[int, ...]
    by_group: Mapping[str, tuple[int, ...]]


_NONE: tuple[str, ...] = ()
_NO_OPPOSITE: frozenset[str] = frozenset()


class DuplicateIndex:
    """Inverted index over the open issues' tokens, to find likely duplicates of one issue.

    Exact (the same as scoring every indexed issue), yet few issues are scored: issues
    alike but for tokens of their own form one class, scored once; and a candidate must
    share one of the query's heaviest tokens, since sharing only its lightest ones cannot
    reach min_score (prefix filtering on the concepts' weight, which every side counts).

    Compact: the index keeps each class's tokens as one sorted tuple of the interned token
    strings (no hash table per issue), and of each issue only its group, its class and
    the tokens it alone has (usually none, or a number). Its token sets are made again
    when it is asked for them (tokens_of, or a query sharing one of its own tokens).
    """

    def __init__(self, docs: Iterable[tuple[int, str, Terms, Terms]],
                 weights: Mapping[str, float], vocabulary: Vocabulary, *,
                 opposite_factor: float = OPPOSITE_FACTOR, subject_share: float = SUBJECT_SHARE,
                 min_terms: int = MIN_TERMS) -> None:
        """docs: (issue, group, tokens, subject tokens); tokens need not repeat the
        subject's (they are joined), and texts that repeat may share one object."""
        self._weights = weights
        self._default = max(weights.values(), default=1.0)
        self._vocabulary = vocabulary
        self._factor = opposite_factor
        self._opposable = vocabulary.opposable
        self._min_terms = min_terms
        self._beta = subject_share
        # issue -> (group, its class in self._classes, tokens only it has, those in its
        # subject)
        self._docs: dict[int, tuple[str, int, tuple[str, ...], tuple[str, ...]]] = {}
        self._build(list(docs))

    def __len__(self) -> int:
        return len(self._docs)

    def class_of(self, issue_id: int) -> int:
        """The class of an indexed issue: members of one class find the same candidates."""
        return self._docs[issue_id][1]

    def alone(self, cid: int) -> bool:
        """Whether a class has one member (what it finds is asked for once: not kept)."""
        return len(self._classes[cid].members) == 1

    def tokens_of(self, issue_id: int) -> tuple[frozenset[str], frozenset[str]] | None:
        """The tokens of an indexed issue and of its subject (None if it is not indexed)."""
        doc = self._docs.get(issue_id)
        if doc is None:
            return None
        _, cid, own, own_subject = doc
        profile = self._classes[cid].profile
        return (frozenset(profile.tokens).union(own),
                frozenset(profile.subject).union(own_subject))

    def weight(self, token: str) -> float:
        return self._weights.get(token, self._default)

    def _mass(self, toks: Iterable[str]) -> _Mass:
        """The weight of toks per script; fsum, so the result does not depend on the order
        a set is walked in (which changes from one process to the next)."""
        parts = self._parts(toks)
        return math.fsum(parts[0]), math.fsum(parts[1]), math.fsum(parts[2])

    def _parts(self, toks: Iterable[str]) -> _Parts:
        """The weights of toks per script (any, zh, en)."""
        parts: _Parts = ([], [], [])
        scripts, weights, default = self._scripts, self._weights, self._default
        for tok in toks:
            where = scripts.get(tok)
            if where is None:
                where = _SCRIPTS.index(script(tok))
            parts[where].append(weights.get(tok, default))
        return parts

    def _mass_with(self, shared: tuple[str, ...], own: tuple[str, ...],
                   known: dict[tuple[str, ...], tuple[_Parts, _Mass]]) -> _Mass:
        """_mass(shared + own), the weights of shared looked up once per run (issues of
        one class share them): fsum is exact, so how the weights are split is no matter."""
        found = known.get(shared)
        if found is None:
            parts = self._parts(shared)
            found = known[shared] = (parts, (math.fsum(parts[0]), math.fsum(parts[1]),
                                             math.fsum(parts[2])))
        if not own:
            return found[1]
        parts, more = found[0], self._parts(own)
        return (math.fsum(parts[0] + more[0]), math.fsum(parts[1] + more[1]),
                math.fsum(parts[2] + more[2]))

    def _profile(self, toks: Terms, subject: Terms) -> _Profile:
        """A query's profile (sets of its tokens and its subject's)."""
        full = frozenset(toks).union(subject)
        subject = frozenset(subject)
        return _Profile(full, self._mass(full), subject, self._mass(subject),
                        full & self._opposable)

    def _build(self, docs: list[tuple[int, str, Terms, Terms]]) -> None:
        self._scripts = {t: _SCRIPTS.index(script(t)) for t in self._weights}
        df: Counter[str] = Counter()
        seen: set[int] = set()
        for issue_id, _, toks, subject in docs:
            if issue_id in seen:
                raise ValueError(f"issue {issue_id} is indexed twice")
            seen.add(issue_id)
            df.update(_full(toks, subject))
        self._owner: dict[str, int] = {}  # token -> the one indexed issue that has it
        opposed = self._vocabulary.opposed
        # a concept with opposites is never "own": the opposites test needs it
        singles = frozenset(t for t, n in df.items() if n == 1 and not opposed(t))
        groups: dict[str, str] = {}
        # class key (shared tokens, shared subject tokens, masses) -> its members' places
        alike: dict[tuple[tuple[str, ...], tuple[str, ...], _Mass, _Mass], list[int]] = {}
        kept: list[tuple[int, str, tuple[str, ...], tuple[str, ...]]] = []
        known: dict[tuple[str, ...], tuple[_Parts, _Mass]] = {}
        for issue_id, group, toks, subject in docs:
            full = _full(toks, subject)   # made again: kept for every issue, it costs memory
            own = tuple(sorted(full & singles)) if singles else _NONE
            for tok in own:
                self._owner[tok] = issue_id
            shared = tuple(sorted(full.difference(own) if own else full))
            own_subject = tuple(t for t in own if t in subject) if own else _NONE
            shared_subject = tuple(sorted(frozenset(subject).difference(own)))
            key = (shared, shared_subject, self._mass_with(shared, own, known),
                   self._mass_with(shared_subject, own_subject, known))
            alike.setdefault(key, []).append(len(kept))
            kept.append((issue_id, groups.setdefault(group, group), own or _NONE, own_subject))
        self._classes: list[_Class] = []
        self._scored: dict[tuple[int | None, float], tuple[tuple[float, int], ...]] = {}
        self._said: dict[tuple[int, int], tuple[tuple[str, float], ...]] = {}
        # (class, group or None, min_score, limit) -> its members' candidates, themselves
        # included (see candidates_of)
        self._ranked: dict[tuple[int, str | None, float, int], tuple[Candidate, ...]] = {}
        postings: dict[str, list[int]] = {}
        opposable = self._opposable
        for cid, ((tokens, subject, mass, subject_mass), places) in enumerate(alike.items()):
            members = sorted(kept[place] for place in places)
            by_group: dict[str, list[int]] = {}
            for issue_id, group, own, own_subject in members:
                self._docs[issue_id] = (group, cid, own, own_subject)
                by_group.setdefault(group, []).append(issue_id)
            opposite = frozenset(tokens).intersection(opposable) if opposable else _NO_OPPOSITE
            profile = _Profile(tokens, mass, subject, subject_mass, opposite or _NO_OPPOSITE)
            self._classes.append(_Class(profile, tuple(m[0] for m in members),
                                        {g: tuple(m) for g, m in by_group.items()}))
            for tok in tokens:
                postings.setdefault(tok, []).append(cid)
        self._postings = {t: tuple(c) for t, c in postings.items()}

    def _member_profile(self, doc_id: int) -> _Profile:
        """An indexed issue's own profile (sets): its class's plus the tokens it alone has."""
        _, cid, own, own_subject = self._docs[doc_id]
        known = self._classes[cid].profile
        return _Profile(frozenset(known.tokens).union(own), known.mass,
                        frozenset(known.subject).union(own_subject), known.subject_mass,
                        known.opposable)

    def score(self, a: tuple[frozenset[str], frozenset[str]],
              b: tuple[frozenset[str], frozenset[str]]) -> Candidate:
        """The score of two (tokens, subject tokens) pairs (issue_id 0), for tests."""
        return self._score(0, self._profile(*a), self._profile(*b))

    def _dice(self, shared: frozenset[str], a: _Mass, b: _Mass) -> float:
        """Weighted Dice; each side counts only what the other side could match."""
        if not shared:
            return 0.0
        qa, qz, qe = a
        da, dz, de = b
        total = (qa + (qz if dz else 0.0) + (qe if de else 0.0)
                 + da + (dz if qz else 0.0) + (de if qe else 0.0))
        if not total:
            return 0.0
        weights = self._weights
        if shared <= weights.keys():  # always so for indexed issues
            return min(1.0, 2 * math.fsum(map(weights.__getitem__, shared)) / total)
        return min(1.0, 2 * math.fsum(weights.get(t, self._default) for t in shared) / total)

    def _score(self, doc_id: int, query: _Profile, doc: _Profile) -> Candidate:
        score = self._value(query, doc)
        if not score:
            return Candidate(doc_id, 0.0, ())
        return Candidate(doc_id, score, self._matched(_common(query.tokens, doc.tokens)))

    def _matched(self, shared: frozenset[str]) -> tuple[tuple[str, float], ...]:
        weight = self.weight
        matched = sorted(((t, weight(t)) for t in shared), key=lambda m: (-m[1], m[0]))
        return tuple((t.removeprefix(CONCEPT_PREFIX), round(w, 2)) for t, w in matched)

    def _value(self, query: _Profile, doc: _Profile) -> float:
        """The score of a query against an issue or class (see the module's docstring)."""
        shared = _common(query.tokens, doc.tokens)
        if len(shared) < max(1, self._min_terms):
            return 0.0
        score = (1 - self._beta) * self._dice(shared, query.mass, doc.mass)
        if self._beta:
            score += self._beta * self._dice(_common(query.subject, doc.subject),
                                             query.subject_mass, doc.subject_mass)
        if (query.opposable or doc.opposable) and self._opposed(query, doc):
            score *= self._factor
        return min(1.0, score)

    def _opposed(self, a: _Profile, b: _Profile) -> bool:
        """Whether one side has a concept whose opposite only the other side has."""
        vocab = self._vocabulary
        only_b = b.opposable - a.opposable
        return any(vocab.opposed(t) & only_b for t in a.opposable - b.opposable)

    def candidates(self, issue_id: int, group: str, toks: frozenset[str], *,
                   min_score: float, same_group: bool, limit: int = 5,
                   subject: frozenset[str] = frozenset()) -> tuple[Candidate, ...]:
        """Other issues scoring at least min_score, best first, then older (lower) id.

        toks are the tokens of the issue's subject and description, subject those of its
        subject. With same_group only issues of the same non-empty group count. Issues
        sharing fewer than min_terms tokens with toks are never candidates."""
        if limit <= 0 or (same_group and not group) or not toks:
            return ()
        query = self._profile(toks, subject)
        member = self._docs.get(issue_id)
        if member is not None:
            indexed = self._member_profile(issue_id)
            if indexed.tokens == query.tokens and indexed.subject == query.subject:
                return self.candidates_of(issue_id, group, min_score=min_score,
                                          same_group=same_group, limit=limit)
        return self._candidates(issue_id, group, query, None, min_score=min_score,
                                same_group=same_group, limit=limit)

    def candidates_of(self, issue_id: int, group: str, *, min_score: float,
                      same_group: bool, limit: int = 5) -> tuple[Candidate, ...]:
        """candidates() of an indexed issue, with the tokens indexed for it.

        Every member of a class finds the same candidates but itself (its own tokens are
        no other issue's): they are ranked once per class and group, one more than asked,
        and each member takes them without itself."""
        if limit <= 0 or (same_group and not group):
            return ()
        mine = self._docs[issue_id][1]
        key = (mine, group if same_group else None, min_score, limit)
        ranked = self._ranked.get(key)
        if ranked is None:
            query = self._member_profile(issue_id)
            ranked = () if not query.tokens else self._candidates(
                issue_id, group, query, mine, min_score=min_score, same_group=same_group,
                limit=limit + 1, keep_self=True)
            if not self.alone(mine):   # kept for the other members only
                self._ranked[key] = ranked
        return tuple(c for c in ranked if c.issue_id != issue_id)[:limit]

    def _candidates(self, issue_id: int, group: str, query: _Profile, mine: int | None, *,
                    min_score: float, same_group: bool, limit: int, keep_self: bool = False
                    ) -> tuple[Candidate, ...]:
        found: list[tuple[float, int, int]] = []  # -score, issue, class (-1: scored alone)
        alone: dict[int, _Profile] = {}
        # Issues sharing a token of their own with the query: scored one by one (an
        # indexed issue's own tokens are its alone, so it shares none with another).
        apart = set() if mine is not None else \
            {self._owner[t] for t in self._owner.keys() & query.tokens}
        apart.discard(issue_id)
        for doc_id in apart:
            if same_group and self._docs[doc_id][0] != group:
                continue
            profile = alone[doc_id] = self._member_profile(doc_id)
            score = self._value(query, profile)
            if score >= min_score - _EPS and score > 0:
                found.append((-score, doc_id, -1))
        if not keep_self:
            apart.add(issue_id)
        # Everyone else: one score per class, its first members in id order.
        for score, cid in self._class_scores(query, min_score, mine):
            cls = self._classes[cid]
            members = cls.by_group.get(group, ()) if same_group else cls.members
            taken = 0
            for doc_id in members:
                if doc_id not in apart:
                    found.append((-score, doc_id, cid))
                    taken += 1
                    if taken == limit:
                        break
        best = heapq.nsmallest(limit, found)  # by score, then id: each id is found once
        out = []
        for neg, doc_id, cid in best:
            if cid < 0:
                matched = self._matched(_common(query.tokens, alone[doc_id].tokens))
            else:
                matched = self._class_matched(query, mine, cid)
            out.append(Candidate(doc_id, -neg, matched))
        return tuple(out)

    def _class_scores(self, query: _Profile, min_score: float, mine: int | None
                      ) -> tuple[tuple[float, int], ...]:
        """(score, class) of the classes scoring at least min_score against the query.

        The members of one class (mine) differ only in tokens no other issue has, and
        their masses are the same: every other class scores alike against each of them,
        so it is computed for the first member that asks and kept for the others."""
        key = (mine, min_score)
        if mine is not None and key in self._scored:
            return self._scored[key]
        scored = []
        for cid in self._reaching(query, min_score):
            score = self._value(query, self._classes[cid].profile)
            if score >= min_score - _EPS and score > 0:
                scored.append((score, cid))
        result = tuple(scored)
        if mine is not None:
            self._scored[key] = result
        return result

    def _class_matched(self, query: _Profile, mine: int | None, cid: int
                       ) -> tuple[tuple[str, float], ...]:
        """The terms a query shares with a class (the same for every member of mine)."""
        if mine is None:
            return self._matched(_common(query.tokens, self._classes[cid].profile.tokens))
        matched = self._said.get((mine, cid))
        if matched is None:
            matched = self._said[(mine, cid)] = self._matched(
                _common(query.tokens, self._classes[cid].profile.tokens))
        return matched

    def _reaching(self, query: _Profile, min_score: float) -> set[int]:
        """A superset of the classes that can score min_score: those sharing one of the
        query's heaviest tokens (prefix filtering). Sharing only tokens of total weight R,
        R_s of them in the subject, a class scores at most
        (1 - subject_share) * 2R / (a + R) + subject_share * 2R_s / (a_s + R_s),
        where a and a_s weigh the query's concepts and digits (every side counts them)."""
        weights, default, beta = self._weights, self._default, self._beta
        ranked = sorted(query.tokens, key=lambda t: (-weights.get(t, default), t))
        rest = math.fsum(weights.get(t, default) for t in ranked)
        rest_s = math.fsum(weights.get(t, default) for t in query.subject)
        least = min_score - _EPS
        found: set[int] = set()
        for tok in ranked:
            if (1 - beta) * _most(rest, query.mass[0]) + beta * _most(
                    rest_s, query.subject_mass[0]) < least:
                break
            found.update(self._postings.get(tok, ()))
            w = weights.get(tok, default)
            rest -= w
            if tok in query.subject:
                rest_s -= w
        return found


def _full(toks: Terms, subject: Terms) -> frozenset[str]:
    """A side's tokens with its subject's."""
    if isinstance(toks, frozenset) and toks.issuperset(subject):
        return toks
    return frozenset(toks).union(subject)


def _common(a: Terms, b: Terms) -> frozenset[str]:
    """The tokens two sides share (a query's are a set; the index's may be a tuple)."""
    if isinstance(a, frozenset):
        return a.intersection(b)
    return frozenset(b).intersection(a) if isinstance(b, (tuple, list)) else b.intersection(a)


def _most(shared: float, floor: float) -> float:
    """The highest weighted Dice a side weighing at least `floor` can reach sharing
    `shared`: 2S / (floor + S), with the other side no lighter than S."""
    if shared <= _EPS:
        return 0.0
    return min(1.0, 2 * shared / (floor + shared))
