"""Jellyfin: playable movies and episodes, series folders, and Shokofin's items.

Also what the Jellyfin poller asks of the engine: whether an item it found is the
request it looked for (matching is engine logic; the poller only fetches), and which
requests wait for Jellyfin, since when.
"""

from datetime import datetime

from ..changes import Finding
from ..correlate import IndexKind, can_reopen, is_active
from ..evidence import ItemKind, LibraryItemEvidence
from ..facts import episodes_among, learn_item, reach, remember, same_request
from ..ledger import Ledger
from ..models import (
    Episode,
    EpisodeKey,
    MediaType,
    Request,
    Service,
    Stage,
    State,
    Track,
)

# Where a movie or an episode waits for Jellyfin: imported, or handed to Shoko.
AWAITING_LIBRARY = frozenset({State.IMPORTING, State.ANIME_MATCHING})


def apply_library_item(ledger: Ledger, evidence: LibraryItemEvidence) -> list[Finding]:
    """Shokofin's file id first (anime items carry no TMDB/TVDB ids), then the kind."""
    if evidence.shoko_file_id is not None and (
        found := _shoko_item(ledger, evidence, evidence.shoko_file_id)
    ):
        return found
    match evidence.kind:
        case ItemKind.MOVIE:
            return _movie_item(ledger, evidence)
        case ItemKind.SERIES:
            return _series_item(ledger, evidence)
        case ItemKind.EPISODE:
            return _episode_item(ledger, evidence)


def awaits_library(request: Request) -> bool:
    """Whether the movie, or an episode of the show, waits to become playable.

    A TV request shows its least advanced episode: its others may wait already.
    """
    return request.state in AWAITING_LIBRARY or any(
        episode.state in AWAITING_LIBRARY for episode in request.episodes.values()
    )


def library_wait_began(request: Request) -> datetime | None:
    """When the movie, or the latest of the show's waiting episodes, began to wait.

    That is its import, or Shoko's match of an anime file (Shokofin shows matched
    files only); states keep the moment they were first reached. None when nothing
    waits.
    """
    tracks: list[Track] = [request, *request.episodes.values()]
    return max(
        (
            moment
            for track in tracks
            if track.state in AWAITING_LIBRARY
            for moment in _wait_moments(track)
            if moment is not None
        ),
        default=None,
    )


def _wait_moments(track: Track) -> list[datetime | None]:
    matched = None if track.shoko is None else track.shoko.matched_at
    return [*(track.reached.get(state) for state in AWAITING_LIBRARY), matched]


def is_request_item(request: Request, item: LibraryItemEvidence) -> bool:
    """The item is the request's title: the same TMDB, TVDB or IMDb id."""
    return any(
        mine is not None and mine == theirs
        for mine, theirs in (
            (request.tmdb_id, item.tmdb_id),
            (request.tvdb_id, item.tvdb_id),
            (request.imdb_id, item.imdb_id),
        )
    )


def is_named_like(request: Request, item: LibraryItemEvidence) -> bool:
    """The item has the request's title and year (for items without known ids)."""
    return item.name.casefold() == request.title.casefold() and (
        request.year is None or item.year == request.year
    )


def shoko_series_ids(request: Request) -> set[int]:
    """The Shoko series of a show's matched episodes (Shokofin's `Shoko Series`)."""
    return {
        episode.shoko.series_id
        for episode in request.episodes.values()
        if episode.shoko is not None and episode.shoko.series_id is not None
    }


def _movie_item(ledger: Ledger, evidence: LibraryItemEvidence) -> list[Finding]:
    """The movie a request is for, playable: an imported one first (see below).

    An item's ids say nothing of its quality: the HD copy of a title is no proof
    that its 4K request is done. A 4K request takes the item only once its own
    file was imported; of an HD and a 4K request, the one imported goes first.
    """
    ids: dict[IndexKind, object] = {
        IndexKind.TMDB: evidence.tmdb_id,
        IndexKind.IMDB: evidence.imdb_id,
    }
    request = ledger.index.by_media(
        MediaType.MOVIE, ids, lambda r: is_active(r) and r.stage >= Stage.IMPORTED
    ) or ledger.index.by_media(
        MediaType.MOVIE, ids, lambda r: is_active(r) and not r.is_4k
    )
    if request is None:
        return []
    changed = learn_item(request, evidence.item_id) | reach(request, Stage.AVAILABLE)
    detail = f"Playable in Jellyfin as {evidence.name}"
    return [Finding(request, Service.JELLYFIN, detail, changed, [])]


def _series_item(ledger: Ledger, evidence: LibraryItemEvidence) -> list[Finding]:
    """A series folder is not playable, but its id finds the episodes later."""
    request = ledger.index.by_media(
        MediaType.TV,
        {IndexKind.TVDB: evidence.tvdb_id, IndexKind.TMDB: evidence.tmdb_id},
        can_reopen,
    )
    if request is None or request.jellyfin_item_id is not None:
        return []
    learn_item(request, evidence.item_id)
    return [Finding(request, Service.JELLYFIN, "", True, [])]


def _episode_item(ledger: Ledger, evidence: LibraryItemEvidence) -> list[Finding]:
    found = _find_episode(ledger, evidence)
    if found is None:
        if evidence.tvdb_id is not None:
            remember(ledger.sightings, evidence.tvdb_id, evidence.item_id)
        return []
    request, episode = found
    changed = learn_item(episode, evidence.item_id) | reach(episode, Stage.AVAILABLE)
    detail = f"{episode.season}x{episode.number:02d} playable in Jellyfin"
    return [Finding(request, Service.JELLYFIN, detail, changed, [episode])]


def _find_episode(
    ledger: Ledger, evidence: LibraryItemEvidence
) -> tuple[Request, Episode] | None:
    """By the episode's TVDB id, else by series item id and season/episode."""
    if evidence.tvdb_id is not None:
        for request, episode in ledger.index.episodes_by_tvdb(evidence.tvdb_id):
            if can_reopen(request):
                return request, episode
    if evidence.series_item_id and evidence.season is not None:
        key: EpisodeKey = (evidence.season, evidence.number or 0)
        for request in ledger.index.candidates(
            IndexKind.JELLYFIN, evidence.series_item_id
        ):
            numbered = request.episodes.get(key)
            if numbered is not None and can_reopen(request):
                return request, numbered
    return None


def _shoko_item(
    ledger: Ledger, evidence: LibraryItemEvidence, shoko_file_id: int
) -> list[Finding]:
    """An item Shokofin made for a file Shoko matched: its tracks are available.

    Shokofin may show an anime movie as a series episode; the file is what counts.
    """
    found = [
        pair
        for pair in ledger.index.tracks(IndexKind.SHOKO_FILE, shoko_file_id)
        if can_reopen(pair[0])
    ]
    if not found:
        remember(ledger.shoko_sightings, shoko_file_id, evidence.item_id)
        return []
    same = same_request(found)
    request = same[0][0]
    changed = False
    for _, track in same:
        changed |= learn_item(track, evidence.item_id)
        changed |= reach(track, Stage.AVAILABLE)
    detail = f"Playable in Jellyfin as {evidence.name}"
    return [Finding(request, Service.JELLYFIN, detail, changed, episodes_among(same))]
