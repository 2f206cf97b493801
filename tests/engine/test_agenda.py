"""The calendar's milestones: which exist, when, and in what order."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.media_request_tracker.engine.agenda import (
    Milestone,
    MilestoneKind,
    agenda,
    between,
    upcoming,
)
from custom_components.media_request_tracker.engine.codes import WaitingCode
from custom_components.media_request_tracker.engine.evidence import (
    ArrListing,
    ArrMedia,
    DownloadStatus,
    Evidence,
    GrabEvidence,
    Release,
)
from custom_components.media_request_tracker.engine.models import (
    Listing,
    MediaType,
    Service,
    Stage,
)
from custom_components.media_request_tracker.engine.tracker import Tracker

from .flows import MOVIE, SERIES, episodes, movie_flow, request

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# West of Greenwich: where reading a UTC date as local time moves it a day back.
PACIFIC = ZoneInfo("America/Los_Angeles")
# Radarr's digital release of a movie not out yet: a date, sent as midnight UTC.
RELEASE_DAY = datetime(2026, 12, 18, tzinfo=UTC)


def tracked(*evidence: Evidence) -> Tracker:
    """A tracker that has seen the evidence, all at NOW."""
    tracker = Tracker()
    for piece in evidence:
        tracker.apply(piece, NOW)
    return tracker


def milestones(tracker: Tracker, now: datetime = NOW) -> list[Milestone]:
    return agenda(tracker.requests.values(), tracker.outlook(now))


def downloading(key: str = "80", left: int = 600) -> list[Evidence]:
    """A movie (Dune for "80") downloading with `left` seconds to go."""
    tmdb_id = 693134 if key == "80" else int(key)
    media = ArrMedia(Service.RADARR, int(key), f"Title {key}", 2024, tmdb_id=tmdb_id)
    return [
        request(key, tmdb_id=tmdb_id),
        GrabEvidence(media, f"D{key}", Release(title=f"Title {key}")),
        DownloadStatus(
            Service.QBITTORRENT, f"d{key}", Stage.DOWNLOADING, 0.5, 1000, left
        ),
    ]


def test_a_downloading_movie_is_due_when_it_should_be_watchable() -> None:
    """Time left, then the default import and library delays: one minute long."""
    (due,) = milestones(tracked(*downloading()))
    at = NOW + timedelta(seconds=600) + 7 * MINUTE
    assert (due.kind, due.uid, due.episode) == (
        MilestoneKind.WATCHABLE,
        "80-watchable",
        None,
    )
    assert (due.start, due.end) == (at, at + MINUTE)
    assert due.waiting is not None
    assert due.waiting.code is WaitingCode.DOWNLOADING
    assert due.track is due.request


def test_an_unreleased_movie_has_its_release_day() -> None:
    """The UTC date Radarr means, as a whole day wherever Home Assistant is.

    Its estimate (release, then the typical grab delay) is a milestone too.
    """
    tracker = tracked(
        request("80"), ArrListing(MOVIE, released=False, release=RELEASE_DAY)
    )
    release, due = milestones(tracker)
    assert (release.kind, release.uid) == (MilestoneKind.RELEASE, "80-release")
    assert (release.start, release.end) == (date(2026, 12, 18), date(2026, 12, 19))
    assert release.span(PACIFIC) == (
        datetime(2026, 12, 18, tzinfo=PACIFIC),
        datetime(2026, 12, 19, tzinfo=PACIFIC),
    )
    assert release.waiting is not None
    assert release.waiting.code is WaitingCode.NOT_RELEASED
    assert (due.kind, due.start) == (
        MilestoneKind.WATCHABLE,
        RELEASE_DAY + timedelta(hours=2),
    )


def test_a_show_not_aired_has_its_air_time() -> None:
    """Sonarr's air date is a moment: the milestone is that minute.

    The listing is set as Sonarr's would leave it: a listing that names no aired
    episode of a requested season does not attach to the request (yet).
    """
    airs = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    tracker = tracked(
        request("90", media_type=MediaType.TV, tmdb_id=83867, tvdb_id=393189)
    )
    tracker.requests["90"].listing = Listing(present=True, released=False, release=airs)
    release, due = milestones(tracker)
    assert (release.start, release.end, release.uid) == (
        airs,
        airs + MINUTE,
        "90-release",
    )
    assert (due.uid, due.start) == ("90-watchable", airs + timedelta(hours=2))


def test_each_episode_with_an_estimate_is_due_on_its_own() -> None:
    """Episodes 1-2 download, 3 is not grabbed: no guess for it, none for the show."""
    refs = episodes(1, 3)
    tracker = tracked(
        request("90", media_type=MediaType.TV, tmdb_id=83867, tvdb_id=393189),
        ArrListing(SERIES, refs),
        GrabEvidence(SERIES, "P1", Release(title="Andor"), refs[:2]),
        DownloadStatus(Service.QBITTORRENT, "p1", Stage.DOWNLOADING, 0.5, 10, 60),
    )
    found = milestones(tracker)
    assert [m.uid for m in found] == ["90-s01e01-watchable", "90-s01e02-watchable"]
    assert {m.start for m in found} == {NOW + 8 * MINUTE}
    assert found[0].track is found[0].episode


def test_nothing_is_due_without_an_honest_guess_or_once_there() -> None:
    """Searching has no estimate; an available or declined request has nothing."""
    assert milestones(tracked(request("80"))) == []
    assert milestones(tracked(*movie_flow())) == []


def test_upcoming_is_the_one_going_on_else_the_next() -> None:
    """A whole day counts from local midnight; the minute still on counts as now."""
    tracker = tracked(
        *downloading("80", left=600),
        *downloading("81", left=3600),
    )
    found = milestones(tracker)
    first = NOW + 17 * MINUTE
    assert upcoming(found, NOW, PACIFIC) is found[0]
    assert upcoming(found, first + MINUTE / 2, PACIFIC) is found[0]
    assert upcoming(found, first + MINUTE, PACIFIC) is found[1]
    assert upcoming(found, NOW + timedelta(days=1), PACIFIC) is None
    assert upcoming([], NOW, PACIFIC) is None


def test_between_keeps_what_overlaps_in_order() -> None:
    """Ends are exclusive; ties keep one order (by uid); days overlap by local time."""
    tracker = tracked(
        *downloading("81", left=600),
        *downloading("80", left=600),
        ArrListing(MOVIE, released=False, release=RELEASE_DAY),
    )
    found = milestones(tracker)
    due = NOW + 17 * MINUTE
    assert [m.uid for m in between(found, NOW, due + MINUTE, PACIFIC)] == [
        "80-watchable",
        "81-watchable",
    ]
    assert between(found, NOW, due, PACIFIC) == []
    assert between(found, due + MINUTE, due + 2 * MINUTE, PACIFIC) == []
    # 18 December, 23:30 in California is 19 December in UTC: still the release day.
    late = datetime(2026, 12, 18, 23, 30, tzinfo=PACIFIC)
    assert [m.uid for m in between(found, late, late + MINUTE, PACIFIC)] == [
        "80-release"
    ]
