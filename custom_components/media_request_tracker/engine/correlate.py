"""Correlation: which tracked request a piece of evidence is about (DESIGN §2.2).

Every lookup goes through an index, so matching costs the same with ten requests or ten
thousand. The tracker re-indexes a request whenever evidence changed it; entries are
never removed while it lives, and a lookup re-checks the candidate's fields, so an id
that changed later can never cause a wrong match.
"""

from collections.abc import Callable, Iterable
from enum import StrEnum

from .evidence import ArrMedia
from .models import Episode, EpisodeKey, MediaType, Request, Service, Track

type Accept = Callable[[Request], bool]
# A track by request key and episode key (None for a movie request itself).
type TrackRef = tuple[str, EpisodeKey | None]


class IndexKind(StrEnum):
    """The ids a request (first group) or a movie/episode (second) is found by."""

    TMDB = "tmdb"
    TVDB = "tvdb"
    IMDB = "imdb"
    RADARR = "radarr"
    SONARR = "sonarr"
    DOWNLOAD = "download"
    JELLYFIN = "jellyfin"
    EPISODE_TVDB = "episode_tvdb"
    SHOKO_FILE = "shoko_file"
    ANIDB_ANIME = "anidb_anime"
    FILE_NAME = "file_name"


type Key = tuple[IndexKind, object]

ARR_KINDS = {Service.RADARR: IndexKind.RADARR, Service.SONARR: IndexKind.SONARR}


def newest_first(requests: Iterable[Request]) -> list[Request]:
    """Jellyseerr request ids grow with time: the highest id is the newest request."""
    return sorted(requests, key=lambda request: int(request.key), reverse=True)


def is_active(request: Request) -> bool:
    """Terminal requests take no new evidence (a re-request is a new request)."""
    return not request.is_terminal


def can_reopen(request: Request) -> bool:
    """An available TV request may gain airing episodes; declined/removed never move."""
    return not (request.declined or request.removed)


def file_name(path: str) -> str:
    """The case-folded name of a file, whichever separator its host uses."""
    return path.replace("\\", "/").rpartition("/")[2].casefold()


class _Postings[T]:
    """Id → what has it, per kind of id: one entry as itself, more as a set.

    Almost every id belongs to one request or episode: a set for each (and a
    tuple key per id) would cost several times the entry itself.
    """

    def __init__(self) -> None:
        self._by_kind: dict[IndexKind, dict[object, T | set[T]]] = {}

    def add(self, index_key: Key, entry: T) -> None:
        kind, value = index_key
        postings = self._by_kind.setdefault(kind, {})
        found = postings.get(value)
        if found is None:
            postings[value] = entry
        elif isinstance(found, set):
            found.add(entry)
        elif found != entry:
            postings[value] = {found, entry}

    def discard(self, index_key: Key, entry: T) -> None:
        kind, value = index_key
        postings = self._by_kind.get(kind, {})
        found = postings.get(value)
        if isinstance(found, set):
            found.discard(entry)
            if len(found) == 1:
                postings[value] = found.pop()
        elif found is not None and found == entry:
            del postings[value]

    def get(self, kind: IndexKind, value: object) -> Iterable[T]:
        found = self._by_kind.get(kind, {}).get(value)
        if found is None:
            return ()
        return found if isinstance(found, set) else (found,)


class RequestIndex:
    """Ids → request keys, for every id a request or its tracks can be found by."""

    def __init__(self, requests: dict[str, Request]) -> None:
        """Index the tracker's requests (the mapping is shared, not copied)."""
        self._requests = requests
        self._keys = _Postings[str]()
        self._tracks = _Postings[TrackRef]()

    def add(self, request: Request) -> None:
        """(Re-)index every id the request and its tracks currently have."""
        for index_key in _request_keys(request):
            self._keys.add(index_key, request.key)
        for ref, track in _tracks_of(request):
            for index_key in _track_keys(track):
                self._tracks.add(index_key, ref)

    def discard(self, request: Request) -> None:
        """Forget a request that leaves the tracker."""
        for index_key in _request_keys(request):
            self._keys.discard(index_key, request.key)
        for ref, track in _tracks_of(request):
            for index_key in _track_keys(track):
                self._tracks.discard(index_key, ref)

    def candidates(self, kind: IndexKind, value: object) -> list[Request]:
        """Requests that have this id now, newest first."""
        keys = self._keys.get(kind, value)
        still_has = _REQUEST_HOLDS[kind]
        found = [
            request
            for key in keys
            if (request := self._requests.get(key)) is not None
            and still_has(request, value)
        ]
        return newest_first(found) if len(found) > 1 else found

    def tracks(self, kind: IndexKind, value: object) -> list[tuple[Request, Track]]:
        """Movies and episodes that have this id now, newest request first."""
        still_has = _TRACK_HOLDS[kind]
        found: list[tuple[Request, Track]] = []
        for key, episode_key in self._tracks.get(kind, value):
            request = self._requests.get(key)
            if request is None:
                continue
            track = (
                request if episode_key is None else request.episodes.get(episode_key)
            )
            if track is not None and still_has(track, value):
                found.append((request, track))
        found.sort(key=lambda pair: int(pair[0].key), reverse=True)
        return found

    def episodes_by_tvdb(self, tvdb_id: int) -> list[tuple[Request, Episode]]:
        """Episodes with this TVDB id, newest request first."""
        return [
            (request, track)
            for request, track in self.tracks(IndexKind.EPISODE_TVDB, tvdb_id)
            if isinstance(track, Episode)
        ]

    def for_arr(
        self, media: ArrMedia, download_id: str | None, accept: Accept
    ) -> Request | None:
        """The request an *arr event is about: downloadId, *arr id, then media ids.

        Only requests the instance serves (4K or not, bound to it or to none).
        """
        served = media.instance.serves

        def wanted(request: Request) -> bool:
            return served(request) and accept(request)

        if download_id:
            for request in self.candidates(IndexKind.DOWNLOAD, download_id.casefold()):
                if wanted(request):
                    return request
        arr_id = None if media.arr_id is None else (media.instance.key, media.arr_id)
        return self.by_media(
            media.media_type,
            {
                ARR_KINDS[media.service]: arr_id,
                IndexKind.TMDB: media.tmdb_id,
                IndexKind.TVDB: media.tvdb_id,
                IndexKind.IMDB: media.imdb_id,
            },
            wanted,
        )

    def by_media(
        self, media_type: MediaType, ids: dict[IndexKind, object], accept: Accept
    ) -> Request | None:
        """The newest accepted request matching the first id (in order) that finds one."""
        for kind, value in ids.items():
            if value is None:
                continue
            index_value = (media_type, value) if kind is IndexKind.TMDB else value
            found = prefer_hd(
                request
                for request in self.candidates(kind, index_value)
                if request.media_type is media_type and accept(request)
            )
            if found is not None:
                return found
        return None


def prefer_hd(requests: Iterable[Request]) -> Request | None:
    """An HD request first; a 4K one only when nothing else fits.

    What serves only 4K requests never sees an HD one here (`Instance.serves`).
    """
    fallback: Request | None = None
    for request in requests:
        if not request.is_4k:
            return request
        fallback = fallback or request
    return fallback


_REQUEST_HOLDS: dict[IndexKind, Callable[[Request, object], bool]] = {
    IndexKind.TMDB: lambda r, value: (r.media_type, r.tmdb_id) == value,
    IndexKind.TVDB: lambda r, value: r.tvdb_id == value,
    IndexKind.IMDB: lambda r, value: r.imdb_id == value,
    IndexKind.RADARR: lambda r, value: (r.arr_instance, r.radarr_id) == value,
    IndexKind.SONARR: lambda r, value: (r.arr_instance, r.sonarr_id) == value,
    IndexKind.DOWNLOAD: lambda r, value: value in r.downloads,
    IndexKind.JELLYFIN: lambda r, value: r.jellyfin_item_id == value,
}


def _request_keys(request: Request) -> Iterable[Key]:
    if request.tmdb_id is not None:
        yield (IndexKind.TMDB, (request.media_type, request.tmdb_id))
    if request.tvdb_id is not None:
        yield (IndexKind.TVDB, request.tvdb_id)
    if request.imdb_id is not None:
        yield (IndexKind.IMDB, request.imdb_id)
    if request.radarr_id is not None:
        yield (IndexKind.RADARR, (request.arr_instance, request.radarr_id))
    if request.sonarr_id is not None:
        yield (IndexKind.SONARR, (request.arr_instance, request.sonarr_id))
    if request.jellyfin_item_id is not None:
        yield (IndexKind.JELLYFIN, request.jellyfin_item_id)
    for folded in request.downloads:
        yield (IndexKind.DOWNLOAD, folded)


def _episode_tvdb(track: Track, value: object) -> bool:
    return isinstance(track, Episode) and track.tvdb_id == value


def _shoko_file(track: Track, value: object) -> bool:
    return track.shoko is not None and track.shoko.file_id == value


def _anidb_anime(track: Track, value: object) -> bool:
    return track.shoko is not None and track.shoko.anidb_anime_id == value


def _named(track: Track, value: object) -> bool:
    return any(file_name(path) == value for path in track.paths)


_TRACK_HOLDS: dict[IndexKind, Callable[[Track, object], bool]] = {
    IndexKind.EPISODE_TVDB: _episode_tvdb,
    IndexKind.SHOKO_FILE: _shoko_file,
    IndexKind.ANIDB_ANIME: _anidb_anime,
    IndexKind.FILE_NAME: _named,
}


def _track_keys(track: Track) -> Iterable[Key]:
    if isinstance(track, Episode) and track.tvdb_id is not None:
        yield (IndexKind.EPISODE_TVDB, track.tvdb_id)
    if track.shoko is not None:
        yield (IndexKind.SHOKO_FILE, track.shoko.file_id)
        if track.shoko.anidb_anime_id is not None:
            yield (IndexKind.ANIDB_ANIME, track.shoko.anidb_anime_id)
    for path in track.paths:
        yield (IndexKind.FILE_NAME, file_name(path))


def _tracks_of(request: Request) -> Iterable[tuple[TrackRef, Track]]:
    """The movie (the request itself) or the episodes, each with its reference.

    An episode's reference reuses its key in `episodes`: one tuple, not one more.
    """
    yield (request.key, None), request
    for key, episode in request.episodes.items():
        yield (request.key, key), episode
