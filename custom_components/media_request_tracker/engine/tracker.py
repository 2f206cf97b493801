"""The tracker: holds the requests, applies evidence, and reports what changed.

Rules (`rules/`) only add facts and say which requests they touched; the tracker then
settles each of them once: derives its states again, records every difference in the
outcome and re-indexes it. Applying the same evidence twice therefore changes nothing,
the order of evidence does not matter, and no rule can forget an index.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from .changes import (
    EpisodeStateChange,
    Finding,
    Outcome,
    ProblemChange,
    StateChange,
)
from .eta import Pace
from .evidence import (
    AnimeMovieEvidence,
    AnimeSeriesEvidence,
    ArrListing,
    ArrMissing,
    DeleteEvidence,
    DownloadFailedEvidence,
    DownloadStatus,
    Evidence,
    GrabEvidence,
    HealthEvidence,
    ImportBlockedEvidence,
    ImportEvidence,
    LibraryItemEvidence,
    PendingReleases,
    Ping,
    RequestEvidence,
    RequestGone,
    ShokoFileEvidence,
)
from .facts import covered, reach
from .ledger import Ledger
from .lifecycle import blocked_by, episode_state, request_blocked_by, request_state
from .models import (
    REMEDIATION,
    Attempt,
    Download,
    Episode,
    HealthCheck,
    HealthImpact,
    MediaType,
    Request,
    Service,
    Stage,
    State,
    TimelineEntry,
    Track,
)
from .people import fold_people, follow as start_following, unfollow as stop_following
from .remediation import kept_attempts
from .rules import anime, arr, downloads, jellyseerr, library, stack
from .stalls import stall_of
from .timings import Delay
from .views import Outlook


class Tracker:
    """All tracked requests of one media stack, and the rules that move them."""

    def __init__(
        self,
        *,
        anime_matching: bool = False,
        requesters: Iterable[str] = (),
        people: Mapping[str, str] | None = None,
    ) -> None:
        """Start empty; `anime_matching` is on when Shoko is configured.

        `people` links Jellyseerr users to the Home Assistant persons they are.
        """
        self.people = fold_people(people or {})
        self.ledger = Ledger(
            anime_matching=anime_matching,
            requesters=frozenset(name.casefold() for name in requesters),
        )
        self.requests = self.ledger.requests
        self.tombstones = self.ledger.tombstones
        self.sightings = self.ledger.sightings
        self.shoko_folders = self.ledger.shoko_folders
        self.timings = self.ledger.timings

    def load(
        self,
        requests: Iterable[Request],
        tombstones: Iterable[str] = (),
        sightings: Mapping[int, str] | None = None,
        *,
        derive: bool = False,
    ) -> None:
        """Restore stored requests; `derive` their states again (after a migration)."""
        for request in requests:
            self.requests[request.key] = request
            if derive:
                self._settle_silently(request)
            self.ledger.index.add(request)
        self.tombstones.update(tombstones)
        self.sightings.update(sightings or {})

    def unbind_gone_instances(self, configured: set[tuple[Service, str]]) -> None:
        """Requests bound to a Radarr/Sonarr subentry that is gone are free again.

        Removed from the household's setup (deleted, or deleted and added again),
        it will never speak again; the instances there are may find the request by
        its TMDB/TVDB id and bind it anew. The primary ("") always speaks, by its
        webhook even when its API is not configured.
        """
        for request in self.requests.values():
            key = request.arr_instance
            if not key or (request.arr, key) in configured:
                continue
            self.ledger.index.discard(request)
            request.radarr_id = request.sonarr_id = None
            request.arr_instance = ""
            request.stored = None
            self.ledger.index.add(request)

    def apply(self, evidence: Evidence, now: datetime) -> Outcome:
        """Apply one piece of evidence and report what changed."""
        outcome = Outcome(now)
        for finding in self._findings(evidence, now):
            if finding.progressed:
                outcome.progressed[finding.request.key] = finding.request
                if not finding.changed:
                    continue  # live numbers only: nothing to derive again
            self._settle(finding, outcome)
        return outcome

    def _findings(self, evidence: Evidence, now: datetime) -> list[Finding]:
        """What the rules of the evidence's family found."""
        ledger = self.ledger
        match evidence:
            case RequestEvidence():
                return jellyseerr.apply_request(ledger, evidence, now)
            case RequestGone():
                return jellyseerr.apply_request_gone(ledger, evidence)
            case (
                GrabEvidence()
                | ImportEvidence()
                | ImportBlockedEvidence()
                | DownloadFailedEvidence()
                | DeleteEvidence()
                | ArrListing()
            ):
                return arr.apply(ledger, evidence)
            case DownloadStatus():
                return downloads.apply_download_status(ledger, evidence, now)
            case LibraryItemEvidence():
                return library.apply_library_item(ledger, evidence)
            case ShokoFileEvidence() | AnimeSeriesEvidence() | AnimeMovieEvidence():
                return anime.apply(ledger, evidence, now)
            case ArrMissing() | PendingReleases() | HealthEvidence():
                return stack.apply(ledger, evidence)
            case Ping():
                return []

    def wants_shoko_file(self, evidence: ShokoFileEvidence) -> bool:
        """Whether evidence about a Shoko file may concern a tracked track."""
        return anime.wants_shoko_file(self.ledger, evidence)

    def active_downloads(self) -> dict[str, Download]:
        """Downloads still to be imported, by case-folded id, of active requests."""
        return {
            folded: download
            for request in self.requests.values()
            if not request.is_terminal
            for folded, download in request.downloads.items()
            if download.stage < Stage.IMPORTED
        }

    def check_stalls(
        self, now: datetime, thresholds: Mapping[State, timedelta]
    ) -> Outcome:
        """Flag requests whose stage (or stall condition) outlasted its threshold."""
        outcome = Outcome(now)
        for request in self.requests.values():
            stall = stall_of(request, now, thresholds, self.health_of(request))
            if stall == request.stall:
                continue
            request.stall = stall
            request.touch(now)
            outcome.touched[request.key] = request
            outcome.problem_changes.append(
                ProblemChange(request, None, request.stalled, request.current_problem)
            )
        return outcome

    def health_of(self, request: Request) -> list[HealthCheck]:
        """The failing checks of every Radarr or Sonarr that may serve the request."""
        return [
            check
            for (service, instance), checks in self.ledger.health.items()
            if service is request.arr and instance.serves(request)
            for check in checks.values()
        ]

    def outlook(self, now: datetime) -> Outlook:
        """What views of the requests depend on besides each request."""
        held_up: dict[Service, frozenset[HealthImpact]] = {}
        for (service, _), checks in self.ledger.health.items():
            impacts = frozenset(check.impact for check in checks.values())
            held_up[service] = held_up.get(service, frozenset()) | impacts
        pace = Pace(now, self.timings, self.ledger.anime_matching, held_up)
        return Outlook(pace, self.health_of, self.people)

    def record_attempt(self, key: str, attempt: Attempt) -> Request:
        """A remediation step was taken (or decided): in its attempts and timeline."""
        request = self.requests[key]
        request.attempts = [*kept_attempts(request.attempts, attempt.at), attempt]
        done = "would be taken (dry run)" if attempt.dry_run else attempt.result
        place = (
            "by hand"
            if attempt.by_hand
            else f"attempt {attempt.number} of {attempt.of}"
        )
        detail = f"{attempt.remedy.value}, {place}: {done}"
        request.timeline.append(
            TimelineEntry(attempt.at, request.state, REMEDIATION, detail)
        )
        request.touch(attempt.at)
        return request

    def replaced(self, key: str, download_ids: Iterable[str], now: datetime) -> None:
        """Downloads a replace dropped: gone from the request, and from the index.

        Radarr/Sonarr then report them failed (their blocklist): that concerns no
        request, which waits for the release they grab instead. What the downloads
        got to stays with their tracks: a request never moves back (DESIGN §3).
        """
        request = self.requests.get(key)
        if request is None:
            return
        self.ledger.index.discard(request)
        for folded in download_ids:
            if (download := request.downloads.pop(folded, None)) is not None:
                tracks: list[Track] = (
                    [request]
                    if request.media_type is MediaType.MOVIE
                    else [*covered(request, download)]
                )
                for track in tracks:
                    reach(track, download.stage)
            request.replaced.add(folded)
        self.ledger.index.add(request)
        request.touch(now)

    def follow(self, key: str, person: str) -> bool:
        """The person follows the request; whether that changed anything.

        Who follows is no news about the request: its `updated_at`, which its
        retention and history count from, stays.
        """
        request = self.requests[key]
        changed = start_following(request, person, self.people)
        if changed:
            request.stored = None
        return changed

    def unfollow(self, key: str, person: str) -> bool:
        """The person stops following the request; whether they did before."""
        request = self.requests[key]
        changed = stop_following(request, person, self.people)
        if changed:
            request.stored = None
        return changed

    def forget(self, key: str) -> Request | None:
        """Stop tracking a request for good: polling will never bring it back."""
        self.tombstones.add(key)
        request = self.requests.pop(key, None)
        if request is not None:
            self.ledger.index.discard(request)
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
            self.ledger.index.discard(request)
        return stale

    def _settle(self, finding: Finding, outcome: Outcome) -> None:
        """Derive states again, record every difference, re-index what changed."""
        request, now = finding.request, outcome.now
        changed = finding.changed
        episodes = (
            request.episodes.values() if finding.episodes is None else finding.episodes
        )
        for episode in episodes:
            changed |= self._settle_episode(request, episode, outcome)
        state, failure = request_state(request, self.ledger.anime_matching)
        before = request.current_problem
        if state is not request.state or not request.reached:
            from_state = request.state if request.reached else None
            self._learn(request, state, now)
            request.state = state
            request.reached.setdefault(state, now)
            request.state_since = now
            request.stall = None  # the evidence moved it on
            request.timeline.append(
                TimelineEntry(now, state, finding.source, finding.detail)
            )
            outcome.state_changes.append(StateChange(request, from_state, state))
            changed = True
        blocked = request_blocked_by(request)
        if (failure, blocked) != (request.failure, request.blocked):
            request.failure, request.blocked = failure, blocked
            changed = True
        if request.current_problem != before:
            outcome.problem_changes.append(
                ProblemChange(request, None, request.stalled, request.current_problem)
            )
        if changed:
            request.touch(now)
            outcome.touched[request.key] = request
            self.ledger.index.add(request)

    def _settle_episode(
        self, request: Request, episode: Episode, outcome: Outcome
    ) -> bool:
        """Derive an episode's state and problems again; True when they changed."""
        changed = False
        state, failure = episode_state(request, episode, self.ledger.anime_matching)
        if state is not episode.state or not episode.reached:
            from_state = episode.state if episode.reached else None
            if from_state is None:
                outcome.new_episodes.append((request, episode))
            wait = (request.key, episode.download_id or episode.key)
            self.timings.learn_transition(episode.reached, state, outcome.now, wait)
            episode.state = state
            episode.reached.setdefault(state, outcome.now)
            outcome.episode_changes.append(
                EpisodeStateChange(request, episode, from_state, state)
            )
            changed = True
        blocked = blocked_by(episode, state)
        if (failure, blocked) != (episode.failure, episode.blocked):
            episode.failure, episode.blocked = failure, blocked
            outcome.problem_changes.append(
                ProblemChange(
                    request, episode, episode.stalled, episode.current_problem
                )
            )
            changed = True
        return changed

    def _learn(self, request: Request, state: State, now: datetime) -> None:
        """The delays this transition measured (`timings.py`).

        A show's episodes measure their own: the request's would count them twice.
        """
        if not request.episodes:
            self.timings.learn_transition(request.reached, state, now, request.key)
        listing = request.listing
        release = None if listing is None else listing.release
        approved = request.reached.get(State.APPROVED)
        # Only a request that waited for its release measured the grab after it.
        if state is State.GRABBING and release and approved and approved < release:
            self.timings.learn(Delay.GRAB, now - release)

    def _settle_silently(self, request: Request) -> None:
        """Derive a restored request's problems again, reporting nothing."""
        anime_matching = self.ledger.anime_matching
        for episode in request.episodes.values():
            episode.failure = episode_state(request, episode, anime_matching)[1]
            episode.blocked = blocked_by(episode, episode.state)
        request.failure = request_state(request, anime_matching)[1]
        request.blocked = request_blocked_by(request)
        request.stored = None
