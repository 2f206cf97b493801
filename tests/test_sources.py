"""Payload parsers: every variant in the reference, and what they refuse."""

import pytest

from custom_components.media_request_tracker.engine.codes import Problem, ProblemCode
from custom_components.media_request_tracker.engine.evidence import (
    DeleteEvidence,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    Ping,
    RequestEvidence,
    RequestStatus,
)
from custom_components.media_request_tracker.engine.models import MediaType, Service
from custom_components.media_request_tracker.sources import (
    jellyfin,
    jellyseerr,
    radarr,
    sonarr,
)
from custom_components.media_request_tracker.sources.arr import episode_keys_in_name
from custom_components.media_request_tracker.sources.errors import InvalidPayload
from custom_components.media_request_tracker.sources.fields import Fields
from custom_components.media_request_tracker.sources.http import normalize_url

from .conftest import load_fixture


def test_jellyseerr_movie_request() -> None:
    """All-string template values become typed fields; `""` tvdbId is unknown."""
    evidence = jellyseerr.parse_webhook(
        load_fixture("jellyseerr/media_auto_approved_movie.json")
    )
    assert isinstance(evidence, RequestEvidence)
    assert evidence.request_key == "69"
    assert evidence.status is RequestStatus.APPROVED
    assert evidence.media_type is MediaType.MOVIE
    assert evidence.title == "Violet Evergarden: The Movie"
    assert evidence.year == 2020
    assert evidence.tmdb_id == 533514
    assert evidence.tvdb_id is None
    assert evidence.is_4k is False
    assert evidence.requested_seasons == frozenset()


def test_jellyseerr_tv_request_seasons_and_4k() -> None:
    """`Requested Seasons` lists the seasons; a `4K ` event prefix marks 4K."""
    tv = jellyseerr.parse_webhook(load_fixture("jellyseerr/media_approved_tv.json"))
    assert isinstance(tv, RequestEvidence)
    assert tv.requested_seasons == frozenset({1, 2, 3})
    assert tv.tvdb_id == 81189
    four_k = jellyseerr.parse_webhook(
        load_fixture("jellyseerr/media_auto_approved_movie_4k.json")
    )
    assert isinstance(four_k, RequestEvidence)
    assert four_k.is_4k is True


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("media_pending_movie.json", RequestStatus.PENDING),
        ("media_declined_tv.json", RequestStatus.DECLINED),
        ("media_failed_movie.json", RequestStatus.FAILED),
        ("media_available_movie.json", RequestStatus.AVAILABLE),
        ("media_available_tv.json", RequestStatus.AVAILABLE),
    ],
)
def test_jellyseerr_statuses(name: str, status: RequestStatus) -> None:
    """Each notification type maps to its request status."""
    evidence = jellyseerr.parse_webhook(load_fixture(f"jellyseerr/{name}"))
    assert isinstance(evidence, RequestEvidence)
    assert evidence.status is status


def test_jellyseerr_test_and_issue_notifications() -> None:
    """TEST_NOTIFICATION is a ping; issue notifications are not ours."""
    assert jellyseerr.parse_webhook(
        load_fixture("jellyseerr/test_notification.json")
    ) == Ping(Service.JELLYSEERR)
    assert (
        jellyseerr.parse_webhook(load_fixture("jellyseerr/issue_created.json")) is None
    )


@pytest.mark.parametrize(
    ("subject", "title", "year"),
    [
        ("Violet Evergarden: The Movie (2020)", "Violet Evergarden: The Movie", 2020),
        ("Shōgun", "Shōgun", None),
        ("Cowboy Bebop (The Movie) (2001)", "Cowboy Bebop (The Movie)", 2001),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009),
        ("  ", "", None),
    ],
)
def test_subject_year(subject: str, title: str, year: int | None) -> None:
    """Only a trailing four-digit year is taken off the subject."""
    assert jellyseerr.split_subject(subject) == (title, year)


@pytest.mark.parametrize(
    ("image", "poster"),
    [
        (
            "https://image.tmdb.org/t/p/w600_and_h900_bestv2/abc.jpg",
            "https://image.tmdb.org/t/p/w600_and_h900_bestv2/abc.jpg",
        ),
        ("https://image.tmdb.org/t/p/w600_and_h900_bestv2null", None),
        ("https://image.tmdb.org/t/p/w600_and_h900_bestv2undefined", None),
        ("/avatarproxy/abc", None),
        (None, None),
    ],
)
def test_poster_url(image: str | None, poster: str | None) -> None:
    """Jellyseerr's broken `…null` images and relative paths are no posters."""
    assert jellyseerr.tmdb_poster(image) == poster


def test_jellyseerr_missing_subject_uses_tmdb_id() -> None:
    """A template without a subject still gives the request a name."""
    body = load_fixture("jellyseerr/media_auto_approved_movie.json")
    del body["subject"]
    evidence = jellyseerr.parse_webhook(body)
    assert isinstance(evidence, RequestEvidence)
    assert evidence.title == "TMDB 533514"


def test_radarr_events() -> None:
    """Grab, Download (file path, upgrade flag), MIR (with the *arr's words), deletes."""
    grab = radarr.parse_webhook(load_fixture("radarr/grab.json"))
    assert isinstance(grab, GrabEvidence)
    assert grab.media.is_anime is True
    assert grab.media.arr_id == 52
    assert grab.media.poster_url is not None
    assert grab.media.poster_url.startswith("https://image.tmdb.org/")
    assert grab.download_id == "C2C60F66C126652A86F7F2EE73DC83D4E255929E"
    assert grab.release.client == "qBittorrent (VPN)"

    upgrade = radarr.parse_webhook(load_fixture("radarr/download_upgrade.json"))
    assert isinstance(upgrade, ImportEvidence)
    assert upgrade.is_upgrade is True
    assert upgrade.complete is True

    blocked = radarr.parse_webhook(
        load_fixture("radarr/manual_interaction_required.json")
    )
    assert isinstance(blocked, ImportBlockedEvidence)
    assert blocked.problem.code is ProblemCode.MANUAL_INTERACTION
    assert "Manual Import required" in dict(blocked.problem.params)["message"]

    unknown_movie = load_fixture(
        "radarr/manual_interaction_required.json", downloadStatusMessages=[]
    )
    del unknown_movie["movie"]
    blocked = radarr.parse_webhook(unknown_movie)
    assert isinstance(blocked, ImportBlockedEvidence)
    assert blocked.media.arr_id is None
    assert blocked.problem == Problem(ProblemCode.MANUAL_INTERACTION)

    deleted = radarr.parse_webhook(load_fixture("radarr/movie_file_delete.json"))
    assert isinstance(deleted, DeleteEvidence)
    assert deleted.reason == "manual"
    upgraded = load_fixture("radarr/movie_file_delete.json", deleteReason="upgrade")
    assert radarr.parse_webhook(upgraded) is None
    movie_deleted = radarr.parse_webhook(load_fixture("radarr/movie_delete.json"))
    assert isinstance(movie_deleted, DeleteEvidence)
    assert radarr.parse_webhook(load_fixture("radarr/movie_added.json")) is None
    assert radarr.parse_webhook(load_fixture("radarr/test.json")) == Ping(
        Service.RADARR
    )


def test_radarr_minimal_grab() -> None:
    """Optional keys may be missing: no downloadId, imdbId, images or release details."""
    grab = radarr.parse_webhook(load_fixture("radarr/grab_minimal.json"))
    assert isinstance(grab, GrabEvidence)
    assert grab.download_id is None
    assert grab.media.imdb_id is None
    assert grab.media.poster_url is None
    assert grab.release.size is None


def test_sonarr_events() -> None:
    """Both Download payloads, MIR with and without series, deletes."""
    grab = sonarr.parse_webhook(load_fixture("sonarr/grab_season_pack.json"))
    assert isinstance(grab, GrabEvidence)
    assert len(grab.episodes) == 13
    assert grab.media.is_anime is True

    single = sonarr.parse_webhook(load_fixture("sonarr/download_single_episode.json"))
    assert isinstance(single, ImportEvidence)
    assert single.complete is False
    assert single.files[0].episodes == tuple(
        (e.season, e.number) for e in single.episodes
    )

    complete = sonarr.parse_webhook(
        load_fixture("sonarr/import_complete_single_episode.json")
    )
    assert isinstance(complete, ImportEvidence)
    assert complete.complete is True
    assert complete.files[0].episodes

    blocked = sonarr.parse_webhook(
        load_fixture("sonarr/manual_interaction_required.json")
    )
    assert isinstance(blocked, ImportBlockedEvidence)
    assert blocked.episodes
    without_series = load_fixture("sonarr/manual_interaction_required.json")
    del without_series["series"]
    blocked = sonarr.parse_webhook(without_series)
    assert isinstance(blocked, ImportBlockedEvidence)
    assert blocked.media.arr_id is None

    deleted = sonarr.parse_webhook(load_fixture("sonarr/episode_file_delete.json"))
    assert isinstance(deleted, DeleteEvidence)
    assert deleted.episodes
    upgraded = load_fixture("sonarr/episode_file_delete.json", deleteReason="upgrade")
    assert sonarr.parse_webhook(upgraded) is None
    series_deleted = sonarr.parse_webhook(load_fixture("sonarr/series_delete.json"))
    assert isinstance(series_deleted, DeleteEvidence)
    assert not series_deleted.episodes
    assert sonarr.parse_webhook(load_fixture("sonarr/series_add.json")) is None
    assert sonarr.parse_webhook(load_fixture("sonarr/test.json")) == Ping(
        Service.SONARR
    )


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Show - S01E03 - Title.mkv", ((1, 3),)),
        ("show.s02e10e11.mkv", ((2, 10), (2, 11))),
        ("Show - S01E03-E05 [WEB].mkv", ((1, 3), (1, 4), (1, 5))),
        ("C:\\TV\\Show\\Season 1\\Show - S01E07.mkv", ((1, 7),)),
        ("Show - 07.mkv", ()),
    ],
)
def test_episode_keys_in_name(name: str, keys: tuple[tuple[int, int], ...]) -> None:
    """Episode numbers are read from the file name, on either path separator."""
    assert episode_keys_in_name(name) == keys


def test_jellyfin_items() -> None:
    """Send-All-Properties and template bodies give the same normalised ids."""
    movie = jellyfin.parse_webhook(
        load_fixture("jellyfin-webhook/ItemAdded_Movie_SendAllProperties.json")
    )
    template = jellyfin.parse_webhook(
        load_fixture("jellyfin-webhook/ItemAdded_Movie_template_rendered.json")
    )
    assert isinstance(movie, LibraryItemEvidence)
    assert isinstance(template, LibraryItemEvidence)
    assert movie.item_id == template.item_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert movie.tmdb_id == template.tmdb_id == 123456
    assert template.year == 2023
    assert template.tvdb_id is None

    episode = jellyfin.parse_webhook(
        load_fixture("jellyfin-webhook/ItemAdded_Episode_template_rendered.json")
    )
    assert isinstance(episode, LibraryItemEvidence)
    assert episode.kind is ItemKind.EPISODE
    assert (episode.season, episode.number) == (1, 1)
    assert episode.series_item_id == "5e6f708192a3b4c5d6e7f8091a2b3c4d"

    series = {
        "NotificationType": "ItemAdded",
        "ItemType": "Series",
        "ItemId": "abc",
        "Provider_tvdb": 81189,
    }
    parsed = jellyfin.parse_webhook(series)
    assert isinstance(parsed, LibraryItemEvidence)
    assert parsed.kind is ItemKind.SERIES


def test_shokofin_ids_from_either_key() -> None:
    """Shokofin's ids, from Send All Properties' key or the documented template's.

    The plugin renders `Provider_shoko file`; the template spells it with `_`.
    """
    sent = jellyfin.parse_webhook(
        load_fixture(
            "jellyfin-webhook/ItemAdded_AnimeMovie_Shokofin_SendAllProperties.json"
        )
    )
    templated = jellyfin.parse_webhook(
        load_fixture(
            "jellyfin-webhook/ItemAdded_Movie_template_rendered.json",
            Provider_shoko_file="220",
            Provider_shoko_series="29",
        )
    )
    for parsed in (sent, templated):
        assert isinstance(parsed, LibraryItemEvidence)
        assert (parsed.shoko_file_id, parsed.shoko_series_id) == (220, 29)


def test_fields_reject_wrong_types() -> None:
    """Every reader names the path of what is wrong."""
    fields = Fields(
        {
            "flag": "yes",
            "list": {},
            "texts": [1],
            "n": 1.5,
            "obj": [],
            "t": 3,
            "w": "1x",
        }
    )
    cases = [
        (lambda: fields.flag("flag"), "body.flag must be true or false"),
        (lambda: fields.objects("list"), "body.list must be a list"),
        (lambda: fields.texts("texts"), "body.texts must be a list of strings"),
        (lambda: fields.integer("n"), "body.n must be an integer"),
        (lambda: fields.required_obj("obj"), "body.obj must be an object"),
        (lambda: fields.text("t"), "body.t must be a string"),
        (lambda: fields.number_text("w"), "body.w must be a whole number"),
        (lambda: fields.required_integer("missing"), "body.missing is missing"),
        (
            lambda: fields.required_number_text("missing"),
            "body.missing is missing or empty",
        ),
    ]
    for read, message in cases:
        with pytest.raises(InvalidPayload, match=message):
            read()
    assert fields.flag("absent") is False
    assert fields.texts("absent") == []


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("HTTP://Jellyseerr.Local:5055/", "http://jellyseerr.local:5055"),
        ("https://media.example.com/seerr/", "https://media.example.com/seerr"),
        ("http://[::1]:5055", "http://[::1]:5055"),
        (" http://10.0.0.2 ", "http://10.0.0.2"),
    ],
)
def test_normalize_url(url: str, normalised: str) -> None:
    """One server typed in several ways is recognised as one."""
    assert normalize_url(url) == normalised
