"""qBittorrent: the WebUI API v2 client, and torrents as evidence (reference §1).

The mapping of `state` follows `TorrentImpl::updateState()` (§1.5): finished means a
finished state or nothing left to download, never `progress == 1` (deselected files
never complete).

The client is hand-written for the reasons given in `http.py`, and because the protocol has quirks a
generic client gets wrong: the login answers `200 Fails.` (≤ 5.1) or 401 (5.2+) for a
bad password, a 403 means "session expired" on data endpoints but "IP banned" at login,
and `sync/maindata` is an incremental protocol whose state lives in the server session.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
import json
import logging
from typing import Any

import aiohttp

from ..engine.codes import Problem, ProblemCode, Waiting, WaitingCode
from ..engine.evidence import DownloadStatus
from ..engine.models import EpisodeKey, Service, Stage
from .arr import episode_keys_in_name
from .errors import InvalidAuth, InvalidPayload, WrongService
from .http import ApiFields, JsonApi

_LOGGER = logging.getLogger(__name__)

UNKNOWN_ETA = 8640000  # qBittorrent's MAX_ETA: "infinite" or unknown
LOGIN_FAILED = "Fails."  # ≤ 5.1 answers a bad password with 200 and this body
MAINDATA = "/api/v2/sync/maindata"
REANNOUNCE = "/api/v2/torrents/reannounce"

type Params = Mapping[str, str | int]

FINISHED_STATES = frozenset(
    {"uploading", "stalledUP", "queuedUP", "forcedUP", "stoppedUP", "pausedUP"}
)
ACTIVE_STATES = frozenset({"downloading", "forcedDL", "moving", "checkingUP"})
# States in which nothing arrives, and what the download waits for in them.
WAITING_STATES = {
    "metaDL": WaitingCode.DOWNLOAD_METADATA,
    "forcedMetaDL": WaitingCode.DOWNLOAD_METADATA,
    "queuedDL": WaitingCode.QUEUED,
    "stoppedDL": WaitingCode.DOWNLOAD_PAUSED,
    "pausedDL": WaitingCode.DOWNLOAD_PAUSED,
    "checkingDL": WaitingCode.DOWNLOAD_CHECKING,
    "checkingResumeData": WaitingCode.DOWNLOAD_CHECKING,
}
PROBLEM_STATES = {
    "error": ProblemCode.DOWNLOAD_ERROR,
    "missingFiles": ProblemCode.MISSING_FILES,
}


@dataclass(frozen=True, slots=True)
class Torrent:
    """A torrent as the tracker needs it."""

    hash: str
    name: str
    state: str
    progress: float
    download_speed: int
    eta: int | None
    size: int
    amount_left: int
    content_path: str | None


@dataclass(frozen=True, slots=True)
class TorrentFile:
    """One file of a torrent; priority 0 means "do not download"."""

    name: str
    size: int
    progress: float
    priority: int


class QBittorrentClient:
    """One qBittorrent server, by cookie session (username/password) or API key (5.2+).

    The session passed in belongs to this client alone: the server keeps the
    `sync/maindata` state per web session, and two pollers sharing one would break each
    other's sequence. It must be created with `CookieJar(unsafe=True)`, or aiohttp drops
    the session cookie of a server addressed by IP.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
    ) -> None:
        """Create a client; nothing is sent until the first call."""
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._api = JsonApi(session, url, headers)
        self._username = username or ""
        self._password = password or ""
        self._api_key = api_key
        self._rid = 0
        self._torrents: dict[str, dict[str, Any]] = {}
        self.request_count = 0

    @property
    def url(self) -> str:
        """The normalised server URL."""
        return self._api.base_url

    async def async_login(self) -> None:
        """Start a cookie session; a no-op with an API key, which needs none.

        Every failure is final: five failed logins ban the address for an hour, so the
        caller must not retry in a loop.
        """
        if self._api_key:
            return
        status, text = await self._send(
            "POST",
            "/api/v2/auth/login",
            data={"username": self._username, "password": self._password},
            passed=(HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN),
        )
        if status == HTTPStatus.FORBIDDEN:
            raise InvalidAuth(
                "qBittorrent has banned this address after too many failed logins"
            )
        if status == HTTPStatus.UNAUTHORIZED or text.strip() == LOGIN_FAILED:
            raise InvalidAuth("qBittorrent rejected the username or password")
        # A new server session has no sync state: the next maindata starts afresh.
        self._rid = 0

    async def async_get_version(self) -> str:
        """The application version (`v5.2.3`); proves the session or key works."""
        return (await self._get("/api/v2/app/version", dict)).strip()

    async def async_sync(self) -> dict[str, Torrent]:
        """Every torrent by lower-case hash, kept current with incremental updates.

        Partial objects are merged into the cache kept since the last full update; the
        answer is always the complete current view.
        """
        data = _decode(await self._get(MAINDATA, lambda: {"rid": self._rid}), MAINDATA)
        body = ApiFields(data, "maindata")
        rid = body.required_integer("rid")
        removed = body.texts("torrents_removed")
        changed = _torrent_deltas(data.get("torrents"))
        if body.flag("full_update"):
            self._torrents = {}
        for torrent_hash, delta in changed.items():
            self._torrents.setdefault(torrent_hash.lower(), {}).update(delta)
        for torrent_hash in removed:
            self._torrents.pop(torrent_hash.lower(), None)
        self._rid = rid
        try:
            return {
                torrent_hash: _torrent(
                    torrent_hash, ApiFields(raw, f"torrents.{torrent_hash}")
                )
                for torrent_hash, raw in self._torrents.items()
            }
        except InvalidPayload:
            # Ask for a full update next time rather than fail on every poll.
            self._rid = 0
            raise

    async def async_reannounce(self, hashes: Iterable[str]) -> None:
        """Ask the trackers (and, from 5.2, the DHT) for peers again, now.

        Unknown hashes are skipped by qBittorrent.
        """
        form = {"hashes": "|".join(sorted({h.lower() for h in hashes}))}
        await self._with_session("POST", REANNOUNCE, dict, data=form)

    async def async_get_files(self, torrent_hash: str) -> list[TorrentFile]:
        """The files of one torrent (NotFound for an unknown hash)."""
        path = "/api/v2/torrents/files"
        text = await self._get(path, lambda: {"hash": torrent_hash.lower()})
        return [
            TorrentFile(
                name=item.required_text("name"),
                size=item.required_integer("size"),
                progress=float(item.required_real("progress")),
                priority=item.required_integer("priority"),
            )
            for item in ApiFields.array(_decode(text, path))
        ]

    async def _get(self, path: str, params: Callable[[], Params]) -> str:
        """GET a data endpoint (see `_with_session`)."""
        return await self._with_session("GET", path, params)

    async def _with_session(
        self,
        method: str,
        path: str,
        params: Callable[[], Params],
        data: Mapping[str, str] | None = None,
    ) -> str:
        """Send; on 403 (session expired) log in again, once.

        `params` is read per attempt, because logging in resets the sync `rid`.
        """
        status, text = await self._send(
            method, path, params=params(), data=data, passed=(HTTPStatus.FORBIDDEN,)
        )
        if status != HTTPStatus.FORBIDDEN:
            return text
        if self._api_key:
            raise InvalidAuth("qBittorrent rejected the API key")
        _LOGGER.debug("qBittorrent session at %s expired, logging in again", self.url)
        await self.async_login()
        # A second 403 is mapped to InvalidAuth: the cookie did not stick.
        return (await self._send(method, path, params=params(), data=data))[1]

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        data: Mapping[str, str] | None = None,
        passed: tuple[HTTPStatus, ...] = (),
    ) -> tuple[int, str]:
        self.request_count += 1
        return await self._api.request_text(
            method, path, params=params, data=data, passed=passed
        )


def _decode(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise WrongService(f"{path} did not answer JSON") from err


def _torrent_deltas(value: object) -> dict[str, dict[str, Any]]:
    """The changed keys of each torrent by hash: maindata objects carry no `hash`.

    Kept raw, unlike every other answer, because partial objects are merged key by key
    and only the merged torrent is complete enough to parse.
    """
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(delta, dict) for delta in value.values()
    ):
        raise InvalidPayload("maindata.torrents must be an object of objects")
    return value


def _torrent(torrent_hash: str, item: ApiFields) -> Torrent:
    eta = item.integer("eta")
    return Torrent(
        hash=torrent_hash,
        name=item.text("name") or "",
        state=item.required_text("state"),
        progress=float(item.required_real("progress")),
        download_speed=item.required_integer("dlspeed"),
        eta=None if eta is None or eta < 0 or eta >= UNKNOWN_ETA else eta,
        size=item.required_integer("size"),
        amount_left=item.required_integer("amount_left"),
        content_path=item.text("content_path"),
    )


def torrent_status(
    torrent: Torrent, episodes: Mapping[EpisodeKey, float] | None = None
) -> DownloadStatus:
    """What qBittorrent says of one torrent."""
    state = torrent.state
    finished = state in FINISHED_STATES or (
        torrent.amount_left == 0 and torrent.size > 0 and state != "checkingUP"
    )
    if finished:
        stage = Stage.DOWNLOADED
    elif state in ACTIVE_STATES or torrent.progress > 0:
        stage = Stage.DOWNLOADING
    else:
        stage = Stage.GRABBED
    code = None if finished else WAITING_STATES.get(state)
    waiting = None if code is None else Waiting(code)
    if state == "stalledDL":
        # No seeds, or seeds that send nothing: the same wait for a household.
        waiting = Waiting(WaitingCode.DOWNLOAD_STALLED)
    problem = PROBLEM_STATES.get(state)
    return DownloadStatus(
        source=Service.QBITTORRENT,
        download_id=torrent.hash,
        stage=stage,
        progress=1.0 if finished else torrent.progress,
        speed=torrent.download_speed,
        eta=None if finished else torrent.eta,
        problem=None if problem is None else Problem(problem),
        stall=waiting,
        episodes=tuple((episodes or {}).items()),
    )


def episode_progress(files: Iterable[TorrentFile]) -> dict[EpisodeKey, float]:
    """Progress of each episode in a season pack, matched by file name."""
    progress: dict[EpisodeKey, float] = {}
    for file in files:
        if file.priority == 0:
            continue
        for key in episode_keys_in_name(file.name):
            progress[key] = file.progress
    return progress
