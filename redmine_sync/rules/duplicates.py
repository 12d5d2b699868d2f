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
Tokens are held as small ints of one lexicon per run (lexicon.py).
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import filterfalse

from redmine_sync.rules.lexicon import WORD_FACTOR
from redmine_sync.rules.lexicon import Lexicon
from redmine_sync.rules.text import CONCEPT_PREFIX
from redmine_sync.rules.text import Vocabulary

OPPOSITE_FACTOR = 0.5
"""Score multiplier for two requests that differ in a pair of opposite concepts."""
SUBJECT_SHARE = 0.5
"""Share of the score that compares the subjects alone (the rest compares whole texts)."""
MIN_TERMS = 2
"""Terms two requests must share to be alike at all: one common word is no evidence."""

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


_Mass = tuple[float, float, float]  # weight of a side's tokens per script: any, zh, en
_Parts = tuple[list[float], list[float], list[float]]  # the weights summed in a _Mass
Ids = tuple[int, ...]
"""A side's token ids, ascending (as Lexicon.ids gives them)."""
Doc = tuple[int, str, Ids, Ids]
"""An indexed issue: its id, its group, its token ids and its subject's."""
Terms = frozenset[str] | tuple[str, ...]
_Key = tuple[Ids, Ids, _Mass, _Mass]
"""A class's key: its shared tokens, those of its subject, and the masses of its members."""
_Row = tuple[int, str, Ids]
"""An indexed issue while the index is built: its id, its group and its own tokens."""


@dataclass(frozen=True, slots=True)
class _Profile:
    """What scoring needs of one side: its tokens, its subject's, and their weights."""

    tokens: frozenset[int] | Ids
    mass: _Mass
    subject: frozenset[int] | Ids
    subject_mass: _Mass
    opposable: frozenset[int]  # its concepts that have opposites (usually none)


@dataclass(frozen=True, slots=True)
class _Class(_Profile):
    """Indexed issues that differ only in tokens no other indexed issue has (an order
    number, a name): they score alike against any other issue, so one score serves all.
    tokens holds the shared tokens only; mass counts all of them. by_group is None when
    every member is of one group, ``group``."""

    members: tuple[int, ...]
    group: str
    by_group: Mapping[str, tuple[int, ...]] | None

    def of_group(self, group: str) -> tuple[int, ...]:
        """The members of one group, in id order."""
        if self.by_group is None:
            return self.members if group == self.group else ()
        return self.by_group.get(group, ())


_NONE: Ids = ()
_NO_OPPOSITE: frozenset[int] = frozenset()
_NOBODY = -1


class DuplicateIndex:
    """Inverted index over the open issues' tokens, to find likely duplicates of one issue.

    Exact (the same as scoring every indexed issue), yet few issues are scored: issues
    alike but for tokens of their own form one class, scored once; and a candidate must
    share one of the query's heaviest tokens, since sharing only its lightest ones cannot
    reach min_score (prefix filtering on the concepts' weight, which every side counts).

    Compact: tokens are ids of one lexicon (a class's as one ascending tuple), and of each
    issue the index keeps, in arrays by issue id, only its group, its class and the tokens
    it alone has (usually none, or a number). Its token sets are made again when it is
    asked for them (tokens_of, or a query sharing one of its own tokens).
    """

    def __init__(self, docs: Iterable[Doc], lexicon: Lexicon, vocabulary: Vocabulary, *,
                 corpus: Iterable[Collection[int]] | None = None,
                 word_factor: float = WORD_FACTOR, opposite_factor: float = OPPOSITE_FACTOR,
                 subject_share: float = SUBJECT_SHARE, min_terms: int = MIN_TERMS) -> None:
        """docs: (issue, group, token ids, subject token ids) of the indexed issues; tokens
        need not repeat the subject's (they are joined), and texts that repeat may share
        one tuple. With corpus (the token ids of the run's issues not indexed), the
        lexicon is weighed on the indexed issues and those; without, it has its weights."""
        self._lexicon = lexicon
        self._factor = opposite_factor
        self._min_terms = min_terms
        self._beta = subject_share
        self._opposed = {lexicon.id(t): frozenset(map(lexicon.id, vocabulary.opposed(t)))
                         for t in sorted(vocabulary.opposable)}
        self._opposable = frozenset(self._opposed)
        self._build(list(docs), corpus, word_factor)

    def __len__(self) -> int:
        return len(self._issues)

    def place(self, issue_id: int) -> int | None:
        """Where an indexed issue is in the arrays by issue id (None: not indexed)."""
        place = bisect_left(self._issues, issue_id)
        if place < len(self._issues) and self._issues[place] == issue_id:
            return place
        return None

    def class_of(self, issue_id: int) -> int:
        """The class of an indexed issue: members of one class find the same candidates."""
        place = self.place(issue_id)
        if place is None:
            raise KeyError(issue_id)
        return self._class_of[place]

    def alone(self, cid: int) -> bool:
        """Whether a class has one member (what it finds is asked for once: not kept)."""
        return len(self._classes[cid].members) == 1

    def tokens_of(self, issue_id: int) -> tuple[frozenset[str], frozenset[str]] | None:
        """The tokens of an indexed issue and of its subject (None if it is not indexed)."""
        place = self.place(issue_id)
        if place is None:
            return None
        profile = self._member_profile(place)
        names = self._lexicon.names
        return (frozenset(names[t] for t in profile.tokens),
                frozenset(names[t] for t in profile.subject))

    def weight(self, token: str) -> float:
        found = self._lexicon.known(token)
        return self._lexicon.default if found is None else self._lexicon.weights[found]

    def _mass(self, toks: Iterable[int]) -> _Mass:
        """The weight of toks per script; fsum, so the result does not depend on the order
        a set is walked in (which changes from one process to the next)."""
        parts = self._parts(toks)
        return math.fsum(parts[0]), math.fsum(parts[1]), math.fsum(parts[2])

    def _parts(self, toks: Iterable[int]) -> _Parts:
        """The weights of toks per script (any, zh, en)."""
        parts: _Parts = ([], [], [])
        scripts, weights = self._lexicon.scripts, self._lexicon.weights
        for tok in toks:
            parts[scripts[tok]].append(weights[tok])
        return parts

    def _mass_with(self, shared: Ids, own: Ids, known: dict[Ids, tuple[_Parts, _Mass]]
                   ) -> _Mass:
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
        """A query's profile (sets of the ids of its tokens and its subject's)."""
        ids = self._lexicon.id
        full = frozenset(map(ids, toks)).union(map(ids, subject))
        subject_ids = frozenset(map(ids, subject))
        return _Profile(full, self._mass(full), subject_ids, self._mass(subject_ids),
                        full & self._opposable)

    def _build(self, docs: list[Doc], corpus: Iterable[Collection[int]] | None,
               word_factor: float) -> None:
        """The classes, the postings and the arrays by issue id (see the class)."""
        df: Counter[int] = Counter()
        fulls: list[Ids] = []
        seen: set[int] = set()
        for issue_id, _, toks, subject in docs:
            if issue_id in seen:
                raise ValueError(f"issue {issue_id} is indexed twice")
            seen.add(issue_id)
            full = _full(toks, subject)
            df.update(full)
            fulls.append(full)
        if corpus is not None:
            self._weigh(df, len(docs), corpus, word_factor)
        # a concept with opposites is never "own": the opposites test needs it
        singles = frozenset(t for t, n in df.items() if n == 1 and t not in self._opposed)
        del df
        alike, rows = self._alike(docs, fulls, singles)
        del fulls
        self._scored: dict[tuple[int | None, float], tuple[tuple[float, int], ...]] = {}
        self._said: dict[tuple[int, int], tuple[tuple[str, float], ...]] = {}
        # (class, group or None, min_score, limit) -> its members' candidates, themselves
        # included (see candidates_of)
        self._ranked: dict[tuple[int, str | None, float, int], tuple[Candidate, ...]] = {}
        self._classes: list[_Class] = []
        class_at = array("i", bytes(array("i").itemsize * len(rows)))
        postings: dict[int, list[int]] = {}
        for cid, (key, places) in enumerate(alike.items()):
            self._classes.append(self._class(key, [rows[place] for place in places]))
            for tok in key[0]:
                postings.setdefault(tok, []).append(cid)
            for place in places:
                class_at[place] = cid
        self._postings = {t: tuple(c) for t, c in postings.items()}
        self._arrays(rows, class_at)
        self._lexicon.compact()

    def _weigh(self, df: Counter[int], indexed: int, corpus: Iterable[Collection[int]],
               word_factor: float) -> None:
        """The lexicon's weights over the indexed issues (df) and the corpus's others."""
        holding = Counter(df)
        documents = indexed
        for toks in corpus:
            holding.update(toks)
            documents += 1
        self._lexicon.weigh(holding, documents, word_factor)

    def _alike(self, docs: list[Doc], fulls: list[Ids], singles: frozenset[int]
               ) -> tuple[dict[_Key, list[int]], list[_Row]]:
        """The indexed issues by class key (shared tokens, shared subject tokens, masses),
        as places in a list of (issue, group, its own tokens); an own token of the subject
        is kept as ~id (see _own_of)."""
        groups: dict[str, str] = {}
        alike: dict[_Key, list[int]] = {}
        rows: list[_Row] = []
        known: dict[Ids, tuple[_Parts, _Mass]] = {}
        for (issue_id, group, _, subject), full in zip(docs, fulls, strict=True):
            own = singles.intersection(full) if singles else _NO_OPPOSITE
            if own:
                mine = tuple(sorted(own))
                shared = tuple(filterfalse(own.__contains__, full))
                shared_subject = tuple(filterfalse(own.__contains__, subject))
                own_subject = tuple(filter(subject.__contains__, mine))
                coded = tuple(~t if t in own_subject else t for t in mine)
            else:
                mine = own_subject = coded = _NONE
                shared, shared_subject = full, subject
            key = (shared, shared_subject, self._mass_with(shared, mine, known),
                   self._mass_with(shared_subject, own_subject, known))
            alike.setdefault(key, []).append(len(rows))
            rows.append((issue_id, groups.setdefault(group, group), coded))
        return alike, rows

    def _class(self, key: _Key, rows: list[_Row]) -> _Class:
        """The class of the issues of one key (rows: theirs)."""
        tokens, subject, mass, subject_mass = key
        opposite = self._opposable.intersection(tokens) if self._opposable else _NO_OPPOSITE
        members: tuple[int, ...]
        if len(rows) == 1:
            members, group, by_group = (rows[0][0],), rows[0][1], None
        else:
            rows.sort()
            members = tuple(row[0] for row in rows)
            groups = {row[1] for row in rows}
            group, by_group = min(groups), None
            if len(groups) > 1:
                lists: dict[str, list[int]] = {}
                for issue_id, of, _ in rows:
                    lists.setdefault(of, []).append(issue_id)
                by_group = {g: tuple(m) for g, m in lists.items()}
        return _Class(tokens, mass, subject, subject_mass, opposite or _NO_OPPOSITE, members,
                      group, by_group)

    def _arrays(self, rows: list[_Row], class_at: array[int]) -> None:
        """Each indexed issue's class, group and own tokens, in arrays by issue id; and the
        issue that alone has a token, by token."""
        ids = [row[0] for row in rows]
        order = sorted(range(len(rows)), key=ids.__getitem__)
        self._issues = array("q", map(ids.__getitem__, order))
        self._class_of = array("i", map(class_at.__getitem__, order))
        groups: dict[str, int] = {}
        self._group_of = array("i", (groups.setdefault(rows[at][1], len(groups))
                                     for at in order))
        self._groups = tuple(groups)
        self._own_from = array("i", [0])
        self._own = array("i")
        self._owner = array("i", [_NOBODY]) * len(self._lexicon)
        for place, at in enumerate(order):
            own = rows[at][2]
            for tok in own:
                self._owner[tok if tok >= 0 else ~tok] = place
            self._own.extend(own)
            self._own_from.append(len(self._own))

    def _group(self, place: int) -> str:
        return self._groups[self._group_of[place]]

    def _own_of(self, place: int) -> tuple[Ids, Ids]:
        """The tokens only this indexed issue has, and those of them in its subject."""
        own = self._own[self._own_from[place]:self._own_from[place + 1]]
        if not own:
            return _NONE, _NONE
        return (tuple(t if t >= 0 else ~t for t in own), tuple(~t for t in own if t < 0))

    def _member_profile(self, place: int) -> _Profile:
        """An indexed issue's own profile (sets): its class's plus the tokens it alone has."""
        known = self._classes[self._class_of[place]]
        own, own_subject = self._own_of(place)
        return _Profile(frozenset(known.tokens).union(own), known.mass,
                        frozenset(known.subject).union(own_subject), known.subject_mass,
                        known.opposable)

    def score(self, a: tuple[frozenset[str], frozenset[str]],
              b: tuple[frozenset[str], frozenset[str]]) -> Candidate:
        """The score of two (tokens, subject tokens) pairs (issue_id 0), for tests."""
        return self._score(0, self._profile(*a), self._profile(*b))

    def _dice(self, shared: frozenset[int], a: _Mass, b: _Mass) -> float:
        """Weighted Dice; each side counts only what the other side could match."""
        if not shared:
            return 0.0
        qa, qz, qe = a
        da, dz, de = b
        total = (qa + (qz if dz else 0.0) + (qe if de else 0.0)
                 + da + (dz if qz else 0.0) + (de if qe else 0.0))
        if not total:
            return 0.0
        return min(1.0, 2 * math.fsum(map(self._lexicon.weights.__getitem__, shared)) / total)

    def _score(self, doc_id: int, query: _Profile, doc: _Profile) -> Candidate:
        score = self._value(query, doc)
        if not score:
            return Candidate(doc_id, 0.0, ())
        return Candidate(doc_id, score, self._matched(_common(query.tokens, doc.tokens)))

    def _matched(self, shared: frozenset[int]) -> tuple[tuple[str, float], ...]:
        names, weights = self._lexicon.names, self._lexicon.weights
        matched = sorted(((names[t], weights[t]) for t in shared), key=lambda m: (-m[1], m[0]))
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
        if (query.opposable or doc.opposable) and self._opposed_pair(query, doc):
            score *= self._factor
        return min(1.0, score)

    def _opposed_pair(self, a: _Profile, b: _Profile) -> bool:
        """Whether one side has a concept whose opposite only the other side has."""
        only_b = b.opposable - a.opposable
        return any(self._opposed[t] & only_b for t in a.opposable - b.opposable)

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
        place = self.place(issue_id)
        if place is not None:
            indexed = self._member_profile(place)
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
        place = self.place(issue_id)
        if place is None:
            raise KeyError(issue_id)
        mine = self._class_of[place]
        key = (mine, group if same_group else None, min_score, limit)
        ranked = self._ranked.get(key)
        if ranked is None:
            query = self._member_profile(place)
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
        apart = {} if mine is not None else \
            {self._issues[place]: place for place in self._owners(query.tokens)}
        apart.pop(issue_id, None)
        for doc_id, place in apart.items():
            if same_group and self._group(place) != group:
                continue
            profile = alone[doc_id] = self._member_profile(place)
            score = self._value(query, profile)
            if score >= min_score - _EPS and score > 0:
                found.append((-score, doc_id, -1))
        skip = set(apart)
        if not keep_self:
            skip.add(issue_id)
        # Everyone else: one score per class, its first members in id order.
        for score, cid in self._class_scores(query, min_score, mine):
            cls = self._classes[cid]
            members = cls.of_group(group) if same_group else cls.members
            taken = 0
            for doc_id in members:
                if doc_id not in skip:
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

    def _owners(self, toks: Iterable[int]) -> set[int]:
        """The places of the indexed issues that alone have one of toks."""
        owner, known = self._owner, len(self._owner)
        return {owner[t] for t in toks if t < known and owner[t] != _NOBODY}

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
            score = self._value(query, self._classes[cid])
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
            return self._matched(_common(query.tokens, self._classes[cid].tokens))
        matched = self._said.get((mine, cid))
        if matched is None:
            matched = self._said[(mine, cid)] = self._matched(
                _common(query.tokens, self._classes[cid].tokens))
        return matched

    def _reaching(self, query: _Profile, min_score: float) -> set[int]:
        """A superset of the classes that can score min_score: those sharing one of the
        query's heaviest tokens (prefix filtering). Sharing only tokens of total weight R,
        R_s of them in the subject, a class scores at most
        (1 - subject_share) * 2R / (a + R) + subject_share * 2R_s / (a_s + R_s),
        where a and a_s weigh the query's concepts and digits (every side counts them)."""
        weights, beta = self._lexicon.weights, self._beta
        ranked = sorted(query.tokens, key=lambda t: (-weights[t], t))
        rest = math.fsum(map(weights.__getitem__, ranked))
        rest_s = math.fsum(map(weights.__getitem__, query.subject))
        least = min_score - _EPS
        found: set[int] = set()
        postings = self._postings
        for tok in ranked:
            if (1 - beta) * _most(rest, query.mass[0]) + beta * _most(
                    rest_s, query.subject_mass[0]) < least:
                break
            found.update(postings.get(tok, ()))
            w = weights[tok]
            rest -= w
            if tok in query.subject:
                rest_s -= w
        return found


def _full(toks: Ids, subject: Ids) -> Ids:
    """A side's token ids with its subject's, ascending."""
    if not subject:
        return toks
    if not toks:
        return subject
    return tuple(sorted(frozenset(toks).union(subject)))


def _common(a: frozenset[int] | Ids, b: frozenset[int] | Ids) -> frozenset[int]:
    """The tokens two sides share (a query's are a set; the index's may be a tuple)."""
    if isinstance(a, frozenset):
        return a.intersection(b)
    return frozenset(b).intersection(a) if isinstance(b, tuple) else b.intersection(a)


def _most(shared: float, floor: float) -> float:
    """The highest weighted Dice a side weighing at least `floor` can reach sharing
    `shared`: 2S / (floor + S), with the other side no lighter than S."""
    if shared <= _EPS:
        return 0.0
    return min(1.0, 2 * shared / (floor + shared))
