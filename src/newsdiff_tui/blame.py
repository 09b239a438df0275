"""Sentence blame: which version introduced each sentence of a version, and which last edited it.

Every sentence of every version belongs to a *lineage*: the sentence as it lives on through the
history, edited or not. Walking the versions oldest first, each step carries lineages forward
(cheapest matching first, so a long history costs little more than reading it):

1. Exact text: a sentence whose text the previous version had keeps that sentence's lineage
   (a hash lookup; duplicates pair in order).
2. Text seen before: a sentence whose exact text an earlier version had takes that text's
   lineage back. If the lineage is still alive in the previous version under other wording,
   this is an edit (back to an earlier wording); if it had been removed, it is *restored*.
3. Fuzzy: what is left on each side is paired by similarity (the diff engine's word and
   word-pair measure), best pairs first: an edited sentence keeps its lineage and records the
   version of the edit. Left-overs are then tried against removed lineages (restored with an
   edit). Both passes are bounded, so a wholesale rewrite cannot make blame slow.
4. Whatever is still unmatched is new in this version.

Pure functions over a sequence of ``Version``: the CLI and the TUI (from a thread worker) call
``blame`` with the versions the store returns.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

from newsdiff_tui.diff import Signature, similarity
from newsdiff_tui.errors import NotFoundError
from newsdiff_tui.model import Version

__all__ = ["Blame", "BlamedSentence", "blame", "split_sentences"]

# Two sentences at least this similar (diff.similarity, 0..1) are one sentence, edited.
SENTENCE_THRESHOLD = 0.5
# Bound on the similarity pairs one fuzzy pass may compare (a wholesale rewrite of a long
# article); past it, the left-overs count as new rather than making blame slow.
FUZZY_CELLS = 40_000

# A sentence ends at . ! ? or … (with closing quotes or brackets) before a space and a capital,
# a digit or an opening quote; abbreviations and initials are checked in ``split_sentences``.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+")
_OPENERS = "\"'“‘«([¿¡"
_ABBREVIATIONS = frozenset(
    {
        *("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "sen", "rep", "gov"),
        *("lt", "col", "sgt", "capt", "cmdr", "adm", "maj", "rev", "hon", "pres", "mt", "ft"),
        *("no", "nos", "vs", "etc", "inc", "corp", "co", "ltd", "approx", "dept", "est", "fig"),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
    }
)


def split_sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences, in order; joined with single spaces they give it back.

    Rule-based: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes) followed
    by a space and a capital letter, a digit or an opening quote, unless the word before the
    stop is an initial ("Mark T. Esper"), a dotted abbreviation ("U.S.") or a common title or
    abbreviation ("Dr.", "Jan."). Stored text is normalised (single spaces), so the pieces
    join back exactly.
    """
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        if end >= len(paragraph):
            break
        following = paragraph[end]
        if not (following.isupper() or following.isdigit() or following in _OPENERS):
            continue
        stop = match.start()
        word = paragraph[start:stop].rsplit(" ", 1)[-1].lstrip(_OPENERS)
        if paragraph[stop] == "." and _is_abbreviation(word):
            continue
        sentences.append(paragraph[start:end].rstrip())
        start = end
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_abbreviation(word: str) -> bool:
    """Whether a word ending in a full stop is an initial or an abbreviation, not a sentence end."""
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "Mark T. Esper"
    if "." in word and len(word) <= 6:
        return True  # "U.S", "a.m", "Ph.D"
    return word.casefold() in _ABBREVIATIONS


@dataclass(frozen=True)
class BlamedSentence:
    """One sentence of the blamed version with the history of its lineage.

    ``introduced``: the version whose text first had this sentence (in any wording).
    ``edited``: the version that last changed its wording, None if it still has the wording it
    was introduced with. ``restored``: the last version in which it came back after versions
    without it, None if it was never removed. Times are the versions' ``fetched_at``.
    """

    text: str
    paragraph: int  # index of its paragraph in the blamed version; -1 for the title
    introduced: int
    introduced_at: datetime
    after_first_seen: timedelta  # introduced_at minus the first version's time
    edited: int | None = None
    edited_at: datetime | None = None
    restored: int | None = None
    restored_at: datetime | None = None


@dataclass(frozen=True)
class Blame:
    """The blame of one version: its title and each sentence, in reading order."""

    version: int
    fetched_at: datetime
    first_seen: datetime  # the first version's time
    version_count: int  # versions in the history (not only up to the blamed one)
    title: BlamedSentence | None
    sentences: tuple[BlamedSentence, ...]

    def paragraphs(self) -> list[list[BlamedSentence]]:
        """The sentences grouped by paragraph, in order (for views that lay out paragraphs)."""
        groups: dict[int, list[BlamedSentence]] = defaultdict(list)
        for sentence in self.sentences:
            groups[sentence.paragraph].append(sentence)
        return [groups[k] for k in sorted(groups)]


class _Lineage:
    """A sentence as it lives on through the versions (mutable while the walk goes on)."""

    __slots__ = ("edited", "id", "introduced", "restored", "text")

    def __init__(self, lineage_id: int, text: str, introduced: int) -> None:
        self.id = lineage_id
        self.text = text  # its wording in the latest version that had it
        self.introduced = introduced
        self.edited: int | None = None
        self.restored: int | None = None


@dataclass
class _Slot:
    """A sentence position of the current version, and the lineage it belongs to."""

    text: str
    paragraph: int
    lineage: _Lineage | None = None


class _Walk:
    """Carries lineages from version to version for one stream of text (the body or the title)."""

    def __init__(self, threshold: float = SENTENCE_THRESHOLD) -> None:
        self._threshold = threshold
        self._ids = count()
        self.current: list[_Slot] = []
        self.first_with_text: dict[str, _Lineage] = {}  # every wording ever seen -> its lineage
        self.removed: dict[int, _Lineage] = {}  # lineages absent from the current version
        self._signatures: dict[str, Signature] = {}

    def step(self, number: int, slots: list[_Slot]) -> None:
        """Make ``slots`` (the sentences of version ``number``) the current version."""
        previous = self.current
        by_text: dict[str, deque[_Slot]] = defaultdict(deque)
        for old in previous:
            by_text[old.text].append(old)
        # 1. Exact text carried forward from the previous version.
        left_new: list[_Slot] = []
        for slot in slots:
            queue = by_text.get(slot.text)
            if queue:
                slot.lineage = queue.popleft().lineage
            else:
                left_new.append(slot)
        alive = {old.lineage.id: old for q in by_text.values() for old in q if old.lineage}
        # 2. A wording an earlier version had: its lineage comes back (edited or restored).
        still_new: list[_Slot] = []
        for slot in left_new:
            lineage = self.first_with_text.get(slot.text)
            if lineage is not None and lineage.id in alive:
                del alive[lineage.id]
                self._edit(lineage, slot, number)
            elif lineage is not None and lineage.id in self.removed:
                del self.removed[lineage.id]
                lineage.restored = number
                if lineage.text != slot.text:
                    self._edit(lineage, slot, number)
                slot.lineage = lineage
            else:
                still_new.append(slot)
        # 3. Fuzzy: edited sentences of the previous version, then removed ones.
        still_new = self._pair(still_new, list(alive.values()), number, restore=False, alive=alive)
        graveyard = [_Slot(lin.text, -1, lin) for lin in self.removed.values()]
        still_new = self._pair(still_new, graveyard, number, restore=True, alive=alive)
        # 4. New sentences.
        for slot in still_new:
            slot.lineage = _Lineage(next(self._ids), slot.text, number)
        for old in alive.values():
            if old.lineage is not None:
                self.removed[old.lineage.id] = old.lineage
        for slot in slots:
            self.first_with_text.setdefault(slot.text, slot.lineage)  # type: ignore[arg-type]
        self.current = slots

    @staticmethod
    def _edit(lineage: _Lineage, slot: _Slot, number: int) -> None:
        """Mark ``lineage`` edited in version ``number`` to ``slot``'s wording; ``slot`` gets it."""
        lineage.text = slot.text
        lineage.edited = number
        slot.lineage = lineage

    def _signature(self, text: str) -> Signature:
        """The ``Signature`` of a sentence, computed once per wording."""
        signature = self._signatures.get(text)
        if signature is None:
            signature = self._signatures[text] = Signature(text)
        return signature

    def _pair(
        self,
        news: list[_Slot],
        olds: list[_Slot],
        number: int,
        *,
        restore: bool,
        alive: dict[int, _Slot],
    ) -> list[_Slot]:
        """Pair new sentences with old ones by similarity, best first; return the unpaired new."""
        if not news or not olds or len(news) * len(olds) > FUZZY_CELLS:
            return news
        candidates = []
        for i, new in enumerate(news):
            new_sig = self._signature(new.text)
            for j, old in enumerate(olds):
                score = similarity(new_sig, self._signature(old.text))
                if score >= self._threshold:
                    candidates.append((-score, i, j))
        candidates.sort()
        paired_new: set[int] = set()
        paired_old: set[int] = set()
        for _, i, j in candidates:
            if i in paired_new or j in paired_old:
                continue
            paired_new.add(i)
            paired_old.add(j)
            lineage = olds[j].lineage
            assert lineage is not None
            if restore:
                del self.removed[lineage.id]
                lineage.restored = number
            else:
                del alive[lineage.id]
            self._edit(lineage, news[i], number)
        return [new for i, new in enumerate(news) if i not in paired_new]


def _body_slots(version: Version, cache: dict[str, list[str]]) -> list[_Slot]:
    """The sentences of a version as slots; each distinct paragraph is split only once."""
    slots = []
    for index, paragraph in enumerate(version.text.paragraphs):
        sentences = cache.get(paragraph)
        if sentences is None:
            sentences = cache[paragraph] = split_sentences(paragraph)
        slots.extend(_Slot(text, index) for text in sentences)
    return slots


def _blamed(slot: _Slot, times: dict[int, datetime], first_seen: datetime) -> BlamedSentence:
    """The blame of a sentence of the latest version (``times``: when each version was seen)."""
    lineage = slot.lineage
    assert lineage is not None
    return BlamedSentence(
        text=slot.text,
        paragraph=slot.paragraph,
        introduced=lineage.introduced,
        introduced_at=times[lineage.introduced],
        after_first_seen=times[lineage.introduced] - first_seen,
        edited=lineage.edited,
        edited_at=times[lineage.edited] if lineage.edited is not None else None,
        restored=lineage.restored,
        restored_at=times[lineage.restored] if lineage.restored is not None else None,
    )


def blame(versions: Sequence[Version], number: int = -1) -> Blame:
    """Blame version ``number`` (negative counts from the latest) of a history, oldest first.

    Raises ``NotFoundError`` when the history has no such version.
    """
    return next(iter(_blame_walk(versions, [number])))


def blame_all(versions: Sequence[Version]) -> list[Blame]:
    """The blame of every version of a history in one walk (a view that steps through them)."""
    return list(_blame_walk(versions, range(len(versions))))


def _blame_walk(versions: Sequence[Version], numbers: Iterable[int]) -> Iterable[Blame]:
    """Walk the history once, yielding the blame of each version in ``numbers`` (ascending)."""
    total = len(versions)
    wanted = []
    for number in numbers:
        position = number + total if number < 0 else number
        if not 0 <= position < total:
            raise NotFoundError(
                f"the article has no version {number} (its {total} version(s) are numbered "
                f"0 to {total - 1}, or -1 to -{total} from the latest)"
                if total
                else "the article has no versions yet"
            )
        wanted.append(position)
    if not wanted:
        return
    wanted_set, last = set(wanted), max(wanted)
    times = {v.number: v.fetched_at for v in versions}
    first_seen = versions[0].fetched_at
    # A version has one title, so any new title is the old one edited (threshold 0).
    body, title = _Walk(), _Walk(threshold=0.0)
    split_cache: dict[str, list[str]] = {}
    for position, version in enumerate(versions):
        if position > last:
            break
        body.step(version.number, _body_slots(version, split_cache))
        title_text = version.text.title
        title.step(version.number, [_Slot(title_text, -1)] if title_text else [])
        if position in wanted_set:
            yield Blame(
                version=version.number,
                fetched_at=version.fetched_at,
                first_seen=first_seen,
                version_count=total,
                title=_blamed(title.current[0], times, first_seen) if title.current else None,
                sentences=tuple(_blamed(s, times, first_seen) for s in body.current),
            )
