"""Shoko Server in Home Assistant: live SignalR events, with REST as the safety net.

`ShokoLink` keeps one connection to Shoko's aggregate hub for days: pysignalr gives up
after ten reconnects, raises at once on a refused connection or a 404, and ends on any
exception (reference §5), so every attempt runs a fresh client under a capped
exponential backoff. Its callbacks only queue work; a dispatcher turns each event into
evidence (`ShokoEvents`), outside pysignalr's loop, so that a slow REST call or a bug
never stops the stream. `ShokoPoller` looks up the files still waiting for a match, in
case an event was missed, and carries the connectivity the diagnostic sensor shows.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
import contextvars
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
import ssl
from typing import Any

from pysignalr.client import SignalRClient
from pysignalr.exceptions import AuthorizationError

from homeassistant.const import CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.ssl import client_context, get_default_no_verify_context

from .connections import shoko_client
from .const import CONF_SHOKO, DOMAIN, LOGGER
from .coordinator import ServicePoller
from .engine.evidence import ShokoFileEvent, ShokoFileEvidence
from .engine.models import Episode, EpisodeKey, Request, Service, State, Track
from .hub import MediaRequestTrackerConfigEntry, Origin, TrackerHub
from .sources.errors import InvalidAuth, InvalidPayload, UpstreamError
from .sources.shoko import (
    EVENT_NAMES,
    FileDetected,
    ImportFolder,
    RemoteFile,
    ShokoClient,
    ShokoEvent,
    parse_event,
)

# Seconds between connection attempts: doubled after each failure, reset once
# connected, capped so that a Shoko that is down for days costs nothing.
RECONNECT_MIN = 5.0
RECONNECT_MAX = 300.0
# The REST safety net: often while files wait for a match, rarely otherwise.
MATCH_CHECK_ACTIVE = timedelta(seconds=60)
MATCH_CHECK_IDLE = timedelta(minutes=5)
# Each waiting file is looked up in Shoko at most this often.
FILE_CHECK_INTERVAL = timedelta(minutes=2)

type Job = Callable[[], Awaitable[None]]

# Marks every task pysignalr starts for one connection attempt (see `_async_isolated`).
_ATTEMPT: contextvars.ContextVar[object] = contextvars.ContextVar("shoko_attempt")


def async_setup_shoko(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, hub: TrackerHub
) -> ShokoPoller:
    """Create Shoko's poller (for `hub.pollers`) and start its live connection.

    The connection is a background task of the entry: unloading cancels it. A key
    rejected before is judged again with these settings, so its repair issue goes.
    """
    config = entry.data[CONF_SHOKO]
    verify_ssl: bool = config.get(CONF_VERIFY_SSL, True)
    client = shoko_client(hass, config)
    poller = ShokoPoller(hass, entry, hub, client, verify_ssl=verify_ssl)
    ir.async_delete_issue(hass, DOMAIN, poller.issue_id)
    entry.async_create_background_task(
        hass, poller.link.async_run(), f"{DOMAIN} Shoko Server live events"
    )
    return poller


class ImportFolders:
    """Shoko's import folders by id: fetched once each, and again when one is new."""

    def __init__(self, client: ShokoClient) -> None:
        """Start with none known."""
        self._client = client
        self.known: dict[int, ImportFolder] = {}

    async def async_get(self, folder_id: int) -> ImportFolder | None:
        """The folder, asked of Shoko if it is not known yet (None if it fails)."""
        if folder_id not in self.known:
            try:
                self.known[folder_id] = await self._client.async_get_import_folder(
                    folder_id
                )
            except (UpstreamError, InvalidPayload) as err:
                LOGGER.debug("Shoko import folder %s not found: %s", folder_id, err)
                return None
        return self.known[folder_id]


class ShokoEvents:
    """Turns Shoko's events into evidence for the tracker."""

    def __init__(
        self, hub: TrackerHub, client: ShokoClient, folders: ImportFolders
    ) -> None:
        """Handle events for one entry's tracker."""
        self._hub = hub
        self._client = client
        self._folders = folders
        self._malformed: set[str] = set()

    async def async_handle(self, name: str, arguments: list[Any]) -> None:
        """Handle one hub event (the dispatcher logs anything unexpected)."""
        try:
            event = parse_event(name, arguments)
            if event is not None:
                await self._async_apply(event)
        except InvalidPayload as err:
            # Logged once per event name: a changed Shoko would repeat it endlessly.
            log = LOGGER.debug if name in self._malformed else LOGGER.warning
            self._malformed.add(name)
            log("Ignored a malformed Shoko Server %s event: %s", name, err)

    async def _async_apply(self, event: ShokoEvent) -> None:
        match event:
            case FileDetected():
                # Worth knowing where the folder is before the file gets matched.
                await self._folders.async_get(event.location.folder_id)
            case ShokoFileEvidence():
                await self._async_apply_file(event)
            case _:
                self._hub.apply(event, Origin.WEBHOOK)

    async def _async_apply_file(self, evidence: ShokoFileEvidence) -> None:
        """A file event, completed from REST when it may concern a tracked file.

        Shoko reports its whole library; only files whose id or path we track are
        worth a request for their size, cross references and TMDB links.
        """
        tracker = self._hub.tracker
        if evidence.location is not None and not tracker.wants_shoko_file(evidence):
            return
        try:
            remote = await self._client.async_get_file(evidence.file_id)
        except (UpstreamError, InvalidPayload) as err:
            LOGGER.debug("Shoko file %s not looked up: %s", evidence.file_id, err)
        else:
            evidence = _completed(evidence, remote)
        if tracker.wants_shoko_file(evidence):
            await self.async_apply_file(evidence, Origin.WEBHOOK)

    async def async_apply_file(
        self, evidence: ShokoFileEvidence, origin: Origin
    ) -> None:
        """Apply file evidence; a match asks Jellyfin at once whether it shows it."""
        outcome = self._hub.apply(evidence, origin)
        jellyfin = self._hub.pollers.get(Service.JELLYFIN)
        if (
            evidence.event is ShokoFileEvent.MATCHED
            and outcome.touched
            and jellyfin is not None
        ):
            await jellyfin.async_request_refresh()


def _completed(evidence: ShokoFileEvidence, remote: RemoteFile) -> ShokoFileEvidence:
    """The event with what REST adds: size, location, Shoko's ids, TMDB links."""
    matched = evidence.event is ShokoFileEvent.MATCHED
    return replace(
        evidence,
        location=evidence.location or next(iter(remote.locations), None),
        links=(remote.links or evidence.links) if matched else evidence.links,
        size=remote.size,
        tmdb_linked=remote.tmdb_linked if matched and remote.links else None,
    )


class ShokoLink:
    """The SignalR connection to Shoko's aggregate hub, kept up until cancelled.

    `error` says why live events are not arriving; it is None while connected and
    during the very first attempt, so that starting up is not reported as a loss.
    """

    def __init__(
        self,
        client: ShokoClient,
        *,
        ssl_context: ssl.SSLContext | None,
        on_event: Callable[[str, list[Any]], Awaitable[None]],
        on_change: Job,
        on_auth_failed: Callable[[], None],
    ) -> None:
        """Connect with the client's URL and key; report through the callbacks."""
        self._client = client
        self._ssl = ssl_context
        self._on_event = on_event
        self._on_change = on_change
        self._on_auth_failed = on_auth_failed
        self._jobs: asyncio.Queue[Job] = asyncio.Queue()
        self._delay = RECONNECT_MIN
        self.error: str | None = None
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
                self._lost("Shoko Server rejected the API key")
                self._on_auth_failed()
                return
            except Exception as err:  # noqa: BLE001 (pysignalr raises anything, §5.3)
                self._lost(f"{type(err).__name__}: {err}".removesuffix(": "))
            LOGGER.debug("Connecting to Shoko Server again in %s s", self._delay)
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, RECONNECT_MAX)

    def _client_for_attempt(self) -> SignalRClient:
        """A new pysignalr client: one that gave up cannot be started again."""
        client = SignalRClient(
            self._client.hub_url, headers=self._client.hub_headers, ssl=self._ssl
        )
        client.on_open(self._async_opened)
        client.on_close(self._async_closed)
        for name in EVENT_NAMES:
            client.on(name, partial(self._async_received, name))
        return client

    async def _async_received(self, name: str, arguments: list[Any]) -> None:
        self._jobs.put_nowait(partial(self._on_event, name, arguments))

    async def _async_opened(self) -> None:
        LOGGER.debug("Connected to Shoko Server's live events")
        self._delay = RECONNECT_MIN
        self.error = None
        self._jobs.put_nowait(self._on_change)

    async def _async_closed(self) -> None:
        self._lost("the connection closed")

    def _lost(self, error: str) -> None:
        LOGGER.debug("Shoko Server's live events stopped: %s", error)
        self.error = error
        self._jobs.put_nowait(self._on_change)

    async def _async_dispatch(self) -> None:
        """Run the queued work in order, away from pysignalr's receive loop."""
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except Exception:  # noqa: BLE001 (logged; one bad event must not stop the rest)
                LOGGER.exception("Could not handle news from Shoko Server")


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


class ShokoPoller(ServicePoller):
    """Shoko's connection, and the REST safety net for events that were missed.

    Each poll looks up, by path, the files that still wait for a match. It fails
    while live events are lost, so Shoko's connectivity sensor covers both, and the
    coordinator logs the loss and the recovery once each.
    """

    service = Service.SHOKO

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        client: ShokoClient,
        *,
        verify_ssl: bool,
    ) -> None:
        """Poll one Shoko Server; `link` is its live connection (not started)."""
        super().__init__(hass, entry, hub, MATCH_CHECK_IDLE)
        self.client = client
        self.folders = ImportFolders(client)
        self.events = ShokoEvents(hub, client, self.folders)
        self.issue_id = f"shoko_invalid_auth_{entry.entry_id}"
        self.link = ShokoLink(
            client,
            ssl_context=_hub_ssl(client.url, verify_ssl),
            on_event=self.events.async_handle,
            on_change=self.async_request_refresh,
            on_auth_failed=self._raise_auth_issue,
        )
        self._checked: dict[tuple[str, EpisodeKey | None], datetime] = {}

    async def _async_poll(self) -> timedelta:
        waiting = list(_waiting_files(self.hub.tracker.requests.values()))
        try:
            for path in self._due(waiting):
                await self._async_look_up(path)
        except InvalidAuth:
            self._raise_auth_issue()
            raise
        self._check_link()
        return MATCH_CHECK_ACTIVE if waiting else MATCH_CHECK_IDLE

    def _due(self, waiting: list[tuple[Request, Track, str]]) -> list[str]:
        """Paths not looked up for FILE_CHECK_INTERVAL; forgets tracks done waiting."""
        now = dt_util.utcnow()
        checked: dict[tuple[str, EpisodeKey | None], datetime] = {}
        due: list[str] = []
        for request, track, path in waiting:
            key = (request.key, track.key if isinstance(track, Episode) else None)
            last = self._checked.get(key)
            if last is None or now - last >= FILE_CHECK_INTERVAL:
                due.append(path)
                last = now
            checked[key] = last
        self._checked = checked
        return due

    async def _async_look_up(self, path: str) -> None:
        """Ask Shoko for the file at a library path; the tracker checks the match."""
        for remote in await self.client.async_find_files(self._shoko_suffix(path)):
            for location in remote.locations:
                await self.events.async_apply_file(
                    remote.evidence(location), Origin.POLL
                )

    def _shoko_suffix(self, path: str) -> str:
        """What to ask for: the full Shoko path where the folder's mount is known.

        Otherwise the series folder and file name, which both mounts share.
        """
        library = path.replace("\\", "/")
        for folder_id, prefix in self.hub.tracker.shoko_folders.items():
            folder = self.folders.known.get(folder_id)
            if folder is not None and library.startswith(prefix):
                return folder.path + library.removeprefix(prefix)
        return "/".join(library.rsplit("/", 2)[-2:])

    def _check_link(self) -> None:
        """Fail the poll while live events are lost: the sensor shows it."""
        if self.link.auth_failed:
            raise InvalidAuth("the SignalR hub answered 401")
        if self.link.error is not None:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="shoko_events_lost",
                translation_placeholders={"error": self.link.error},
            )

    def _raise_auth_issue(self) -> None:
        """A rejected key is a configuration error: say so once, do not retry."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="shoko_invalid_auth",
            translation_placeholders={"url": self.client.url},
        )

    def diagnostics(self) -> dict[str, Any]:
        """The live connection, and each import folder as Shoko and *arr see it."""
        folders = self.folders.known
        learned = self.hub.tracker.shoko_folders
        return {
            "live_events": self.link.error or "connected",
            "import_folders": {
                folder_id: {
                    "name": folder.name if (folder := folders.get(folder_id)) else None,
                    "shoko_path": folder.path if folder else None,
                    "library_path": learned.get(folder_id),
                }
                for folder_id in sorted(folders.keys() | learned.keys())
            },
        }


def _waiting_files(
    requests: Iterable[Request],
) -> Iterator[tuple[Request, Track, str]]:
    """The movies and episodes waiting for Shoko's match, with their latest file."""
    for request in requests:
        if request.state is not State.ANIME_MATCHING:
            continue
        tracks: Iterable[Track] = (
            (ep for ep in request.episodes.values() if ep.state is State.ANIME_MATCHING)
            if request.episodes
            else (request,)
        )
        for track in tracks:
            if track.paths:
                yield request, track, track.paths[-1]


def _hub_ssl(url: str, verify_ssl: bool) -> ssl.SSLContext | None:
    """The TLS context for an https hub; websockets refuses one for ws:// URLs."""
    if not url.startswith("https://"):
        return None
    return client_context() if verify_ssl else get_default_no_verify_context()
