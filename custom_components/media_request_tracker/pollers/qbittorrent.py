"""qBittorrent: progress of the tracked torrents, one incremental sync per cycle."""

from datetime import timedelta

from homeassistant.core import HomeAssistant

from ..data import MediaRequestTrackerConfigEntry
from ..engine.models import EpisodeKey, Service, State
from ..sources.qbittorrent import QBittorrentClient, episode_progress, torrent_status
from ..tracking import RequestTracking
from .base import ServicePoller

# Fast while something downloads, slow when there is nothing to follow.
ACTIVE = timedelta(seconds=5)
IDLE = timedelta(seconds=60)


class QBittorrentPoller(ServicePoller):
    """The torrents of tracked downloads, and the files of season packs."""

    service = Service.QBITTORRENT
    # A grab gives it a download to follow.
    watches = frozenset({State.GRABBING, State.DOWNLOADING})

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        tracking: RequestTracking,
        client: QBittorrentClient,
    ) -> None:
        """Poll through the client's own session (one session per poller)."""
        super().__init__(hass, entry, tracking, IDLE)
        self.client = client
        # Each pack's progress when its files were last fetched, and their progress.
        self._files: dict[str, tuple[float, dict[EpisodeKey, float]]] = {}

    async def _async_poll(self) -> timedelta:
        torrents = await self.client.async_sync()
        followed = self.tracking.tracker.active_downloads()
        for folded, download in followed.items():
            torrent = torrents.get(folded)
            if torrent is None:
                continue
            episodes = None
            if len(download.episodes) > 1:
                episodes = await self._async_pack_progress(folded, torrent.progress)
            self._apply(torrent_status(torrent, episodes))
        self._files = {h: f for h, f in self._files.items() if h in followed}
        return ACTIVE if followed else IDLE

    async def _async_pack_progress(
        self, torrent_hash: str, progress: float
    ) -> dict[EpisodeKey, float]:
        """Episode progress of a season pack; files are fetched only when it moved."""
        known = self._files.get(torrent_hash)
        if known is not None and known[0] == progress:
            return known[1]
        episodes = episode_progress(await self.client.async_get_files(torrent_hash))
        self._files[torrent_hash] = (progress, episodes)
        return episodes
