"""Radarr and Sonarr: grabs, imports, blocked imports, deletions and episode lists.

Every piece of *arr evidence first finds its target (`ArrTarget`): the request it
belongs to (never one nobody made), the episodes it names in the requested seasons
(made as needed) and the download it names.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from ..changes import Finding
from ..correlate import can_reopen, is_active
from ..evidence import (
    ArrListing,
    ArrMedia,
    DeleteEvidence,
    DownloadFailedEvidence,
    EpisodeRef,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportedFile,
    ImportEvidence,
    Release,
)
from ..facts import (
    advance_download,
    block,
    covered,
    fill,
    learn_item,
    merge,
    reach,
)
from ..ledger import Ledger
from ..models import (
    Blocker,
    Download,
    Episode,
    Listing,
    MediaType,
    Request,
    Service,
    Stage,
    State,
    Track,
)
from . import anime


@dataclass(slots=True)
class ArrTarget:
    """The request, episodes and download a piece of *arr evidence is about."""

    request: Request
    episodes: list[Episode]
    download: Download | None
    changed: bool
    # Whether the download's stage or blocker changed: all its episodes follow it.
    download_moved: bool = False

    def move_download(self, stage: Stage, blocker: Blocker | None = None) -> bool:
        """Advance the download (attaching a blocker); True when it changed."""
        if self.download is None:
            return False
        moved = advance_download(self.download, stage)
        if blocker is not None:
            moved |= block(self.download, blocker)
        self.download_moved |= moved
        return moved

    def reach_all(self, stage: Stage) -> bool:
        """Without a download id the stage belongs to the episodes (TV) or the movie."""
        changed = False
        for track in self.tracks():
            changed |= reach(track, stage)
        return changed

    def tracks(self) -> list[Track]:
        """The movie, or the episodes the evidence named."""
        if self.request.media_type is MediaType.MOVIE:
            return [self.request]
        return [*self.episodes]

    def finding(self, media: ArrMedia, detail: str, changed: bool) -> Finding:
        """Settle the episodes the evidence named, or all its download covers."""
        affected = list(self.episodes)
        if self.download is not None and self.download_moved:
            affected = covered(self.request, self.download)
        return Finding(self.request, media.service, detail, changed, affected)


type ArrEvidence = (
    GrabEvidence
    | ImportEvidence
    | ImportBlockedEvidence
    | DownloadFailedEvidence
    | DeleteEvidence
    | ArrListing
)


def apply(ledger: Ledger, evidence: ArrEvidence) -> list[Finding]:
    """What a piece of Radarr/Sonarr evidence changes."""
    match evidence:
        case GrabEvidence():
            return apply_grab(ledger, evidence)
        case ImportEvidence():
            return apply_import(ledger, evidence)
        case ImportBlockedEvidence():
            return apply_import_blocked(ledger, evidence)
        case DownloadFailedEvidence():
            return apply_download_failed(ledger, evidence)
        case DeleteEvidence():
            return apply_delete(ledger, evidence)
        case ArrListing():
            return apply_listing(ledger, evidence)


def apply_grab(ledger: Ledger, evidence: GrabEvidence) -> list[Finding]:
    """A release was sent to the download client."""
    target = _target(ledger, evidence.media, evidence.download_id, evidence.episodes)
    if target is None:
        return []
    changed = target.changed | _describe(target.download, evidence.release)
    if target.download is not None:
        changed |= target.move_download(Stage.GRABBED)
    else:
        changed |= target.reach_all(Stage.GRABBED)
    detail = f"Grabbed {evidence.release.title or 'a release'}"
    return [target.finding(evidence.media, detail, changed)]


def apply_import(ledger: Ledger, evidence: ImportEvidence) -> list[Finding]:
    """Files were imported into the library."""
    target = _target(ledger, evidence.media, evidence.download_id, evidence.episodes)
    if target is None:
        return []
    changed = target.changed
    if target.download is not None:
        # A single file of a season pack does not make the whole pack imported.
        stage = Stage.IMPORTED if evidence.complete else Stage.DOWNLOADED
        changed |= target.move_download(stage)
    changed |= target.reach_all(Stage.IMPORTED)
    changed |= _record_files(ledger, target.request, evidence.files)
    files = evidence.files
    detail = (
        f"Imported {PurePath(files[0].path).name}"
        if len(files) == 1
        else f"Imported {len(files)} files"
    )
    return [target.finding(evidence.media, detail, changed)]


def apply_import_blocked(
    ledger: Ledger, evidence: ImportBlockedEvidence
) -> list[Finding]:
    """The download finished but cannot be imported without the user."""
    target = _target(ledger, evidence.media, evidence.download_id, evidence.episodes)
    if target is None:
        return []
    changed = target.changed
    blocker = Blocker(evidence.problem, Stage.DOWNLOADED)
    if target.download is not None:
        changed |= target.move_download(Stage.DOWNLOADED, blocker)
    else:
        changed |= target.reach_all(Stage.DOWNLOADED)
        for track in target.tracks():
            changed |= merge(track, blocker=blocker)
    detail = f"Import blocked: {evidence.problem.words}"
    return [target.finding(evidence.media, detail, changed)]


def apply_download_failed(
    ledger: Ledger, evidence: DownloadFailedEvidence
) -> list[Finding]:
    """A download failed (or was ignored): that download will not be imported.

    Its blocker holds whatever the client still does with it, until an import
    after all; a later grab is a healthy download, which supersedes it.
    """
    target = _target(ledger, evidence.media, evidence.download_id, evidence.episodes)
    if target is None:
        return []
    changed = target.changed
    blocker = Blocker(evidence.problem, Stage.DOWNLOADED)
    if target.download is not None:
        changed |= target.move_download(Stage.GRABBED, blocker)
    else:
        for track in target.tracks():
            changed |= merge(track, blocker=blocker)
    detail = f"Download failed: {evidence.problem.words}"
    return [target.finding(evidence.media, detail, changed)]


def apply_listing(ledger: Ledger, evidence: ArrListing) -> list[Finding]:
    """A listed movie or series: its ids; episodes' files there prove the import."""
    target = _target(
        ledger, evidence.media, None, evidence.episodes, evidence.request_key
    )
    if target is None:
        return []
    changed = target.changed
    for episode in target.episodes:
        if episode.key in evidence.with_file:
            changed |= reach(episode, Stage.IMPORTED)
    changed |= _record_files(ledger, target.request, evidence.files)
    changed |= merge(
        target.request,
        listing=Listing(
            True, evidence.released, evidence.release, evidence.last_search
        ),
    )
    source = evidence.media.service.display_name
    return [target.finding(evidence.media, f"Listed by {source}", changed)]


def apply_delete(ledger: Ledger, evidence: DeleteEvidence) -> list[Finding]:
    """A movie or series was deleted (no episodes named), or episode files were."""
    keys = {(ref.season, ref.number) for ref in evidence.episodes}
    request = ledger.index.for_arr(
        evidence.media,
        None,
        lambda r: can_reopen(r) and (not keys or not keys.isdisjoint(r.episodes)),
    )
    if request is None:
        return []
    changed = False
    if not keys:
        request.removed = changed = True
    named = [
        episode
        for ref in evidence.episodes
        if (episode := request.episodes.get((ref.season, ref.number))) is not None
    ]
    for episode in named:
        if not episode.removed:
            episode.removed = changed = True
    service = evidence.media.service
    detail = f"Deleted in {service.display_name} ({evidence.reason})"
    return [Finding(request, service, detail, changed, named)]


def _target(
    ledger: Ledger,
    media: ArrMedia,
    download_id: str | None,
    refs: tuple[EpisodeRef, ...],
    request_key: str | None = None,
) -> ArrTarget | None:
    """What *arr evidence is about: its request, episodes and download.

    `request_key`: the request the evidence was asked for, when it was.
    """
    request = _request_for(ledger, media, download_id, refs, request_key)
    if request is None or (download_id or "").casefold() in request.replaced:
        return None
    changed = _bind(request, media)
    episodes, found = _episodes(ledger, request, refs)
    download, tracked = _track_download(request, download_id, episodes)
    return ArrTarget(request, episodes, download, changed or found or tracked)


def _request_for(
    ledger: Ledger,
    media: ArrMedia,
    download_id: str | None,
    refs: tuple[EpisodeRef, ...],
    request_key: str | None = None,
) -> Request | None:
    """The request *arr evidence belongs to; never a request nobody made."""
    index = ledger.index
    if media.media_type is MediaType.MOVIE:
        return index.for_arr(media, download_id, is_active)
    if request_key is not None:
        # A listing asked for one request: what is released depends on its seasons.
        request = ledger.requests.get(request_key)
        wanted = (
            request is not None
            and (is_active(request) or can_reopen(request))
            and media.instance.serves(request)
        )
        return request if wanted else None
    active = index.for_arr(
        media, download_id, lambda r: is_active(r) and _wants_any(r, refs)
    )
    if active is not None:
        return active
    # Airing seasons (DESIGN §2.2): new episodes reopen an available request.
    return index.for_arr(
        media, download_id, lambda r: can_reopen(r) and _wants_any(r, refs)
    )


def _wants_any(request: Request, refs: Iterable[EpisodeRef]) -> bool:
    """Whether a TV request asked for one of these episodes and lacks it still."""
    for ref in refs:
        if request.requests_season(ref.season):
            episode = request.episodes.get((ref.season, ref.number))
            if episode is None or episode.state is not State.AVAILABLE:
                return True
    return False


def _bind(request: Request, media: ArrMedia) -> bool:
    """Learn the *arr's ids for the request (Jellyseerr's names stay).

    Its *arr id binds it to the instance that said it: from then on, only that
    Radarr or Sonarr speaks for it.
    """
    if request.arr_id is None and media.arr_id is not None:
        request.arr_instance = media.instance.key
    arr_id = (
        {"radarr_id": media.arr_id}
        if media.service is Service.RADARR
        else {"sonarr_id": media.arr_id}
    )
    changed = fill(
        request,
        tmdb_id=media.tmdb_id,
        tvdb_id=media.tvdb_id,
        imdb_id=media.imdb_id,
        poster_url=media.poster_url,
        **arr_id,
    )
    if media.is_anime and not request.is_anime:
        request.is_anime = changed = True
    return changed


def _episodes(
    ledger: Ledger, request: Request, refs: Iterable[EpisodeRef]
) -> tuple[list[Episode], bool]:
    """The request's episodes for these refs (in requested seasons), made as needed."""
    episodes: list[Episode] = []
    changed = False
    for ref in refs:
        if not request.requests_season(ref.season):
            continue
        key = (ref.season, ref.number)
        episode = request.episodes.get(key)
        if episode is None:
            episode = Episode(ref.season, ref.number)
            request.episodes[episode.key] = episode
            changed = True
        changed |= merge(
            episode,
            title=ref.title,
            sonarr_episode_id=ref.sonarr_episode_id,
            tvdb_id=ref.tvdb_id,
        )
        changed |= _apply_sighting(ledger, episode)
        episodes.append(episode)
    return episodes, changed


def _apply_sighting(ledger: Ledger, episode: Episode) -> bool:
    """An episode Jellyfin showed before any grab named it is available."""
    if episode.tvdb_id is None:
        return False
    item_id = ledger.sightings.pop(episode.tvdb_id, None)
    if item_id is None:
        return False
    learn_item(episode, item_id)
    reach(episode, Stage.AVAILABLE)
    return True


def _track_download(
    request: Request, download_id: str | None, episodes: list[Episode]
) -> tuple[Download | None, bool]:
    """The download the evidence names, covering the evidence's episodes."""
    if not download_id:
        return None, False
    folded = download_id.casefold()
    download = request.downloads.get(folded)
    changed = download is None
    if download is None:
        download = request.downloads[folded] = Download(download_id=download_id)
    for episode in episodes:
        if episode.key not in download.episodes:
            download.episodes.add(episode.key)
            changed = True
        changed |= merge(episode, download_id=download_id)
    return download, changed


def _describe(download: Download | None, release: Release) -> bool:
    """What a grab says of the release."""
    if download is None:
        return False
    return merge(
        download,
        client=release.client,
        release_title=release.title,
        quality=release.quality,
        indexer=release.indexer,
        release_group=release.release_group,
        size=release.size,
    )


def _record_files(
    ledger: Ledger, request: Request, files: Iterable[ImportedFile]
) -> bool:
    changed = False
    for file in files:
        if request.media_type is MediaType.MOVIE:
            changed |= _record_file(ledger, request, file)
            continue
        for key in file.episodes:
            episode = request.episodes.get(key)
            if episode is not None:
                changed |= _record_file(ledger, episode, file)
    return changed


def _record_file(ledger: Ledger, track: Track, file: ImportedFile) -> bool:
    """Remember an imported file; its name finds it again when Shoko reports it.

    Shoko may have reported it already, before its path was known here.
    """
    new = file.path not in track.paths
    if new:
        if isinstance(track, Episode):
            track.file_path = file.path
        else:
            track.file_paths.append(file.path)
    changed = merge(track, file_size=file.size) or new
    if new:
        changed |= anime.claim_reported(ledger, track)
    return changed
