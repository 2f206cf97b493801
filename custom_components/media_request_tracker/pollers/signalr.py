"""A SignalR hub connection kept up for days, whatever pysignalr does (reference §5).

pysignalr retries a failed negotiation or upgrade by itself (told to give up at once,
so that our backoff alone paces the attempts), raises at once on a refused connection
or a 404, and ends on any exception, so every attempt runs a fresh client under a
capped exponential backoff. Its callbacks only queue work; a dispatcher runs it in order,
outside pysignalr's loop, so that a slow call or a bug never stops the stream.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
import contextvars
from functools import partial
import ssl
from typing import Any

from pysignalr.client import SignalRClient
from pysignalr.exceptions import AuthorizationError, NegotiationFailure
from pysignalr.transport.websocket import DEFAULT_MAX_SIZE

from homeassistant.util.ssl import client_context, get_default_no_verify_context

from ..const import LOGGER

# Seconds between connection attempts: doubled after each failure, reset once
# connected, capped so that a service that is down for days costs nothing.
RECONNECT_MIN = 5.0
RECONNECT_MAX = 300.0

type Job = Callable[[], Awaitable[None]]

# Marks every task pysignalr starts for one connection attempt (see `_async_isolated`).
_ATTEMPT: contextvars.ContextVar[object] = contextvars.ContextVar("signalr_attempt")


class SignalRLink:
    """One hub connection, kept up until cancelled or until the key is rejected.

    `error` says why live events are not arriving; it is None while connected and
    during the very first attempt, so that starting up is not reported as a loss.
    """

    def __init__(
        self,
        name: str,
        url: str,
        headers: Mapping[str, str],
        methods: Iterable[str],
        *,
        ssl_context: ssl.SSLContext | None,
        on_event: Callable[[str, list[Any]], Awaitable[None]],
        on_change: Job,
        on_auth_failed: Callable[[], None],
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        """Listen to `methods` of the hub at `url`; report through the callbacks.

        `max_size` raises pysignalr's 1 MiB limit on a frame, for hubs that send
        whole resources (a series with its seasons).
        """
        self._name = name
        self._url = url
        self._headers = dict(headers)
        self._methods = tuple(methods)
        self._ssl = ssl_context
        self._on_event = on_event
        self._on_change = on_change
        self._on_auth_failed = on_auth_failed
        self._jobs: asyncio.Queue[Job] = asyncio.Queue()
        self._max_size = max_size
        self._delay = RECONNECT_MIN
        self.error: str | None = None
        self.connected = False
        self.auth_failed = False

    async def async_run(self) -> None:
        """Connect, reconnect after any failure, and dispatch the events received."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._async_dispatch())
            # Returns only once the key was rejected; what is queued still runs.
            await self._async_supervise()

    async def _async_supervise(self) -> None:
        while True:
            try:
                await _async_isolated(self._client_for_attempt().run())
            except AuthorizationError:
                self.auth_failed = True
                self._lost(f"{self._name} rejected the API key")
                self._on_auth_failed()
                return
            except Exception as err:  # noqa: BLE001 (pysignalr raises anything, §5.3)
                self._lost(_reason(err))
            LOGGER.debug("Connecting to %s again in %s s", self._name, self._delay)
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, RECONNECT_MAX)

    def _client_for_attempt(self) -> SignalRClient:
        """A new pysignalr client: one that gave up cannot be started again."""
        client = SignalRClient(
            self._url,
            headers=self._headers,
            ssl=self._ssl,
            max_size=self._max_size,
            retry_count=1,
        )
        client.on_open(self._async_opened)
        client.on_close(self._async_closed)
        for method in self._methods:
            client.on(method, partial(self._async_received, method))
        return client

    async def _async_received(self, method: str, arguments: list[Any]) -> None:
        self._jobs.put_nowait(partial(self._on_event, method, arguments))

    async def _async_opened(self) -> None:
        LOGGER.debug("Connected to %s's live events", self._name)
        self._delay = RECONNECT_MIN
        self.error = None
        self.connected = True
        self._jobs.put_nowait(self._on_change)

    async def _async_closed(self) -> None:
        # pysignalr reports an attempt that never opened as closed too: its failure
        # is the reason then, not this.
        if self.connected:
            self._lost("the connection closed")

    def _lost(self, error: str) -> None:
        LOGGER.debug("%s's live events stopped: %s", self._name, error)
        # Only news is passed on: each attempt against a hub that stays down would
        # otherwise poll the service once more.
        if self.connected or error != self.error:
            self._jobs.put_nowait(self._on_change)
        self.error = error
        self.connected = False

    async def _async_dispatch(self) -> None:
        """Run the queued work in order, away from pysignalr's receive loop."""
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except Exception:  # noqa: BLE001 (logged; one bad event must not stop the rest)
                LOGGER.exception("Could not handle news from %s", self._name)


def _reason(err: Exception) -> str:
    """Why an attempt failed; a failed negotiation says what failed in it."""
    if isinstance(err, NegotiationFailure) and isinstance(err.__cause__, Exception):
        err = err.__cause__
    return f"{type(err).__name__}: {err}".removesuffix(": ")


def hub_ssl(url: str, verify_ssl: bool) -> ssl.SSLContext | None:
    """The TLS context for an https hub; websockets refuses one for ws:// URLs."""
    if not url.startswith("https://"):
        return None
    return client_context() if verify_ssl else get_default_no_verify_context()


async def _async_isolated(run: Coroutine[Any, Any, None]) -> None:
    """Run a pysignalr client so that none of its tasks outlives it.

    pysignalr gathers its receive loop with a keepalive task; when the loop raises
    (a malformed frame, a server error), the keepalive task is left running. Every
    task started here carries a mark, and those still running are cancelled.
    """
    attempt = object()
    context = contextvars.copy_context()
    context.run(_ATTEMPT.set, attempt)
    task = asyncio.get_running_loop().create_task(run, context=context)
    try:
        await task
    finally:
        leftovers = [
            other
            for other in asyncio.all_tasks()
            if not other.done() and other.get_context().get(_ATTEMPT) is attempt
        ]
        for other in leftovers:
            other.cancel()
        if leftovers:
            await asyncio.wait(leftovers)
