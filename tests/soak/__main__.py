"""Run the chaos soak and print its report: `python -m tests.soak --help`.

Exits 1 when a request ends stuck or wrong, a state event moves backwards, or
time-to-truth is over its bound.
"""

import argparse
import asyncio
import logging
import sys

from . import SoakSettings, run_soak


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see `--help`)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.soak",
        description="Play a simulated household through the integration, with chaos.",
    )
    parser.add_argument(
        "--lifecycles", type=int, default=200, help="requests to play (default: 200)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of everything random (default: 0)"
    )
    parser.add_argument(
        "--restarts",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="Home Assistant restarts during the run (default: 2)",
    )
    parser.add_argument(
        "--no-webhooks",
        dest="webhooks",
        action="store_false",
        help="point no service at Home Assistant's webhooks: polls and live channels only",
    )
    parser.add_argument(
        "--details",
        type=int,
        default=10,
        help="wrong requests whose whole story is printed (default: 10)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, and say whether the soak passed."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    settings = SoakSettings(
        lifecycles=args.lifecycles,
        seed=args.seed,
        restarts=args.restarts,
        webhooks=args.webhooks,
    )
    report = asyncio.run(run_soak(settings))
    print(report.table(args.details))  # noqa: T201 (the report is the output)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
