"""Performance report of Media Request Tracker: prints a table and writes JSON.

Run through `scripts/bench` (`--quick`: a tenth of every load). Each row names the
load it ran at; the modules in `scripts/perf/` say what each number stands for:

- engine (`perf/engine.py`): evidence applied per second by the plain-Python engine
  with 5,000 requests and 50,000 episodes; bytes per request it keeps; building and
  encoding the stored form of 5,000 requests;
- webhooks (`perf/webhooks.py`): POST → entity state through Home Assistant's real
  HTTP stack, with 1,000 tracked requests, and the Store writes of a burst;
- qBittorrent (`perf/polling.py`): requests, bytes and CPU of a full and a steady
  `sync/maindata` cycle with 2,000 torrents, 50 of them active;
- at scale (`perf/scale.py`): 1,000 requests with 10,800 episodes tracked from the
  simulated stack: webhook throughput and latency, requests and CPU per poll cycle
  per service, "playable in Jellyfin" → `available` with and without the webhook,
  and Store writes and save time during a minute of steady webhooks and polls;
- watchable_at (`perf/eta.py`): the movies and shows of a 400-lifecycle household
  played on simulated time: |estimate - truth| of `watchable_at` at 50 % of each
  download, with learned and default delays, and what Radarr's and Sonarr's
  `/api/v3/health` and library lookups cost per poll;
- live channels (`perf/live.py`): with no webhook at all, a grab or an import in
  Radarr or Sonarr → entity state through their hubs (p50/p99), each *arr's
  requests in an idle hour with its hub up and down, and Jellyfin adding an imported
  title → `available` (p50/p99) with Jellyfin's requests meanwhile;
- startup (`perf/startup.py`): Home Assistant setting up an entry with 5,000 stored
  requests, and the memory of one with 1,000 (with every entity).

Targets come from the issues and DESIGN.md; they are reported, never asserted.
"""

import argparse
import asyncio
from dataclasses import asdict
import json
import logging
from pathlib import Path
import platform
import sys

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from perf.engine import (  # noqa: E402
    bench_engine,
    bench_store,
    bench_tracker_memories,
)
from perf.eta import bench_watchable_eta  # noqa: E402
from perf.live import bench_live_channels  # noqa: E402
from perf.polling import bench_qbittorrent_sync  # noqa: E402
from perf.report import Result, header  # noqa: E402
from perf.scale import bench_at_scale  # noqa: E402
from perf.startup import (  # noqa: E402
    bench_entity_cap,
    bench_home_assistant_memory,
    bench_startup,
)
from perf.webhooks import bench_webhook_burst  # noqa: E402

STEADY_SECONDS = 60
HOUSEHOLD = 400  # request lifecycles, half of them movies and shows (no anime)
LIVE_TITLES = 40  # grabbed and imported one at a time through the hubs


async def bench_home_assistant(scale: int) -> list[Result]:
    """Every measurement that runs Home Assistant, one instance after the other."""
    return [
        *await bench_webhook_burst(1000 // scale, 2000 // scale),
        *await bench_qbittorrent_sync(2000 // scale, 50 // scale),
        *await bench_at_scale(1000 // scale, STEADY_SECONDS / scale),
        *await bench_watchable_eta(HOUSEHOLD // scale),
        *await bench_live_channels(LIVE_TITLES // scale),
        *await bench_startup(5000 // scale),
        *await bench_entity_cap(2000 // scale, 12),
        *await bench_home_assistant_memory(100 // scale),
        *await bench_home_assistant_memory(1000 // scale),
    ]


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
    # The unreachable Jellyseerr of some measurements is expected: keep quiet.
    logging.basicConfig(level=logging.CRITICAL)
    scale = 10 if args.quick else 1
    results = [
        *bench_engine(5000 // scale),
        *bench_store(5000 // scale),
        *bench_tracker_memories(100 // scale, 5000 // scale),
        *asyncio.run(bench_home_assistant(scale)),
    ]
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    print(f"Media Request Tracker benchmark ({machine}, {_cpu_name()})")
    print(header())
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
