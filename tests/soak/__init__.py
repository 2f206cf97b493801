"""The chaos soak: a simulated household against the integration, for hours.

Hundreds of request lifecycles of all four paths (`tests.simulator.household`) are
played through the simulated stack into Home Assistant with the integration set up
through its config flow, on simulated time, while 30 % of the webhooks are lost and
others come twice or late, Home Assistant restarts and qBittorrent goes away for a
while. The report counts requests that end stuck or in a wrong state, state events
that move backwards, and time-to-truth: how long after the upstream truth changed
the request's entity shows it. `python -m tests.soak` (`scripts/soak`) runs it at
full size; `tests/test_soak.py` runs a short seeded one.
"""

# Home Assistant's clock must be one freezegun can move: the test harness's
# `patch_time` makes `dt_util.utcnow` such a function, and has to come before the rest
# of Home Assistant is imported (pytest loads it first; `python -m tests.soak` not).
from pytest_homeassistant_custom_component import (  # type: ignore[import-untyped]  # noqa: F401
    patch_time,
)

# isort: split

from .report import SoakReport
from .run import BOUNDS, SoakSettings, run_soak

__all__ = ["BOUNDS", "SoakReport", "SoakSettings", "run_soak"]
