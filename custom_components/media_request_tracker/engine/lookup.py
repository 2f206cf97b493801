"""Finding requests by a title someone said, and the lists Assist reads out.

Speech is loose: "dune" means "Dune: Part Two", "the bear" means "The Bear", and a
speech-to-text engine may write "andoor". Titles are compared without case,
punctuation or a leading article: a title that contains the words said, or that the
words said contain, matches best; otherwise the closest spelling does if it is
close enough.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from difflib import SequenceMatcher

from .models import Request, State
from .words import words

_ARTICLES = ("the ", "a ", "an ")
# How alike two spellings must be (difflib's ratio) to count as the same title.
_CLOSE_ENOUGH = 0.75


def find_by_title(requests: Iterable[Request], spoken: str) -> list[Request]:
    """The requests the words name, the best matches only, newest first."""
    said = _normalized(spoken)
    if not said:
        return []
    scored = [(_likeness(said, _normalized(r.title)), r) for r in requests]
    best = max((score for score, _ in scored), default=0.0)
    if best < _CLOSE_ENOUGH:
        return []
    found = [request for score, request in scored if score == best]
    return sorted(found, key=lambda r: r.jellyseerr_request_id, reverse=True)


def downloading(requests: Iterable[Request]) -> list[Request]:
    """Requests with a download in progress, oldest request first."""
    return sorted(
        (r for r in requests if r.state is State.DOWNLOADING),
        key=lambda r: r.jellyseerr_request_id,
    )


def coming(
    requests: Iterable[Request], expected: Callable[[Request], datetime | None]
) -> list[Request]:
    """Requests still on their way: the soonest `expected` first, the unknown last."""
    active = [(expected(r), r) for r in requests if not r.is_terminal]
    known = sorted(
        ((when, r) for when, r in active if when is not None),
        key=lambda pair: (pair[0], pair[1].jellyseerr_request_id),
    )
    unknown = sorted(
        (r for when, r in active if when is None), key=lambda r: r.jellyseerr_request_id
    )
    return [r for _, r in known] + unknown


def _likeness(said: str, title: str) -> float:
    """1 for the same words; words within the other rank by how much they cover."""
    if said == title:
        return 1.0
    if f" {said} " in f" {title} " or f" {title} " in f" {said} ":
        shorter, longer = sorted((len(said), len(title)))
        return _CLOSE_ENOUGH + (1 - _CLOSE_ENOUGH) * 0.9 * shorter / longer
    return min(0.99, SequenceMatcher(None, said, title).ratio())


def _normalized(text: str) -> str:
    said = " ".join(words(text))
    for article in _ARTICLES:
        if said.startswith(article):
            return said.removeprefix(article)
    return said
