"""Jellyfin: the REST client and Webhook plugin notifications (reference §2).

Webhooks: `ItemAdded` (§2.6). Accepts both "Send All Properties" bodies (numbers as
numbers, ids without dashes, `Provider_<key>` keys) and the documented template (every
value a string, ids with dashes). The plugin's data object is case-insensitive, so keys
are compared lower-case.

REST (§2.1 to §2.5): hand-written for the reasons given in `http.py`. There is no exact
lookup by provider id (`AnyProviderIdEquals` is Emby's and Jellyfin ignores it, returning
everything), so the finders narrow by type, year and title and the caller matches
`provider_ids` itself.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..engine.evidence import Evidence, ItemKind, LibraryItemEvidence
from .errors import InvalidPayload, WrongService
from .fields import Fields
from .http import ApiFields, Image, JsonApi

# Shokofin's provider ids on Jellyfin items (reference §4.1).
PROVIDER_SHOKO_FILE = "Shoko File"
PROVIDER_SHOKO_SERIES = "Shoko Series"
ITEM_KINDS = {
    "movie": ItemKind.MOVIE,
    "series": ItemKind.SERIES,
    "episode": ItemKind.EPISODE,
}
# Items per `/Items` page: large libraries must be paged (jellyfin#9864).
PAGE_SIZE = 200
# What every item query asks for: the ids and path we match on, nothing to render.
ITEM_FIELDS: Mapping[str, str | int] = {
    "Fields": "ProviderIds,Path",
    "EnableImages": "false",
    "EnableUserData": "false",
}


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """A movie, series or episode in the Jellyfin library."""

    item_id: str
    kind: str
    name: str
    year: int | None
    provider_ids: dict[str, str]
    path: str | None
    location_type: str | None
    season: int | None
    number: int | None
    series_id: str | None

    @property
    def playable(self) -> bool:
        """A file is there: metadata stubs and missing episodes carry ids but no file."""
        return self.location_type == "FileSystem" and bool(self.path)


class JellyfinClient:
    """The Jellyfin REST API with an admin API key (sees every library, no user id)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, api_key: str) -> None:
        """Create a client for one Jellyfin server.

        `Authorization: MediaBrowser Token=…` is the only form every version accepts:
        `X-Emby-Token` and `api_key` are legacy and off by default from 12.0.
        """
        self._public = JsonApi(session, url, {})
        self._api = JsonApi(
            session, url, {"Authorization": f'MediaBrowser Token="{api_key}"'}
        )

    @property
    def url(self) -> str:
        """The normalised server URL."""
        return self._api.base_url

    async def async_get_poster(self, item_id: str) -> Image:
        """An item's primary image, at the cards' width (`/Items/{id}/Images/Primary`)."""
        return await self._api.request_image(
            f"/Items/{item_id}/Images/Primary", params={"fillWidth": 300}
        )

    async def async_get_public_info(self) -> tuple[str, str]:
        """(server name, version), without the key: tells a wrong URL from a wrong key."""
        path = "/System/Info/Public"
        try:
            body = Fields(await self._public.request("GET", path))
            product = body.text("ProductName") or ""
            info = (body.text("ServerName") or "", body.required_text("Version"))
        except InvalidPayload as err:
            raise WrongService(f"{path} is not Jellyfin's public info: {err}") from err
        if not product.startswith("Jellyfin"):
            raise WrongService(
                f"{path} answered {product or 'no product'}, not Jellyfin"
            )
        return info

    async def async_validate(self) -> None:
        """Check the key with an authenticated call (InvalidAuth on 401)."""
        path = "/System/Info"
        body: Any = await self._api.request("GET", path)
        if not isinstance(body, dict):
            raise WrongService(f"{path} did not return Jellyfin's system info")

    async def async_find_movies(
        self, *, year: int | None, search_term: str | None
    ) -> list[LibraryItem]:
        """Movies of that year and/or title; the caller matches `provider_ids`."""
        return await self._find("Movie", year, search_term)

    async def async_find_series(
        self, *, search_term: str | None, year: int | None
    ) -> list[LibraryItem]:
        """Series of that title and/or year; the caller matches `provider_ids`."""
        return await self._find("Series", year, search_term)

    async def async_get_episodes(self, series_id: str) -> list[LibraryItem]:
        """The episodes of a series, without the placeholders of missing ones."""
        body = ApiFields(
            await self._api.request(
                "GET",
                f"/Shows/{item_id(series_id)}/Episodes",
                params={**ITEM_FIELDS, "IsMissing": "false"},
            )
        )
        return [parse_item(item) for item in body.records("Items")]

    async def async_report_updated(self, path: str) -> None:
        """Tell Jellyfin a file or folder appeared: a scan of that path only.

        `/Library/Refresh` would cancel and restart the full library scan instead.
        """
        await self._api.request(
            "POST",
            "/Library/Media/Updated",
            json={"Updates": [{"Path": path, "UpdateType": "Created"}]},
        )

    async def _find(
        self, kind: str, year: int | None, search_term: str | None
    ) -> list[LibraryItem]:
        """Every item of a kind matching the filters, page by page."""
        params: dict[str, str | int] = {
            **ITEM_FIELDS,
            "Recursive": "true",
            "IncludeItemTypes": kind,
            "EnableTotalRecordCount": "false",
            "Limit": PAGE_SIZE,
        }
        if year is not None:
            params["Years"] = year
        if search_term:
            params["SearchTerm"] = search_term
        items: list[LibraryItem] = []
        while True:
            body = ApiFields(
                await self._api.request(
                    "GET", "/Items", params={**params, "StartIndex": len(items)}
                )
            )
            page = [parse_item(item) for item in body.records("Items")]
            items.extend(page)
            if len(page) < PAGE_SIZE:
                return items


def library_evidence(item: LibraryItem, kind: ItemKind) -> LibraryItemEvidence:
    """A library item as evidence, with the provider ids the engine matches on."""
    ids = item.provider_ids

    def number(name: str) -> int | None:
        value = ids.get(name)
        return int(value) if value is not None and value.isdecimal() else None

    return LibraryItemEvidence(
        item_id=item.item_id,
        kind=kind,
        name=item.name,
        year=item.year,
        tmdb_id=number("Tmdb"),
        tvdb_id=number("Tvdb"),
        imdb_id=ids.get("Imdb"),
        season=item.season,
        number=item.number,
        series_item_id=item.series_id,
        shoko_file_id=number(PROVIDER_SHOKO_FILE),
        shoko_series_id=number(PROVIDER_SHOKO_SERIES),
    )


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
        shoko_file_id=_provider_id(payload, "shoko file"),
        shoko_series_id=_provider_id(payload, "shoko series"),
    )


def _provider_id(payload: Fields, provider: str) -> int | None:
    """A provider id, as Send All Properties names it or the reference template.

    The plugin renders `Provider_<key>` with the key as is (`Provider_shoko file`);
    the documented template spells it `Provider_shoko_file`.
    """
    for key in (f"provider_{provider}", f"provider_{provider.replace(' ', '_')}"):
        if (value := payload.number_text(key)) is not None:
            return value
    return None


def _optional_item_id(value: str | None) -> str | None:
    return None if value is None else item_id(value)


def parse_item(item: ApiFields) -> LibraryItem:
    """A `BaseItemDto` asked for with `Fields=ProviderIds,Path`."""
    return LibraryItem(
        item_id=item_id(item.required_text("Id")),
        kind=item.required_text("Type"),
        name=item.text("Name") or "",
        year=item.integer("ProductionYear"),
        provider_ids=item.text_map("ProviderIds"),
        path=item.text("Path"),
        location_type=item.text("LocationType"),
        season=item.integer("ParentIndexNumber"),
        number=item.integer("IndexNumber"),
        series_id=_optional_item_id(item.text("SeriesId")),
    )
