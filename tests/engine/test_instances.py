"""Several Radarrs and Sonarrs: each request hears only the instance serving it (§3)."""

from dataclasses import replace
from datetime import UTC, datetime

from custom_components.media_request_tracker.engine.codes import (
    Waiting,
    WaitingCode,
    params,
)
from custom_components.media_request_tracker.engine.evidence import (
    ArrMedia,
    ArrMissing,
    EpisodeRef,
    GrabEvidence,
    HealthEvidence,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    PendingRelease,
    PendingReleases,
    Release,
    from_instance,
)
from custom_components.media_request_tracker.engine.models import (
    PRIMARY,
    HealthCheck,
    HealthImpact,
    Instance,
    MediaType,
    Request,
    Service,
    State,
)
from custom_components.media_request_tracker.engine.stored import (
    request_from_dict,
    request_to_dict,
)
from custom_components.media_request_tracker.engine.tracker import Tracker

from .flows import MOVIE, SERIES, episodes, request

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
# A household with a 4K Radarr: the primary one serves only the other requests.
HD = Instance("", serves_4k=False)
UHD = Instance("01K4KRADARR", serves_4k=True)
ANIME = Instance("01KANIMESONARR")
DELAYED = Waiting(WaitingCode.DELAY_PROFILE, params(until="2026-12-04T12:00:00"))
INDEXERS_DOWN = HealthCheck(
    "IndexerStatusCheck", HealthImpact.SEARCH, "Indexers unavailable: 1337x"
)


def hd_and_4k() -> Tracker:
    """An HD (80) and a 4K (81) request for the same movie."""
    tracker = Tracker()
    tracker.apply(request("80"), NOW)
    tracker.apply(request("81", is_4k=True), NOW)
    return tracker


def grab(media: ArrMedia, download_id: str, instance: Instance) -> GrabEvidence:
    """Radarr's grab as this instance said it."""
    return from_instance(GrabEvidence(media, download_id, Release()), instance)


def test_the_4k_instance_speaks_for_the_4k_request_only() -> None:
    tracker = hd_and_4k()
    tracker.apply(grab(MOVIE, "UHD", UHD), NOW)
    assert tracker.requests["81"].state is State.GRABBING
    assert tracker.requests["81"].arr_instance == UHD.key
    assert tracker.requests["80"].state is State.APPROVED

    tracker.apply(grab(MOVIE, "HD", HD), NOW)
    assert tracker.requests["80"].state is State.GRABBING
    assert tracker.requests["80"].arr_instance == ""


def test_without_a_4k_instance_the_4k_request_hears_the_primary() -> None:
    """No 4K instance: the primary serves both, the HD request first (as before)."""
    tracker = Tracker()
    tracker.apply(request("81", is_4k=True), NOW)
    tracker.apply(grab(MOVIE, "ONLY", PRIMARY), NOW)
    assert tracker.requests["81"].state is State.GRABBING


def test_the_primary_never_speaks_for_a_4k_request_when_a_4k_instance_exists() -> None:
    tracker = Tracker()
    tracker.apply(request("81", is_4k=True), NOW)
    tracker.apply(grab(MOVIE, "HD", HD), NOW)
    assert tracker.requests["81"].state is State.APPROVED
    tracker.apply(from_instance(ArrMissing(MOVIE), HD), NOW)
    assert tracker.requests["81"].listing is None


def test_ids_of_two_instances_never_mix() -> None:
    """Series 31 of the anime Sonarr is not series 31 of the primary one."""
    tracker = Tracker()
    tracker.apply(request("90", media_type=MediaType.TV, tvdb_id=393189), NOW)
    tracker.apply(GrabEvidence(SERIES, "ANDOR", Release(), episodes(1, 2)), NOW)
    andor = tracker.requests["90"]
    assert (andor.sonarr_id, andor.arr_instance) == (31, "")

    # Another show with the same Sonarr id in the anime instance, unrequested.
    other = ArrMedia(Service.SONARR, 31, "Frieren", 2023, tvdb_id=424536)
    tracker.apply(
        from_instance(
            GrabEvidence(other, "FRIEREN", Release(), (EpisodeRef(1, 3),)), ANIME
        ),
        NOW,
    )
    assert "frieren" not in andor.downloads
    assert (1, 3) not in andor.episodes


def test_a_request_bound_to_one_instance_ignores_the_others() -> None:
    tracker = Tracker()
    tracker.apply(request("90", media_type=MediaType.TV, tvdb_id=393189), NOW)
    bound = from_instance(GrabEvidence(SERIES, "A", Release(), episodes(1, 1)), ANIME)
    tracker.apply(bound, NOW)
    assert tracker.requests["90"].arr_instance == ANIME.key
    # The same show, also in the primary Sonarr: what it says is not this request's.
    tracker.apply(GrabEvidence(SERIES, "B", Release(), episodes(1, 2)), NOW)
    assert "b" not in tracker.requests["90"].downloads


def test_health_of_the_4k_instance_holds_up_only_4k_requests() -> None:
    tracker = hd_and_4k()
    health = HealthEvidence(Service.RADARR, (INDEXERS_DOWN,), complete=True)
    outcome = tracker.apply(from_instance(health, UHD), NOW)
    assert set(outcome.touched) == {"81"}
    assert tracker.health_of(tracker.requests["81"]) == [INDEXERS_DOWN]
    assert tracker.health_of(tracker.requests["80"]) == []
    # The primary's complete report leaves the 4K instance's checks alone.
    tracker.apply(from_instance(replace(health, failing=()), HD), NOW)
    assert tracker.health_of(tracker.requests["81"]) == [INDEXERS_DOWN]


def test_pending_releases_of_one_instance_leave_the_others_held() -> None:
    tracker = hd_and_4k()
    delay = PendingRelease(MOVIE, DELAYED)
    tracker.apply(from_instance(PendingReleases(Service.RADARR, (delay,)), UHD), NOW)
    tracker.apply(from_instance(PendingReleases(Service.RADARR, (delay,)), HD), NOW)
    assert tracker.requests["81"].pending is not None
    assert tracker.requests["80"].pending is not None
    # The primary's queue no longer holds it: only the HD request's release went on.
    tracker.apply(from_instance(PendingReleases(Service.RADARR, ()), HD), NOW)
    assert tracker.requests["80"].pending is None
    assert tracker.requests["81"].pending is not None


def test_the_instance_is_stored_and_old_requests_are_the_primary_s() -> None:
    tracker = hd_and_4k()
    tracker.apply(grab(MOVIE, "UHD", UHD), NOW)
    stored = request_to_dict(tracker.requests["81"])
    assert stored["arr_instance"] == UHD.key
    assert request_from_dict(stored).arr_instance == UHD.key
    old: Request = request_from_dict(
        {k: v for k, v in stored.items() if k != "arr_instance"}
    )
    assert (old.radarr_id, old.arr_instance) == (MOVIE.arr_id, "")
    assert "arr_instance" not in request_to_dict(tracker.requests["80"])


def item() -> LibraryItemEvidence:
    """Jellyfin's movie item of Dune: Part Two (which copy, it does not say)."""
    return LibraryItemEvidence(
        "jf-dune", ItemKind.MOVIE, "Dune: Part Two", 2024, tmdb_id=693134
    )


def test_jellyfin_s_item_goes_to_the_request_whose_file_was_imported() -> None:
    """The 4K file imported while the HD one downloads: the item is the 4K one's."""
    tracker = hd_and_4k()
    tracker.apply(grab(MOVIE, "HD", HD), NOW)
    tracker.apply(grab(MOVIE, "UHD", UHD), NOW)
    imported = ImportEvidence(MOVIE, "UHD", (), complete=True)
    tracker.apply(from_instance(imported, UHD), NOW)
    assert tracker.requests["81"].state is State.IMPORTING

    tracker.apply(item(), NOW)
    assert tracker.requests["81"].state is State.AVAILABLE
    assert tracker.requests["80"].state is State.GRABBING


def test_a_4k_request_is_not_done_because_the_hd_copy_is_in_jellyfin() -> None:
    tracker = Tracker()
    tracker.apply(request("81", is_4k=True), NOW)
    tracker.apply(item(), NOW)
    assert tracker.requests["81"].state is State.APPROVED


def test_requests_bound_to_a_removed_instance_are_free_again() -> None:
    """Its subentry deleted: another instance may find the request and bind it."""
    tracker = hd_and_4k()
    tracker.apply(grab(MOVIE, "UHD", UHD), NOW)
    tracker.apply(grab(MOVIE, "HD", HD), NOW)

    tracker.unbind_gone_instances({(Service.RADARR, "")})

    freed, kept = tracker.requests["81"], tracker.requests["80"]
    assert (freed.radarr_id, freed.arr_instance) == (None, "")
    assert (kept.radarr_id, kept.arr_instance) == (MOVIE.arr_id, "")
    again = Instance("01KNEWRADARR4K", serves_4k=True)
    tracker.apply(grab(MOVIE, "UHD2", again), NOW)
    assert freed.arr_instance == again.key
