"""The engine on its own: correlation, state derivation and their guarantees."""

from datetime import UTC, datetime, timedelta
import json

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.media_request_tracker.engine import facts
from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)
from custom_components.media_request_tracker.engine.evidence import (
    DeleteEvidence,
    DownloadStatus,
    Evidence,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    Ping,
    Release,
    RequestGone,
    RequestStatus,
)
from custom_components.media_request_tracker.engine.models import (
    Download,
    Episode,
    MediaType,
    Request,
    Service,
    Stage,
    State,
)
from custom_components.media_request_tracker.engine.stored import (
    request_from_dict,
    request_to_dict,
)
from custom_components.media_request_tracker.engine.tracker import Tracker
from custom_components.media_request_tracker.engine.views import (
    episode_attributes,
    request_attributes,
)
from tests.engine.codenames import CODE_NAMES, calm_outlook

from .flows import (
    ANIME_MOVIE,
    ANIME_SERIES,
    MOVIE,
    SERIES,
    blocked_then_imported_flow,
    episodes,
    manual,
    movie_flow,
    request,
    retried_download_flow,
    tv_pack_flow,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DISK_FULL = Problem(ProblemCode.DOWNLOAD_ERROR)
NO_SEEDS = Waiting(WaitingCode.DOWNLOAD_STALLED)

FLOWS = {
    "movie": movie_flow(),
    "anime movie": movie_flow(ANIME_MOVIE, download_id="VIOLET"),
    "tv pack": tv_pack_flow(),
    "anime tv pack": tv_pack_flow(ANIME_SERIES, count=13),
    "blocked then imported": blocked_then_imported_flow(),
    "retried download": retried_download_flow(),
}


def run(flow: list[Evidence], *, anime_matching: bool = False) -> Tracker:
    """Apply a flow to a fresh tracker at a fixed time."""
    tracker = Tracker(anime_matching=anime_matching)
    for evidence in flow:
        tracker.apply(evidence, NOW)
    return tracker


def states(tracker: Tracker) -> dict[str, object]:
    """Every request's and episode's state and problem."""
    return {
        key: (
            request.state,
            request.failure,
            {ep.key: (ep.state, ep.failure) for ep in request.episodes.values()},
        )
        for key, request in tracker.requests.items()
    }


def only(tracker: Tracker) -> Request:
    (tracked,) = tracker.requests.values()
    return tracked


def test_movie_flow_states() -> None:
    """Each piece of movie evidence moves the request one stage on."""
    tracker = Tracker()
    seen = []
    for evidence in movie_flow():
        tracker.apply(evidence, NOW)
        seen.append(only(tracker).state)
    assert seen == [State.APPROVED, State.GRABBING, State.IMPORTING, State.AVAILABLE]
    movie = only(tracker)
    assert movie.radarr_id == 71
    assert movie.file_paths == ["/movies/dune.mkv"]
    assert movie.jellyfin_item_id == "item80"
    assert [entry.source for entry in movie.timeline] == [
        Service.JELLYSEERR,
        Service.RADARR,
        Service.RADARR,
        Service.JELLYFIN,
    ]
    assert set(movie.reached) == {
        State.APPROVED,
        State.GRABBING,
        State.IMPORTING,
        State.AVAILABLE,
    }


def test_anime_import_waits_for_shoko_only_when_configured() -> None:
    """Imported anime is `anime_matching` with Shoko configured, `importing` without."""
    flow = movie_flow(ANIME_MOVIE, download_id="VIOLET")[:3]
    assert only(run(flow, anime_matching=True)).state is State.ANIME_MATCHING
    assert only(run(flow)).state is State.IMPORTING


def test_season_pack_tracks_every_episode() -> None:
    """One grab of a pack tracks all its episodes under one download."""
    tracker = run(tv_pack_flow()[:2])
    show = only(tracker)
    assert len(show.episodes) == 12
    assert {ep.state for ep in show.episodes.values()} == {State.GRABBING}
    assert {ep.download_id for ep in show.episodes.values()} == {"PACK1"}
    assert show.state is State.GRABBING


def test_single_file_import_does_not_import_the_whole_pack() -> None:
    """After one per-file import only that episode is imported; the rest set the pace.

    The request shows its bottleneck (DESIGN §3): the episodes still downloaded.
    """
    show = only(run(tv_pack_flow()[:3]))
    assert show.episodes[(1, 1)].state is State.IMPORTING
    assert show.episodes[(1, 2)].state is State.DOWNLOADED
    assert show.state is State.DOWNLOADED


def test_tv_request_available_only_when_every_episode_is() -> None:
    """The request waits for the last episode to appear in Jellyfin."""
    flow = tv_pack_flow()
    tracker = run(flow[:-1])
    assert only(tracker).state is State.IMPORTING
    tracker.apply(flow[-1], NOW)
    assert only(tracker).state is State.AVAILABLE


def test_blocked_import_fails_with_the_arr_words_then_recovers() -> None:
    """Manual interaction → failed with Radarr's message; the import clears it."""
    flow = blocked_then_imported_flow()
    tracker = run(flow[:3])
    assert only(tracker).state is State.FAILED
    assert only(tracker).failure == manual("Movie title mismatch")
    tracker.apply(flow[3], NOW)
    assert only(tracker).state is State.IMPORTING
    assert only(tracker).failure is None


def test_retry_supersedes_a_failed_download() -> None:
    """A new grab after a failed one shows progress, not the old failure."""
    tracker = run(retried_download_flow()[:4])
    assert only(tracker).state is State.GRABBING


def test_reapplying_evidence_changes_nothing() -> None:
    """The second application of any evidence reports no change at all."""
    for flow in FLOWS.values():
        tracker = Tracker()
        for evidence in flow:
            tracker.apply(evidence, NOW)
            again = tracker.apply(evidence, NOW + timedelta(minutes=5))
            assert not again.touched
            assert not again.state_changes


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(FLOWS)), st.data())
def test_order_of_evidence_does_not_matter(name: str, data: st.DataObject) -> None:
    """Any arrival order ends in the same states and problems as the real order.

    The Jellyseerr request stays first: it is what the other services act on, and
    evidence about a request that does not exist yet creates nothing (no phantoms).
    """
    flow = FLOWS[name]
    shuffled = [flow[0], *data.draw(st.permutations(flow[1:]))]
    assert states(run(shuffled, anime_matching=True)) == states(
        run(flow, anime_matching=True)
    )


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(FLOWS)), st.data())
def test_duplicated_evidence_ends_like_the_original(
    name: str, data: st.DataObject
) -> None:
    """Repeating any pieces of evidence, anywhere, leaves the stored form unchanged."""
    flow = FLOWS[name]
    repeats = data.draw(st.lists(st.sampled_from(flow), max_size=len(flow)))
    doubled = [*flow, *repeats]
    assert _stored(run(doubled)) == _stored(run(flow))


def _stored(tracker: Tracker) -> list[dict[str, object]]:
    """The stored forms, as they read back from disk."""
    return json.loads(
        json.dumps(
            [request_to_dict(r) for r in tracker.requests.values()],
            default=datetime.isoformat,
        )
    )


def test_rerequest_of_an_available_title_is_a_new_request() -> None:
    """Later evidence for the title attaches to the new request, not the old one."""
    tracker = run(movie_flow())
    tracker.apply(request("81"), NOW)
    tracker.apply(GrabEvidence(MOVIE, "NEW", Release(title="4K remux")), NOW)
    assert tracker.requests["80"].state is State.AVAILABLE
    assert tracker.requests["81"].state is State.GRABBING
    assert "new" in tracker.requests["81"].downloads


def test_grab_nobody_requested_creates_nothing() -> None:
    """No phantom requests: *arr evidence alone never creates a request."""
    tracker = Tracker()
    for evidence in movie_flow()[1:] + tv_pack_flow()[1:]:
        outcome = tracker.apply(evidence, NOW)
        assert not outcome.touched
    assert tracker.requests == {}


def test_upgrade_of_an_available_movie_changes_nothing() -> None:
    """Radarr's `isUpgrade` import does not reopen a finished movie."""
    tracker = run(movie_flow())
    upgrade = ImportEvidence(
        MOVIE, "UPG", (ImportedFile("/m/new.mkv"),), complete=True, is_upgrade=True
    )
    assert not tracker.apply(upgrade, NOW).touched
    assert only(tracker).state is State.AVAILABLE


def test_airing_episode_reopens_an_available_request() -> None:
    """A new episode of a requested season joins the request and brings it back."""
    tracker = run(tv_pack_flow(count=3))
    assert only(tracker).state is State.AVAILABLE
    new_episode = episodes(1, 4)[3]
    outcome = tracker.apply(GrabEvidence(SERIES, "E4", Release(), (new_episode,)), NOW)
    show = only(tracker)
    assert show.state is State.GRABBING
    assert [change.to_state for change in outcome.state_changes] == [State.GRABBING]
    tracker.apply(
        LibraryItemEvidence("ep4", ItemKind.EPISODE, "", tvdb_id=new_episode.tvdb_id),
        NOW,
    )
    assert show.state is State.AVAILABLE


def test_grab_of_available_episodes_or_unrequested_seasons_is_ignored() -> None:
    """Upgrades of available episodes and other seasons leave the request alone."""
    tracker = run(tv_pack_flow(count=3))
    upgrade = GrabEvidence(SERIES, "UPG", Release(), episodes(1, 3))
    season_two = GrabEvidence(
        SERIES, "S2", Release(), episodes(2, 5, first_tvdb=9200001)
    )
    assert not tracker.apply(upgrade, NOW).touched
    assert not tracker.apply(season_two, NOW).touched
    assert len(only(tracker).episodes) == 3


def test_hd_evidence_prefers_the_hd_request() -> None:
    """With an HD and a 4K request for one title, our Radarr's grab is the HD one's."""
    tracker = Tracker()
    tracker.apply(request("80"), NOW)
    tracker.apply(request("81", is_4k=True), NOW)
    tracker.apply(GrabEvidence(MOVIE, "HD", Release()), NOW)
    assert tracker.requests["80"].state is State.GRABBING
    assert tracker.requests["81"].state is State.APPROVED


def test_jellyseerr_statuses() -> None:
    """Pending → approved; declined and failed as DESIGN §3 says."""
    tracker = Tracker()
    tracker.apply(request("1", RequestStatus.PENDING), NOW)
    assert tracker.requests["1"].state is State.REQUESTED
    tracker.apply(request("1"), NOW)
    assert tracker.requests["1"].state is State.APPROVED
    tracker.apply(request("2", RequestStatus.DECLINED, tmdb_id=2), NOW)
    assert tracker.requests["2"].state is State.DECLINED
    tracker.apply(request("3", RequestStatus.FAILED, tmdb_id=3), NOW)
    assert tracker.requests["3"].state is State.FAILED
    assert tracker.requests["3"].failure == Problem(ProblemCode.JELLYSEERR_FAILED)


def test_delete_moves_available_to_removed() -> None:
    """A deleted movie leaves `available` for `removed`; an episode file alone too."""
    tracker = run(movie_flow())
    tracker.apply(DeleteEvidence(MOVIE, "manual"), NOW)
    assert only(tracker).state is State.REMOVED

    shows = run(tv_pack_flow(count=2))
    shows.apply(DeleteEvidence(SERIES, "manual", episodes(1, 1)), NOW)
    show = only(shows)
    assert show.episodes[(1, 1)].state is State.REMOVED
    assert show.state is State.AVAILABLE
    shows.apply(DeleteEvidence(SERIES, "series deleted"), NOW)
    assert show.state is State.REMOVED


def test_a_request_deleted_in_jellyseerr_is_removed_even_once_available() -> None:
    """DESIGN §2.2: delete evidence moves `available` on; declined stays declined."""
    tracker = run(movie_flow())
    assert only(tracker).state is State.AVAILABLE
    tracker.apply(RequestGone(only(tracker).key), NOW)
    assert only(tracker).state is State.REMOVED

    declined = Tracker()
    declined.apply(request("2", RequestStatus.DECLINED), NOW)
    assert declined.apply(RequestGone("2"), NOW).touched == {}
    assert only(declined).state is State.DECLINED


def test_requesters_filter_and_tombstones() -> None:
    """Only chosen requesters are tracked; a forgotten request never comes back."""
    tracker = Tracker(requesters=["Alice"])
    tracker.apply(request("1", requested_by="bob"), NOW)
    tracker.apply(request("2", requested_by="alice", tmdb_id=2), NOW)
    assert set(tracker.requests) == {"2"}
    tracker.forget("2")
    tracker.apply(request("2", requested_by="alice", tmdb_id=2), NOW)
    assert tracker.requests == {}


def test_jellyfin_episode_before_grab_is_remembered() -> None:
    """An episode Jellyfin shows before Sonarr's grab arrives counts once it is named."""
    flow = tv_pack_flow(count=2)
    tracker = Tracker()
    tracker.apply(flow[0], NOW)
    for item in flow[-2:]:
        tracker.apply(item, NOW)
    assert len(tracker.sightings) == 2
    tracker.apply(flow[1], NOW)
    assert only(tracker).state is State.AVAILABLE
    assert tracker.sightings == {}


def test_serialisation_round_trip_and_prune() -> None:
    """Stored requests load back identical; old terminal ones are pruned."""
    tracker = run(tv_pack_flow()[:5] + movie_flow())
    restored = Tracker()
    restored.load(
        (request_from_dict(stored) for stored in _stored(tracker)),
        tracker.tombstones,
        tracker.sightings,
    )
    assert _stored(restored) == _stored(tracker)
    assert states(restored) == states(tracker)

    pruned = restored.prune(NOW + timedelta(days=1))
    assert [r.key for r in pruned] == ["80"]
    assert set(restored.requests) == {"90"}


def test_ping_changes_nothing() -> None:
    """A test notification is not evidence about any request."""
    assert not Tracker().apply(Ping(Service.RADARR), NOW).touched


def test_media_type_of_arr_media() -> None:
    """Radarr evidence is about movies, Sonarr's about TV."""
    assert MOVIE.media_type is MediaType.MOVIE
    assert SERIES.media_type is MediaType.TV


def test_blocked_season_pack_names_the_episode() -> None:
    """A blocked pack fails the request with the first episode's label and problem."""
    flow = tv_pack_flow(count=2)
    tracker = run(flow[:2])
    refs = episodes(1, 2)
    tracker.apply(
        ImportBlockedEvidence(SERIES, "PACK1", manual("Series title mismatch"), refs),
        NOW,
    )
    show = only(tracker)
    assert show.state is State.FAILED
    assert show.failure == manual("Series title mismatch").about((1, 1))


def test_blocked_without_download_id_fails_the_track() -> None:
    """Without a download id the problem sits on the movie, or on the episodes."""
    tracker = run([request("80")])
    tracker.apply(ImportBlockedEvidence(MOVIE, None, manual("Unable to parse")), NOW)
    assert only(tracker).state is State.FAILED

    shows = run(tv_pack_flow(count=2)[:1])
    shows.apply(
        ImportBlockedEvidence(SERIES, None, manual("Unable to parse"), episodes(1, 1)),
        NOW,
    )
    show = only(shows)
    assert show.episodes[(1, 1)].state is State.FAILED
    assert show.state is State.FAILED


def test_episode_found_through_the_series_item() -> None:
    """Without an episode TVDB id, the series item id and numbers find the episode."""
    tracker = run(tv_pack_flow(count=2)[:2])
    tracker.apply(
        LibraryItemEvidence("series1", ItemKind.SERIES, "Andor", tvdb_id=393189), NOW
    )
    assert only(tracker).jellyfin_item_id == "series1"
    item = LibraryItemEvidence(
        "e2", ItemKind.EPISODE, "", season=1, number=2, series_item_id="series1"
    )
    tracker.apply(item, NOW)
    assert only(tracker).episodes[(1, 2)].state is State.AVAILABLE


def test_sightings_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unmatched Jellyfin episodes are remembered, oldest forgotten first."""
    monkeypatch.setattr(facts, "MAX_SIGHTINGS", 2)
    tracker = Tracker()
    for tvdb in (1, 2, 3):
        tracker.apply(
            LibraryItemEvidence(f"i{tvdb}", ItemKind.EPISODE, "", tvdb_id=tvdb), NOW
        )
    assert tracker.sightings == {2: "i2", 3: "i3"}


def test_available_tv_request_from_jellyseerr_marks_known_episodes() -> None:
    """MEDIA_AVAILABLE for a show makes its known episodes available."""
    tracker = run(tv_pack_flow(count=2)[:2])
    tracker.apply(
        request(
            "90",
            RequestStatus.AVAILABLE,
            media_type=MediaType.TV,
            tmdb_id=83867,
            tvdb_id=393189,
        ),
        NOW,
    )
    show = only(tracker)
    assert show.state is State.AVAILABLE
    assert {ep.state for ep in show.episodes.values()} == {State.AVAILABLE}


def status(
    download_id: str,
    stage: Stage,
    *,
    source: Service = Service.QBITTORRENT,
    **fields: object,
) -> DownloadStatus:
    """A poll's view of a download."""
    return DownloadStatus(source, download_id, stage, **fields)  # type: ignore[arg-type]


def test_polled_progress_moves_the_request_and_shows_live_numbers() -> None:
    """The view from qBittorrent: downloading with progress, then finished."""
    tracker = run(movie_flow()[:2])
    outcome = tracker.apply(
        status("abc1", Stage.DOWNLOADING, progress=0.42, speed=1000, eta=60), NOW
    )
    movie = only(tracker)
    assert movie.state is State.DOWNLOADING
    assert [c.to_state for c in outcome.state_changes] == [State.DOWNLOADING]
    attributes = request_attributes(movie, CODE_NAMES, calm_outlook(NOW))
    assert (
        attributes["progress"],
        attributes["download_speed"],
        attributes["eta"],
    ) == (42, 1000, 60)

    again = tracker.apply(
        status("ABC1", Stage.DOWNLOADING, progress=0.5, speed=900, eta=50), NOW
    )
    assert not again.touched
    assert set(again.progressed) == {"80"}
    tracker.apply(status("abc1", Stage.DOWNLOADED, progress=1.0), NOW)
    assert movie.state is State.DOWNLOADED
    assert request_attributes(movie, CODE_NAMES, calm_outlook(NOW))["progress"] == 100


def test_polled_problem_clears_when_the_same_service_no_longer_sees_it() -> None:
    """A torrent error fails the request; the next healthy poll clears it."""
    tracker = run(movie_flow()[:2])
    tracker.apply(status("ABC1", Stage.DOWNLOADING, problem=DISK_FULL), NOW)
    assert only(tracker).state is State.FAILED
    assert only(tracker).current_problem == DISK_FULL
    tracker.apply(status("ABC1", Stage.DOWNLOADING, source=Service.RADARR), NOW)
    assert only(tracker).state is State.FAILED
    tracker.apply(status("ABC1", Stage.DOWNLOADING, progress=0.5), NOW)
    assert only(tracker).state is State.DOWNLOADING
    assert only(tracker).current_problem is None


def test_season_pack_episodes_progress_separately() -> None:
    """Per-episode progress comes from the pack's files."""
    tracker = run(tv_pack_flow(count=3)[:2])
    files = (((1, 1), 1.0), ((1, 2), 0.5), ((1, 3), 0.0))
    tracker.apply(status("PACK1", Stage.DOWNLOADING, progress=0.5, episodes=files), NOW)
    show = only(tracker)
    assert [
        episode_attributes(show, ep, CODE_NAMES, calm_outlook(NOW))["progress"]
        for ep in show.episodes.values()
    ] == [100, 50, 0]
    assert request_attributes(show, CODE_NAMES, calm_outlook(NOW))["progress"] == 50


def test_stalls_are_flagged_after_their_threshold_and_cleared_by_progress() -> None:
    """A stage that lasts too long is stalled, with a reason; progress clears it."""
    thresholds = {
        State.APPROVED: timedelta(hours=24),
        State.DOWNLOADING: timedelta(hours=6),
    }
    tracker = run([request("80")])
    assert not tracker.check_stalls(
        NOW + timedelta(hours=23), thresholds
    ).problem_changes
    outcome = tracker.check_stalls(NOW + timedelta(hours=25), thresholds)
    movie = only(tracker)
    assert movie.stalled
    assert movie.state is State.APPROVED
    assert [(c.stalled, c.problem) for c in outcome.problem_changes] == [
        (
            True,
            Problem(
                ProblemCode.STALLED,
                params(state="approved", hours=24),
                waiting=Waiting(WaitingCode.SEARCHING),
            ),
        )
    ]
    assert not tracker.check_stalls(
        NOW + timedelta(hours=26), thresholds
    ).problem_changes

    grabbed = tracker.apply(
        GrabEvidence(MOVIE, "ABC1", Release()), NOW + timedelta(hours=27)
    )
    assert not movie.stalled
    assert [(c.stalled, c.problem) for c in grabbed.problem_changes] == [(False, None)]


def test_no_seeds_stalls_a_download_from_when_it_began() -> None:
    """Slow is not stuck; a stall condition lasting past the threshold is."""
    thresholds = {State.DOWNLOADING: timedelta(hours=6)}
    tracker = run(movie_flow()[:2])
    tracker.apply(status("ABC1", Stage.DOWNLOADING, progress=0.1), NOW)
    assert (
        tracker.check_stalls(NOW + timedelta(days=3), thresholds).problem_changes == []
    )
    start = NOW + timedelta(days=3)
    tracker.apply(
        status("ABC1", Stage.DOWNLOADING, progress=0.1, stall=NO_SEEDS),
        start,
    )
    tracker.apply(
        status("ABC1", Stage.DOWNLOADING, progress=0.1, stall=NO_SEEDS),
        start + timedelta(hours=5),
    )
    assert not tracker.check_stalls(
        start + timedelta(hours=5), thresholds
    ).problem_changes
    tracker.check_stalls(start + timedelta(hours=7), thresholds)
    assert only(tracker).current_problem == Problem(
        ProblemCode.STALLED, params(state="downloading", hours=6), waiting=NO_SEEDS
    )


def test_an_episode_s_download_is_stored_once_and_restored_exactly() -> None:
    """Stored with the episode only where its download is not the last covering it."""
    request = Request("7", MediaType.TV, "Andor", NOW)
    first, second = (Download(download_id=d) for d in ("OLD", "NEW"))
    first.episodes = {(1, 1), (1, 2), (1, 3)}
    second.episodes = {(1, 2)}
    request.downloads = {"old": first, "new": second}
    request.episodes = {
        (1, 1): Episode(1, 1, download_id="OLD"),
        # Retried: the newer download covers it.
        (1, 2): Episode(1, 2, download_id="NEW"),
        # Evidence of the older one came last.
        (1, 3): Episode(1, 3, download_id="old"),
        # Its download was replaced (gone from the request).
        (1, 4): Episode(1, 4, download_id="GONE"),
    }

    stored = request_to_dict(request)

    assert [e.get("download_id") for e in stored["episodes"]] == [
        None,
        None,
        "old",
        "GONE",
    ]
    restored = request_from_dict(stored)
    assert {k: e.download_id for k, e in restored.episodes.items()} == {
        (1, 1): "OLD",
        (1, 2): "NEW",
        (1, 3): "old",
        (1, 4): "GONE",
    }
