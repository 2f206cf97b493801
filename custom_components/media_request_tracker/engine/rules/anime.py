"""Shoko Server: files hashed, matched, not matched or moved; series and movie links.

A file is found by its Shoko id once known, else by where Shoko keeps it: the path
relative to an import folder, against the paths Radarr/Sonarr imported (with the size
to confirm), learning where each import folder is mounted for them (DESIGN §6).
"""

from datetime import datetime

from ..changes import Finding
from ..codes import Problem, ProblemCode, params
from ..correlate import IndexKind, file_name, is_active
from ..evidence import (
    AnimeLink,
    AnimeMovieEvidence,
    AnimeSeriesEvidence,
    ShokoFileEvent,
    ShokoFileEvidence,
    ShokoLocation,
)
from ..facts import (
    episodes_among,
    fill,
    learn_item,
    merge,
    reach,
    remember,
    same_request,
)
from ..ledger import Ledger
from ..models import MediaType, Request, Service, ShokoFile, Stage, Track

DETAILS = {
    ShokoFileEvent.HASHED: "Hashed by Shoko Server",
    ShokoFileEvent.MATCHED: "Matched by Shoko Server",
    ShokoFileEvent.RELOCATED: "Moved by Shoko Server",
    ShokoFileEvent.NOT_MATCHED: "Not matched by Shoko Server",
}


type AnimeEvidence = ShokoFileEvidence | AnimeSeriesEvidence | AnimeMovieEvidence


def apply(ledger: Ledger, evidence: AnimeEvidence, now: datetime) -> list[Finding]:
    """What a piece of Shoko Server evidence changes."""
    match evidence:
        case ShokoFileEvidence():
            return apply_shoko_file(ledger, evidence, now)
        case AnimeSeriesEvidence():
            return apply_anime_series(ledger, evidence)
        case AnimeMovieEvidence():
            return apply_anime_movie(ledger, evidence)


def wants_shoko_file(ledger: Ledger, evidence: ShokoFileEvidence) -> bool:
    """Whether evidence about a Shoko file may concern a tracked movie or episode.

    Shoko reports every file of its library; only these are worth asking it more.
    """
    return bool(_shoko_tracks(ledger, evidence)[0])


def apply_shoko_file(
    ledger: Ledger, evidence: ShokoFileEvidence, now: datetime
) -> list[Finding]:
    """Record what Shoko did with the file of the tracks it belongs to.

    A file no track has yet is kept: its import may be learned later (`claim`).
    """
    tracks, learned_at = _shoko_tracks(ledger, evidence)
    if not tracks:
        if evidence.location is not None:
            remember(ledger.shoko_reported, file_name(evidence.location.path), evidence)
        return []
    if learned_at is not None:
        location, path = learned_at
        ledger.shoko_folders.setdefault(
            location.folder_id, path[: len(path) - len(location.path)]
        )
    request = tracks[0][0]
    changed = False
    for _, track in tracks:
        changed |= _record(ledger, track, evidence, now)
    if evidence.tmdb_linked and request.media_type is MediaType.MOVIE:
        changed |= merge(request, shoko_tmdb_link=True)
    detail = DETAILS[evidence.event]
    return [Finding(request, Service.SHOKO, detail, changed, episodes_among(tracks))]


def apply_anime_series(ledger: Ledger, evidence: AnimeSeriesEvidence) -> list[Finding]:
    """Fill the Shoko ids of files matched before Shoko created their series."""
    series_id = next(iter(evidence.series_ids), None)
    episode_ids = {anidb: shoko[0] for anidb, shoko in evidence.episodes if shoko}
    changed: dict[str, Request] = {}
    for request, track in ledger.index.tracks(
        IndexKind.ANIDB_ANIME, evidence.anidb_anime_id
    ):
        shoko = track.shoko
        if shoko is not None and is_active(request):
            episode_id = episode_ids.get(shoko.anidb_episode_id or 0)
            if fill(shoko, series_id=series_id, episode_id=episode_id):
                changed[request.key] = request
    return [
        Finding(request, Service.SHOKO, "", True, []) for request in changed.values()
    ]


def apply_anime_movie(ledger: Ledger, evidence: AnimeMovieEvidence) -> list[Finding]:
    """Shoko linked the TMDB movie: Shokofin's movie libraries will list it."""
    request = ledger.index.by_media(
        MediaType.MOVIE,
        {IndexKind.TMDB: evidence.tmdb_id},
        lambda r: is_active(r) and r.is_anime,
    )
    if request is None or request.shoko_tmdb_link:
        return []
    request.shoko_tmdb_link = True
    return [Finding(request, Service.SHOKO, "", True, [])]


def claim_reported(ledger: Ledger, track: Track) -> bool:
    """Apply what Shoko said of a track's file before its path was known here.

    A match told before the import has no moment of its own: the import's counts.
    """
    changed = False
    for path in track.paths:
        reported = ledger.shoko_reported.get(file_name(path))
        if reported is None or reported.location is None:
            continue
        suffix = "/" + reported.location.path.casefold()
        if _library_path(path).casefold().endswith(suffix) and (
            reported.size is None or track.file_size in (None, reported.size)
        ):
            del ledger.shoko_reported[file_name(path)]
            changed |= _record(ledger, track, reported, None)
    return changed


def unmatched(evidence: ShokoFileEvidence) -> Problem:
    """Why Shoko could not match a file, naming the file."""
    location = evidence.location
    name = f"#{evidence.file_id}" if location is None else location.name
    code = (
        ProblemCode.ANIDB_BAN if evidence.anidb_banned else ProblemCode.FILE_NOT_MATCHED
    )
    return Problem(code, params(file=name))


def _shoko_tracks(
    ledger: Ledger, evidence: ShokoFileEvidence
) -> tuple[list[tuple[Request, Track]], tuple[ShokoLocation, str] | None]:
    """The tracks of a Shoko file: by its id, else by where Shoko keeps it.

    Found by path with one library path only, the match also says where Shoko's
    import folder is for Radarr/Sonarr (returned to be learned).
    """
    by_id = ledger.index.tracks(IndexKind.SHOKO_FILE, evidence.file_id)
    if found := same_request([pair for pair in by_id if is_active(pair[0])]):
        return found, None
    for location in (evidence.location, evidence.previous):
        if location is None:
            continue
        tracks, paths = _tracks_at(ledger, location, evidence.size)
        if tracks:
            unique = (location, paths.pop()) if len(paths) == 1 else None
            return tracks, unique
    return [], None


def _tracks_at(
    ledger: Ledger, location: ShokoLocation, size: int | None
) -> tuple[list[tuple[Request, Track]], set[str]]:
    """Active tracks whose file path ends with Shoko's relative path (same size).

    Where the import folder's library path is known, the exact path wins.
    """
    suffix = "/" + location.path.casefold()
    found: list[tuple[Request, Track, str]] = []
    for request, track in ledger.index.tracks(
        IndexKind.FILE_NAME, file_name(location.path)
    ):
        if not is_active(request) or (
            size is not None and track.file_size not in (None, size)
        ):
            continue
        found.extend(
            (request, track, path)
            for path in map(_library_path, track.paths)
            if path.casefold().endswith(suffix)
        )
    folder = ledger.shoko_folders.get(location.folder_id)
    exact = [item for item in found if item[2] == f"{folder}{location.path}"]
    candidates = exact or found
    if not candidates:
        return [], set()
    newest = candidates[0][0]
    chosen = [(r, t) for r, t, _ in candidates if r is newest]
    return chosen, {path for r, _, path in candidates if r is newest}


def _library_path(path: str) -> str:
    """A Radarr/Sonarr path with `/` separators, to compare with Shoko's."""
    return path.replace("\\", "/")


def _record(
    ledger: Ledger,
    track: Track,
    evidence: ShokoFileEvidence,
    now: datetime | None,
) -> bool:
    """Add what the evidence says about the track's file (a newer file replaces)."""
    shoko = track.shoko
    if shoko is not None and evidence.file_id < shoko.file_id:
        return False
    changed = shoko is None or evidence.file_id > shoko.file_id
    if shoko is None or changed:
        shoko = track.shoko = ShokoFile(evidence.file_id)
        if item_id := ledger.shoko_sightings.pop(evidence.file_id, None):
            # Jellyfin showed the file first (Shokofin shows matched files only).
            learn_item(track, item_id)
            reach(track, Stage.AVAILABLE)
    if evidence.event is ShokoFileEvent.MATCHED:
        changed |= _record_match(shoko, evidence.links, now)
    elif evidence.event is ShokoFileEvent.NOT_MATCHED:
        changed |= merge(shoko, unmatched=unmatched(evidence))
    if evidence.tmdb_linked is False:
        changed |= merge(shoko, no_tmdb_link=True)
    return changed


def _record_match(
    shoko: ShokoFile, links: tuple[AnimeLink, ...], now: datetime | None
) -> bool:
    """Shoko matched the file: when, and its (first) cross reference's ids."""
    link = links[0] if links else AnimeLink()
    if not shoko.matched:
        shoko.matched_at = now
    changed = merge(shoko, matched=True)
    changed |= fill(shoko, series_id=link.series_id, episode_id=link.episode_id)
    changed |= fill(
        shoko,
        anidb_anime_id=link.anidb_anime_id,
        anidb_episode_id=link.anidb_episode_id,
    )
    return changed
