"""Evidence sequences for the four media paths, built as the parsers would build them."""

from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    params,
)
from custom_components.media_request_tracker.engine.evidence import (
    ArrMedia,
    EpisodeRef,
    Evidence,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    Release,
    RequestEvidence,
    RequestStatus,
)
from custom_components.media_request_tracker.engine.models import MediaType, Service

MOVIE = ArrMedia(Service.RADARR, 71, "Dune: Part Two", 2024, tmdb_id=693134)
ANIME_MOVIE = ArrMedia(
    Service.RADARR, 52, "Violet Evergarden", 2020, tmdb_id=533514, is_anime=True
)
SERIES = ArrMedia(Service.SONARR, 31, "Andor", 2022, tmdb_id=83867, tvdb_id=393189)
ANIME_SERIES = ArrMedia(
    Service.SONARR, 23, "Lycoris Recoil", 2022, tvdb_id=414057, is_anime=True
)


def manual(message: str) -> Problem:
    """Radarr/Sonarr's Manual Interaction Required, in its own words."""
    return Problem(ProblemCode.MANUAL_INTERACTION, params(message=message))


def request(
    key: str,
    status: RequestStatus = RequestStatus.APPROVED,
    *,
    media_type: MediaType = MediaType.MOVIE,
    tmdb_id: int = 693134,
    tvdb_id: int | None = None,
    seasons: frozenset[int] = frozenset(),
    requested_by: str = "bob",
    is_4k: bool = False,
) -> RequestEvidence:
    """Jellyseerr evidence for one request."""
    return RequestEvidence(
        request_key=key,
        status=status,
        media_type=media_type,
        title=f"Title {key}",
        detail=status.value,
        year=2024,
        tmdb_id=tmdb_id,
        tvdb_id=tvdb_id,
        requested_by=requested_by,
        requested_seasons=seasons,
        is_4k=is_4k,
    )


def episodes(
    season: int, count: int, first_tvdb: int = 9100001
) -> tuple[EpisodeRef, ...]:
    """Episodes 1..count of a season, with TVDB ids counting up."""
    return tuple(
        EpisodeRef(season, n, f"Chapter {n}", 1200 + n, first_tvdb + n - 1)
        for n in range(1, count + 1)
    )


def movie_flow(
    media: ArrMedia = MOVIE, key: str = "80", download_id: str = "ABC1"
) -> list[Evidence]:
    """Regular (or anime) movie: approved → grab → import → Jellyfin."""
    assert media.tmdb_id is not None
    return [
        request(key, tmdb_id=media.tmdb_id),
        GrabEvidence(media, download_id, Release(title="Dune.2024.1080p")),
        ImportEvidence(
            media, download_id, (ImportedFile("/movies/dune.mkv"),), complete=True
        ),
        LibraryItemEvidence(
            "item80", ItemKind.MOVIE, "Dune", 2024, tmdb_id=media.tmdb_id
        ),
    ]


def tv_pack_flow(
    media: ArrMedia = SERIES,
    key: str = "90",
    count: int = 12,
    download_id: str = "PACK1",
) -> list[Evidence]:
    """A season pack: one grab, one Download per file, Import Complete, Jellyfin items."""
    assert media.tvdb_id is not None
    refs = episodes(1, count)
    files = [
        ImportEvidence(
            media,
            download_id,
            (ImportedFile(f"/tv/S01E{ref.number:02d}.mkv", ((1, ref.number),)),),
            complete=False,
            episodes=(ref,),
        )
        for ref in refs
    ]
    complete = ImportEvidence(
        media,
        download_id,
        tuple(ImportedFile(f"/tv/S01E{ref.number:02d}.mkv") for ref in refs),
        complete=True,
        episodes=refs,
    )
    items = [
        LibraryItemEvidence(
            f"ep{ref.number}",
            ItemKind.EPISODE,
            ref.title or "",
            2022,
            tvdb_id=ref.tvdb_id,
            season=1,
            number=ref.number,
        )
        for ref in refs
    ]
    return [
        request(
            key,
            media_type=MediaType.TV,
            tmdb_id=83867,
            tvdb_id=media.tvdb_id,
            seasons=frozenset({1}),
        ),
        GrabEvidence(media, download_id, Release(title="Andor.S01"), refs),
        *files,
        complete,
        *items,
    ]


def blocked_then_imported_flow() -> list[Evidence]:
    """Import blocked (manual interaction), then imported after all."""
    flow = movie_flow()
    blocked = ImportBlockedEvidence(MOVIE, "ABC1", manual("Movie title mismatch"))
    return [flow[0], flow[1], blocked, flow[2]]


def retried_download_flow() -> list[Evidence]:
    """The first release fails to import; a second release is grabbed and imported."""
    return [
        request("80"),
        GrabEvidence(MOVIE, "FIRST", Release(title="bad")),
        ImportBlockedEvidence(MOVIE, "FIRST", manual("Unable to parse download")),
        GrabEvidence(MOVIE, "SECOND", Release(title="good")),
        ImportEvidence(
            MOVIE, "SECOND", (ImportedFile("/movies/good.mkv"),), complete=True
        ),
    ]
