"""Why a request waits, and when it should be watchable (issue: why and when)."""

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)
from custom_components.media_request_tracker.engine.evidence import (
    ArrListing,
    ArrMissing,
    DownloadFailedEvidence,
    DownloadStatus,
    Evidence,
    GrabEvidence,
    HealthEvidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    PendingRelease,
    PendingReleases,
    Release,
)
from custom_components.media_request_tracker.engine.models import (
    HealthCheck,
    HealthImpact,
    MediaType,
    Service,
    Stage,
    State,
)
from custom_components.media_request_tracker.engine.timings import Delay, Timings
from custom_components.media_request_tracker.engine.tracker import Tracker
from custom_components.media_request_tracker.engine.views import (
    episode_attributes,
    request_attributes,
)
from custom_components.media_request_tracker.engine.waiting import request_waiting

from .codenames import CODE_NAMES
from .flows import (
    ANIME_MOVIE,
    MOVIE,
    SERIES,
    blocked_then_imported_flow,
    episodes,
    request,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
CLIENT_DOWN = HealthCheck(
    "DownloadClientCheck",
    HealthImpact.DOWNLOAD,
    "Unable to communicate with qBittorrent",
)
INDEXERS_DOWN = HealthCheck(
    "IndexerStatusCheck", HealthImpact.SEARCH, "Indexers unavailable: 1337x"
)


def attributes(tracker: Tracker, now: datetime = NOW) -> dict[str, object]:
    """The only request's attributes, with codes as texts."""
    (only,) = tracker.requests.values()
    return request_attributes(only, CODE_NAMES, tracker.outlook(now))


def approved(*evidence: Evidence) -> Tracker:
    """A tracker with Dune approved, then the evidence applied."""
    tracker = Tracker()
    tracker.apply(request("80"), NOW)
    for piece in evidence:
        tracker.apply(piece, NOW)
    return tracker


def downloading(eta: int | None = 600, stall: Waiting | None = None) -> Tracker:
    """Dune grabbed, downloading with this time left."""
    return approved(
        GrabEvidence(MOVIE, "ABC1", Release(title="Dune")),
        DownloadStatus(
            Service.QBITTORRENT,
            "abc1",
            Stage.DOWNLOADING,
            progress=0.5,
            speed=1000,
            eta=eta,
            stall=stall,
        ),
    )


def waiting(tracker: Tracker) -> tuple[object, object]:
    found = attributes(tracker)
    return found["waiting_for"], found["waiting_detail"]


@pytest.mark.parametrize(
    ("evidence", "code"),
    [
        ((), "searching"),
        ((ArrMissing(MOVIE),), "not_added"),
        (
            (ArrListing(MOVIE, released=False, release=NOW + timedelta(days=20)),),
            "not_released",
        ),
        ((ArrListing(MOVIE, last_search=NOW - timedelta(hours=2)),), "searching"),
        (
            (
                ArrListing(MOVIE),
                PendingReleases(
                    Service.RADARR,
                    (
                        PendingRelease(
                            MOVIE,
                            Waiting(
                                WaitingCode.DELAY_PROFILE,
                                params(until=(NOW + timedelta(hours=1)).isoformat()),
                            ),
                        ),
                    ),
                ),
            ),
            "delay_profile",
        ),
    ],
    ids=["nothing known", "not in Radarr", "not released", "searched", "delay profile"],
)
def test_before_the_grab(evidence: tuple[Evidence, ...], code: str) -> None:
    """Approved: what Radarr's library and queue say comes before `searching`."""
    assert waiting(approved(*evidence))[0] == code


def test_a_blocked_import_waits_for_a_person() -> None:
    """Failed with an import to do by hand: that is what it waits for, in their words."""
    tracker = approved(*blocked_then_imported_flow()[1:3])
    dune = tracker.requests["80"]
    assert dune.state == "failed"
    assert request_waiting(dune) == Waiting(
        WaitingCode.IMPORT_BLOCKED, params(message="Movie title mismatch")
    )
    failed = approved(
        GrabEvidence(MOVIE, "ABC1", Release(title="Dune")),
        DownloadFailedEvidence(MOVIE, "ABC1", Problem(ProblemCode.DOWNLOAD_FAILED)),
    )
    assert waiting(failed) == (None, None)


def test_a_release_sent_on_is_no_longer_held() -> None:
    """The next queue poll without the pending release clears it."""
    held = PendingRelease(MOVIE, Waiting(WaitingCode.DELAY_PROFILE))
    tracker = approved(PendingReleases(Service.RADARR, (held,)))
    assert waiting(tracker)[0] == "delay_profile"
    outcome = tracker.apply(PendingReleases(Service.RADARR, ()), NOW)
    assert set(outcome.touched) == {"80"}
    assert waiting(tracker)[0] == "searching"


def test_health_holds_up_the_stage_it_concerns() -> None:
    """A download client down holds up downloads, not searches; restored, it is gone.

    Every request it may hold up is touched, so its entities show it at once.
    """
    tracker = downloading()
    outcome = tracker.apply(
        HealthEvidence(Service.RADARR, (CLIENT_DOWN,), complete=True), NOW
    )
    assert set(outcome.touched) == {"80"}
    assert waiting(tracker) == (
        "download_client_unreachable",
        "download_client_unreachable",
    )
    # While it holds the download up, nobody can say when it ends.
    assert attributes(tracker)["watchable_at"] is None
    assert (
        tracker.apply(HealthEvidence(Service.RADARR, (CLIENT_DOWN,)), NOW).touched == {}
    )
    tracker.apply(
        HealthEvidence(Service.RADARR, restored=("DownloadClientCheck",)), NOW
    )
    assert waiting(tracker)[0] == "downloading"
    assert attributes(tracker)["watchable_at"] is not None

    searching = approved(
        HealthEvidence(Service.RADARR, (CLIENT_DOWN, INDEXERS_DOWN), complete=True)
    )
    assert waiting(searching)[0] == "arr_health"
    # Sonarr's health is not Radarr's business.
    other = approved(HealthEvidence(Service.SONARR, (INDEXERS_DOWN,), complete=True))
    assert waiting(other)[0] == "searching"
    # Indexers do not hold up a title that is not out yet.
    unreleased = approved(
        ArrListing(MOVIE, released=False, release=NOW + timedelta(days=20)),
        HealthEvidence(Service.RADARR, (INDEXERS_DOWN,), complete=True),
    )
    assert waiting(unreleased)[0] == "not_released"


def test_a_complete_health_report_replaces_the_last() -> None:
    """A poll lists every failing check: one no longer listed is fine again."""
    tracker = downloading()
    tracker.apply(HealthEvidence(Service.RADARR, (CLIENT_DOWN,), complete=True), NOW)
    tracker.apply(HealthEvidence(Service.RADARR, (), complete=True), NOW)
    assert waiting(tracker)[0] == "downloading"


def test_watchable_while_downloading_adds_the_stacks_delays() -> None:
    """Time left, then the typical import and library delays (defaults: 2 + 5 min)."""
    assert (
        attributes(downloading(eta=600))["watchable_at"]
        == (NOW + timedelta(seconds=600) + 7 * MINUTE).isoformat()
    )
    assert attributes(downloading(eta=None))["watchable_at"] is None
    stalled = downloading(stall=Waiting(WaitingCode.DOWNLOAD_STALLED))
    assert attributes(stalled)["watchable_at"] is None


def test_watchable_after_the_download_counts_from_the_stage() -> None:
    """Downloaded: the import's typical end (now at the earliest), then the library."""
    tracker = downloading()
    tracker.apply(
        DownloadStatus(Service.QBITTORRENT, "abc1", Stage.DOWNLOADED, progress=1.0), NOW
    )
    assert attributes(tracker)["watchable_at"] == (NOW + 7 * MINUTE).isoformat()
    later = NOW + 30 * MINUTE  # the import is late: now, then the library
    assert (
        attributes(tracker, later)["watchable_at"] == (later + 5 * MINUTE).isoformat()
    )
    tracker.apply(
        ImportEvidence(
            MOVIE, "ABC1", (ImportedFile("/movies/dune.mkv"),), complete=True
        ),
        NOW + MINUTE,
    )
    assert attributes(tracker)["watchable_at"] == (NOW + 6 * MINUTE).isoformat()


def test_anime_waits_for_shoko_and_unreleased_for_the_grab() -> None:
    """Anime with Shoko: the anime delay; unreleased: release + typical grab delay."""
    tracker = Tracker(anime_matching=True)
    tracker.apply(request("52", tmdb_id=533514), NOW)
    tracker.apply(GrabEvidence(ANIME_MOVIE, "V1", Release(title="Violet")), NOW)
    tracker.apply(
        ImportEvidence(ANIME_MOVIE, "V1", (ImportedFile("/a/v.mkv"),), complete=True),
        NOW,
    )
    assert attributes(tracker)["watchable_at"] == (NOW + 20 * MINUTE).isoformat()

    release = NOW + timedelta(days=20)
    unreleased = approved(ArrListing(MOVIE, released=False, release=release))
    assert (
        attributes(unreleased)["watchable_at"]
        == (release + timedelta(hours=2)).isoformat()
    )
    assert attributes(approved())["watchable_at"] is None  # searching: no honest guess


def test_the_stack_teaches_its_own_delays() -> None:
    """Each request through a stage adds a sample; three make the median the estimate."""
    tracker = Tracker()
    for n in range(3):
        key, start = str(80 + n), NOW + n * timedelta(hours=1)
        media = MOVIE.__class__(Service.RADARR, 71 + n, "T", 2024, tmdb_id=100 + n)
        tracker.apply(request(key, tmdb_id=100 + n), start)
        tracker.apply(GrabEvidence(media, f"D{n}", Release(title="T")), start)
        tracker.apply(
            DownloadStatus(
                Service.QBITTORRENT, f"d{n}", Stage.DOWNLOADED, progress=1.0
            ),
            start,
        )
        imported = start + (n + 1) * 10 * MINUTE
        tracker.apply(
            ImportEvidence(
                media, f"D{n}", (ImportedFile(f"/m/{n}.mkv"),), complete=True
            ),
            imported,
        )
        tracker.apply(
            LibraryItemEvidence(f"i{n}", ItemKind.MOVIE, "T", 2024, tmdb_id=100 + n),
            imported + 3 * MINUTE,
        )
    assert tracker.timings.typical(Delay.IMPORT) == 20 * MINUTE
    assert tracker.timings.typical(Delay.LIBRARY) == 3 * MINUTE


def test_a_season_pack_is_one_sample_and_a_failure_none() -> None:
    """A pack's episodes, imported file by file, measured one wait; a failure none."""
    timings = Timings()
    downloaded = {State.DOWNLOADED: NOW}
    for n in range(7):
        at = NOW + MINUTE + n * SECOND
        timings.learn_transition(downloaded, State.IMPORTING, at, ("90", "PACK"))
    failed = downloaded | {State.FAILED: NOW}
    timings.learn_transition(failed, State.IMPORTING, NOW + 30 * MINUTE, "91")
    timings.learn_transition(downloaded, State.IMPORTING, NOW + 2 * MINUTE, "92")
    assert list(timings.samples[Delay.IMPORT]) == [60.0, 120.0]


def test_timings_keep_only_what_can_be_a_delay_and_round_trip() -> None:
    """Negative or week-long waits are not the stack's; the stored form restores."""
    timings = Timings()
    timings.learn(Delay.GRAB, timedelta(days=30))
    timings.learn(Delay.GRAB, -MINUTE)
    assert timings.typical(Delay.GRAB) == timedelta(hours=2)
    for minutes in (1, 2, 30):
        timings.learn(Delay.GRAB, minutes * MINUTE)
    restored = Timings()
    restored.restore(timings.to_dict())
    assert restored.typical(Delay.GRAB) == 2 * MINUTE


def test_a_show_is_watchable_when_its_last_episode_is() -> None:
    """A TV request's estimate is its latest episode's; one unknown makes it unknown.

    Two packs: episodes 1-6 download with 10 minutes left, 7-12 with an hour.
    """
    refs = episodes(1, 12)
    tracker = Tracker()
    tracker.apply(
        request("90", media_type=MediaType.TV, tmdb_id=83867, tvdb_id=393189), NOW
    )
    for pack, part, left in (("P1", refs[:6], 600), ("P2", refs[6:], 3600)):
        tracker.apply(GrabEvidence(SERIES, pack, Release(title=pack), part), NOW)
        tracker.apply(
            DownloadStatus(
                Service.QBITTORRENT, pack.lower(), Stage.DOWNLOADING, 0.5, 10, left
            ),
            NOW,
        )
    show = tracker.requests["90"]
    outlook = tracker.outlook(NOW)
    first = episode_attributes(show, show.episodes[(1, 1)], CODE_NAMES, outlook)
    assert (
        first["watchable_at"] == (NOW + timedelta(seconds=600) + 7 * MINUTE).isoformat()
    )
    assert (
        attributes(tracker)["watchable_at"]
        == (NOW + timedelta(seconds=3600) + 7 * MINUTE).isoformat()
    )

    tracker.apply(
        DownloadStatus(
            Service.QBITTORRENT,
            "p2",
            Stage.DOWNLOADING,
            0.5,
            0,
            None,
            stall=Waiting(WaitingCode.DOWNLOAD_STALLED),
        ),
        NOW,
    )
    assert attributes(tracker)["watchable_at"] is None
