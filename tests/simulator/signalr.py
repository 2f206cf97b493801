"""A minimal ASP.NET Core SignalR server: JSON hub protocol over WebSockets.

Enough of the protocol for a real client (pysignalr) to connect the way it connects to
Shoko (reference `qbittorrent-jellyfin-shoko.md` §3.3, §5): `POST …/negotiate`, a
WebSocket on the hub URL with `?id=<token>`, the `{"protocol":"json","version":1}`
handshake answered by `{}`, every frame ending with the 0x1E record separator, server
pings (type 6) and invocations (type 1). A token is good for one connection, so a client
reconnecting with a stale id gets 404 and must negotiate again, as against ASP.NET Core.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import json
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

RECORD_SEPARATOR = "\x1e"
INVOCATION, COMPLETION, PING, CLOSE = 1, 3, 6, 7
TRANSPORTS = [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]
CLIENT_TIMEOUT_ERROR = (
    "Server timeout elapsed without receiving a message from the client."
)

type Messages = Sequence[tuple[str, list[Any]]]


def frame(message: dict[str, Any]) -> str:
    """One JSON hub-protocol record."""
    return json.dumps(message, separators=(",", ":")) + RECORD_SEPARATOR


@dataclass(eq=False, slots=True)
class HubConnection:
    """A connected client, the feeds it joined, and when it last heard from us."""

    feeds: frozenset[str]
    socket: web.WebSocketResponse
    last_sent: float = 0.0

    async def send(self, message: dict[str, Any]) -> None:
        """Send one record."""
        self.last_sent = time.monotonic()
        await self.socket.send_str(frame(message))


class SignalRHub:
    """One hub endpoint: negotiate, connect, broadcast to the clients of a feed.

    `authorize` decides on both the negotiate and the WebSocket request (401 when it
    refuses); `greeting` gives the invocations a client gets as soon as it joins, from
    the feeds in its `?feeds=` query.
    """

    def __init__(
        self,
        path: str,
        *,
        authorize: Callable[[web.Request], bool],
        greeting: Callable[[frozenset[str]], Messages],
        keepalive: float = 15.0,
        client_timeout: float = 60.0,
    ) -> None:
        """Create the hub; `add_routes` mounts it on an application."""
        self.path = path
        self._authorize = authorize
        self._greeting = greeting
        self._keepalive = keepalive
        self._client_timeout = client_timeout
        self._tokens: set[str] = set()  # negotiated, not yet used
        self.connections: list[HubConnection] = []
        self.negotiations = 0
        # Down: requests answer 503; `upgrade_only`, only the WebSocket's, as a proxy
        # that passes the negotiation but not the upgrade does.
        self.down = False
        self.upgrade_only = False
        self.refused = 0

    def add_routes(self, app: web.Application) -> None:
        """Mount `{path}/negotiate` and the WebSocket endpoint."""
        app.router.add_post(f"{self.path}/negotiate", self._negotiate)
        app.router.add_get(self.path, self._connect)

    async def broadcast(
        self, feed: str | None, target: str, arguments: list[Any]
    ) -> int:
        """Invoke `target` on every client that joined `feed` (None: every client).

        Returns how many got it.
        """
        sent = 0
        message = {"type": INVOCATION, "target": target, "arguments": arguments}
        for connection in list(self.connections):
            if (
                feed is None or feed in connection.feeds
            ) and not connection.socket.closed:
                await connection.send(message)
                sent += 1
        return sent

    async def drop_connections(self) -> None:
        """Close every WebSocket (the client sees a normal close and reconnects)."""
        for connection in list(self.connections):
            await connection.socket.close()

    async def send_malformed_frame(self) -> None:
        """Send every client a record that is not JSON (a broken server or proxy)."""
        for connection in list(self.connections):
            await connection.socket.send_str('{"type":1,"target":' + RECORD_SEPARATOR)

    async def take_down(self, *, upgrade_only: bool = False) -> None:
        """Refuse every client from now on, and drop those connected.

        `upgrade_only`: the negotiation still answers, the WebSocket does not.
        """
        self.down = True
        self.upgrade_only = upgrade_only
        await self.drop_connections()

    async def _negotiate(self, request: web.Request) -> web.Response:
        if self.down and not self.upgrade_only:
            self.refused += 1
            return web.Response(status=503)
        if not self._authorize(request):
            return web.Response(status=401)
        self.negotiations += 1
        connection_id = secrets.token_urlsafe(16)
        if request.query.get("negotiateVersion", "0") == "0":
            # Version 0: the connection id doubles as the token.
            self._tokens.add(connection_id)
            return web.json_response(
                {"connectionId": connection_id, "availableTransports": TRANSPORTS}
            )
        token = secrets.token_urlsafe(16)
        self._tokens.add(token)
        return web.json_response(
            {
                "negotiateVersion": 1,
                "connectionId": connection_id,
                "connectionToken": token,
                "availableTransports": TRANSPORTS,
            }
        )

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        if self.down:
            self.refused += 1
            return web.Response(status=503)
        if not self._authorize(request):
            return web.Response(status=401)
        token = request.query.get("id")
        if token is not None:  # without an id: skipNegotiation (WebSockets only)
            if token not in self._tokens:
                return web.Response(status=404, text="No Connection with that ID")
            self._tokens.discard(token)
        feeds = frozenset(
            feed.strip().lower()
            for feed in request.query.get("feeds", "").split(",")
            if feed.strip()
        )
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        if await self._handshake(socket):
            connection = HubConnection(feeds, socket)
            self.connections.append(connection)
            try:
                for target, arguments in self._greeting(feeds):
                    await connection.send(
                        {"type": INVOCATION, "target": target, "arguments": arguments}
                    )
                await self._serve(connection)
            finally:
                self.connections.remove(connection)
        await socket.close()
        return socket

    async def _handshake(self, socket: web.WebSocketResponse) -> bool:
        """Read the client's handshake record; answer `{}` or an error."""
        try:
            message = await socket.receive(timeout=self._keepalive)
        except TimeoutError:
            return False
        if message.type != WSMsgType.TEXT or RECORD_SEPARATOR not in message.data:
            return False
        try:
            request = json.loads(message.data.split(RECORD_SEPARATOR, 1)[0])
        except ValueError:
            return False
        protocol = request.get("protocol") if isinstance(request, dict) else None
        if protocol != "json":
            error = f"The protocol '{protocol}' is not supported."
            await socket.send_str(frame({"error": error}))
            return False
        await socket.send_str(frame({}))
        return True

    async def _serve(self, connection: HubConnection) -> None:
        """Ping after `keepalive` seconds without sending; drop a silent client."""
        socket = connection.socket
        last_heard = time.monotonic()
        while not socket.closed:
            wait = max(0.0, connection.last_sent + self._keepalive - time.monotonic())
            try:
                message = await socket.receive(timeout=wait)
            except TimeoutError:
                if time.monotonic() - last_heard > self._client_timeout:
                    await connection.send(
                        {
                            "type": CLOSE,
                            "error": CLIENT_TIMEOUT_ERROR,
                            "allowReconnect": True,
                        }
                    )
                    return
                await connection.send({"type": PING})
                continue
            if message.type != WSMsgType.TEXT:
                return
            last_heard = time.monotonic()
            for record in filter(None, message.data.split(RECORD_SEPARATOR)):
                if not await self._on_record(connection, record):
                    return

    async def _on_record(self, connection: HubConnection, record: str) -> bool:
        """Handle one client record; False ends the connection."""
        try:
            message = json.loads(record)
        except ValueError:
            return False
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == CLOSE:
            return False
        if kind == INVOCATION and message.get("invocationId"):
            target = message.get("target")
            await connection.send(
                {
                    "type": COMPLETION,
                    "invocationId": message["invocationId"],
                    "error": f"Failed to invoke '{target}' because it does not exist.",
                }
            )
        return True
