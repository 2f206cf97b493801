"""Run the simulated media stack until Ctrl-C: `python -m tests.simulator --help`.

Prints the service URLs, API keys and logins as one JSON object on stdout (for a
config flow, or a script that fills one in), logs each scenario step and webhook on
stderr, and shuts every server down cleanly on SIGINT/SIGTERM.
"""

import argparse
import asyncio
import json
import logging
from pathlib import Path
import signal
import sys

from .arr import HEALTH_GRACE_SECONDS
from .jellyseerr import VERSION as JELLYSEERR_VERSION
from .qbittorrent import QBITTORRENT_VERSIONS
from .scenarios import SCENARIOS
from .server import Service
from .shoko import SHOKO_VERSIONS
from .stack import PUSHING_SERVICES, SimulatedStack


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see `--help`)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator",
        description=(
            "Run fake Jellyseerr, Radarr, Sonarr, qBittorrent, Jellyfin and Shoko "
            "servers on 127.0.0.1 and play scenarios against them. Prints the URLs "
            "and API keys as JSON on stdout; runs until Ctrl-C."
        ),
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default: 1)",
    )
    parser.add_argument(
        "--scenario",
        default="all",
        help=(
            "comma-separated scenario names, 'all' or 'none' (default: all); one of: "
            + ", ".join(SCENARIOS)
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for keys, ids and hashes (default: 0)"
    )
    parser.add_argument(
        "--qbittorrent-version",
        choices=sorted(QBITTORRENT_VERSIONS),
        default="5.0",
        help="qBittorrent behaviour to emulate (default: 5.0)",
    )
    parser.add_argument(
        "--shoko-version",
        choices=SHOKO_VERSIONS,
        default="5",
        help="Shoko Server to emulate: 5 (v5.3) or 6 (v6-dev) (default: 5)",
    )
    parser.add_argument(
        "--jellyseerr-version",
        default=JELLYSEERR_VERSION,
        help=(
            "Seerr release to emulate; before 2.6.0 requests never complete "
            f"(default: {JELLYSEERR_VERSION})"
        ),
    )
    parser.add_argument(
        "--health-grace",
        type=float,
        default=HEALTH_GRACE_SECONDS,
        help=(
            "simulated seconds after the start before Radarr and Sonarr send health "
            f"webhooks (default: {HEALTH_GRACE_SECONDS:g}, as upstream)"
        ),
    )
    parser.add_argument(
        "--ha-url",
        help="Home Assistant base URL; webhooks go to <ha-url>/api/webhook/<id>",
    )
    parser.add_argument(
        "--webhook-ids-file",
        type=Path,
        help=(
            "JSON file mapping jellyseerr/radarr/sonarr/jellyfin to webhook ids "
            "(the config entry's webhook_ids); required with --ha-url"
        ),
    )
    args = parser.parse_args(argv)
    if (args.ha_url is None) != (args.webhook_ids_file is None):
        parser.error("--ha-url and --webhook-ids-file go together")
    names = [name.strip() for name in args.scenario.split(",") if name.strip()]
    if names == ["all"]:
        names = list(SCENARIOS)
    elif names == ["none"]:
        names = []
    if unknown := [name for name in names if name not in SCENARIOS]:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.scenarios = [SCENARIOS[name] for name in names]
    return args


def webhook_urls(ha_url: str, ids_file: Path) -> dict[Service, str]:
    """`<ha-url>/api/webhook/<id>` per pushing service."""
    webhook_ids = json.loads(ids_file.read_text())
    base = ha_url.rstrip("/")
    return {
        service: f"{base}/api/webhook/{webhook_ids[service]}"
        for service in PUSHING_SERVICES
    }


async def run(args: argparse.Namespace) -> None:
    """Start the stack, print how to reach it, wait for a signal, stop."""
    stack = SimulatedStack(
        speed=args.speed,
        seed=args.seed,
        scenarios=args.scenarios,
        qbittorrent_version=args.qbittorrent_version,
        shoko_version=args.shoko_version,
        jellyseerr_version=args.jellyseerr_version,
        health_grace=args.health_grace,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    targets = webhook_urls(args.ha_url, args.webhook_ids_file) if args.ha_url else {}
    stack.send_webhooks_to(targets)
    await stack.start()
    try:
        summary = {
            "services": stack.credentials(),
            "webhook_targets": targets,
            "scenarios": [scenario.name for scenario in args.scenarios],
            "speed": args.speed,
            "seed": args.seed,
        }
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await stack.stop()


def main() -> None:
    """Entry point."""
    args = parse_args()
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(name)s: %(message)s",
    )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
