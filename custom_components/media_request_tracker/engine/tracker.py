"""The tracker: holds the requests, applies evidence, and reports what changed.

Every handler only adds facts (a stage reached, a problem at a stage, an id learned);
`_settle` then derives the states again and records the differences. Applying the same
evidence twice therefore changes nothing, and the order of evidence does not matter.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from .correlate import (
    ANIDB_ANIME,
    EPISODE_TVDB,
    FILE_NAME,
    SHOKO_FILE,
    RequestIndex,
    can_reopen,
    file_name,
    is_active,
)
from .evidence import (
    AnimeLink,
    AnimeMovieEvidence,
    AnimeSeriesEvidence,
    ArrMedia,
    DeleteEvidence,
    DownloadStatus,
    EpisodeRef,
    EpisodesListed,
    Evidence,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    Ping,
    Release,
    RequestEvidence,
    RequestStatus,
    ShokoFileEvent,
    ShokoFileEvidence,
    ShokoLocation,
)
from .lifecycle import (
    advance,
    blocked_reason,
    episode_state,
    hidden_by_shokofin,
    request_blocked_reason,
    request_state,
)
from .models import (
    STAGE_STATES,
    Download,
    Episode,
    EpisodeKey,
    LiveProgress,
    MediaType,
    Problem,
    Request,
    Service,
    ShokoFile,
    Stage,
    State,
    TimelineEntry,
    Track,
)

# Jellyfin episodes seen before the grab that names them, kept by episode TVDB id.
MAX_SIGHTINGS = 5000

JELLYSEERR_STAGES = {
    RequestStatus.PENDING: Stage.REQUESTED,
    RequestStatus.APPROVED: Stage.APPROVED,
    RequestStatus.FAILED: Stage.APPROVED,
    RequestStatus.DECLINED: Stage.NONE,
    RequestStatus.AVAILABLE: Stage.AVAILABLE,
}
JELLYSEERR_FAILED = "Jellyseerr could not hand the request to Radarr/Sonarr"
# What a request waits for when a stage lasts too long. Downloading has none: slow
# is not stuck; only a condition the client reports (no seeds) makes it stall.
STALL_REASONS = {
    State.REQUESTED: "Waiting for approval in Jellyseerr",
    State.APPROVED: "Radarr/Sonarr has not found a release to grab yet",
    State.GRABBING: "The download client has not started the download",
    State.DOWNLOADED: "Downloaded, but Radarr/Sonarr has not imported it yet",
    State.IMPORTING: "Imported, but Jellyfin has not added it to the library yet",
    State.ANIME_MATCHING: "Shoko Server has not matched the file yet (AniDB)",
}
SHOKOFIN_HIDES_MOVIE = (
    "Shokofin hides anime movies without a TMDB link in Shoko from movie libraries "
    "(FilterMovieLibraries): link the movie in Shoko or turn that option off"
)
SHOKO_UNMATCHED = "Shoko could not match this file (AniDB): {name}"
ANIDB_BANNED = "AniDB has banned Shoko Server for now (UDP ban): {name} waits for it"
SHOKO_DETAILS = {
    ShokoFileEvent.HASHED: "Hashed by Shoko Server",
    ShokoFileEvent.MATCHED: "Matched by Shoko Server",
    ShokoFileEvent.RELOCATED: "Moved by Shoko Server",
}


@dataclass(frozen=True, slots=True)
class StateChange:
    """A request changed state (`from_state` is None for a new request)."""

    request: Request
    from_state: State | None
    to_state: State


@dataclass(frozen=True, slots=True)
class EpisodeStateChange:
    """An episode changed state (`from_state` is None for a new episode)."""

    request: Request
    episode: Episode
    from_state: State | None
    to_state: State


@dataclass(frozen=True, slots=True)
class ProblemChange:
    """A request's or an episode's problem appeared, changed or cleared."""

    request: Request
    episode: Episode | None
    stalled: bool
    problem: str | None


@dataclass(slots=True)
class Outcome:
    """What one piece of evidence changed, and when it was applied."""

    now: datetime
    created: list[Request] = field(default_factory=list)
    new_episodes: list[tuple[Request, Episode]] = field(default_factory=list)
    touched: dict[str, Request] = field(default_factory=dict)
    state_changes: list[StateChange] = field(default_factory=list)
    episode_changes: list[EpisodeStateChange] = field(default_factory=list)
    problem_changes: list[ProblemChange] = field(default_factory=list)
    # Requests whose live progress changed (entities refresh; nothing to save).
    progressed: dict[str, Request] = field(default_factory=dict)


@dataclass(slots=True)
class _ArrTarget:
    """The request, episodes and download a piece of *arr evidence is about."""

    request: Request
    episodes: list[Episode]
    download: Download | None
    changed: bool
    # Whether the download's stage or problem changed: all its episodes follow it.
    download_moved: bool = False

    def move_download(self, stage: Stage, problem: Problem | None = None) -> bool:
        """Advance the download (attaching a problem); True when it changed."""
        if self.download is None:
            return False
        moved = _advance_download(self.download, stage)
        if problem is not None:
            moved |= _block(self.download, problem)
        self.download_moved |= moved
        return moved


def _merge(target: Any, **values: Any) -> bool:
    """Overwrite fields with the known (non-None) values; True when anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _fill(target: Any, **values: Any) -> bool:
    """Set only fields that are still unknown; True when anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(target, name) is None:
            setattr(target, name, value)
            changed = True
    return changed


def _reach(track: Request | Episode, stage: Stage) -> bool:
    """Record that a track got at least this far."""
    reached = advance(track.stage, stage)
    if reached is track.stage:
        return False
    track.stage = reached
    return True


def _advance_download(download: Download, stage: Stage) -> bool:
    """Move a download forward; a later stage supersedes the problem it had."""
    changed = False
    if stage > download.stage:
        download.stage = stage
        changed = True
    if download.problem is not None and download.stage > download.problem.stage:
        download.problem = None
        changed = True
    return changed


def _block(download: Download, problem: Problem) -> bool:
    """Attach a problem unless the download already got past that stage."""
    if download.stage > problem.stage or download.problem == problem:
        return False
    if download.problem is not None and download.problem.stage > problem.stage:
        return False
    download.problem = problem
    return True


def _observe_problem(download: Download, evidence: DownloadStatus) -> bool:
    """A poll's problem replaces what the same service saw last time."""
    source = evidence.source.value
    if evidence.problem is not None:
        return _block(download, Problem(evidence.problem, evidence.stage, source))
    if download.problem is not None and download.problem.polled_by == source:
        download.problem = None
        return True
    return False


def _observe_live(download: Download, evidence: DownloadStatus, now: datetime) -> bool:
    """Keep the latest progress; a stall condition keeps the time it began."""
    if (
        evidence.progress is None
        and evidence.speed is None
        and evidence.eta is None
        and evidence.stall is None
        and not evidence.episodes
    ):
        return False
    old = download.live
    stall_since = None
    if evidence.stall is not None:
        continues = old is not None and old.stall == evidence.stall
        stall_since = old.stall_since if continues and old is not None else now
    live = LiveProgress(
        progress=evidence.progress,
        speed=evidence.speed,
        eta=evidence.eta,
        stall=evidence.stall,
        stall_since=stall_since,
        episodes=dict(evidence.episodes),
    )
    if live == old:
        return False
    download.live = live
    return True


def _stall_reason(
    request: Request, now: datetime, thresholds: Mapping[State, timedelta]
) -> str | None:
    """Why the request is stuck, once its state lasted past the threshold."""
    limit = thresholds.get(request.state)
    if (
        limit is None
        or request.is_terminal
        or request.state is State.FAILED
        or request.blocked_reason is not None  # stuck already, and saying why
    ):
        return None
    # A condition the download client reports counts from when it began.
    for download in request.downloads.values():
        live = download.live
        if (
            live is not None
            and live.stall is not None
            and live.stall_since is not None
            and download.stage < Stage.IMPORTED
            and now - live.stall_since >= limit
        ):
            return live.stall
    reason = _waiting_for(request)
    since = request.state_since or request.created_at
    if reason is None or now - since < limit:
        return None
    return reason


def _waiting_for(request: Request) -> str | None:
    """What a request in its state waits for; Shokofin's filter when it is the cause."""
    if request.state is State.IMPORTING and hidden_by_shokofin(request):
        return SHOKOFIN_HIDES_MOVIE
    return STALL_REASONS.get(request.state)


def _unmatched(evidence: ShokoFileEvidence) -> str:
    """Why Shoko could not match a file, naming the file."""
    location = evidence.location
    name = f"file {evidence.file_id}" if location is None else location.name
    text = ANIDB_BANNED if evidence.anidb_banned else SHOKO_UNMATCHED
    return text.format(name=name)


def _library_path(path: str) -> str:
    """A Radarr/Sonarr path with `/` separators, to compare with Shoko's."""
    return path.replace("\\", "/")


def _wants_any(request: Request, refs: Iterable[EpisodeRef]) -> bool:
    """Whether a TV request asked for one of these episodes and lacks it still."""
    for ref in refs:
        if request.requests_season(ref.season):
            episode = request.episodes.get((ref.season, ref.number))
            if episode is None or episode.state is not State.AVAILABLE:
                return True
    return False


class Tracker:
    """All tracked requests of one media stack, and the rules that move them."""

    def __init__(
        self, *, anime_matching: bool = False, requesters: Iterable[str] = ()
    ) -> None:
        """Start empty; `anime_matching` is on when Shoko is configured."""
        self.requests: dict[str, Request] = {}
        self.tombstones: set[str] = set()
        self.sightings: dict[int, str] = {}
        # Shoko import folder id → the same folder as Radarr/Sonarr see it, learned
        # from the first file found by its path there (their mounts differ).
        self.shoko_folders: dict[int, str] = {}
        # Jellyfin items of Shoko files no track had yet, kept by Shoko file id.
        self.shoko_sightings: dict[int, str] = {}
        self._index = RequestIndex(self.requests)
        self._anime_matching = anime_matching
        self._requesters = frozenset(name.casefold() for name in requesters)

    def load(
        self,
        requests: Iterable[Request],
        tombstones: Iterable[str] = (),
        sightings: Mapping[int, str] | None = None,
    ) -> None:
        """Restore stored requests as they were saved."""
        for request in requests:
            self.requests[request.key] = request
            self._index.add(request)
        self.tombstones.update(tombstones)
        self.sightings.update(sightings or {})

    def apply(self, evidence: Evidence, now: datetime) -> Outcome:
        """Apply one piece of evidence and report what changed."""
        outcome = Outcome(now)
        match evidence:
            case RequestEvidence():
                self._apply_request(evidence, outcome)
            case GrabEvidence():
                self._apply_grab(evidence, outcome)
            case ImportEvidence():
                self._apply_import(evidence, outcome)
            case ImportBlockedEvidence():
                self._apply_import_blocked(evidence, outcome)
            case DeleteEvidence():
                self._apply_delete(evidence, outcome)
            case LibraryItemEvidence():
                self._apply_library_item(evidence, outcome)
            case DownloadStatus():
                self._apply_download_status(evidence, outcome)
            case EpisodesListed():
                self._apply_episodes_listed(evidence, outcome)
            case ShokoFileEvidence():
                self._apply_shoko_file(evidence, outcome)
            case AnimeSeriesEvidence():
                self._apply_anime_series(evidence, outcome)
            case AnimeMovieEvidence():
                self._apply_anime_movie(evidence, outcome)
            case Ping():
                pass
        return outcome

    def active_downloads(self) -> dict[str, Download]:
        """Downloads still to be imported, by case-folded id, of active requests."""
        return {
            folded: download
            for request in self.requests.values()
            if not request.is_terminal
            for folded, download in request.downloads.items()
            if download.stage < Stage.IMPORTED
        }

    def forget(self, key: str) -> Request | None:
        """Stop tracking a request for good: polling will never bring it back."""
        self.tombstones.add(key)
        request = self.requests.pop(key, None)
        if request is not None:
            self._index.discard(request)
        return request

    def prune(self, updated_before: datetime) -> list[Request]:
        """Drop terminal requests that have not changed since the cut-off."""
        stale = [
            request
            for request in self.requests.values()
            if request.is_terminal
            and (request.updated_at or request.created_at) < updated_before
        ]
        for request in stale:
            del self.requests[request.key]
            self._index.discard(request)
        return stale

    # Jellyseerr

    def _apply_request(self, evidence: RequestEvidence, outcome: Outcome) -> None:
        request = self.requests.get(evidence.request_key)
        changed = False
        if request is None:
            if not self._wanted(evidence):
                return
            request = Request(
                key=evidence.request_key,
                media_type=evidence.media_type,
                title=evidence.title,
                created_at=outcome.now,
            )
            self.requests[request.key] = request
            outcome.created.append(request)
            changed = True
        elif request.is_terminal:
            return
        changed |= _merge(
            request,
            title=evidence.title,
            year=evidence.year,
            tmdb_id=evidence.tmdb_id,
            tvdb_id=evidence.tvdb_id,
            imdb_id=evidence.imdb_id,
            poster_url=evidence.poster_url,
            overview=evidence.overview,
            requested_by=evidence.requested_by,
            requested_seasons=evidence.requested_seasons or None,
            is_4k=evidence.is_4k or None,
        )
        changed |= _reach(request, JELLYSEERR_STAGES[evidence.status])
        if evidence.status is RequestStatus.DECLINED and not request.declined:
            request.declined = changed = True
        elif evidence.status is RequestStatus.FAILED:
            changed |= _merge(
                request, problem=Problem(JELLYSEERR_FAILED, Stage.APPROVED)
            )
        elif evidence.status is RequestStatus.AVAILABLE:
            for episode in request.episodes.values():
                changed |= _reach(episode, Stage.AVAILABLE)
        if changed:
            self._index.add(request)
        self._settle(
            request,
            outcome,
            source=Service.JELLYSEERR,
            detail=evidence.detail,
            changed=changed,
        )

    def _wanted(self, evidence: RequestEvidence) -> bool:
        """New requests: never a forgotten one, and only from the chosen requesters."""
        if evidence.request_key in self.tombstones:
            return False
        if not self._requesters:
            return True
        name = (evidence.requested_by or "").casefold()
        return name in self._requesters

    # Radarr / Sonarr

    def _arr_request(
        self, media: ArrMedia, download_id: str | None, refs: tuple[EpisodeRef, ...]
    ) -> Request | None:
        """The request *arr evidence belongs to; never a request nobody made."""
        if media.media_type is MediaType.MOVIE:
            return self._index.for_arr(media, download_id, is_active)
        active = self._index.for_arr(
            media, download_id, lambda r: is_active(r) and _wants_any(r, refs)
        )
        if active is not None:
            return active
        # Airing seasons (DESIGN §2.2): new episodes reopen an available request.
        return self._index.for_arr(
            media, download_id, lambda r: can_reopen(r) and _wants_any(r, refs)
        )

    def _bind(self, request: Request, media: ArrMedia) -> bool:
        """Learn the *arr's ids for the request (Jellyseerr's names stay)."""
        ids = (
            {"radarr_id": media.arr_id}
            if media.service is Service.RADARR
            else {"sonarr_id": media.arr_id}
        )
        changed = _fill(
            request,
            tmdb_id=media.tmdb_id,
            tvdb_id=media.tvdb_id,
            imdb_id=media.imdb_id,
            poster_url=media.poster_url,
            **ids,
        )
        if media.is_anime and not request.is_anime:
            request.is_anime = changed = True
        return changed

    def _download(self, request: Request, download_id: str) -> tuple[Download, bool]:
        folded = download_id.casefold()
        download = request.downloads.get(folded)
        if download is not None:
            return download, False
        download = request.downloads[folded] = Download(download_id=download_id)
        self._index.note("download", folded, request)
        return download, True

    def _episodes(
        self, request: Request, refs: Iterable[EpisodeRef], outcome: Outcome
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
                episode = request.episodes[key] = Episode(ref.season, ref.number)
                outcome.new_episodes.append((request, episode))
                changed = True
            changed |= _merge(
                episode, title=ref.title, sonarr_episode_id=ref.sonarr_episode_id
            )
            if ref.tvdb_id is not None and episode.tvdb_id != ref.tvdb_id:
                episode.tvdb_id = ref.tvdb_id
                self._index.note_track(EPISODE_TVDB, ref.tvdb_id, request, episode)
                changed = True
            changed |= self._apply_sighting(request, episode)
            episodes.append(episode)
        return episodes, changed

    def _apply_sighting(self, request: Request, episode: Episode) -> bool:
        """An episode Jellyfin showed before any grab named it is available."""
        if episode.tvdb_id is None or episode.tvdb_id not in self.sightings:
            return False
        self._learn_item(request, episode, self.sightings.pop(episode.tvdb_id))
        _reach(episode, Stage.AVAILABLE)
        return True

    def _learn_item(
        self, request: Request, track: Request | Episode, item_id: str
    ) -> bool:
        """Remember the Jellyfin item of a movie, series or episode."""
        if track.jellyfin_item_id == item_id:
            return False
        track.jellyfin_item_id = item_id
        if track is request:
            self._index.note("jellyfin", item_id, request)
        return True

    def _track_download(
        self,
        request: Request,
        download_id: str | None,
        episodes: list[Episode],
        release: Release | None = None,
    ) -> tuple[Download | None, bool]:
        """The download the evidence names, covering the evidence's episodes."""
        if not download_id:
            return None, False
        download, changed = self._download(request, download_id)
        if release is not None:
            changed |= _merge(
                download,
                client=release.client,
                release_title=release.title,
                quality=release.quality,
                indexer=release.indexer,
                release_group=release.release_group,
                size=release.size,
            )
        for episode in episodes:
            if episode.key not in download.episodes:
                download.episodes.add(episode.key)
                changed = True
            changed |= _merge(episode, download_id=download_id)
        return download, changed

    def _arr_target(
        self,
        media: ArrMedia,
        download_id: str | None,
        refs: tuple[EpisodeRef, ...],
        outcome: Outcome,
        release: Release | None = None,
    ) -> _ArrTarget | None:
        """What *arr evidence is about: its request, episodes and download."""
        request = self._arr_request(media, download_id, refs)
        if request is None:
            return None
        learned = self._bind(request, media)
        episodes, found = self._episodes(request, refs, outcome)
        download, tracked = self._track_download(
            request, download_id, episodes, release
        )
        if learned:
            self._index.add(request)
        return _ArrTarget(request, episodes, download, learned or found or tracked)

    def _apply_grab(self, evidence: GrabEvidence, outcome: Outcome) -> None:
        target = self._arr_target(
            evidence.media,
            evidence.download_id,
            evidence.episodes,
            outcome,
            evidence.release,
        )
        if target is None:
            return
        changed = target.changed
        if target.download is not None:
            changed |= target.move_download(Stage.GRABBED)
        else:
            changed |= self._reach_all(target, Stage.GRABBED)
        detail = f"Grabbed {evidence.release.title or 'a release'}"
        self._settle_arr(target, evidence.media, detail, outcome, changed)

    def _reach_all(self, target: _ArrTarget, stage: Stage) -> bool:
        """Without a download id the stage belongs to the episodes (TV) or the movie."""
        if target.request.media_type is MediaType.MOVIE:
            return _reach(target.request, stage)
        changed = False
        for episode in target.episodes:
            changed |= _reach(episode, stage)
        return changed

    def _apply_import(self, evidence: ImportEvidence, outcome: Outcome) -> None:
        target = self._arr_target(
            evidence.media, evidence.download_id, evidence.episodes, outcome
        )
        if target is None:
            return
        changed = target.changed
        if target.download is not None:
            # A single file of a season pack does not make the whole pack imported.
            stage = Stage.IMPORTED if evidence.complete else Stage.DOWNLOADED
            changed |= target.move_download(stage)
        changed |= self._reach_all(target, Stage.IMPORTED)
        changed |= self._record_files(target.request, evidence)
        files = evidence.files
        detail = (
            f"Imported {PurePath(files[0].path).name}"
            if len(files) == 1
            else f"Imported {len(files)} files"
        )
        self._settle_arr(target, evidence.media, detail, outcome, changed)

    def _record_files(self, request: Request, evidence: ImportEvidence) -> bool:
        changed = False
        for file in evidence.files:
            if request.media_type is MediaType.MOVIE:
                changed |= self._record_file(request, request, file)
                continue
            for key in file.episodes:
                episode = request.episodes.get(key)
                if episode is not None:
                    changed |= self._record_file(request, episode, file)
        return changed

    def _record_file(self, request: Request, track: Track, file: ImportedFile) -> bool:
        """Remember an imported file; its name finds it again when Shoko reports it."""
        changed = file.path not in track.paths
        if changed:
            if isinstance(track, Episode):
                track.file_path = file.path
            else:
                track.file_paths.append(file.path)
            self._index.note_track(FILE_NAME, file_name(file.path), request, track)
        return _merge(track, file_size=file.size) or changed

    def _apply_import_blocked(
        self, evidence: ImportBlockedEvidence, outcome: Outcome
    ) -> None:
        target = self._arr_target(
            evidence.media, evidence.download_id, evidence.episodes, outcome
        )
        if target is None:
            return
        changed = target.changed
        problem = Problem(evidence.problem, Stage.DOWNLOADED)
        if target.download is not None:
            changed |= target.move_download(Stage.DOWNLOADED, problem)
        else:
            changed |= self._reach_all(target, Stage.DOWNLOADED)
            request = target.request
            tracks: list[Request | Episode] = (
                [request]
                if request.media_type is MediaType.MOVIE
                else [*target.episodes]
            )
            for track in tracks:
                changed |= _merge(track, problem=problem)
        detail = f"Import blocked: {evidence.problem}"
        self._settle_arr(target, evidence.media, detail, outcome, changed)

    def _settle_arr(
        self,
        target: _ArrTarget,
        media: ArrMedia,
        detail: str,
        outcome: Outcome,
        changed: bool,
    ) -> None:
        """Settle the episodes the evidence named and those its download covers."""
        request, download = target.request, target.download
        affected = list(target.episodes)
        if download is not None and target.download_moved:
            affected = [
                episode
                for key in download.episodes
                if (episode := request.episodes.get(key)) is not None
            ]
        self._settle(
            request,
            outcome,
            source=media.service,
            detail=detail,
            changed=changed,
            episodes=affected,
        )

    def _apply_delete(self, evidence: DeleteEvidence, outcome: Outcome) -> None:
        refs = evidence.episodes
        if refs:
            keys = {(ref.season, ref.number) for ref in refs}
            request = self._index.for_arr(
                evidence.media,
                None,
                lambda r: can_reopen(r) and not keys.isdisjoint(r.episodes),
            )
        else:
            request = self._index.for_arr(evidence.media, None, can_reopen)
        if request is None:
            return
        changed = False
        if not refs:
            request.removed = changed = True
        for ref in refs:
            episode = request.episodes.get((ref.season, ref.number))
            if episode is not None and not episode.removed:
                episode.removed = changed = True
        detail = (
            f"Deleted in {evidence.media.service.value.title()} ({evidence.reason})"
        )
        named = [
            episode
            for ref in refs
            if (episode := request.episodes.get((ref.season, ref.number))) is not None
        ]
        self._settle(
            request,
            outcome,
            source=evidence.media.service,
            detail=detail,
            changed=changed,
            episodes=named,
        )

    # Polls of download clients and *arr queues

    def _apply_download_status(
        self, evidence: DownloadStatus, outcome: Outcome
    ) -> None:
        folded = evidence.download_id.casefold()
        for request in self._index.candidates("download", folded):
            if not is_active(request):
                continue
            download = request.downloads[folded]
            moved = _advance_download(download, evidence.stage)
            moved |= _observe_problem(download, evidence)
            if _observe_live(download, evidence, outcome.now):
                outcome.progressed[request.key] = request
            if not moved:
                continue
            detail = evidence.problem or (
                f"{evidence.source.display_name}: {STAGE_STATES[download.stage]}"
            )
            covered = [
                episode
                for key in download.episodes
                if (episode := request.episodes.get(key)) is not None
            ]
            self._settle(
                request,
                outcome,
                source=evidence.source,
                detail=detail,
                changed=True,
                episodes=covered,
            )

    def _apply_episodes_listed(
        self, evidence: EpisodesListed, outcome: Outcome
    ) -> None:
        target = self._arr_target(evidence.media, None, evidence.episodes, outcome)
        if target is None:
            return
        changed = target.changed
        for episode in target.episodes:
            if episode.key in evidence.with_file:
                changed |= _reach(episode, Stage.IMPORTED)
        self._settle_arr(target, evidence.media, "Listed by Sonarr", outcome, changed)

    def check_stalls(
        self, now: datetime, thresholds: Mapping[State, timedelta]
    ) -> Outcome:
        """Flag requests whose stage (or stall condition) outlasted its threshold."""
        outcome = Outcome(now)
        for request in self.requests.values():
            reason = _stall_reason(request, now, thresholds)
            if reason == request.stall_reason:
                continue
            request.stall_reason = reason
            request.touch(now)
            outcome.touched[request.key] = request
            outcome.problem_changes.append(
                ProblemChange(request, None, request.stalled, request.current_problem)
            )
        return outcome

    # Jellyfin

    def _apply_library_item(
        self, evidence: LibraryItemEvidence, outcome: Outcome
    ) -> None:
        shoko_file_id = evidence.shoko_file_id
        if shoko_file_id is not None and self._apply_shoko_item(
            evidence, shoko_file_id, outcome
        ):
            return
        match evidence.kind:
            case ItemKind.MOVIE:
                self._apply_movie_item(evidence, outcome)
            case ItemKind.SERIES:
                self._apply_series_item(evidence, outcome)
            case ItemKind.EPISODE:
                self._apply_episode_item(evidence, outcome)

    def _apply_movie_item(
        self, evidence: LibraryItemEvidence, outcome: Outcome
    ) -> None:
        request = self._index.by_media(
            MediaType.MOVIE,
            {"tmdb": evidence.tmdb_id, "imdb": evidence.imdb_id},
            is_active,
        )
        if request is None:
            return
        learned = self._learn_item(request, request, evidence.item_id)
        changed = _reach(request, Stage.AVAILABLE) or learned
        detail = f"Playable in Jellyfin as {evidence.name}"
        self._settle(
            request,
            outcome,
            source=Service.JELLYFIN,
            detail=detail,
            changed=changed,
            episodes=(),
        )

    def _apply_series_item(
        self, evidence: LibraryItemEvidence, outcome: Outcome
    ) -> None:
        """A series folder is not playable, but its id finds the episodes later."""
        request = self._index.by_media(
            MediaType.TV,
            {"tvdb": evidence.tvdb_id, "tmdb": evidence.tmdb_id},
            can_reopen,
        )
        if request is not None and request.jellyfin_item_id is None:
            self._learn_item(request, request, evidence.item_id)
            self._settle(
                request,
                outcome,
                source=Service.JELLYFIN,
                detail="",
                changed=True,
                episodes=(),
            )

    def _apply_episode_item(
        self, evidence: LibraryItemEvidence, outcome: Outcome
    ) -> None:
        found = self._find_episode(evidence)
        if found is None:
            if evidence.tvdb_id is not None:
                self._remember_sighting(
                    self.sightings, evidence.tvdb_id, evidence.item_id
                )
            return
        request, episode = found
        learned = self._learn_item(request, episode, evidence.item_id)
        changed = _reach(episode, Stage.AVAILABLE) or learned
        detail = f"{episode.key[0]}x{episode.key[1]:02d} playable in Jellyfin"
        self._settle(
            request,
            outcome,
            source=Service.JELLYFIN,
            detail=detail,
            changed=changed,
            episodes=(episode,),
        )

    def _find_episode(
        self, evidence: LibraryItemEvidence
    ) -> tuple[Request, Episode] | None:
        """By the episode's TVDB id, else by series item id and season/episode."""
        if evidence.tvdb_id is not None:
            for request, episode in self._index.episodes_by_tvdb(evidence.tvdb_id):
                if can_reopen(request):
                    return request, episode
        if evidence.series_item_id and evidence.season is not None:
            key: EpisodeKey = (evidence.season, evidence.number or 0)
            for request in self._index.candidates("jellyfin", evidence.series_item_id):
                numbered = request.episodes.get(key)
                if numbered is not None and can_reopen(request):
                    return request, numbered
        return None

    def _apply_shoko_item(
        self, evidence: LibraryItemEvidence, shoko_file_id: int, outcome: Outcome
    ) -> bool:
        """An item Shokofin made for a file Shoko matched: its tracks are available.

        Shokofin may show an anime movie as a series episode; the file is what counts.
        """
        found = [
            pair
            for pair in self._index.tracks(SHOKO_FILE, shoko_file_id)
            if can_reopen(pair[0])
        ]
        if not found:
            self._remember_sighting(
                self.shoko_sightings, shoko_file_id, evidence.item_id
            )
            return False
        same = _same_request(found)
        request = same[0][0]
        changed = False
        for _, track in same:
            changed |= self._learn_item(request, track, evidence.item_id)
            changed |= _reach(track, Stage.AVAILABLE)
        self._settle(
            request,
            outcome,
            source=Service.JELLYFIN,
            detail=f"Playable in Jellyfin as {evidence.name}",
            changed=changed,
            episodes=_episodes_among(same),
        )
        return True

    @staticmethod
    def _remember_sighting(sightings: dict[int, str], key: int, item_id: str) -> None:
        sightings.pop(key, None)
        sightings[key] = item_id
        while len(sightings) > MAX_SIGHTINGS:
            del sightings[next(iter(sightings))]

    # Shoko Server

    def wants_shoko_file(self, evidence: ShokoFileEvidence) -> bool:
        """Whether evidence about a Shoko file may concern a tracked movie or episode.

        Shoko reports every file of its library; only these are worth asking it more.
        """
        return bool(self._shoko_tracks(evidence)[0])

    def _apply_shoko_file(self, evidence: ShokoFileEvidence, outcome: Outcome) -> None:
        tracks, learned_at = self._shoko_tracks(evidence)
        if not tracks:
            return
        if learned_at is not None:
            location, path = learned_at
            self.shoko_folders.setdefault(
                location.folder_id, path[: len(path) - len(location.path)]
            )
        request = tracks[0][0]
        changed = False
        for _, track in tracks:
            changed |= self._record_shoko(request, track, evidence)
        if evidence.tmdb_linked and request.media_type is MediaType.MOVIE:
            changed |= _merge(request, shoko_tmdb_link=True)
        detail = SHOKO_DETAILS.get(evidence.event) or _unmatched(evidence)
        self._settle(
            request,
            outcome,
            source=Service.SHOKO,
            detail=detail,
            changed=changed,
            episodes=_episodes_among(tracks),
        )

    def _shoko_tracks(
        self, evidence: ShokoFileEvidence
    ) -> tuple[list[tuple[Request, Track]], tuple[ShokoLocation, str] | None]:
        """The tracks of a Shoko file: by its id, else by where Shoko keeps it.

        Found by path with one library path only, the match also says where Shoko's
        import folder is for Radarr/Sonarr (returned to be learned).
        """
        by_id = self._index.tracks(SHOKO_FILE, evidence.file_id)
        if found := _same_request(pair for pair in by_id if is_active(pair[0])):
            return found, None
        for location in (evidence.location, evidence.previous):
            if location is None:
                continue
            tracks, paths = self._tracks_at(location, evidence.size)
            if tracks:
                unique = (location, paths.pop()) if len(paths) == 1 else None
                return tracks, unique
        return [], None

    def _tracks_at(
        self, location: ShokoLocation, size: int | None
    ) -> tuple[list[tuple[Request, Track]], set[str]]:
        """Active tracks whose file path ends with Shoko's relative path (same size).

        Where the import folder's library path is known, the exact path wins.
        """
        suffix = "/" + location.path.casefold()
        found: list[tuple[Request, Track, str]] = []
        for request, track in self._index.tracks(FILE_NAME, file_name(location.path)):
            if not is_active(request) or (
                size is not None and track.file_size not in (None, size)
            ):
                continue
            found.extend(
                (request, track, path)
                for path in map(_library_path, track.paths)
                if path.casefold().endswith(suffix)
            )
        folder = self.shoko_folders.get(location.folder_id)
        exact = [item for item in found if item[2] == f"{folder}{location.path}"]
        candidates = exact or found
        if not candidates:
            return [], set()
        newest = candidates[0][0]
        chosen = [(r, t) for r, t, _ in candidates if r is newest]
        return chosen, {path for r, _, path in candidates if r is newest}

    def _record_shoko(
        self, request: Request, track: Track, evidence: ShokoFileEvidence
    ) -> bool:
        """Add what the evidence says about the track's file (a newer file replaces)."""
        shoko = track.shoko
        if shoko is not None and evidence.file_id < shoko.file_id:
            return False
        changed = shoko is None or evidence.file_id > shoko.file_id
        if shoko is None or changed:
            shoko = track.shoko = ShokoFile(evidence.file_id)
            self._index.note_track(SHOKO_FILE, evidence.file_id, request, track)
            if item_id := self.shoko_sightings.pop(evidence.file_id, None):
                # Jellyfin showed the file first (Shokofin shows matched files only).
                self._learn_item(request, track, item_id)
                _reach(track, Stage.AVAILABLE)
        if evidence.event is ShokoFileEvent.MATCHED:
            changed |= self._record_match(request, track, shoko, evidence.links)
        elif evidence.event is ShokoFileEvent.NOT_MATCHED:
            changed |= _merge(shoko, unmatched=_unmatched(evidence))
        if evidence.tmdb_linked is False:
            changed |= _merge(shoko, no_tmdb_link=True)
        return changed

    def _record_match(
        self,
        request: Request,
        track: Track,
        shoko: ShokoFile,
        links: tuple[AnimeLink, ...],
    ) -> bool:
        """Shoko matched the file: record its (first) cross reference's ids."""
        link = links[0] if links else AnimeLink()
        changed = _merge(shoko, matched=True)
        changed |= _fill(shoko, series_id=link.series_id, episode_id=link.episode_id)
        if _fill(
            shoko,
            anidb_anime_id=link.anidb_anime_id,
            anidb_episode_id=link.anidb_episode_id,
        ):
            if shoko.anidb_anime_id is not None:
                self._index.note_track(
                    ANIDB_ANIME, shoko.anidb_anime_id, request, track
                )
            changed = True
        return changed

    def _apply_anime_series(
        self, evidence: AnimeSeriesEvidence, outcome: Outcome
    ) -> None:
        """Fill the Shoko ids of files matched before Shoko created their series."""
        series_id = next(iter(evidence.series_ids), None)
        episode_ids = {anidb: shoko[0] for anidb, shoko in evidence.episodes if shoko}
        changed: dict[str, Request] = {}
        for request, track in self._index.tracks(ANIDB_ANIME, evidence.anidb_anime_id):
            shoko = track.shoko
            if shoko is not None and is_active(request):
                episode_id = episode_ids.get(shoko.anidb_episode_id or 0)
                if _fill(shoko, series_id=series_id, episode_id=episode_id):
                    changed[request.key] = request
        for request in changed.values():
            self._settle(
                request,
                outcome,
                source=Service.SHOKO,
                detail="",
                changed=True,
                episodes=(),
            )

    def _apply_anime_movie(
        self, evidence: AnimeMovieEvidence, outcome: Outcome
    ) -> None:
        """Shoko linked the TMDB movie: Shokofin's movie libraries will list it."""
        request = self._index.by_media(
            MediaType.MOVIE,
            {"tmdb": evidence.tmdb_id},
            lambda r: is_active(r) and r.is_anime,
        )
        if request is not None and not request.shoko_tmdb_link:
            request.shoko_tmdb_link = True
            self._settle(
                request,
                outcome,
                source=Service.SHOKO,
                detail="",
                changed=True,
                episodes=(),
            )

    # Derivation

    def _settle_episode(
        self, request: Request, episode: Episode, outcome: Outcome
    ) -> bool:
        """Derive an episode's state and problems again; True when they changed."""
        changed = False
        state, problem = episode_state(request, episode, self._anime_matching)
        if state is not episode.state or not episode.reached:
            from_state = episode.state if episode.reached else None
            episode.state = state
            episode.reached.setdefault(state, outcome.now)
            outcome.episode_changes.append(
                EpisodeStateChange(request, episode, from_state, state)
            )
            changed = True
        blocked = blocked_reason(episode, state)
        if (problem, blocked) != (episode.problem_text, episode.blocked_reason):
            episode.problem_text, episode.blocked_reason = problem, blocked
            outcome.problem_changes.append(
                ProblemChange(
                    request, episode, episode.stalled, episode.current_problem
                )
            )
            changed = True
        return changed

    def _settle(
        self,
        request: Request,
        outcome: Outcome,
        *,
        source: Service,
        detail: str,
        changed: bool,
        episodes: Iterable[Episode] | None = None,
    ) -> None:
        """Derive states again and record every difference as a change.

        `episodes` limits the episodes derived again to those the evidence can have
        changed; by default (request-level evidence) all of them are.
        """
        now = outcome.now
        for episode in request.episodes.values() if episodes is None else episodes:
            changed |= self._settle_episode(request, episode, outcome)
        state, problem = request_state(request, self._anime_matching)
        before = request.current_problem
        if state is not request.state or not request.reached:
            from_state = request.state if request.reached else None
            request.state = state
            request.reached.setdefault(state, now)
            request.state_since = now
            request.stall_reason = None  # the evidence moved it on
            request.timeline.append(TimelineEntry(now, state, source, detail))
            outcome.state_changes.append(StateChange(request, from_state, state))
            changed = True
        blocked = request_blocked_reason(request)
        if (problem, blocked) != (request.problem_text, request.blocked_reason):
            request.problem_text, request.blocked_reason = problem, blocked
            changed = True
        if request.current_problem != before:
            outcome.problem_changes.append(
                ProblemChange(request, None, request.stalled, request.current_problem)
            )
        if changed:
            request.touch(now)
            outcome.touched[request.key] = request


def _same_request(
    pairs: Iterable[tuple[Request, Track]],
) -> list[tuple[Request, Track]]:
    """The tracks of the first (newest) request among `pairs`."""
    found = list(pairs)
    return [pair for pair in found if pair[0] is found[0][0]]


def _episodes_among(tracks: list[tuple[Request, Track]]) -> list[Episode]:
    return [track for _, track in tracks if isinstance(track, Episode)]
