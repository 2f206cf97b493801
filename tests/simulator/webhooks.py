"""Outgoing webhooks, sent the way each upstream application sends them.

Every fake service that pushes (Jellyseerr, Radarr, Sonarr, the Jellyfin Webhook plugin)
hands its body to one sender, which records each attempt: the upstream apps never retry,
so tests and the demo need to see exactly what was delivered and what was lost. With
chaos on (`enable_chaos`), the sender also loses, repeats and holds back webhooks.
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
import heapq
import itertools
import json
import logging
from typing import Any

import aiohttp

from .chaos import ChaosSettings, Fate, WebhookChaos
from .clock import SimClock

_LOGGER = logging.getLogger(__name__)
# Radarr/Sonarr wait 100 s; a simulator that waits that long only hides a hung target.
SEND_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where and how a service posts its webhooks.

    `username`/`password` are Radarr/Sonarr's pre-emptive Basic auth (sent when either is
    non-blank); `headers` are sent verbatim (*arr custom headers, Jellyseerr's
    Authorization header, the Jellyfin plugin's header list).
    """

    url: str
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    username: str = ""
    password: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook attempt and its outcome (`status` None: no HTTP answer).

    `fate` says what chaos did: a dropped webhook was never posted, a duplicated one
    is the second copy, a delayed one was posted late.
    """

    service: str
    event: str
    url: str
    body: Any
    status: int | None
    error: str | None = None
    fate: Fate = Fate.SENT

    @property
    def ok(self) -> bool:
        """Whether the sender counts it as delivered (any status below 400)."""
        return self.status is not None and self.status < 400


@dataclass(order=True, slots=True)
class _Held:
    """A webhook chaos holds back until `due` (simulated seconds)."""

    due: float
    order: int
    # How many deliveries there were when it was held: later ones overtook it.
    position: int = field(compare=False)
    service: str = field(compare=False)
    event: str = field(compare=False)
    target: WebhookTarget = field(compare=False)
    body: Any = field(compare=False)
    content_type: str = field(compare=False)


class WebhookSender:
    """Posts webhook bodies with one shared HTTP session and records every attempt."""

    def __init__(self, clock: SimClock | None = None) -> None:
        """Create the sender; `start()` opens its session.

        The `clock` times held-back webhooks; chaos needs one.
        """
        self._session: aiohttp.ClientSession | None = None
        self._clock = clock
        self._chaos: WebhookChaos | None = None
        self._held: list[_Held] = []
        self._order = itertools.count()
        self.deliveries: list[Delivery] = []
        # Held-back webhooks that later ones overtook on their way to the same URL.
        self.reordered = 0

    def enable_chaos(self, settings: ChaosSettings, seed: int) -> None:
        """Lose, repeat and hold back webhooks from now on (see `chaos.py`)."""
        if self._clock is None:
            raise RuntimeError("webhook chaos needs the sender's clock")
        self._chaos = WebhookChaos(settings, seed)

    @property
    def next_due(self) -> float | None:
        """When the next held-back webhook is due (None: nothing is held)."""
        return self._held[0].due if self._held else None

    async def deliver_due(self) -> None:
        """Send the held-back webhooks whose time has come, the earliest first."""
        while self._held and self._clock and self._held[0].due <= self._clock.now():
            held = heapq.heappop(self._held)
            later = self.deliveries[held.position :]
            if any(d.url == held.target.url and d.status for d in later):
                self.reordered += 1
            await self._post(
                held.service,
                held.event,
                held.target,
                held.body,
                held.content_type,
                Fate.DELAYED,
            )

    async def start(self) -> None:
        """Open the HTTP session."""
        self._session = aiohttp.ClientSession(timeout=SEND_TIMEOUT)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        service: str,
        event: str,
        target: WebhookTarget,
        body: Any,
        *,
        content_type: str = "application/json",
    ) -> Delivery:
        """Send one webhook; failures are recorded, never raised (nobody retries).

        Under chaos it may be dropped (recorded, never posted), posted twice, or held
        back (the answer is then a placeholder: it is recorded once posted).
        """
        fate, delay = self._chaos.draw() if self._chaos else (Fate.SENT, 0.0)
        if fate is Fate.DROPPED:
            dropped = Delivery(service, event, target.url, body, None, "dropped", fate)
            self.deliveries.append(dropped)
            return dropped
        if fate is Fate.DELAYED and self._clock is not None:
            due = self._clock.now() + delay
            position = len(self.deliveries)
            held = _Held(
                due,
                next(self._order),
                position,
                service,
                event,
                target,
                body,
                content_type,
            )
            heapq.heappush(self._held, held)
            return Delivery(service, event, target.url, body, None, "held back", fate)
        delivery = await self._post(service, event, target, body, content_type)
        if fate is Fate.DUPLICATED:
            await self._post(service, event, target, body, content_type, fate)
        return delivery

    async def _post(
        self,
        service: str,
        event: str,
        target: WebhookTarget,
        body: Any,
        content_type: str,
        fate: Fate = Fate.SENT,
    ) -> Delivery:
        """Post one webhook and record the attempt."""
        if self._session is None:
            raise RuntimeError("the webhook sender is not started")
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if target.username or target.password:
            # Pre-emptive, ISO-8859-1, as *arr's `BasicNetworkCredential` sends it.
            credentials = f"{target.username}:{target.password}".encode("latin1")
            headers["Authorization"] = f"Basic {base64.b64encode(credentials).decode()}"
        headers.update(target.headers)
        try:
            async with self._session.request(
                target.method,
                target.url,
                data=json.dumps(body).encode(),
                headers=headers,
            ) as response:
                await response.read()
                delivery = Delivery(
                    service, event, target.url, body, response.status, fate=fate
                )
        except (aiohttp.ClientError, TimeoutError) as err:
            error = str(err) or type(err).__name__
            delivery = Delivery(service, event, target.url, body, None, error, fate)
        self.deliveries.append(delivery)
        _LOGGER.info(
            "%s %s -> %s: %s",
            service,
            event,
            target.url,
            delivery.status or delivery.error,
        )
        return delivery
