"""Fake qBittorrent WebUI API v2 (reference `qbittorrent-jellyfin-shoko.md` §1).

Torrents progress on the simulated clock: a short metadata phase (`metaDL`, sizes 0),
then a steady download, then seeding. The login, cookie and state names follow the
selected version (4.6 `pausedUP`, 5.0+ `stoppedUP`, 5.2 204/401 logins and API keys), and
`sync/maindata` implements the per-session `rid` protocol with partial updates. An
outage either refuses connections (the process is down; its sessions are lost) or
answers 503 (a proxy in front); torrents keep their course meanwhile.
"""

from collections.abc import Mapping
from dataclasses import dataclass
import math
import secrets
from typing import Any

from aiohttp import web

from .catalog import Release, release_files
from .clock import SimClock, unix
from .server import FakeService, Service

MAX_ETA = 8640000  # qBittorrent's "infinite" ETA
METADATA_SECONDS = 3.0
PIECE_SIZE = 4 * 1024 * 1024
SAVE_PATH = "/data/downloads/complete"
TRACKER = "udp://tracker.opentrackr.org:1337/announce"
SWARM_SEEDS = 23
MAX_FAILED_LOGINS = 5  # `MaxAuthenticationFailCount`
RID_LIMIT = 1000000
BANNED = (
    "Your IP address has been banned after too many failed authentication attempts."
)
API_KEY_SESSION = "api-key"
# `torrents/info?filter=` (`TorrentFilter`): the states each filter selects, among the
# states this fake produces. 5.0 renamed `paused`/`resumed` to `stopped`/`running`; an
# unknown name means "all".
STOPPED = {"stoppedDL", "stoppedUP", "pausedDL", "pausedUP"}
FILTERS: dict[str, set[str]] = {
    "downloading": {"downloading", "metaDL", "stalledDL", "stoppedDL", "pausedDL"},
    "seeding": {"stalledUP"},
    "completed": {"stalledUP", "stoppedUP", "pausedUP"},
    "stopped": STOPPED,
    "running": {"downloading", "metaDL", "stalledDL", "stalledUP"},
    "active": {"downloading"},
    "inactive": {"metaDL", "stalledDL", "stalledUP", *STOPPED},
    "stalled": {"stalledDL", "stalledUP"},
    "stalled_uploading": {"stalledUP"},
    "stalled_downloading": {"stalledDL"},
    "errored": {"error", "missingFiles"},
}
RENAMED_FILTERS = {"paused": "stopped", "resumed": "running"}  # 4.x name -> 5.x name
SERVER_STATE_CONSTANTS: dict[str, Any] = {
    "alltime_dl": 912345678901,
    "alltime_ul": 123456789012,
    "average_time_queue": 0,
    "connection_status": "connected",
    "dht_nodes": 312,
    "dl_rate_limit": 0,
    "free_space_on_disk": 1099511627776,
    "global_ratio": "0.13",
    "last_external_address_v4": "203.0.113.7",
    "last_external_address_v6": "",
    "queued_io_jobs": 0,
    "queueing": True,
    "read_cache_hits": "0",
    "read_cache_overload": "0",
    "refresh_interval": 1500,
    "total_buffers_size": 0,
    "total_peer_connections": 27,
    "total_queued_size": 0,
    "total_wasted_session": 0,
    "up_info_data": 0,
    "up_info_speed": 0,
    "up_rate_limit": 0,
    "use_alt_speed_limits": False,
    "write_cache_overload": "0",
}


@dataclass(frozen=True, slots=True)
class QbitVersion:
    """What differs between the qBittorrent versions in use."""

    app: str
    webapi: str
    stopped_names: bool  # 5.0+: stoppedDL/stoppedUP instead of pausedDL/pausedUP
    login_204: bool  # 5.2+: login answers 204/401, cookie QBT_SID_<port>, API keys


QBITTORRENT_VERSIONS = {
    "4.6": QbitVersion("v4.6.7", "2.9.3", stopped_names=False, login_204=False),
    "5.0": QbitVersion("v5.0.0", "2.11.2", stopped_names=True, login_204=False),
    "5.1": QbitVersion("v5.1.4", "2.11.4", stopped_names=True, login_204=False),
    "5.2": QbitVersion("v5.2.3", "2.15.1", stopped_names=True, login_204=True),
}


@dataclass(frozen=True, slots=True)
class TorrentStatus:
    """A torrent's progress at one moment, as the client (and the *arr) sees it."""

    state: str
    has_metadata: bool
    size: int
    downloaded: int
    dlspeed: int
    eta: int
    num_seeds: int
    completed_at: float | None

    @property
    def amount_left(self) -> int:
        """Bytes still to download (0 before the metadata is known)."""
        return self.size - self.downloaded

    @property
    def progress(self) -> float:
        """0.0‥1.0, as qBittorrent reports it."""
        return round(self.downloaded / self.size, 6) if self.size else 0.0

    @property
    def finished(self) -> bool:
        """Whether every wanted byte is there (what *arr calls "completed")."""
        return self.has_metadata and self.amount_left == 0


@dataclass(slots=True)
class Torrent:
    """A torrent and the simulated course of its download."""

    hash: str
    release: Release
    category: str
    added_at: float
    download_seconds: float
    stalled_at: float | None = None
    stopped_at: float | None = None

    @property
    def content_path(self) -> str:
        """The root folder (or, for a one-file torrent, the file) in the save path."""
        return f"{SAVE_PATH}/{self.release.name}"

    def status(self, now: float, version: QbitVersion) -> TorrentStatus:
        """Where the download stands at simulated time `now`."""
        size = self.release.size
        metadata = min(METADATA_SECONDS, self.download_seconds / 10)
        rate = size / (self.download_seconds - metadata)
        active_until = now if self.stalled_at is None else min(now, self.stalled_at)
        downloaded = min(
            size, max(0, int((active_until - self.added_at - metadata) * rate))
        )
        stalled = self.stalled_at is not None and now >= self.stalled_at
        if now - self.added_at < metadata and not stalled:
            return TorrentStatus("metaDL", False, 0, 0, 0, MAX_ETA, SWARM_SEEDS, None)
        if downloaded >= size:
            completed_at = self.added_at + self.download_seconds
            stopped = self.stopped_at is not None and now >= self.stopped_at
            state = (
                ("stoppedUP" if version.stopped_names else "pausedUP")
                if stopped
                else "stalledUP"
            )
            return TorrentStatus(
                state, True, size, size, 0, MAX_ETA, SWARM_SEEDS, completed_at
            )
        if stalled:
            return TorrentStatus(
                "stalledDL", True, size, downloaded, 0, MAX_ETA, 0, None
            )
        eta = math.ceil((size - downloaded) / rate)
        return TorrentStatus(
            "downloading", True, size, downloaded, int(rate), eta, SWARM_SEEDS, None
        )


@dataclass(slots=True)
class SyncSession:
    """One web session's `sync/maindata` bookkeeping (`SyncController`)."""

    last_sent_rid: int = 0
    last_sent: dict[str, Any] | None = None
    accepted_rid: int = 0
    accepted: dict[str, Any] | None = None


class QBittorrentServer(FakeService):
    """qBittorrent's WebUI API: login, app info, sync/maindata, torrents."""

    def __init__(
        self,
        clock: SimClock,
        *,
        username: str,
        password: str,
        version: str = "5.0",
        api_key: str | None = None,
    ) -> None:
        """Create the fake; `version` is a key of QBITTORRENT_VERSIONS."""
        super().__init__(
            Service.QBITTORRENT, [self._outage_middleware, self._auth_middleware]
        )
        self.clock = clock
        self.version = QBITTORRENT_VERSIONS[version]
        self.username = username
        self.password = password
        self.api_key = api_key if self.version.login_204 else None
        self.torrents: dict[str, Torrent] = {}
        # The hashes reannounce was asked for, in order.
        self.reannounced: list[str] = []
        self.sessions: dict[str, SyncSession] = {}
        self._failed_logins = 0
        self._rid = 0
        self._unavailable = False
        self.unavailable_answers = 0
        router = self.app.router
        router.add_post("/api/v2/auth/login", self._login)
        router.add_get("/api/v2/app/version", self._app_version)
        router.add_get("/api/v2/app/webapiVersion", self._webapi_version)
        router.add_get("/api/v2/sync/maindata", self._maindata)
        router.add_get("/api/v2/torrents/info", self._torrents_info)
        router.add_get("/api/v2/torrents/files", self._torrent_files)
        router.add_post("/api/v2/torrents/reannounce", self._reannounce)

    # --- what the scenario player does to torrents ---------------------------------

    def add_torrent(
        self, info_hash: str, release: Release, category: str, download_seconds: float
    ) -> Torrent:
        """Add a torrent (what Radarr/Sonarr do on a grab); it starts at once."""
        torrent = Torrent(
            info_hash.lower(), release, category, self.clock.now(), download_seconds
        )
        self.torrents[torrent.hash] = torrent
        return torrent

    def stall_torrent(self, info_hash: str) -> None:
        """Lose every seed: the download freezes where it is (`stalledDL`)."""
        self.torrents[info_hash.lower()].stalled_at = self.clock.now()

    def stop_torrent(self, info_hash: str) -> None:
        """Stop a torrent (seeding goal reached)."""
        self.torrents[info_hash.lower()].stopped_at = self.clock.now()

    def remove_torrent(self, info_hash: str) -> None:
        """Delete a torrent (the *arr removing a completed download)."""
        del self.torrents[info_hash.lower()]

    def status(self, info_hash: str) -> TorrentStatus | None:
        """A torrent's status now (None when it is not in the client)."""
        torrent = self.torrents.get(info_hash.lower())
        return (
            None if torrent is None else torrent.status(self.clock.now(), self.version)
        )

    # --- outages -------------------------------------------------------------------

    async def go_down(self) -> None:
        """The process stops: connections are refused, and its sessions are gone."""
        await self.go_offline()
        self.forget_sessions()

    @property
    def reachable(self) -> bool:
        """Whether Radarr/Sonarr could reach it now (up, and not answering 503)."""
        return self.online and not self._unavailable

    def answer_unavailable(self, unavailable: bool = True) -> None:
        """A reverse proxy in front answers every call 503 while qBittorrent is away."""
        self._unavailable = unavailable

    @web.middleware
    async def _outage_middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        if self._unavailable:
            self.unavailable_answers += 1
            return web.Response(status=503, text="Service Unavailable")
        response: web.StreamResponse = await handler(request)
        return response

    # --- authentication ------------------------------------------------------------

    @property
    def cookie_name(self) -> str:
        """`SID`, or `QBT_SID_<port>` from 5.2 on."""
        port = self.url.rsplit(":", 1)[1]
        return f"QBT_SID_{port}" if self.version.login_204 else "SID"

    def _session_id(self, request: web.Request) -> str | None:
        if (
            self.api_key
            and request.headers.get("Authorization") == f"Bearer {self.api_key}"
        ):
            return API_KEY_SESSION
        sid = request.cookies.get(self.cookie_name)
        return sid if sid in self.sessions else None

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        """Every endpoint but `auth/login` needs a session: 403 without one."""
        sid = self._session_id(request)
        if request.path != "/api/v2/auth/login" and sid is None:
            return web.Response(status=403, text="Forbidden")
        request["session"] = sid
        response: web.StreamResponse = await handler(request)
        return response

    async def _login(self, request: web.Request) -> web.Response:
        if request["session"] == API_KEY_SESSION:
            return web.Response(status=403, text="Forbidden")
        if self._failed_logins >= MAX_FAILED_LOGINS:
            return web.Response(status=403, text=BANNED)
        if request["session"] is not None:
            return self._login_ok(None)
        form = await request.post()
        if (
            form.get("username") != self.username
            or form.get("password") != self.password
        ):
            self._failed_logins += 1
            if self.version.login_204:
                return web.Response(status=401, text="Unauthorized")
            return web.Response(text="Fails.")
        self._failed_logins = 0
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = SyncSession()
        return self._login_ok(sid)

    def _login_ok(self, sid: str | None) -> web.Response:
        response = (
            web.Response(status=204)
            if self.version.login_204
            else web.Response(text="Ok.")
        )
        if sid is not None:
            response.set_cookie(self.cookie_name, sid, httponly=True, path="/")
        return response

    def forget_sessions(self) -> None:
        """Expire every session (what a qBittorrent restart does): clients get 403."""
        self.sessions.clear()

    # --- data ----------------------------------------------------------------------

    async def _app_version(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.version.app)

    async def _webapi_version(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.version.webapi)

    def _serialize(self, torrent: Torrent) -> dict[str, Any]:
        """`serialize_torrent.cpp`: the keys of `torrents/info` (5.x set)."""
        now = self.clock.now()
        status = torrent.status(now, self.version)
        added = unix(self.clock.datetime_at(torrent.added_at))
        if status.completed_at is not None:
            completion_on = unix(self.clock.datetime_at(status.completed_at))
        else:
            completion_on = -1 if self.version.stopped_names else 0
        pieces = math.ceil(status.size / PIECE_SIZE)
        return {
            "hash": torrent.hash,
            "infohash_v1": torrent.hash,
            "infohash_v2": "",
            "name": torrent.release.name,
            "has_metadata": status.has_metadata,
            "created_by": "",
            "creation_date": added - 86400,
            "private": False,
            "total_size": status.size,
            "pieces_num": pieces,
            "piece_size": PIECE_SIZE if status.has_metadata else 0,
            "magnet_uri": f"magnet:?xt=urn:btih:{torrent.hash}",
            "size": status.size,
            "progress": status.progress,
            "total_wasted": 0,
            "pieces_have": math.floor(status.downloaded / PIECE_SIZE),
            "dlspeed": status.dlspeed,
            "upspeed": 0,
            "priority": 0 if status.finished else 1,
            "num_seeds": status.num_seeds,
            "num_complete": status.num_seeds * 6,
            "num_leechs": 0 if status.state == "stalledDL" else 4,
            "num_incomplete": 11,
            "state": status.state,
            "eta": status.eta,
            "seq_dl": False,
            "f_l_piece_prio": False,
            "category": torrent.category,
            "tags": "",
            "super_seeding": False,
            "force_start": False,
            "save_path": SAVE_PATH,
            "download_path": "",
            "content_path": torrent.content_path,
            "root_path": "" if torrent.release.single_file else torrent.content_path,
            "added_on": added,
            "completion_on": completion_on,
            "tracker": TRACKER,
            "trackers_count": 1,
            "dl_limit": 0,
            "up_limit": 0,
            "downloaded": status.downloaded,
            "uploaded": 0,
            "downloaded_session": status.downloaded,
            "uploaded_session": 0,
            "amount_left": status.amount_left,
            "completed": status.downloaded,
            "connections_count": 0 if status.state == "stalledDL" else 27,
            "connections_limit": 100,
            "max_ratio": -1,
            "max_seeding_time": -1,
            "max_inactive_seeding_time": -1,
            "ratio": 0,
            "ratio_limit": -2,
            "popularity": 0,
            "seeding_time_limit": -2,
            "inactive_seeding_time_limit": -2,
            "share_limit_action": "Default",
            "seen_complete": added,
            "auto_tmm": True,
            "time_active": int(now - torrent.added_at),
            "seeding_time": 0
            if status.completed_at is None
            else int(now - status.completed_at),
            "last_activity": unix(self.clock.wall_now()),
            "availability": -1 if status.finished else float(status.num_seeds),
            "reannounce": 1612,
            "comment": "",
        }

    def _filter_states(self, name: str) -> set[str] | None:
        """The states a filter selects (None: all); a version knows only its names."""
        old_names = not self.version.stopped_names
        if name in RENAMED_FILTERS:
            return FILTERS[RENAMED_FILTERS[name]] if old_names else None
        if old_names and name in RENAMED_FILTERS.values():
            return None
        return FILTERS.get(name)

    async def _torrents_info(self, request: web.Request) -> web.Response:
        query = request.query
        torrents = [self._serialize(torrent) for torrent in self.torrents.values()]
        states = self._filter_states(query.get("filter", "all"))
        if states is not None:
            torrents = [item for item in torrents if item["state"] in states]
        if "category" in query:
            torrents = [
                item for item in torrents if item["category"] == query["category"]
            ]
        if hashes := {h.lower() for h in query.get("hashes", "").split("|") if h}:
            torrents = [item for item in torrents if item["hash"] in hashes]
        if sort := query.get("sort"):
            if torrents and sort not in torrents[0]:
                return web.Response(status=400, text="'sort' parameter is invalid")
            torrents.sort(
                key=lambda item: item[sort], reverse=query.get("reverse") == "true"
            )
        offset = int(query.get("offset", 0))
        if limit := int(query.get("limit", 0)):
            torrents = torrents[offset : offset + limit]
        else:
            torrents = torrents[offset:]
        return web.json_response(torrents)

    async def _reannounce(self, request: web.Request) -> web.Response:
        """`hashes` pipe-separated (or `all`); unknown ones are skipped.

        A torrent without seeds stays without them: there is no one to announce to.
        """
        form = await request.post()
        hashes = str(form.get("hashes", ""))
        wanted = self.torrents.keys() if hashes == "all" else hashes.lower().split("|")
        self.reannounced += [h for h in wanted if h in self.torrents]
        return web.Response(text="")

    async def _torrent_files(self, request: web.Request) -> web.Response:
        """`filesAction`: 400 without `hash`, 404 for an unknown one."""
        if "hash" not in request.query:
            return web.Response(status=400, text="Missing required parameters")
        torrent = self.torrents.get(request.query["hash"].lower())
        if torrent is None:
            return web.Response(status=404, text="Not Found")
        status = torrent.status(self.clock.now(), self.version)
        if not status.has_metadata:
            return web.json_response([])
        files: list[dict[str, Any]] = []
        offset = 0
        for index, file in enumerate(release_files(torrent.release)):
            first_piece = offset // PIECE_SIZE
            offset += file.size
            entry: dict[str, Any] = {
                "index": index,
                "progress": status.progress,
                "priority": 1,
                "size": file.size,
                "availability": -1 if status.finished else 1,
                "name": file.name,
                "piece_range": [first_piece, (offset - 1) // PIECE_SIZE],
            }
            if index == 0:
                entry["is_seed"] = status.finished
            files.append(entry)
        return web.json_response(files)

    # --- sync/maindata -------------------------------------------------------------

    def _maindata_snapshot(self) -> dict[str, Any]:
        torrents: dict[str, dict[str, Any]] = {}
        for torrent in self.torrents.values():
            item = self._serialize(torrent)
            del item["hash"]
            item["has_tracker_warning"] = False
            item["has_tracker_error"] = False
            item["has_other_announce_error"] = False
            torrents[torrent.hash] = item
        categories = {
            torrent.category: {
                "name": torrent.category,
                "savePath": SAVE_PATH,
                "download_path": None,
                "ratio_limit": -2,
                "seeding_time_limit": -2,
                "inactive_seeding_time_limit": -2,
                "share_limit_action": "Default",
            }
            for torrent in self.torrents.values()
        }
        server_state = dict(SERVER_STATE_CONSTANTS)
        server_state["dl_info_speed"] = sum(t["dlspeed"] for t in torrents.values())
        server_state["dl_info_data"] = sum(t["downloaded"] for t in torrents.values())
        return {
            "torrents": torrents,
            "categories": categories,
            "tags": [],
            "trackers": {TRACKER: sorted(torrents)} if torrents else {},
            "server_state": server_state,
        }

    def _next_rid(self) -> int:
        self._rid = self._rid % RID_LIMIT + 1
        return self._rid

    async def _maindata(self, request: web.Request) -> web.Response:
        """`SyncController::maindataAction`: full update, or only what changed."""
        sync = self.sessions.setdefault(request["session"], SyncSession())
        try:
            rid = int(request.query.get("rid", "0"))
        except ValueError:
            rid = 0
        if rid and rid == sync.last_sent_rid:
            sync.accepted_rid, sync.accepted = rid, sync.last_sent
        current = self._maindata_snapshot()
        if rid and rid == sync.accepted_rid and sync.accepted is not None:
            body = _maindata_diff(sync.accepted, current)
        else:
            body = {"full_update": True, **current}
        body["rid"] = sync.last_sent_rid = self._next_rid()
        sync.last_sent = current
        return web.json_response(body)


def _maindata_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The partial update from `old` to `new` (only non-empty keys appear)."""
    diff: dict[str, Any] = {}
    for key in ("torrents", "categories", "trackers"):
        changed: dict[str, Any] = {}
        for name, value in new[key].items():
            before = old[key].get(name)
            if before is None:
                changed[name] = value
            elif key == "torrents":
                delta = {k: v for k, v in value.items() if before.get(k) != v}
                if delta:
                    changed[name] = delta
            elif before != value:
                changed[name] = value
        if changed:
            diff[key] = changed
        if removed := [name for name in old[key] if name not in new[key]]:
            diff[f"{key}_removed"] = removed
    if added_tags := [tag for tag in new["tags"] if tag not in old["tags"]]:
        diff["tags"] = added_tags
    if removed_tags := [tag for tag in old["tags"] if tag not in new["tags"]]:
        diff["tags_removed"] = removed_tags
    state = {
        k: v for k, v in new["server_state"].items() if old["server_state"].get(k) != v
    }
    if state:
        diff["server_state"] = state
    return diff
