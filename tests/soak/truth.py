"""The upstream truth: what each request's state should be, and since when.

The soak notes every step the player carries out at its simulated moment; together
with what follows from it on its own (a torrent leaves its metadata phase, then
finishes), that says when each movie or episode entered each stage upstream. A
request's truth follows from its tracks by DESIGN §3: all available → `available`,
any failed → `failed`, else the least advanced, where an episode not grabbed yet
counts as `grabbing` once another one was. Deleted in Jellyseerr → `removed`, for good.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from tests.simulator.catalog import RELEASES
from tests.simulator.household import Lifecycle
from tests.simulator.qbittorrent import METADATA_SECONDS
from tests.simulator.scenarios import (
    Action,
    Approve,
    BlockImport,
    DeleteRequest,
    FailDownload,
    Grab,
    IgnoreDownload,
    Import,
    LibraryAdd,
    Request,
)

# DESIGN §3: states only move forward in this order, except into and out of `failed`.
FORWARD = (
    "requested",
    "approved",
    "grabbing",
    "downloading",
    "downloaded",
    "importing",
    "anime_matching",
    "available",
)
RANK = {state: rank for rank, state in enumerate(FORWARD)}
# States that are left or entered in any direction.
ANY_DIRECTION = frozenset({"failed", "declined", "removed"})
MOVIE_TRACK = (0, 0)
# Truths an episode's entity cannot show (see `episode_timelines`).
EPISODE_UNKNOWN = frozenset({"requested", "removed"})

type Track = tuple[int, int]  # (season, episode); MOVIE_TRACK for a movie


@dataclass(frozen=True, slots=True)
class Change:
    """A track entered `state` at `at`; `release` ties download progress to a grab."""

    at: float
    tracks: tuple[Track, ...]
    state: str
    release: str | None = None


class TruthLog:
    """Every lifecycle's upstream changes, as the player carries out its steps."""

    def __init__(self) -> None:
        """Start with nothing happened."""
        self._changes: defaultdict[int, list[Change]] = defaultdict(list)

    def note(self, lifecycle: Lifecycle, action: Action, now: float) -> None:
        """The player carried out `action` at simulated second `now`."""
        self._changes[lifecycle.number].extend(_changes(lifecycle, action, now))

    def timeline(self, lifecycle: Lifecycle) -> list[tuple[float, str]]:
        """When the request's true state changed, and to what."""
        tracks = lifecycle.episodes or (MOVIE_TRACK,)
        timeline: list[tuple[float, str]] = []
        for at, states in self._replay(lifecycle):
            state = request_state([states.get(track) for track in tracks])
            if not timeline or timeline[-1][1] != state:
                timeline.append((at, state))
        return timeline

    def episode_timelines(
        self, lifecycle: Lifecycle
    ) -> dict[Track, list[tuple[float, str]]]:
        """When each episode's true state changed, and to what (TV only).

        An episode exists once Sonarr has the series (after approval), and what
        becomes of it when its request is deleted is not said (DESIGN §3).
        """
        timelines: dict[Track, list[tuple[float, str]]] = {
            track: [] for track in lifecycle.episodes
        }
        for at, states in self._replay(lifecycle):
            for track, timeline in timelines.items():
                state = states.get(track)
                if state in EPISODE_UNKNOWN or state is None:
                    continue
                if not timeline or timeline[-1][1] != state:
                    timeline.append((at, state))
        return timelines

    def _replay(self, lifecycle: Lifecycle) -> Iterator[tuple[float, dict[Track, str]]]:
        """Every track's state after each change, in time order, until removed."""
        states: dict[Track, str] = {}
        releases: dict[Track, str] = {}
        for change in sorted(self._changes[lifecycle.number], key=lambda c: c.at):
            for track in change.tracks:
                if _applies(change, states.get(track), releases.get(track)):
                    states[track] = change.state
                    if change.state == "grabbing":
                        releases[track] = change.release or ""
            yield change.at, states
            if change.state == "removed":
                return


def request_state(tracks: list[str | None]) -> str:
    """A request's state from its tracks' (None: nothing happened to it yet)."""
    known = [state for state in tracks if state is not None]
    if "removed" in known:
        return "removed"
    if known and len(known) == len(tracks) and set(known) == {"available"}:
        return "available"
    if "failed" in known:
        return "failed"
    grabbed = any(RANK.get(state, 0) >= RANK["grabbing"] for state in known)
    floor = "grabbing" if grabbed else "requested"
    pending = [
        state if state is not None and RANK[state] > RANK[floor] else floor
        for state in tracks
        if state != "available"
    ]
    return min(pending, key=RANK.__getitem__)


def _applies(change: Change, current: str | None, release: str | None) -> bool:
    """Download progress counts only for the grab it follows, while downloading."""
    if change.release is None or change.state == "grabbing":
        return True
    return current in {"grabbing", "downloading"} and release == change.release


def _changes(lifecycle: Lifecycle, action: Action, now: float) -> list[Change]:
    """What an action changes upstream, now and as its download runs."""
    every = lifecycle.episodes or (MOVIE_TRACK,)
    match action:
        case Request(auto_approve=auto):
            return [Change(now, every, "approved" if auto else "requested")]
        case Approve():
            return [Change(now, every, "approved")]
        case DeleteRequest():
            return [Change(now, every, "removed")]
        case Grab(key, seconds):
            tracks = _tracks(lifecycle, key)
            metadata = min(METADATA_SECONDS, seconds / 10)
            return [
                Change(now, tracks, "grabbing", key),
                Change(now + metadata, tracks, "downloading", key),
                Change(now + seconds, tracks, "downloaded", key),
            ]
        case BlockImport(key) | FailDownload(key) | IgnoreDownload(key):
            return [Change(now, _tracks(lifecycle, key), "failed")]
        case Import(key):
            imported = "anime_matching" if lifecycle.anime else "importing"
            return [Change(now, _tracks(lifecycle, key), imported)]
        case LibraryAdd(key):
            return [Change(now, _tracks(lifecycle, key), "available")]
    return []


def _tracks(lifecycle: Lifecycle, release: str) -> tuple[Track, ...]:
    return RELEASES[release].episodes or (MOVIE_TRACK,)
