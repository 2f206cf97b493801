"""Scenarios as data: timed steps that drive every fake service consistently.

A step names a catalog title or release and what happens to it; `player.py` turns it
into state changes in each service (with matching ids, hashes and paths everywhere) and
the webhooks those services send. Times are simulated seconds from the start of the run;
`webhooks=False` changes the state without the webhook (a lost delivery, or an *arr
connection in its failure back-off).

Radarr and Sonarr start at simulated second 0, so their health webhooks wait until the
start-up grace is over (`SimulatedStack(health_grace=…)`, 15 minutes by default, as
upstream): a check that fails earlier shows in `GET /health` at once, and its `Health`
webhook goes out when the grace ends.
"""

from dataclasses import dataclass

from .arr import DOWNLOAD_CLIENT_ERROR


@dataclass(frozen=True, slots=True)
class Request:
    """A user asks for a title in Jellyseerr (auto-approved, or pending an admin)."""

    media: str
    user: str = "alice"
    seasons: tuple[int, ...] = ()
    auto_approve: bool = True


@dataclass(frozen=True, slots=True)
class Approve:
    """An admin approves the title's pending request; Jellyseerr sends it to the *arr."""

    media: str


@dataclass(frozen=True, slots=True)
class Grab:
    """The *arr grabs a release; qBittorrent downloads it in `seconds`."""

    release: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Offer:
    """The indexers now have `release`, for the *arr's next search after a blocklist.

    qBittorrent then downloads it in `seconds`. What follows the grab by itself
    upstream (the import, Jellyfin's scan, Jellyseerr's sync) is `then`: steps
    timed from the moment the *arr grabs it.
    """

    release: str
    seconds: float
    then: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class DelayedGrab:
    """A delay profile holds the *arr's grab back for `delay_seconds`.

    Until then the queue lists it as a pending release (`delay`, no `downloadId`);
    then the player sends it (`SendPending`) and qBittorrent downloads it in
    `download_seconds`.
    """

    release: str
    delay_seconds: float
    download_seconds: float


@dataclass(frozen=True, slots=True)
class SendPending:
    """The held-back release goes to qBittorrent (`Grab`), if it can be reached.

    If not, it stays pending as `downloadClientUnavailable`; a later `SendPending`
    (upstream: the next RSS sync) tries again. The player adds one at the end of
    each `DelayedGrab`'s delay.
    """

    release: str


@dataclass(frozen=True, slots=True)
class Search:
    """A user starts a search in the *arr (Radarr `MoviesSearch`, Sonarr `SeriesSearch`).

    It reaches the indexers (`lastSearchTime`) and finds nothing to grab.
    """

    media: str


@dataclass(frozen=True, slots=True)
class HealthFail:
    """A health check of `service` ("radarr"/"sonarr") starts failing.

    `level` is `error`, `warning` or `notice`; the message is the English text
    (`DownloadClientCheck` when it cannot reach qBittorrent, by default).
    """

    service: str
    source: str = "DownloadClientCheck"
    level: str = "error"
    message: str = DOWNLOAD_CLIENT_ERROR


@dataclass(frozen=True, slots=True)
class HealthRestore:
    """The failing check of `service` passes again (`HealthRestored`)."""

    service: str
    source: str = "DownloadClientCheck"


@dataclass(frozen=True, slots=True)
class Stall:
    """The torrent loses every seed and stops moving (`stalledDL`)."""

    release: str


@dataclass(frozen=True, slots=True)
class BlockImport:
    """The finished download needs a manual import (queue `importBlocked` + MIR)."""

    release: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class Import:
    """The *arr imports the download (automatically, or a user's manual import)."""

    release: str


@dataclass(frozen=True, slots=True)
class FailDownload:
    """The *arr rejects the finished download's import and fails it (`failedPending`).

    With qBittorrent this is `RejectedImportService`: a dangerous or executable file
    with the indexer's *Fail Downloads* option on (Radarr 5.22+). Radarr then handles
    it in the same pass; the gap until `ProcessFailed` lets a poller see the state, as
    it would with a download client that reports failures itself.
    """

    release: str


@dataclass(frozen=True, slots=True)
class ProcessFailed:
    """The *arr handles the failed download: `downloadFailed`, gone from the queue."""

    release: str


@dataclass(frozen=True, slots=True)
class IgnoreDownload:
    """A user removes the download from the queue, keeping it in the client, unblocked.

    Radarr/Sonarr then ignore it for good: only history (`downloadIgnored`) shows it.
    """

    release: str


@dataclass(frozen=True, slots=True)
class StopTorrent:
    """qBittorrent stops the torrent (seeding goal reached)."""

    release: str


@dataclass(frozen=True, slots=True)
class RemoveDownload:
    """The *arr removes the completed torrent from qBittorrent."""

    release: str


@dataclass(frozen=True, slots=True)
class ShokoDetect:
    """Shoko's file watcher sees the imported files (`FileDetected`)."""

    release: str


@dataclass(frozen=True, slots=True)
class ShokoHash:
    """Shoko hashes them (`FileHashed`, each file gets its `FileID`)."""

    release: str


@dataclass(frozen=True, slots=True)
class ShokoMatch:
    """AniDB matches them (`FileMatched` …) or does not (`FileNotMatched`)."""

    release: str
    matched: bool = True


@dataclass(frozen=True, slots=True)
class LibraryAdd:
    """A Jellyfin scan finds the imported files (the Webhook plugin: `ItemAdded`)."""

    release: str


@dataclass(frozen=True, slots=True)
class Available:
    """Jellyseerr's Jellyfin scan sees the title (for a show: what Jellyfin has).

    Each season is available once all its episodes are on disk; requests complete and
    MEDIA_AVAILABLE goes out by the rules of the Seerr version (see `jellyseerr.py`).
    """

    media: str


@dataclass(frozen=True, slots=True)
class Preload:
    """The release was requested, imported and made available before the run."""

    release: str
    user: str = "bob"


@dataclass(frozen=True, slots=True)
class LoseAvailability:
    """Jellyseerr's availability sync marks the title DELETED (requestable again)."""

    media: str


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    """A user deletes the title's request in Jellyseerr (no webhook exists for it)."""

    media: str


@dataclass(frozen=True, slots=True)
class Blocklist:
    """An admin blocklists the title in Jellyseerr (BLACKLISTED); its request stays."""

    media: str


@dataclass(frozen=True, slots=True)
class DeleteFile:
    """A user deletes a movie file, or one episode file, in the *arr."""

    media: str
    episode: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class DeleteMedia:
    """A user deletes the movie or series (with its files) in the *arr."""

    media: str


type Action = (
    Request
    | Approve
    | Grab
    | Offer
    | DelayedGrab
    | SendPending
    | Search
    | HealthFail
    | HealthRestore
    | Stall
    | BlockImport
    | Import
    | FailDownload
    | ProcessFailed
    | IgnoreDownload
    | StopTorrent
    | RemoveDownload
    | ShokoDetect
    | ShokoHash
    | ShokoMatch
    | LibraryAdd
    | Available
    | Preload
    | LoseAvailability
    | DeleteRequest
    | Blocklist
    | DeleteFile
    | DeleteMedia
)


@dataclass(frozen=True, slots=True)
class Step:
    """One action at a simulated second; `webhooks=False` makes its webhooks go missing."""

    at: float
    action: Action
    webhooks: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named, ordered list of steps."""

    name: str
    description: str
    steps: tuple[Step, ...]


SEVERANCE = tuple(f"severance_s02e{number:02d}" for number in range(1, 5))

SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "regular_movie",
            "Dune: Part Two from request to Jellyfin, then the torrent is removed.",
            (
                Step(0, Request("dune_part_two")),
                Step(10, Grab("dune_part_two_bluray", 120)),
                Step(140, Import("dune_part_two_bluray")),
                Step(165, LibraryAdd("dune_part_two_bluray")),
                Step(200, Available("dune_part_two")),
                Step(260, RemoveDownload("dune_part_two_bluray")),
            ),
        ),
        Scenario(
            "regular_tv_season_pack",
            "Breaking Bad season 1 as one 7-file season pack.",
            (
                Step(0, Request("breaking_bad", user="bob", seasons=(1,))),
                Step(15, Grab("breaking_bad_s01", 180)),
                Step(200, Import("breaking_bad_s01")),
                Step(230, LibraryAdd("breaking_bad_s01")),
                Step(300, Available("breaking_bad")),
            ),
        ),
        Scenario(
            "anime_movie",
            "Violet Evergarden: The Movie, approved by an admin, matched by Shoko.",
            (
                Step(0, Request("violet_evergarden_movie", auto_approve=False)),
                Step(20, Approve("violet_evergarden_movie")),
                Step(30, Grab("violet_evergarden_movie_bd", 150)),
                Step(190, Import("violet_evergarden_movie_bd")),
                Step(200, ShokoDetect("violet_evergarden_movie_bd")),
                Step(210, ShokoHash("violet_evergarden_movie_bd")),
                Step(230, ShokoMatch("violet_evergarden_movie_bd")),
                Step(280, LibraryAdd("violet_evergarden_movie_bd")),
                Step(330, Available("violet_evergarden_movie")),
                Step(360, StopTorrent("violet_evergarden_movie_bd")),
            ),
        ),
        Scenario(
            "anime_tv",
            "Lycoris Recoil season 1: a 13-episode pack through Sonarr and Shoko.",
            (
                Step(0, Request("lycoris_recoil", seasons=(1,))),
                Step(10, Grab("lycoris_recoil_s01", 240)),
                Step(260, Import("lycoris_recoil_s01")),
                Step(270, ShokoDetect("lycoris_recoil_s01")),
                Step(285, ShokoHash("lycoris_recoil_s01")),
                Step(300, ShokoMatch("lycoris_recoil_s01")),
                Step(350, LibraryAdd("lycoris_recoil_s01")),
                Step(420, Available("lycoris_recoil")),
            ),
        ),
        Scenario(
            "airing_show",
            "Severance season 2 while airing: three episodes, the fourth airs at 300 s.",
            (
                Step(0, Request("severance", seasons=(2,))),
                *(
                    Step(10 + 2 * n, Grab(key, 60 + 10 * n))
                    for n, key in enumerate(SEVERANCE[:3])
                ),
                *(
                    Step(100 + 2 * n, Import(key))
                    for n, key in enumerate(SEVERANCE[:3])
                ),
                *(
                    Step(130 + n, LibraryAdd(key))
                    for n, key in enumerate(SEVERANCE[:3])
                ),
                Step(310, Grab(SEVERANCE[3], 60)),
                Step(380, Import(SEVERANCE[3])),
                Step(400, LibraryAdd(SEVERANCE[3])),
            ),
        ),
        Scenario(
            "stalled_torrent",
            "Oppenheimer stops downloading: no seeds left (stalledDL). The indexers "
            "have another release: once the dead one is blocklisted (remediation, "
            "or a person), Radarr grabs it and it becomes available.",
            (
                Step(0, Request("oppenheimer", user="bob")),
                Step(10, Grab("oppenheimer_bluray", 300)),
                Step(
                    20,
                    Offer(
                        "oppenheimer_web",
                        100,
                        then=(
                            Step(100, Import("oppenheimer_web")),
                            Step(120, LibraryAdd("oppenheimer_web")),
                            Step(150, Available("oppenheimer")),
                        ),
                    ),
                ),
                Step(90, Stall("oppenheimer_bluray")),
            ),
        ),
        Scenario(
            "import_blocked",
            "Interstellar needs a manual import (MIR), which a user does later.",
            (
                Step(0, Request("interstellar")),
                Step(10, Grab("interstellar_bluray", 100)),
                Step(130, BlockImport("interstellar_bluray")),
                Step(400, Import("interstellar_bluray")),
                Step(420, LibraryAdd("interstellar_bluray")),
                Step(480, Available("interstellar")),
            ),
        ),
        Scenario(
            "missed_webhook",
            "Arrival: Radarr's Grab and Download webhooks never arrive; the APIs move on.",
            (
                Step(0, Request("arrival")),
                Step(10, Grab("arrival_bluray", 100), webhooks=False),
                Step(130, Import("arrival_bluray"), webhooks=False),
                Step(150, LibraryAdd("arrival_bluray")),
                Step(200, Available("arrival")),
            ),
        ),
        Scenario(
            "shoko_not_matched",
            "Perfect Blue is imported but AniDB does not know the file.",
            (
                Step(0, Request("perfect_blue")),
                Step(10, Grab("perfect_blue_bd", 90)),
                Step(110, Import("perfect_blue_bd")),
                Step(120, ShokoDetect("perfect_blue_bd")),
                Step(130, ShokoHash("perfect_blue_bd")),
                Step(150, ShokoMatch("perfect_blue_bd", matched=False)),
            ),
        ),
        Scenario(
            "rerequest_available",
            "Blade Runner 2049 is requested again while Radarr already has the file.",
            (
                Step(0, Preload("blade_runner_2049_bluray")),
                Step(30, LoseAvailability("blade_runner_2049")),
                Step(40, Request("blade_runner_2049")),
                Step(100, Available("blade_runner_2049")),
            ),
        ),
        Scenario(
            "partial_seasons",
            "Luther seasons 2 and 3 of five: each season pack lands, season by season.",
            (
                Step(0, Request("luther", seasons=(2, 3))),
                Step(10, Grab("luther_s02", 100)),
                Step(20, Grab("luther_s03", 220)),
                Step(120, Import("luther_s02")),
                Step(140, LibraryAdd("luther_s02")),
                Step(180, Available("luther")),
                Step(250, Import("luther_s03")),
                Step(270, LibraryAdd("luther_s03")),
                Step(310, Available("luther")),
            ),
        ),
        Scenario(
            "failed_download",
            "The Matrix: Radarr rejects the finished download and fails it.",
            (
                Step(0, Request("the_matrix")),
                Step(10, Grab("the_matrix_bluray", 80)),
                Step(100, FailDownload("the_matrix_bluray")),
                Step(130, ProcessFailed("the_matrix_bluray")),
            ),
        ),
        Scenario(
            "ignored_download",
            "Mad Max: Fury Road: a user removes the download from Radarr's queue.",
            (
                Step(0, Request("mad_max_fury_road", user="bob")),
                Step(10, Grab("mad_max_fury_road_bluray", 400)),
                Step(90, IgnoreDownload("mad_max_fury_road_bluray")),
            ),
        ),
        Scenario(
            "seerr_housekeeping",
            "Whiplash's pending request is deleted; Alien is blocklisted, its request kept.",
            (
                Step(0, Request("whiplash", auto_approve=False)),
                Step(5, Request("alien", user="bob")),
                Step(60, DeleteRequest("whiplash")),
                Step(70, Blocklist("alien")),
            ),
        ),
        Scenario(
            "removed",
            "Inception and Chernobyl become available, then are deleted in the *arr.",
            (
                Step(0, Request("inception")),
                Step(5, Request("chernobyl", user="alice", seasons=(1,))),
                Step(10, Grab("inception_bluray", 60)),
                Step(15, Grab("chernobyl_s01", 80)),
                Step(80, Import("inception_bluray")),
                Step(95, LibraryAdd("inception_bluray")),
                Step(100, Import("chernobyl_s01")),
                Step(115, LibraryAdd("chernobyl_s01")),
                Step(130, Available("inception")),
                Step(150, Available("chernobyl")),
                Step(240, DeleteFile("inception")),
                Step(250, DeleteMedia("inception")),
                Step(270, DeleteFile("chernobyl", (1, 5))),
                Step(280, DeleteMedia("chernobyl")),
            ),
        ),
        Scenario(
            "unreleased_movie",
            "Dune: Part Three is in cinemas, out digitally in 20 days: Radarr waits.",
            (
                # Not available yet: Radarr adds it but its search on add skips it.
                Step(0, Request("dune_part_three")),
                # A user searches anyway: the indexers have nothing to grab.
                Step(60, Search("dune_part_three")),
            ),
        ),
        Scenario(
            "delay_profile",
            "The Bear season 1 waits four minutes in a delay profile, then downloads.",
            (
                Step(0, Request("the_bear", user="bob", seasons=(1,))),
                Step(10, DelayedGrab("the_bear_s01", 240, 120)),  # sent at 250 s
                Step(380, Import("the_bear_s01")),
                Step(400, LibraryAdd("the_bear_s01")),
                Step(430, Available("the_bear")),
            ),
        ),
        Scenario(
            "health_outage",
            "Radarr cannot reach qBittorrent while Everything Everywhere All at Once "
            "downloads; Health goes out when the start-up grace ends (900 s).",
            (
                Step(780, Request("everything_everywhere")),
                Step(790, Grab("everything_everywhere_bluray", 300)),
                Step(840, HealthFail("radarr")),  # in the grace: /health only
                Step(1020, HealthRestore("radarr")),
                Step(1100, Import("everything_everywhere_bluray")),
                Step(1120, LibraryAdd("everything_everywhere_bluray")),
                Step(1160, Available("everything_everywhere")),
            ),
        ),
    )
}
