"""The engine and the stored form, measured without Home Assistant.

The evidence here is built directly (no HTTP, no parsing): what the engine does with
it is all that is measured. The same trackers are written as `.storage` files for the
startup measurement, through the integration's own `storage.serialize`.
"""

from datetime import UTC, datetime
import gc
import random
import tempfile
import tracemalloc

from homeassistant.helpers.json import json_bytes

from custom_components.media_request_tracker.engine.evidence import (
    ArrMedia,
    EpisodeRef,
    Evidence,
    GrabEvidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    Release,
    RequestEvidence,
    RequestStatus,
)
from custom_components.media_request_tracker.engine.models import MediaType, Service
from custom_components.media_request_tracker.engine.tracker import Tracker
from custom_components.media_request_tracker.storage import EntryNotes, serialize

from .report import SAVE_MS_TARGET, Result, at_most, below, info, timer

NOW = datetime(2026, 11, 22, tzinfo=UTC)
EPISODES_PER_SHOW = 20
# Targets of the lifecycle issue.
ENGINE_RATE_TARGET = 50_000
# A save after all 5,000 requests changed, in event-loop time (issue 17).
ALL_CHANGED_MS_TARGET = 150
# The engine's memory per request of ten episodes on average (issue 17).
ENGINE_KIB_TARGET = 8


def request_evidence(key: int) -> RequestEvidence:
    """A Jellyseerr request: even keys are movies, odd keys one-season shows."""
    is_tv = key % 2 == 1
    return RequestEvidence(
        request_key=str(key),
        status=RequestStatus.APPROVED,
        media_type=MediaType.TV if is_tv else MediaType.MOVIE,
        title=f"Title {key}",
        detail="approved",
        year=2000 + key % 25,
        tmdb_id=100_000 + key,
        tvdb_id=200_000 + key if is_tv else None,
        requested_by=f"user{key % 7}",
        requested_seasons=frozenset({1}) if is_tv else frozenset(),
    )


def arr_media(key: int) -> ArrMedia:
    """The Radarr movie or Sonarr series of a request."""
    if key % 2:
        return ArrMedia(Service.SONARR, key, f"Title {key}", tvdb_id=200_000 + key)
    return ArrMedia(Service.RADARR, key, f"Title {key}", tmdb_id=100_000 + key)


def show_episodes(key: int, count: int = EPISODES_PER_SHOW) -> tuple[EpisodeRef, ...]:
    """A show's season 1, with unique TVDB ids."""
    return tuple(
        EpisodeRef(1, n, f"Episode {n}", key * 100 + n, 10_000_000 + key * 100 + n)
        for n in range(1, count + 1)
    )


def lifecycle(key: int) -> list[Evidence]:
    """Grab, import and Jellyfin evidence of one request (after its creation)."""
    media, download = arr_media(key), f"HASH{key:036d}"
    if key % 2 == 0:
        return [
            GrabEvidence(media, download, Release(title=f"Release.{key}")),
            ImportEvidence(
                media, download, (ImportedFile(f"/m/{key}.mkv"),), complete=True
            ),
            LibraryItemEvidence(
                f"item{key}", ItemKind.MOVIE, "", tmdb_id=100_000 + key
            ),
        ]
    refs = show_episodes(key)
    files = [
        ImportEvidence(
            media,
            download,
            (ImportedFile(f"/tv/{key}/{r.number}.mkv", ((1, r.number),)),),
            complete=False,
            episodes=(r,),
        )
        for r in refs
    ]
    items = [
        LibraryItemEvidence(f"ep{r.tvdb_id}", ItemKind.EPISODE, "", tvdb_id=r.tvdb_id)
        for r in refs
    ]
    return [
        GrabEvidence(media, download, Release(title=f"Show.{key}.S01"), refs),
        *files,
        *items,
    ]


def loaded_tracker(count: int) -> Tracker:
    """A tracker with `count` requests, every show's episodes grabbed."""
    tracker = Tracker()
    for key in range(count):
        tracker.apply(request_evidence(key), NOW)
        if key % 2:
            tracker.apply(lifecycle(key)[0], NOW)
    return tracker


def staged_tracker(count: int, now: datetime) -> Tracker:
    """A tracker with `count` requests spread over the stages of their lifecycle.

    Movies are approved, grabbing, importing or available in turn; every show is at
    least grabbed (so every show has its 20 episodes), then importing or available.
    """
    tracker = Tracker()
    for key in range(count):
        tracker.apply(request_evidence(key), now)
        steps = lifecycle(key)
        grab, imports = steps[:1], steps[1 : 1 + (EPISODES_PER_SHOW if key % 2 else 1)]
        stage = (key // 2) % 4 if key % 2 == 0 else 1 + (key // 2) % 3
        applied = ([], grab, grab + imports, steps)[stage]
        for evidence in applied:
            tracker.apply(evidence, now)
    return tracker


def downloading_shows(count: int, episodes: int, now: datetime) -> Tracker:
    """`count` shows of `episodes` episodes, every one grabbed: all in progress."""
    tracker = Tracker()
    for key in range(1, 2 * count, 2):  # odd keys are shows
        tracker.apply(request_evidence(key), now)
        refs = show_episodes(key, episodes)
        release = Release(title=f"Show.{key}.S01")
        tracker.apply(
            GrabEvidence(arr_media(key), f"HASH{key:036d}", release, refs), now
        )
    return tracker


def bench_engine(requests: int) -> list[Result]:
    """Evidence per second for every request's whole lifecycle.

    Once in arrival order (requests interleaved, each one's evidence in order) and
    once shuffled, the worst case: evidence that arrives after its episode is already
    available still has to be correlated before it is found to change nothing.
    """
    results = []
    lifecycles = [lifecycle(key)[1:] for key in range(requests)]
    interleaved = [
        evidence
        for step in range(max(map(len, lifecycles)))
        for steps in lifecycles
        if step < len(steps)
        for evidence in (steps[step],)
    ]
    shuffled = list(interleaved)
    random.Random(7).shuffle(shuffled)
    for order, stream in (("arrival order", interleaved), ("shuffled", shuffled)):
        tracker = loaded_tracker(requests)
        episodes = sum(len(r.episodes) for r in tracker.requests.values())
        with timer() as elapsed:
            for evidence in stream:
                tracker.apply(evidence, NOW)
        rate = len(stream) / elapsed()
        results.append(
            Result(
                f"engine: evidence/s, {order} ({requests:,} req., {episodes:,} ep.)",
                rate,
                "per s",
                f">= {ENGINE_RATE_TARGET:,}",
                rate >= ENGINE_RATE_TARGET,
            )
        )
    return results


def bench_store(requests: int) -> list[Result]:
    """Serialising and encoding the stored form, as Store does on a save."""
    tracker = loaded_tracker(requests)
    gc.collect()
    with timer() as cold:
        stored = serialize(tracker, EntryNotes())
    with timer() as encoding:
        encoded = json_bytes(stored)
    tracker.apply(lifecycle(1)[1], NOW)
    with timer() as warm:
        serialize(tracker, EntryNotes())
    with tempfile.NamedTemporaryFile() as file, timer() as write:
        file.write(encoded)
        file.flush()
    return [
        # The event loop builds the stored form; the Store's worker thread encodes
        # and writes it. Every request changed at once is rare (a migration):
        # loading fills the per-request cache, and webhooks change a few at a time.
        below(
            f"store: event-loop time of a save after every request changed ({requests:,})",
            cold() * 1000,
            "ms",
            ALL_CHANGED_MS_TARGET,
        ),
        below(
            f"store: event-loop time of a save of {requests:,} requests (steady state)",
            warm() * 1000,
            "ms",
            SAVE_MS_TARGET,
        ),
        info("store: encoding, in a worker thread", encoding() * 1000, "ms"),
        info("store: file size", len(encoded) / 1e6, "MB"),
        info("store: file write, in a worker thread", write() * 1000, "ms"),
    ]


def bench_tracker_memories(*sizes: int) -> list[Result]:
    """The engine's memory per request at each size."""
    return [row for size in sizes for row in bench_tracker_memory(size)]


def bench_tracker_memory(requests: int) -> list[Result]:
    """Bytes per tracked request in the engine alone (tracemalloc).

    A staged tracker (every stage, 20 episodes per show) with its stored-form cache
    filled, as after the first save: everything the integration keeps per request
    except Home Assistant's entities, which `startup` measures.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracker = staged_tracker(requests, NOW)
        serialize(tracker, EntryNotes())
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    episodes = sum(len(r.episodes) for r in tracker.requests.values())
    return [
        at_most(
            f"memory: engine per request ({requests:,} req., {episodes:,} ep.)",
            used / requests / 1024,
            "KiB",
            ENGINE_KIB_TARGET,
        )
    ]
