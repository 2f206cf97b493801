"""Webhook endpoints: one per push source, each checking, parsing and handing off.

A handler does little: refuse what is too big, unauthorised or malformed (4xx,
nothing changed, a log line per source and minute at most), parse the body into
evidence with the source's own parser, and give it to the tracking. Upstream apps
do not retry, so valid bodies always get a fast 200.

Closed by default: Home Assistant hands us only senders of the local network unless
the `local_webhooks_only` option is off (non-local ones get its silent 200, by
design), and a service's webhook secret, once set (the wiring repair sets one), is
checked on every call; it is read at each call, so a new one applies at once.
"""

from base64 import b64decode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import hmac
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JSON_DECODE_EXCEPTIONS, json_loads

from .const import (
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    LOGGER,
    MAX_WEBHOOK_BYTES,
    PUSH_SERVICES,
)
from .data import MediaRequestTrackerConfigEntry
from .engine.evidence import Evidence, from_instance
from .engine.models import PRIMARY, Service
from .events import Origin
from .instances import ArrInstance
from .sources import jellyfin, jellyseerr, radarr, sonarr
from .sources.errors import InvalidPayload
from .tracking import RequestTracking

type Parser = Callable[[object], Evidence | None]

# Between two warnings about refused webhooks of one source.
REFUSAL_LOG_INTERVAL = timedelta(minutes=1)

PARSERS: dict[Service, Parser] = {
    Service.JELLYSEERR: jellyseerr.parse_webhook,
    Service.RADARR: radarr.parse_webhook,
    Service.SONARR: sonarr.parse_webhook,
    Service.JELLYFIN: jellyfin.parse_webhook,
}
# Radarr and Sonarr authenticate with Basic auth; the others send a header verbatim.
BASIC_AUTH_SOURCES = frozenset({Service.RADARR, Service.SONARR})


class Rejected(Exception):
    """A webhook request we refuse, with the status and the short reason to answer."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Remember the answer."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


@callback
def async_register_webhooks(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    tracking: RequestTracking,
    arrs: Iterable[ArrInstance],
    arrived: Callable[[Service, str], None],
) -> Callable[[], None]:
    """Register the four endpoints and one per Radarr/Sonarr subentry.

    Every Radarr/Sonarr endpoint tells its evidence which instance said it, the
    primary's too: with a 4K instance, the primary serves only the other requests.
    Returns the function that unregisters them. `arrived` hears of every valid
    webhook by its service and instance ("" but for a subentry's; repairs follow it).
    """
    refusals = _RefusalLog()
    arrs = list(arrs)
    primary = {arr.service: arr for arr in arrs if arr.subentry_id is None}
    endpoints = [
        _Endpoint(
            service,
            entry.data[CONF_WEBHOOK_IDS][service],
            f"{service}",
            primary.get(service),
        )
        for service in PUSH_SERVICES
    ]
    endpoints.extend(
        _Endpoint(arr.service, arr.webhook_id, arr.name, arr)
        for arr in arrs
        if arr.subentry_id is not None
    )
    for endpoint in endpoints:
        webhook.async_register(
            hass,
            DOMAIN,
            f"{entry.title} ({endpoint.name})",
            endpoint.webhook_id,
            _handler(entry, tracking, endpoint, refusals, arrived),
            local_only=tracking.options.local_webhooks_only,
            allowed_methods=[hdrs.METH_POST],
        )

    @callback
    def unregister() -> None:
        for endpoint in endpoints:
            webhook.async_unregister(hass, endpoint.webhook_id)

    return unregister


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """A webhook: the service posting to it, and which Radarr/Sonarr subentry."""

    service: Service
    webhook_id: str
    name: str
    arr: ArrInstance | None = None

    def secret(self, entry: MediaRequestTrackerConfigEntry) -> str | None:
        """The secret the sender must give, as stored now (None: none is asked).

        A subentry removed a moment ago (the entry reloads) posts to nobody.
        """
        if self.arr is None or self.arr.subentry_id is None:
            config = entry.data.get(self.service) or {}
        elif (subentry := entry.subentries.get(self.arr.key)) is not None:
            config = subentry.data
        else:
            raise Rejected(HTTPStatus.NOT_FOUND, "this instance was removed")
        secret: str | None = config.get(CONF_WEBHOOK_SECRET)
        return secret


class _RefusalLog:
    """Logs refused webhooks: a warning per source and minute, the rest at debug.

    A misconfigured sender retries nothing, but a hostile one may post in a loop.
    """

    def __init__(self) -> None:
        self._warned: dict[str, datetime] = {}

    def refused(self, source: str, reason: str) -> None:
        now = dt_util.utcnow()
        warned = self._warned.get(source)
        quiet = warned is not None and now - warned < REFUSAL_LOG_INTERVAL
        if not quiet:
            self._warned[source] = now
        log = LOGGER.debug if quiet else LOGGER.warning
        log("Refused a %s webhook: %s", source, reason)


def _handler(
    entry: MediaRequestTrackerConfigEntry,
    tracking: RequestTracking,
    endpoint: _Endpoint,
    refusals: _RefusalLog,
    arrived: Callable[[Service, str], None],
) -> Callable[[HomeAssistant, str, web.Request], Any]:
    source = endpoint.service
    parse = PARSERS[source]
    instance = PRIMARY if endpoint.arr is None else endpoint.arr.instance

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        try:
            if secret := endpoint.secret(entry):
                _check_secret(source, secret, request)
            evidence = _parse(parse, await _read_body(request))
        except Rejected as err:
            refusals.refused(endpoint.name, err.reason)
            return web.Response(status=err.status, text=err.reason)
        tracking.record_source(instance.key or source)
        arrived(source, instance.key)
        if evidence is not None:
            tracking.apply(from_instance(evidence, instance), Origin.WEBHOOK)
        return web.Response(status=HTTPStatus.OK)

    return handle


def _check_secret(source: Service, secret: str, request: web.Request) -> None:
    """Compare the sender's secret in constant time."""
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    if source in BASIC_AUTH_SOURCES:
        candidates = [_basic_auth_password(header)]
    else:
        candidates = [header, header.removeprefix("Bearer ")]
    expected = secret.encode()
    if not any(hmac.compare_digest(c.encode(), expected) for c in candidates):
        raise Rejected(HTTPStatus.UNAUTHORIZED, "missing or wrong credentials")


def _basic_auth_password(header: str) -> str:
    """The password of a `Basic` Authorization header ("" when there is none)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        # Radarr and Sonarr encode the credentials as ISO-8859-1 (reference §1).
        decoded = b64decode(encoded, validate=True).decode("latin-1")
    except ValueError:
        return ""
    return decoded.partition(":")[2]


async def _read_body(request: web.Request) -> bytes:
    """The body, refusing anything over the size limit before reading it all."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise Rejected(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over 1 MiB")
    body = await request.content.read(MAX_WEBHOOK_BYTES + 1)
    if len(body) > MAX_WEBHOOK_BYTES:
        raise Rejected(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over 1 MiB")
    return body


def _parse(parse: Parser, body: bytes) -> Evidence | None:
    """Decode JSON whatever the Content-Type (Jellyfin sends text/plain), then parse."""
    try:
        decoded = json_loads(body)
    except JSON_DECODE_EXCEPTIONS as err:
        raise Rejected(HTTPStatus.BAD_REQUEST, "body is not valid JSON") from err
    try:
        return parse(decoded)
    except InvalidPayload as err:
        raise Rejected(HTTPStatus.BAD_REQUEST, str(err)) from err
