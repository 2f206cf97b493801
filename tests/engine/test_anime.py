"""Anime through Shoko Server: matching, stalls, correlation by id and by path."""

from datetime import UTC, datetime, timedelta
import json

from hypothesis import given, settings, strategies as st

from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)
from custom_components.media_request_tracker.engine.evidence import (
    AnimeLink,
    AnimeMovieEvidence,
    AnimeSeriesEvidence,
    ArrListing,
    ArrMedia,
    EpisodeRef,
    Evidence,
    GrabEvidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    Release,
    ShokoFileEvent,
    ShokoFileEvidence,
    ShokoLocation,
)
from custom_components.media_request_tracker.engine.models import (
    Episode,
    MediaType,
    Request,
    Service,
    State,
)
from custom_components.media_request_tracker.engine.rules.library import (
    library_wait_began,
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
from custom_components.media_request_tracker.engine.waiting import request_waiting
from tests.engine.codenames import CODE_NAMES, calm_outlook

from .flows import request

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
GARDEN = ArrMedia(
    Service.RADARR, 12, "The Garden of Words", 2013, tmdb_id=198375, is_anime=True
)
RELATIVE = "Kotonoha no Niwa (2013)/[Group] Kotonoha no Niwa (2013) [BD 1080p].mkv"
RADARR_PATH = f"/media/anime/movies/{RELATIVE}"
SIZE = 4294967296
LINK = AnimeLink(anidb_anime_id=9603, anidb_episode_id=147025, series_id=29)
SHOW = ArrMedia(
    Service.SONARR, 23, "Lycoris Recoil", 2022, tvdb_id=414057, is_anime=True
)


def is_matched(track: Request | Episode) -> bool:
    """Whether Shoko matched the track's file."""
    return track.shoko is not None and track.shoko.matched


def stalled_waiting(tracked: Request) -> WaitingCode | None:
    """What a stalled request has waited for so long."""
    stall = tracked.stall
    waiting: Waiting | None = None if stall is None else stall.waiting
    return None if waiting is None else waiting.code


def shoko(
    event: ShokoFileEvent,
    file_id: int = 220,
    path: str = RELATIVE,
    **fields: object,
) -> ShokoFileEvidence:
    """Shoko evidence about a file in import folder 2."""
    return ShokoFileEvidence(
        event,
        file_id,
        location=ShokoLocation(2, path),
        **fields,  # type: ignore[arg-type]
    )


MATCHED = shoko(ShokoFileEvent.MATCHED, links=(LINK,), size=SIZE, tmdb_linked=True)
PLAYABLE = LibraryItemEvidence(
    "b2c3d4", ItemKind.MOVIE, "The Garden of Words", 2013, shoko_file_id=220
)


def movie_flow(size: int | None = SIZE) -> list[Evidence]:
    """An anime movie: requested, grabbed, imported, hashed and matched, playable."""
    return [
        request("50", tmdb_id=198375),
        GrabEvidence(GARDEN, "GARDEN", Release(title="Kotonoha no Niwa")),
        ImportEvidence(
            GARDEN, "GARDEN", (ImportedFile(RADARR_PATH, size=size),), complete=True
        ),
        shoko(ShokoFileEvent.HASHED, size=size),
        MATCHED,
        PLAYABLE,
    ]


def show_flow() -> list[Evidence]:
    """An anime season of three: each episode matched and playable on its own."""
    refs = tuple(EpisodeRef(1, n, f"Episode {n}", 700 + n, 9300 + n) for n in (1, 2, 3))
    paths = [
        f"D:\\Anime\\Lycoris Recoil\\Season 1\\Lycoris Recoil - S01E0{n}.mkv"
        for n in (1, 2, 3)
    ]
    evidence: list[Evidence] = [
        request("60", media_type=MediaType.TV, tmdb_id=154494, tvdb_id=414057),
        GrabEvidence(SHOW, "PACK", Release(), refs),
        ImportEvidence(
            SHOW,
            "PACK",
            tuple(ImportedFile(path, ((1, n),)) for n, path in enumerate(paths, 1)),
            complete=True,
            episodes=refs,
        ),
    ]
    for n in (1, 2, 3):
        relative = f"Lycoris Recoil/Season 1/Lycoris Recoil - S01E0{n}.mkv"
        evidence += [
            ShokoFileEvidence(
                ShokoFileEvent.MATCHED,
                300 + n,
                location=ShokoLocation(1, relative),
                links=(AnimeLink(18001, 280000 + n),),
            ),
            LibraryItemEvidence(f"ep{n}", ItemKind.EPISODE, "", shoko_file_id=300 + n),
        ]
    return evidence


def run(flow: list[Evidence]) -> Tracker:
    """Apply a flow with Shoko configured."""
    tracker = Tracker(anime_matching=True)
    for evidence in flow:
        tracker.apply(evidence, NOW)
    return tracker


def only(tracker: Tracker) -> Request:
    (tracked,) = tracker.requests.values()
    return tracked


def test_movie_waits_for_the_match_then_for_jellyfin() -> None:
    """anime_matching until Jellyfin shows the file, matched or not (forward only)."""
    tracker = Tracker(anime_matching=True)
    seen = []
    for evidence in movie_flow():
        tracker.apply(evidence, NOW)
        seen.append(only(tracker).state)
    assert seen == [
        State.APPROVED,
        State.GRABBING,
        State.ANIME_MATCHING,
        State.ANIME_MATCHING,
        State.ANIME_MATCHING,
        State.AVAILABLE,
    ]
    movie = only(tracker)
    assert movie.shoko is not None
    assert (movie.shoko.file_id, movie.shoko.series_id, movie.shoko.anidb_anime_id) == (
        220,
        29,
        9603,
    )
    assert movie.jellyfin_item_id == "b2c3d4"
    # The timeline keeps state changes: the match changed what it waits for only.
    assert [entry.source for entry in movie.timeline] == [
        Service.JELLYSEERR,
        Service.RADARR,
        Service.RADARR,
        Service.JELLYFIN,
    ]
    assert tracker.shoko_folders == {2: "/media/anime/movies/"}


def test_the_wait_for_jellyfin_begins_again_when_shoko_matches() -> None:
    """Shokofin shows matched files only: a late match is when Jellyfin may add it.

    The Jellyfin poller looks for a title often in the minutes after that moment.
    """
    tracker = run(movie_flow()[:4])  # imported and hashed
    movie = only(tracker)
    assert library_wait_began(movie) == NOW
    matched = NOW + timedelta(minutes=40)
    tracker.apply(MATCHED, matched)
    assert library_wait_began(movie) == matched
    tracker.apply(MATCHED, matched + timedelta(minutes=5))  # told again
    assert library_wait_began(movie) == matched
    tracker.apply(PLAYABLE, matched + timedelta(minutes=6))
    assert library_wait_began(movie) is None  # available: nothing waits


def test_unmatched_file_is_stalled_at_once_and_the_match_clears_it() -> None:
    """FileNotMatched without cross references names the file; the match moves on."""
    tracker = run(movie_flow()[:3])
    outcome = tracker.apply(shoko(ShokoFileEvent.NOT_MATCHED), NOW)
    movie = only(tracker)
    problem = Problem(ProblemCode.FILE_NOT_MATCHED, params(file=RELATIVE.split("/")[1]))
    assert (movie.state, movie.stalled, movie.current_problem) == (
        State.ANIME_MATCHING,
        True,
        problem,
    )
    assert [(c.stalled, c.problem) for c in outcome.problem_changes] == [
        (True, problem)
    ]
    # Stalled already and saying why: the time threshold adds nothing.
    thresholds = {State.ANIME_MATCHING: timedelta(0)}
    assert not tracker.check_stalls(NOW + timedelta(days=1), thresholds).touched
    attributes = request_attributes(movie, CODE_NAMES, calm_outlook(NOW))
    assert (attributes["problem"], attributes["problem_code"]) == (
        "file_not_matched",
        "file_not_matched",
    )
    cleared = tracker.apply(MATCHED, NOW)
    assert (movie.state, movie.stalled, is_matched(movie)) == (
        State.ANIME_MATCHING,
        False,
        True,
    )
    assert [(c.stalled, c.problem) for c in cleared.problem_changes] == [(False, None)]


def test_anidb_ban_is_the_stall_reason() -> None:
    """A file left unmatched during a UDP ban says so."""
    tracker = run(movie_flow()[:3])
    tracker.apply(shoko(ShokoFileEvent.NOT_MATCHED, anidb_banned=True), NOW)
    assert only(tracker).current_problem == Problem(
        ProblemCode.ANIDB_BAN,
        params(file="[Group] Kotonoha no Niwa (2013) [BD 1080p].mkv"),
    )
    assert request_waiting(only(tracker)) == Waiting(WaitingCode.ANIDB_BAN)


def test_path_correlation_needs_the_suffix_and_the_size() -> None:
    """Another folder's file, a different size or a terminal request: no match."""
    tracker = run(movie_flow()[:3])
    for other in (
        shoko(
            ShokoFileEvent.MATCHED,
            path="Other/[Group] Kotonoha no Niwa (2013) [BD 1080p].mkv",
        ),
        shoko(ShokoFileEvent.MATCHED, size=SIZE + 1),
        shoko(ShokoFileEvent.MATCHED, path="unrelated.mkv"),
    ):
        assert not tracker.wants_shoko_file(other)
        assert not tracker.apply(other, NOW).touched
    assert only(tracker).shoko is None
    # Sizes unknown on the *arr side still match by the path (a leading slash too).
    unsized = run(movie_flow(size=None)[:3])
    unsized.apply(shoko(ShokoFileEvent.MATCHED, path=RELATIVE, size=SIZE), NOW)
    assert is_matched(only(unsized))
    finished = run(movie_flow())
    assert not finished.wants_shoko_file(shoko(ShokoFileEvent.MATCHED, file_id=999))


def test_moved_file_is_found_where_it_was() -> None:
    """Shoko's renamer moved the file before its id was known: the old path finds it."""
    tracker = run(movie_flow()[:3])
    moved = ShokoFileEvidence(
        ShokoFileEvent.RELOCATED,
        220,
        location=ShokoLocation(2, "Kotonoha no Niwa/Complete Movie.mkv"),
        previous=ShokoLocation(2, RELATIVE),
    )
    assert tracker.apply(moved, NOW).touched
    assert only(tracker).shoko is not None
    # From now on the id finds it, wherever the file is.
    renamed = shoko(ShokoFileEvent.MATCHED, path="elsewhere.mkv", links=(LINK,))
    tracker.apply(renamed, NOW)
    assert is_matched(only(tracker))


def test_learned_folder_prefers_the_exact_path() -> None:
    """Two requests with files of the same name: the learned mount decides."""
    tracker = run(movie_flow()[:3])
    tracker.apply(shoko(ShokoFileEvent.HASHED), NOW)
    other = ArrMedia(Service.RADARR, 13, "Other", 2020, tmdb_id=1, is_anime=True)
    tracker.apply(request("51", tmdb_id=1), NOW)
    tracker.apply(
        ImportEvidence(
            other, None, (ImportedFile(f"/elsewhere/{RELATIVE}"),), complete=True
        ),
        NOW,
    )
    tracker.apply(shoko(ShokoFileEvent.MATCHED, file_id=400, links=(LINK,)), NOW)
    assert tracker.requests["51"].shoko is None
    assert is_matched(tracker.requests["50"])


def test_newer_file_replaces_and_older_events_are_ignored() -> None:
    """An upgrade brings a newer Shoko file: it must be matched again."""
    tracker = run(movie_flow()[:5])
    tracker.apply(shoko(ShokoFileEvent.HASHED, file_id=230), NOW)
    movie = only(tracker)
    assert movie.shoko is not None
    assert movie.shoko.file_id == 230
    assert movie.state is State.ANIME_MATCHING
    assert not tracker.apply(
        shoko(ShokoFileEvent.NOT_MATCHED, file_id=221), NOW
    ).touched


def test_shoko_ids_arrive_with_the_series() -> None:
    """A file matched before its series existed gets Shoko's ids from SeriesUpdated."""
    tracker = run(movie_flow()[:3])
    tracker.apply(shoko(ShokoFileEvent.MATCHED, links=(AnimeLink(9603, 147025),)), NOW)
    series = AnimeSeriesEvidence(9603, (29,), ((147025, (331,)), (147026, ())))
    assert tracker.apply(series, NOW).touched
    movie = only(tracker)
    assert movie.shoko is not None
    assert (movie.shoko.series_id, movie.shoko.episode_id) == (29, 331)
    assert not tracker.apply(series, NOW).touched


def test_shokofin_filter_is_named_when_shoko_has_no_tmdb_link() -> None:
    """Matched without a TMDB movie and not in Jellyfin: FilterMovieLibraries."""
    thresholds = {State.ANIME_MATCHING: timedelta(hours=2)}
    tracker = run(movie_flow()[:3])
    tracker.apply(shoko(ShokoFileEvent.MATCHED, links=(LINK,), tmdb_linked=False), NOW)
    tracker.check_stalls(NOW + timedelta(hours=3), thresholds)
    assert stalled_waiting(only(tracker)) == WaitingCode.SHOKOFIN_FILTER
    # Shoko links the TMDB movie later: the usual reason again.
    assert tracker.apply(AnimeMovieEvidence(198375), NOW).touched
    assert not tracker.apply(AnimeMovieEvidence(198375), NOW).touched
    tracker.check_stalls(NOW + timedelta(hours=4), thresholds)
    assert stalled_waiting(only(tracker)) == WaitingCode.JELLYFIN


def test_movie_shown_as_an_episode_is_available() -> None:
    """Shokofin may file a movie as a series: its file id still finds the movie."""
    tracker = run(movie_flow()[:5])
    tracker.apply(
        LibraryItemEvidence(
            "ep1", ItemKind.EPISODE, "Complete Movie", shoko_file_id=220
        ),
        NOW,
    )
    assert only(tracker).state is State.AVAILABLE
    # Unknown file ids fall back to the usual lookups.
    assert not tracker.apply(
        LibraryItemEvidence("x", ItemKind.MOVIE, "X", shoko_file_id=999), NOW
    ).touched


def test_each_episode_is_matched_and_available_on_its_own() -> None:
    """Imported episodes stay in anime_matching until Jellyfin shows each of them."""
    flow = show_flow()
    tracker = run(flow[:3])
    show = only(tracker)
    assert show.state is State.ANIME_MATCHING
    tracker.apply(flow[3], NOW)  # S01E01 matched
    assert [ep.state for ep in show.episodes.values()] == [State.ANIME_MATCHING] * 3
    assert [is_matched(ep) for ep in show.episodes.values()] == [True, False, False]
    assert show.state is State.ANIME_MATCHING
    tracker.apply(
        ShokoFileEvidence(
            ShokoFileEvent.NOT_MATCHED,
            302,
            location=ShokoLocation(
                1,
                "\\Lycoris Recoil\\Season 1\\Lycoris Recoil - S01E02.mkv".replace(
                    "\\", "/"
                ).lstrip("/"),
            ),
        ),
        NOW,
    )
    second = show.episodes[(1, 2)]
    assert (
        episode_attributes(show, second, CODE_NAMES, calm_outlook(NOW))["stalled"]
        is True
    )
    assert show.current_problem == Problem(
        ProblemCode.FILE_NOT_MATCHED,
        params(file="Lycoris Recoil - S01E02.mkv"),
        episode=(1, 2),
    )
    tracker.apply(flow[4], NOW)  # S01E01 playable
    assert show.episodes[(1, 1)].state is State.AVAILABLE
    for evidence in flow[5:]:
        tracker.apply(evidence, NOW)
    assert show.state is State.AVAILABLE
    assert not show.stalled


def test_stored_form_round_trips() -> None:
    """Shoko facts are stored and read back; the indexes find them again."""
    tracker = run(show_flow()[:4] + movie_flow()[:5])
    restored = Tracker(anime_matching=True)
    restored.load(
        request_from_dict(_json(request_to_dict(r))) for r in tracker.requests.values()
    )
    assert [_json(request_to_dict(r)) for r in restored.requests.values()] == [
        _json(request_to_dict(r)) for r in tracker.requests.values()
    ]
    restored.apply(PLAYABLE, NOW)
    assert restored.requests["50"].state is State.AVAILABLE
    restored.forget("60")
    assert not restored.wants_shoko_file(show_flow()[5])  # type: ignore[arg-type]


def _json(data: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(data, default=datetime.isoformat))


FLOWS = {"anime movie": movie_flow(), "anime show": show_flow()}


def states(tracker: Tracker) -> dict[str, object]:
    """Every state, problem and stall of requests and episodes."""
    return {
        key: (
            r.state,
            r.current_problem,
            {ep.key: (ep.state, ep.current_problem) for ep in r.episodes.values()},
        )
        for key, r in tracker.requests.items()
    }


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(FLOWS)), st.data())
def test_order_of_anime_evidence_does_not_matter(
    name: str, data: st.DataObject
) -> None:
    """Shoko's and Jellyfin's evidence in any order ends in the same states.

    The import stays before them: Shoko's file is recognised by the path the import
    named; in the other order the poll's REST lookup by path repairs it (ShokoPoller).
    """
    flow = FLOWS[name]
    shuffled = [*flow[:3], *data.draw(st.permutations(flow[3:]))]
    assert states(run(shuffled)) == states(run(flow))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(FLOWS)), st.data())
def test_duplicated_anime_evidence_changes_nothing(
    name: str, data: st.DataObject
) -> None:
    """Repeated Shoko and Jellyfin evidence leaves the stored form unchanged."""
    flow = FLOWS[name]
    repeats = data.draw(st.lists(st.sampled_from(flow), max_size=len(flow)))
    stored = [
        _json(request_to_dict(r)) for r in run([*flow, *repeats]).requests.values()
    ]
    assert stored == [_json(request_to_dict(r)) for r in run(flow).requests.values()]


def test_shoko_reports_before_the_import_is_known_are_kept() -> None:
    """Shoko matched files before any import named their paths: kept till then.

    Sonarr's webhooks were missed; the library check's paths claim the reports.
    """
    flow = show_flow()
    tracker = run(flow[:2])  # requested and grabbed only
    matched = [e for e in flow if isinstance(e, ShokoFileEvidence)]
    for evidence in matched:
        assert not tracker.apply(evidence, NOW).touched
    imported = flow[2]
    assert isinstance(imported, ImportEvidence)
    refs = tuple(EpisodeRef(1, n, f"Episode {n}", 700 + n, 9300 + n) for n in (1, 2, 3))
    listed = ArrListing(
        SHOW, refs, frozenset((1, n) for n in (1, 2, 3)), imported.files
    )
    tracker.apply(listed, NOW)
    show = only(tracker)
    assert [is_matched(ep) for ep in show.episodes.values()] == [True] * 3
    assert show.state is State.ANIME_MATCHING
    assert tracker.ledger.shoko_reported == {}
