"""Outgoing webhooks, sent the way each upstream application sends them.

Every fake service that pushes (Jellyseerr, Radarr, Sonarr, the Jellyfin Webhook plugin)
hands its body to one sender, which records each attempt: the upstream apps never retry,
so tests and the demo need to see exactly what was delivered and what was lost.
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
import json
import logging
from typing import Any

import aiohttp

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
    """One webhook attempt and its outcome (`status` None: no HTTP answer)."""

    service: str
    event: str
    url: str
    body: Any
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the sender counts it as delivered (any status below 400)."""
        return self.status is not None and self.status < 400


class WebhookSender:
    """Posts webhook bodies with one shared HTTP session and records every attempt."""

    def __init__(self) -> None:
        """Create the sender; `start()` opens its session."""
        self._session: aiohttp.ClientSession | None = None
        self.deliveries: list[Delivery] = []

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
        """Send one webhook; failures are recorded, never raised (nobody retries)."""
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
                delivery = Delivery(service, event, target.url, body, response.status)
        except (aiohttp.ClientError, TimeoutError) as err:
            delivery = Delivery(
                service, event, target.url, body, None, str(err) or type(err).__name__
            )
        self.deliveries.append(delivery)
        _LOGGER.info(
            "%s %s -> %s: %s",
            service,
            event,
            target.url,
            delivery.status or delivery.error,
        )
        return delivery
