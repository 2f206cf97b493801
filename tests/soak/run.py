"""The soak run: a household played through the simulator into Home Assistant.

Time is simulated for everyone. The stack's manual clock and Home Assistant's clock
(freezegun: `dt_util.utcnow()` and the event loop's time) move together one tick at a
time, so the integration's poll intervals, debounces, delayed saves and stall checks
run on simulated time, as they would over hours. Each tick: Home Assistant runs what
is due (polls, timers) until it is idle, held-back webhooks whose time has come go
out, then the steps due are carried out (their webhooks under chaos) and Home
Assistant settles again. Shoko's live events reach the integration over a real
socket in a task nobody can await, so after a Shoko step the soak gives them a few
real milliseconds.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
import tempfile
import time

from freezegun import freeze_time

from custom_components.media_request_tracker.pollers import (
    arr,
    base,
    jellyfin,
    jellyseerr,
)
from tests.simulator import Delivery, SimulatedStack
from tests.simulator.chaos import ChaosSettings, Fate
from tests.simulator.household import Lifecycle, household
from tests.simulator.scenarios import Request, ShokoDetect, ShokoHash, ShokoMatch, Step

from .ends import final_state, judge, story
from .home import Home
from .observe import Delay, EventLog, Uptime, delays, percentiles
from .report import SoakReport, Webhooks, WrongEnd
from .truth import TruthLog

START = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
TICK = 1.0
# Where in the stretch of requests the restarts and the outage happen.
RESTARTS_AT = (0.35, 0.7)
OUTAGE_AT = 0.5
# Real time Shoko's live events get to arrive after a Shoko step.
LIVE_ROUNDS = 3
LIVE_WAIT = 0.01
# The target (DESIGN §2.1): a missed webhook costs at most one active poll interval
# of the poller that can confirm the truth on its own, plus the soak's tick and Home
# Assistant's sub-second spread of poll times.
SLACK = 2.0
BOUNDS = {
    state: interval.total_seconds() + SLACK
    for states, interval in (
        (("requested", "approved", "removed"), jellyseerr.INTERVAL),
        (
            (
                "grabbing",
                "downloading",
                "downloaded",
                "importing",
                "anime_matching",
                "failed",
            ),
            arr.ACTIVE,
        ),
        # The household's Jellyfin adds every title within minutes of its import
        # (`household.LIBRARY_SCAN`, after Shoko's steps for anime), while the
        # poller looks for it every FRESH_INTERVAL.
        (("available",), jellyfin.FRESH_INTERVAL),
    )
    for state in states
}
# An approved request's episodes exist once Sonarr, woken by the approval, lists them:
# that wake may wait for the poller's cooldown after a poll that just ran.
EPISODE_BOUNDS = BOUNDS | {"approved": BOUNDS["approved"] + base.WAKE_COOLDOWN}
# The Jellyfin Webhook plugin posts text/plain unless it is given this header.


@dataclass(frozen=True, slots=True)
class SoakSettings:
    """The size of the household and how rough its network and machines are."""

    lifecycles: int = 200
    seed: int = 0
    restarts: int = 2
    drop: float = 0.30
    duplicate: float = 0.05
    delay: float = 0.05
    max_delay: float = 60.0
    every: float = 45.0  # mean simulated seconds between two requests
    downtime: float = 120.0  # of each restart
    outage: float = 600.0  # of qBittorrent
    tail: float = 1800.0  # after the last step, for polls to catch up
    # False: no service is pointed at Home Assistant's webhooks at all; only the
    # polls and the live channels (Radarr's and Sonarr's hubs, Shoko's) tell.
    webhooks: bool = True


async def run_soak(settings: SoakSettings) -> SoakReport:
    """Play the household and report (wall time measured outside frozen time)."""
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as directory,
        freeze_time(START) as frozen,
    ):
        report = await Soak(settings, Path(directory), frozen.move_to).run()
    report.wall_seconds = time.perf_counter() - started
    return report


class Soak:
    """One run: the household, the stack, Home Assistant and what they showed."""

    def __init__(
        self,
        settings: SoakSettings,
        config_dir: Path,
        set_clock: Callable[[datetime], object],
    ) -> None:
        """Make up the household; nothing runs until `run()`.

        `set_clock` sets Home Assistant's clock (freezegun's `move_to`).
        """
        self.settings = settings
        self.household = household(
            settings.lifecycles, settings.seed, every=settings.every
        )
        self.stack = SimulatedStack(speed=0, seed=settings.seed, start=START)
        self.home = Home(config_dir)
        self.truths = TruthLog()
        self.log = EventLog(self.stack.clock.now)
        self.uptime = Uptime()
        self.keys: dict[int, str] = {}  # lifecycle number -> request key
        self.stories: dict[int, list[tuple[float, str]]] = {}
        self._set_clock = set_clock
        arrivals = max(lifecycle.steps[0].at for lifecycle in self.household)
        self.restarts = [
            (arrivals * at, arrivals * at + settings.downtime)
            for at in RESTARTS_AT[: settings.restarts]
        ]
        self.uptime.down = list(self.restarts)
        self.outage = self._outage_window(arrivals * OUTAGE_AT)
        self.end = (
            max(lifecycle.ends_at for lifecycle in self.household) + settings.tail
        )

    def _outage_window(self, start: float) -> tuple[float, float]:
        """QBittorrent's outage from `start`, or after a restart it would overlap."""
        length = self.settings.outage
        for down, back in self.restarts:
            if start < back and start + length > down:
                start = back + TICK
        return start, start + length

    @property
    def now(self) -> float:
        """The simulated second."""
        return self.stack.clock.now()

    async def run(self) -> SoakReport:
        """Set up, play every tick until the end, then look at what is shown."""
        await self.stack.start()
        try:
            await self._set_up()
            await self._play()
            return self._report()
        finally:
            await self.home.stop()
            await self.stack.stop()

    async def _set_up(self) -> None:
        """Home Assistant with the integration added through its config flow."""
        await self.home.start(before_setup=self.log.listen)
        urls = await self.home.add_integration(self.stack)
        if self.settings.webhooks:
            self.stack.send_webhooks_to(urls)
        await self.home.settle()
        settings = self.settings
        chaos = ChaosSettings(
            settings.drop, settings.duplicate, settings.delay, settings.max_delay
        )
        self.stack.sender.enable_chaos(chaos, settings.seed)

    async def _play(self) -> None:
        steps = sorted(
            (
                (step.at, lifecycle.number, index, lifecycle, step)
                for lifecycle in self.household
                for index, step in enumerate(lifecycle.steps)
            ),
            key=lambda entry: entry[:3],
        )
        controls = self._controls()
        while self.now < self.end:
            self._move_to(self.now + TICK)
            await self.home.settle()
            while controls and controls[0][0] <= self.now:
                await controls.pop(0)[1]()
            await self.stack.sender.deliver_due()
            while steps and steps[0][0] <= self.now:
                _, _, _, lifecycle, step = steps.pop(0)
                await self._apply(lifecycle, step)
            await self.home.settle()

    def _move_to(self, moment: float) -> None:
        """Move the stack's clock and Home Assistant's together."""
        self.stack.clock.advance(moment - self.now)
        self._set_clock(self.stack.clock.wall_now())

    def _controls(self) -> list[tuple[float, Callable[[], Awaitable[None]]]]:
        """The restarts and the outage, as (moment, what to do) in time order."""
        qbittorrent = self.stack.qbittorrent
        start, end = self.outage

        async def unavailable() -> None:
            qbittorrent.answer_unavailable()

        async def down() -> None:
            qbittorrent.answer_unavailable(False)
            await qbittorrent.go_down()

        controls: list[tuple[float, Callable[[], Awaitable[None]]]] = [
            (start, unavailable),
            ((start + end) / 2, down),
            (end, qbittorrent.go_online),
        ]
        for stop, back in self.restarts:
            controls += [(stop, self.home.stop), (back, self._boot)]
        return sorted(controls, key=lambda control: control[0])

    async def _boot(self) -> None:
        """Home Assistant is back after a restart."""
        await self.home.start(before_setup=self.log.listen)
        await self.home.settle()

    async def _apply(self, lifecycle: Lifecycle, step: Step) -> None:
        """Carry out one step, noting what changed upstream and what was sent."""
        sent = len(self.stack.deliveries)
        await self.stack.player.apply(step)
        self.truths.note(lifecycle, step.action, self.now)
        if isinstance(step.action, Request):
            request = self.stack.player.request_of(lifecycle.media)
            if request is not None:
                self.keys[lifecycle.number] = str(request.id)
        fates = [f"{d.event} {_fate(d)}" for d in self.stack.deliveries[sent:]]
        note = f"{step.action}" + (f"  webhooks: {', '.join(fates)}" if fates else "")
        self.stories.setdefault(lifecycle.number, []).append((self.now, note))
        if isinstance(step.action, ShokoDetect | ShokoHash | ShokoMatch):
            await self._let_live_events_arrive()

    async def _let_live_events_arrive(self) -> None:
        """Shoko's events travel a real socket into a task the soak cannot await."""
        for _ in range(LIVE_ROUNDS):
            await asyncio.to_thread(time.sleep, LIVE_WAIT)
            await self.home.settle()

    # --- the report ----------------------------------------------------------------

    def _report(self) -> SoakReport:
        titles = {
            self.keys[lifecycle.number]: lifecycle.title
            for lifecycle in self.household
            if lifecycle.number in self.keys
        }
        found = []
        for lifecycle in self.household:
            found += self._delays(lifecycle)
        return SoakReport(
            seed=self.settings.seed,
            kinds=Counter(lifecycle.kind.value for lifecycle in self.household),
            mishaps=Counter(lifecycle.mishap.value for lifecycle in self.household),
            simulated_seconds=self.end,
            webhooks=self._webhooks(),
            restarts=self.restarts,
            outage=self.outage,
            outage_answers=self.stack.qbittorrent.unavailable_answers,
            wrong=[w for lc in self.household if (w := self._wrong_end(lc))],
            backwards=self.log.backwards(titles),
            time_to_truth=percentiles(found, BOUNDS, EPISODE_BOUNDS),
            events=len(self.log.events),
        )

    def _delays(self, lifecycle: Lifecycle) -> list[Delay]:
        """Time-to-truth of the request's truths, and of each episode's."""
        key = self.keys.get(lifecycle.number)
        if key is None:
            return []
        truths, log = self.truths, self.log
        found = delays(
            truths.timeline(lifecycle), log.of(key), self.end, self.uptime, BOUNDS
        )
        for episode, timeline in truths.episode_timelines(lifecycle).items():
            shown = log.of(key, episode)
            found += delays(
                timeline, shown, self.end, self.uptime, EPISODE_BOUNDS, episode=True
            )
        return found

    def _webhooks(self) -> Webhooks:
        deliveries = self.stack.deliveries
        fates = Counter(d.fate for d in deliveries)
        refused = sum(
            1 for d in deliveries if d.fate is not Fate.DROPPED and d.status is None
        )
        return Webhooks(
            sent=fates[Fate.SENT] + fates[Fate.DROPPED] + fates[Fate.DELAYED],
            dropped=fates[Fate.DROPPED],
            duplicated=fates[Fate.DUPLICATED],
            delayed=fates[Fate.DELAYED],
            reordered=self.stack.sender.reordered,
            refused=refused,
        )

    def _wrong_end(self, lifecycle: Lifecycle) -> WrongEnd | None:
        """How the request ended, if not where its lifecycle says."""
        key = self.keys.get(lifecycle.number)
        if self.home.hass is None:
            raise RuntimeError("Home Assistant is not running")
        final = final_state(self.home.hass, self.home.entry.entry_id, key, lifecycle)
        events = [e for e in self.log.events if e.request_key == key]
        steps = self.stories.get(lifecycle.number, [])
        return judge(lifecycle, key, final, story(steps, events))


def _fate(delivery: Delivery) -> str:
    """What became of a webhook: chaos's doing, or refused (Home Assistant down)."""
    if delivery.fate is Fate.SENT and not delivery.ok:
        return "refused"
    return delivery.fate.value
