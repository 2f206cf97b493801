"""Finding requests by a title as people say it (engine/lookup.py)."""

from datetime import UTC, datetime, timedelta

from custom_components.media_request_tracker.engine.lookup import (
    coming,
    find_by_title,
)
from custom_components.media_request_tracker.engine.models import (
    MediaType,
    Request,
    State,
)

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def request(key: str, title: str, state: State = State.APPROVED) -> Request:
    return Request(
        key=key,
        media_type=MediaType.MOVIE,
        title=title,
        created_at=NOW,
        state=state,
    )


LIBRARY = [
    request("1", "Dune"),
    request("2", "Dune: Part Two"),
    request("3", "The Bear"),
    request("4", "Andor"),
    request("5", "Dune: Part Two"),
]


def keys(found: list[Request]) -> list[str]:
    return [r.key for r in found]


def test_exact_titles_win_over_partial_ones() -> None:
    """Said "dune" is Dune, not Dune: Part Two; punctuation and case do not count."""
    assert keys(find_by_title(LIBRARY, "DUNE")) == ["1"]
    assert keys(find_by_title(LIBRARY, "dune part two")) == ["5", "2"]
    # Closer to Part Two than to the Dune its words contain.
    assert keys(find_by_title(LIBRARY, "dune part 2")) == ["5", "2"]


def test_words_within_a_title_and_articles() -> None:
    """A title's words, or the title without its article, are enough."""
    assert keys(find_by_title(LIBRARY, "bear")) == ["3"]
    assert keys(find_by_title(LIBRARY, "the bear")) == ["3"]
    assert keys(find_by_title(LIBRARY, "part two")) == ["5", "2"]


def test_misheard_titles_within_reach() -> None:
    """A close spelling matches; a different title does not."""
    assert keys(find_by_title(LIBRARY, "andoor")) == ["4"]
    assert find_by_title(LIBRARY, "the matrix") == []
    assert find_by_title(LIBRARY, "   ") == []


def test_coming_soonest_first_unknown_last() -> None:
    """Finished requests are not coming; those without an estimate come last."""
    expected = {"1": NOW + timedelta(hours=2), "4": NOW + timedelta(minutes=5)}
    requests = [*LIBRARY, request("6", "Nosferatu", State.AVAILABLE)]
    found = coming(requests, lambda r: expected.get(r.key))
    assert keys(found) == ["4", "1", "2", "3", "5"]
