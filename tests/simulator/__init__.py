"""Protocol-faithful fakes of the media stack, driven by timed scenarios.

Jellyseerr, Radarr, Sonarr, qBittorrent, Jellyfin and Shoko Server run as real HTTP
servers on loopback ports (Shoko with its SignalR hub), answer with the shapes and
status codes in `../shared/reference/`, and push webhooks the way the real apps do.
Radarr and Sonarr also explain a wait: a movie not yet available, the last search, a
release a delay profile holds back, failing health checks (after the start-up grace).
`SimulatedStack` runs them together; `SCENARIOS` are the stories it can play; `python -m
tests.simulator` runs the whole stack for a demo. For the chaos soak (`tests/soak`),
`household.py` makes up hundreds of lifecycles of generated titles (`titles.py`),
`chaos.py` loses, repeats and reorders webhooks, and qBittorrent can go away.
"""

from .clock import SimClock
from .scenarios import SCENARIOS, Scenario, Step
from .server import Service
from .stack import SimulatedStack
from .webhooks import Delivery, WebhookTarget

__all__ = [
    "SCENARIOS",
    "Delivery",
    "Scenario",
    "Service",
    "SimClock",
    "SimulatedStack",
    "Step",
    "WebhookTarget",
]
