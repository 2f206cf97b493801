"""Requesters' persons, followers and name suggestions (engine/people.py)."""

from datetime import UTC, datetime

from custom_components.media_request_tracker.engine.models import MediaType, Request
from custom_components.media_request_tracker.engine.people import (
    audience,
    fold_people,
    follow,
    requester_person,
    suggest_people,
    unfollow,
)

PEOPLE = fold_people({"Anna": "person.anna", "ben": "person.ben", "guest": ""})


def request(requested_by: str | None = "ANNA") -> Request:
    return Request(
        key="7",
        media_type=MediaType.TV,
        title="Severance",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        requested_by=requested_by,
    )


def test_the_requester_leads_the_followers() -> None:
    """The requester's person first (names ignore case), then followers in order."""
    severance = request()
    assert requester_person(severance, PEOPLE) == "person.anna"
    assert follow(severance, "person.ben", PEOPLE)
    # The requester follows already; so does Ben now.
    assert not follow(severance, "person.anna", PEOPLE)
    assert not follow(severance, "person.ben", PEOPLE)
    assert audience(severance, PEOPLE) == ["person.anna", "person.ben"]


def test_unlinked_requesters_have_no_person() -> None:
    """An unknown user, an empty link and no requester name nobody."""
    assert requester_person(request("carol"), PEOPLE) is None
    assert requester_person(request("guest"), PEOPLE) is None
    assert requester_person(request(None), PEOPLE) is None
    assert audience(request(None), PEOPLE) == []


def test_unfollowing_holds_for_the_requester_too() -> None:
    """The requester may leave their own request, and come back."""
    severance = request()
    assert unfollow(severance, "person.anna", PEOPLE)
    assert not unfollow(severance, "person.anna", PEOPLE)
    assert audience(severance, PEOPLE) == []
    assert requester_person(severance, PEOPLE) == "person.anna"
    assert follow(severance, "person.anna", PEOPLE)
    assert audience(severance, PEOPLE) == ["person.anna"]


def test_suggestions_need_one_matching_person() -> None:
    """Whole names or first names match, ignoring case and punctuation."""
    persons = {
        "person.anna_kingsley": "Anna Kingsley",
        "person.ben": "Ben",
        "person.ben_o": "Ben O'Neil",
        "person.mum": "Mum",
    }
    suggested = suggest_people(
        ["anna", "ANNA_KINGSLEY", "ben", "mum", "dad", "", "Kingsley"], persons
    )
    assert suggested == {
        "anna": "person.anna_kingsley",
        "ANNA_KINGSLEY": "person.anna_kingsley",
        "mum": "person.mum",
    }
