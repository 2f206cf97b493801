"""The chaos soak, short and seeded: all four paths, chaos, a restart, an outage.

`scripts/soak` plays 200 lifecycles; `test_short_soak` plays 40 (every mishap of
every kind comes up) with the same chaos, one Home Assistant restart and the
qBittorrent outage, and holds the integration to the soak's three promises in one
assertion, so that a failure shows all three and the whole report. The other tests
check the simulator's chaos and outage on their own.
"""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from tests.simulator.catalog import RELEASES
from tests.simulator.chaos import ChaosSettings, Fate
from tests.simulator.clock import SimClock
from tests.simulator.qbittorrent import QBittorrentServer
from tests.simulator.webhooks import WebhookSender, WebhookTarget
from tests.soak import SoakSettings, run_soak

# The soak boots its own Home Assistant instances, served on loopback sockets.
pytestmark = pytest.mark.usefixtures("socket_enabled")
QBIT_PASSWORD = "pw"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Nothing to enable: the soak's Home Assistant finds the integration itself."""


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """No asyncio debug mode: its slow-callback warnings would time simulated time.

    The soak moves the loop's clock a second at a time from inside a task.
    """


async def test_short_soak() -> None:
    """No request ends stuck or wrong, no state steps back, truths show in time.

    Time-to-truth: p99 of every transition within one active poll interval of the
    poller that confirms it, and no truth that lasted that long went unseen.
    """
    report = await run_soak(SoakSettings(lifecycles=40, seed=7, restarts=1))

    assert set(report.kinds) == {"movie", "tv", "anime movie", "anime series"}
    hooks = report.webhooks
    assert hooks.dropped > 0.2 * hooks.sent
    assert hooks.duplicated
    assert hooks.reordered
    assert hooks.refused, "no webhook met the restart"
    assert report.outage_answers, "qBittorrent's outage was not felt"
    over = [row.label for row in report.time_to_truth if not row.within]
    assert (report.stuck_or_wrong, len(report.backwards), over) == (0, 0, []), (
        report.table()
    )


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[TestServer, list[Any]]]:
    """A webhook endpoint that records the bodies it gets, in order."""
    bodies: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, bodies
    await server.close()


async def chaotic_sends(url: str, seed: int, clock: SimClock) -> WebhookSender:
    """Twenty webhooks (bodies `{"n": 0…19}`) sent under heavy chaos."""
    sender = WebhookSender(clock)
    await sender.start()
    sender.enable_chaos(
        ChaosSettings(drop=0.3, duplicate=0.2, delay=0.3, max_delay=30), seed
    )
    for n in range(20):
        await sender.send("radarr", "Grab", WebhookTarget(url), {"n": n})
    return sender


def fates(sender: WebhookSender) -> list[tuple[Fate, int]]:
    """Each recorded webhook's fate and number, in the order they were recorded."""
    return [(delivery.fate, delivery.body["n"]) for delivery in sender.deliveries]


async def test_webhook_chaos_is_seeded(
    receiver: tuple[TestServer, list[Any]],
) -> None:
    """The same seed gives the same fates; held webhooks go out late, overtaken.

    A dropped webhook is recorded but never posted; a duplicated one is posted twice.
    """
    server, bodies = receiver
    url = str(server.make_url("/hook"))
    clock = SimClock(speed=0)
    sender = await chaotic_sends(url, 3, clock)
    on_time = [body["n"] for body in bodies]
    again = await chaotic_sends(url, 3, clock)
    await again.close()
    bodies.clear()
    try:
        assert fates(sender) == fates(again)
        clock.advance(30)
        await sender.deliver_due()
    finally:
        await sender.close()

    recorded = fates(sender)
    assert {fate for fate, _ in recorded} == set(Fate)
    late = [n for fate, n in recorded if fate is Fate.DELAYED]
    assert [body["n"] for body in bodies] == late
    assert sender.next_due is None
    assert 0 < sender.reordered <= len(late)
    dropped = {n for fate, n in recorded if fate is Fate.DROPPED}
    assert set(on_time) | set(late) == set(range(20)) - dropped
    duplicated = [n for fate, n in recorded if fate is Fate.DUPLICATED]
    assert len(on_time) == 20 - len(dropped) - len(late) + len(duplicated)


async def test_qbittorrent_outage_keeps_its_torrents() -> None:
    """503 behind a proxy, then refused connections; back with torrents, not sessions."""
    clock = SimClock(speed=0)
    qbit = QBittorrentServer(clock, username="admin", password=QBIT_PASSWORD)
    await qbit.start()
    release = RELEASES["dune_part_two_bluray"]
    qbit.add_torrent("ab" * 20, release, "radarr", download_seconds=100)
    jar = aiohttp.CookieJar(unsafe=True)  # it keeps cookies of IP addresses
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        login = await session.post(
            f"{qbit.url}/api/v2/auth/login",
            data={"username": "admin", "password": QBIT_PASSWORD},
        )
        assert login.status == 200
        info = f"{qbit.url}/api/v2/torrents/info"

        qbit.answer_unavailable()
        assert (await session.get(info)).status == 503
        qbit.answer_unavailable(False)
        await qbit.go_down()
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(info)
        clock.advance(200)
        await qbit.go_online()

        assert (await session.get(info)).status == 403  # its session is gone
        await session.post(
            f"{qbit.url}/api/v2/auth/login",
            data={"username": "admin", "password": QBIT_PASSWORD},
        )
        (torrent,) = await (await session.get(info)).json()
    await qbit.stop()
    assert torrent["state"] == "stalledUP"
    assert qbit.unavailable_answers == 1


async def test_short_soak_with_no_webhook_at_all() -> None:
    """No service points at Home Assistant: the polls and live channels tell it all.

    Every request still ends true, forward only, and each truth shows within one
    active poll interval of the poller that confirms it.
    """
    report = await run_soak(
        SoakSettings(lifecycles=30, seed=3, restarts=1, webhooks=False)
    )

    assert report.webhooks.sent == 0
    over = [row.label for row in report.time_to_truth if not row.within]
    assert (report.stuck_or_wrong, len(report.backwards), over) == (0, 0, []), (
        report.table()
    )
