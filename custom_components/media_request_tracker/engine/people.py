"""Who a request concerns: the person who asked for it, and those who follow it.

Jellyseerr knows its users by display name; Home Assistant knows people as `person`
entities. The entry's `people` option links the two; everything here works on that
link and on the follows stored with each request.
"""

from collections.abc import Iterable, Mapping

from .models import Request
from .words import words


def fold_people(people: Mapping[str, str]) -> dict[str, str]:
    """The option's mapping, keyed by case-folded Jellyseerr name."""
    return {name.casefold(): person for name, person in people.items() if person}


def requester_person(request: Request, people: Mapping[str, str]) -> str | None:
    """The person of the Jellyseerr user who made the request (`fold_people` keys)."""
    if request.requested_by is None:
        return None
    return people.get(request.requested_by.casefold())


def audience(request: Request, people: Mapping[str, str]) -> list[str]:
    """The request's followers: its requester's person first, then who followed it.

    Anyone who unfollowed is left out, the requester included.
    """
    requester = requester_person(request, people)
    everyone = dict.fromkeys(
        person for person in (requester, *request.followers) if person is not None
    )
    return [person for person in everyone if person not in request.unfollowed]


def follow(request: Request, person: str, people: Mapping[str, str]) -> bool:
    """The person follows the request from now on; False if they already did."""
    if person in audience(request, people):
        return False
    request.unfollowed = tuple(p for p in request.unfollowed if p != person)
    if person not in request.followers:
        request.followers = (*request.followers, person)
    return True


def unfollow(request: Request, person: str, people: Mapping[str, str]) -> bool:
    """The person stops following (even their own request); False if they did not."""
    if person not in audience(request, people):
        return False
    request.followers = tuple(p for p in request.followers if p != person)
    request.unfollowed = (*request.unfollowed, person)
    return True


def suggest_people(users: Iterable[str], persons: Mapping[str, str]) -> dict[str, str]:
    """A person for each Jellyseerr user whose name matches one person's name.

    `persons` maps person entity ids to their names. Names match ignoring case,
    spaces and punctuation, or by first name ("anna" is "Anna Kingsley"), and only
    when exactly one person matches.
    """
    suggested: dict[str, str] = {}
    for user in users:
        matches = [
            entity_id for entity_id, name in persons.items() if _same_person(user, name)
        ]
        if len(matches) == 1:
            suggested[user] = matches[0]
    return suggested


def _same_person(user: str, name: str) -> bool:
    user_words = words(user)
    name_words = words(name)
    if not user_words or not name_words:
        return False
    return "".join(user_words) == "".join(name_words) or user_words[0] == name_words[0]
