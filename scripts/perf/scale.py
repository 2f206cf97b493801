"""The integration against the simulated stack at scale, measured step by step.

One Home Assistant instance and one loaded stack serve four measurements in turn,
each on the state the previous one left (the load grows, it is never reset):

1. the load: every title requested, every show's season pack grabbed;
2. webhooks at scale: grabs, imports and Jellyfin items (latency, throughput);
3. poll cycles: requests per service and CPU, with titles at every stage;
4. playable → available, with the Jellyfin webhook and by polling only;
5. a stretch of steady webhooks and polls: Store writes and save time.
"""

from .polling import measure_poll_cycles
from .report import Result
from .simulation import simulated_integration
from .webhooks import (
    load_requests,
    measure_playable_to_available,
    measure_steady_traffic,
    measure_webhooks_at_scale,
)

EPISODES_PER_SHOW = 24
STEADY_RATE = 5.0  # scenario steps per second


async def bench_at_scale(requests: int, steady_seconds: float) -> list[Result]:
    """`requests` titles (half movies, half 24-episode shows) through the stack."""
    async with simulated_integration() as sim:
        titles = await sim.stack.add_titles(
            "bench", requests, episodes=EPISODES_PER_SHOW
        )
        results = await load_requests(sim, titles)
        results.append(sim.integration.entity_row(sim.load()))
        rows, delivered = await measure_webhooks_at_scale(sim, titles)
        results += rows
        results += await measure_poll_cycles(sim)
        results += await measure_playable_to_available(sim, titles, delivered)
        results += await measure_steady_traffic(sim, steady_seconds, STEADY_RATE)
    return results
