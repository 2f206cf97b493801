"""Jellyfin Webhook plugin: `ItemAdded` notifications (reference §2.6).

Accepts both "Send All Properties" bodies (numbers as numbers, ids without dashes,
`Provider_<key>` keys) and the documented template (every value a string, ids with
dashes). The plugin's data object is case-insensitive, so keys are compared lower-case.
"""

from ..engine.evidence import Evidence, ItemKind, LibraryItemEvidence
from .fields import Fields

ITEM_KINDS = {
    "movie": ItemKind.MOVIE,
    "series": ItemKind.SERIES,
    "episode": ItemKind.EPISODE,
}


def item_id(value: str) -> str:
    """Jellyfin's REST form of an item id: 32 lower-case hex digits, no dashes."""
    return value.replace("-", "").lower()


def parse_webhook(body: object) -> Evidence | None:
    """Evidence from a Jellyfin webhook body; None for events we do not use."""
    payload = Fields(body).with_lowercase_keys()
    if payload.required_text("notificationtype") != "ItemAdded":
        return None
    item_kind = ITEM_KINDS.get(payload.required_text("itemtype").lower())
    if item_kind is None:
        return None
    return LibraryItemEvidence(
        item_id=item_id(payload.required_text("itemid")),
        kind=item_kind,
        name=payload.text("name") or "",
        year=payload.number_text("year"),
        tmdb_id=payload.number_text("provider_tmdb"),
        tvdb_id=payload.number_text("provider_tvdb"),
        imdb_id=payload.text("provider_imdb"),
        season=payload.number_text("seasonnumber"),
        number=payload.number_text("episodenumber"),
        series_item_id=_optional_item_id(payload.text("seriesid")),
    )


def _optional_item_id(value: str | None) -> str | None:
    return None if value is None else item_id(value)
