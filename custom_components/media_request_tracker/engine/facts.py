"""Fact helpers the rules share: facts only accumulate, and each says if it changed.

Every helper returns True when it changed something, so that a rule can tell the
tracker whether a request needs settling, and applying evidence twice changes nothing.
"""

from dataclasses import replace
from typing import Any

from .codes import same_import_block
from .lifecycle import advance
from .models import Blocker, Download, Episode, Request, Stage, Track

# Jellyfin items seen before the evidence that places them, kept per ledger.
MAX_SIGHTINGS = 5000


def merge(target: Any, **values: Any) -> bool:
    """Overwrite fields with the known (non-None) values."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def fill(target: Any, **values: Any) -> bool:
    """Set only fields that are still unknown."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(target, name) is None:
            setattr(target, name, value)
            changed = True
    return changed


def reach(track: Track, stage: Stage) -> bool:
    """Record that a track got at least this far."""
    reached = advance(track.stage, stage)
    if reached is track.stage:
        return False
    track.stage = reached
    return True


def advance_download(download: Download, stage: Stage) -> bool:
    """Move a download forward; a later stage supersedes the blocker it had."""
    changed = False
    if stage > download.stage:
        download.stage = stage
        changed = True
    if download.blocker is not None and download.stage > download.blocker.stage:
        download.blocker = None
        changed = True
    return changed


def block(download: Download, blocker: Blocker) -> bool:
    """Attach a blocker unless the download already got past that stage.

    An import block the webhook and the queue both report keeps its first words:
    the same condition said again is no news (and notifies nobody twice).
    """
    current = download.blocker
    if current is not None and same_import_block(current.problem, blocker.problem):
        blocker = replace(blocker, problem=current.problem)
    if download.stage > blocker.stage or download.blocker == blocker:
        return False
    if download.blocker is not None and download.blocker.stage > blocker.stage:
        return False
    download.blocker = blocker
    return True


def learn_item(track: Track, item_id: str) -> bool:
    """Remember the Jellyfin item of a movie, series or episode."""
    if track.jellyfin_item_id == item_id:
        return False
    track.jellyfin_item_id = item_id
    return True


def remember[K, V](sightings: dict[K, V], key: K, seen: V) -> None:
    """Keep something seen too early; the oldest go first past MAX_SIGHTINGS."""
    sightings.pop(key, None)
    sightings[key] = seen
    while len(sightings) > MAX_SIGHTINGS:
        del sightings[next(iter(sightings))]


def covered(request: Request, download: Download) -> list[Episode]:
    """The request's episodes a download (a season pack) covers."""
    return [
        episode
        for key in download.episodes
        if (episode := request.episodes.get(key)) is not None
    ]


def same_request(pairs: list[tuple[Request, Track]]) -> list[tuple[Request, Track]]:
    """The tracks of the first (newest) request among `pairs`."""
    return [pair for pair in pairs if pair[0] is pairs[0][0]] if pairs else []


def episodes_among(tracks: list[tuple[Request, Track]]) -> list[Episode]:
    """The episodes among some tracks (a movie request is not one)."""
    return [track for _, track in tracks if isinstance(track, Episode)]
