"""Performance report of Media Request Tracker: prints a table and writes JSON.

Run through `scripts/bench`. Each measurement says what it stands for:

- engine throughput: evidence applied per second by the plain-Python engine holding
  5,000 requests and 50,000 episodes (half movies, half 20-episode TV requests);
- webhook latency: from POSTing a webhook through Home Assistant's real HTTP stack to
  the request sensor's new state, with 1,000 tracked requests and their entities;
- store save: building and encoding the stored form of 5,000 requests in the steady
  state (one request changed since the last save), and after every request changed;
- save coalescing: Store writes during a burst of webhooks (goal: one per burst).

Targets come from the lifecycle issue; they are reported, never asserted.
"""

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
import json
from pathlib import Path
import platform
import random
import statistics
import sys
import tempfile
import time
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The engine needs no Home Assistant: these imports stay cheap on purpose.
from custom_components.media_request_tracker.engine.evidence import (  # noqa: E402
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
from custom_components.media_request_tracker.engine.models import (  # noqa: E402
    MediaType,
    Service,
)
from custom_components.media_request_tracker.engine.tracker import Tracker  # noqa: E402

NOW = datetime(2026, 11, 22, tzinfo=UTC)
EPISODES_PER_SHOW = 20
# Targets of the lifecycle issue.
ENGINE_RATE_TARGET = 50_000
SAVE_SECONDS_TARGET = 0.2
WEBHOOK_P99_MS_TARGET = 10


@dataclass(frozen=True, slots=True)
class Result:
    """One row of the report."""

    name: str
    value: float
    unit: str
    target: str
    met: bool | None

    def row(self) -> str:
        """The row as text."""
        verdict = {True: "yes", False: "NO", None: "-"}[self.met]
        return f"| {self.name:<52} | {self.value:>12,.2f} {self.unit:<9} | {self.target:<12} | {verdict:<4} |"


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    """Elapsed seconds of the block, read after it ends."""
    start = time.perf_counter()
    elapsed = [0.0]
    yield lambda: elapsed[0]
    elapsed[0] = time.perf_counter() - start


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


def show_episodes(key: int) -> tuple[EpisodeRef, ...]:
    """A show's season 1, with unique TVDB ids."""
    return tuple(
        EpisodeRef(1, n, f"Episode {n}", key * 100 + n, 10_000_000 + key * 100 + n)
        for n in range(1, EPISODES_PER_SHOW + 1)
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
    from homeassistant.helpers.json import json_bytes  # noqa: PLC0415

    from custom_components.media_request_tracker.storage import serialize  # noqa: PLC0415

    tracker = loaded_tracker(requests)
    with timer() as cold:
        encoded = json_bytes(serialize(tracker, {}))
    tracker.apply(lifecycle(1)[1], NOW)
    with timer() as warm:
        json_bytes(serialize(tracker, {}))
    with tempfile.NamedTemporaryFile() as file, timer() as write:
        file.write(encoded)
        file.flush()
    size_mb = len(encoded) / 1e6
    return [
        # Only after something changed every request at once (a future migration):
        # loading fills the per-request cache, and webhooks change a few at a time.
        Result(
            f"store: save after every request changed ({requests:,})",
            cold() * 1000,
            "ms",
            "-",
            None,
        ),
        Result(
            f"store: save of {requests:,} requests (steady state)",
            warm() * 1000,
            "ms",
            "< 200 ms",
            warm() < SAVE_SECONDS_TARGET,
        ),
        Result("store: file size", size_mb, "MB", "-", None),
        Result("store: file write", write() * 1000, "ms", "-", None),
    ]


HOOKS = {
    source: f"bench_{source}"
    for source in ("jellyseerr", "radarr", "sonarr", "jellyfin")
}
type Post = Callable[[str, dict[str, Any]], Awaitable[float]]


@asynccontextmanager
async def running_integration() -> AsyncIterator[tuple[Any, Any, Post]]:
    """Home Assistant with the integration, served over a real local HTTP socket.

    Yields the instance, the config entry, and a function that POSTs a webhook body
    and returns the time it was sent.
    """
    from aiohttp import ClientSession  # noqa: PLC0415
    from aiohttp.test_utils import TestServer  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        MockConfigEntry,
        async_test_home_assistant,
    )

    from homeassistant import loader  # noqa: PLC0415

    from custom_components.media_request_tracker.const import DOMAIN  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            # Jellyseerr is unreachable on purpose: setup goes on without it.
            jellyseerr = {
                "url": "http://127.0.0.1:9",
                "api_key": "k",
                "verify_ssl": True,
            }
            entry = MockConfigEntry(
                domain=DOMAIN, data={"jellyseerr": jellyseerr, "webhook_ids": HOOKS}
            )
            entry.add_to_hass(hass)
            await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            server = TestServer(hass.http.app)
            await server.start_server()
            async with ClientSession() as session:

                async def post(source: str, body: dict[str, Any]) -> float:
                    start = time.perf_counter()
                    url = server.make_url(f"/api/webhook/{HOOKS[source]}")
                    async with session.post(url, json=body) as response:
                        response.raise_for_status()
                    return start

                yield hass, entry, post
            await server.close()
            await hass.config_entries.async_unload(entry.entry_id)


async def bench_webhooks(requests: int, updates: int) -> list[Result]:
    """Webhook → entity state through Home Assistant's HTTP stack and entities."""
    from homeassistant.core import Event, callback  # noqa: PLC0415
    from homeassistant.helpers import entity_registry as er  # noqa: PLC0415

    from custom_components.media_request_tracker import storage  # noqa: PLC0415
    from custom_components.media_request_tracker.const import DOMAIN  # noqa: PLC0415

    writes = _count_store_writes(storage)
    async with running_integration() as (hass, entry, post):
        changed: dict[str, float] = {}

        @callback
        def on_state(event: Event[Any]) -> None:
            changed[event.data["entity_id"]] = time.perf_counter()

        hass.bus.async_listen("state_changed", on_state)
        for key in range(requests):
            await post("jellyseerr", _jellyseerr_body(key))
        await hass.async_block_till_done()
        registry = er.async_get(hass)
        entity_ids = [
            registry.async_get_entity_id(
                "sensor", DOMAIN, f"{entry.entry_id}_request_{key}"
            )
            for key in range(requests)
        ]
        await asyncio.sleep(storage.SAVE_DELAY + 1)
        writes_before = writes[0]
        latencies = []
        burst_start = time.perf_counter()
        for n in range(updates):
            # A Grab for every request (→ grabbing), then a Download for every one
            # (→ importing): each post changes its request's state.
            key, imported = n % requests, n >= requests
            entity_id = entity_ids[key] or ""
            changed.pop(entity_id, None)
            start = await post("radarr", _radarr_body(key, imported))
            latencies.append(changed[entity_id] - start)
        burst_seconds = time.perf_counter() - burst_start
        await asyncio.sleep(storage.SAVE_DELAY + 1)
        burst_writes = writes[0] - writes_before
    # One write per burst, plus one per MAX_SAVE_WAIT of uninterrupted traffic.
    max_writes = 1 + int(burst_seconds // storage.MAX_SAVE_WAIT)
    latencies_ms = sorted(1000 * value for value in latencies)
    p99 = latencies_ms[int(len(latencies_ms) * 0.99) - 1]
    return [
        Result(
            f"webhook → state p50 ({requests:,} requests)",
            statistics.median(latencies_ms),
            "ms",
            "-",
            None,
        ),
        Result(
            f"webhook → state p99 ({requests:,} requests)",
            p99,
            "ms",
            f"< {WEBHOOK_P99_MS_TARGET} ms",
            p99 < WEBHOOK_P99_MS_TARGET,
        ),
        Result(
            f"store writes for {updates:,} webhooks in {burst_seconds:.1f} s",
            burst_writes,
            "writes",
            f"<= {max_writes}",
            burst_writes <= max_writes,
        ),
    ]


def _count_store_writes(storage_module: Any) -> list[int]:
    """Count the Store's disk writes (a one-element list, updated in place)."""
    count = [0]
    store_class = storage_module._TrackerStore  # noqa: SLF001
    original = store_class._async_write_data  # noqa: SLF001

    async def counted(self: Any, data: dict[str, Any]) -> None:
        count[0] += 1
        await original(self, data)

    store_class._async_write_data = counted  # noqa: SLF001
    return count


def _jellyseerr_body(key: int) -> dict[str, Any]:
    return {
        "notification_type": "MEDIA_AUTO_APPROVED",
        "event": "Movie Request Automatically Approved",
        "subject": f"Benchmark Movie {key} (2024)",
        "image": "",
        "media": {"media_type": "movie", "tmdbId": str(500_000 + key), "tvdbId": ""},
        "request": {"request_id": str(key), "requestedBy_username": "bench"},
        "extra": [],
    }


def _radarr_body(key: int, imported: bool) -> dict[str, Any]:
    """A Radarr Grab, or the Download (import) of that grab."""
    body: dict[str, Any] = {
        "eventType": "Download" if imported else "Grab",
        "movie": {
            "id": key,
            "title": f"Benchmark Movie {key}",
            "year": 2024,
            "tmdbId": 500_000 + key,
        },
        "release": {"releaseTitle": f"Benchmark.{key}", "size": 1},
        "downloadClient": "qBittorrent",
        "downloadId": f"{key:040X}",
    }
    if imported:
        body["movieFile"] = {"path": f"/movies/Benchmark Movie {key}.mkv", "size": 1}
        body["isUpgrade"] = False
    return body


def main() -> None:
    """Run the measurements, print the table, write the JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO / "bench-results.json",
        help="where to write the results",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the load, for a smoke test"
    )
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    results = [
        *bench_engine(5000 // scale),
        *bench_store(5000 // scale),
        *asyncio.run(bench_webhooks(1000 // scale, 2000 // scale)),
    ]
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    print(f"Media Request Tracker benchmark ({machine}, {_cpu_name()})")
    print(f"| {'measurement':<52} | {'value':>22} | {'target':<12} | met  |")
    print(f"|{'-' * 54}|{'-' * 24}|{'-' * 14}|------|")
    for result in results:
        print(result.row())
    args.json.write_text(
        json.dumps(
            {
                "machine": machine,
                "cpu": _cpu_name(),
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Written to {args.json}")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
