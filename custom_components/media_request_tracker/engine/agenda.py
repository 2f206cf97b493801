"""The calendar's milestones: when requests should become watchable, and release dates.

They are worked out from the requests whenever they are asked for, never kept: the
tracker stays the one truth, read like the sensors read it. A watchable estimate is
a moment, the stack's honest guess (`eta.py`), shown as one minute. A release is
what Radarr or Sonarr lists for a title that is not out yet, in their own terms:

- Radarr's release dates are dates (TMDB's), sent as midnight UTC. The milestone is
  that whole day, taken in UTC: that is the date Radarr means, and read in a zone
  west of Greenwich it would fall on the day before.
- Sonarr's air date is a moment (`airDateUtc`): the milestone is that moment.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from .codes import Waiting
from .eta import episode_watchable_at, request_watchable_at
from .models import Episode, HealthCheck, MediaType, Request, Track, episode_label
from .views import Outlook
from .waiting import episode_waiting, request_waiting

# A moment lasts a minute: estimates are whole minutes, and a calendar is "on" only
# during an event that lasts.
MOMENT = timedelta(minutes=1)
DAY = timedelta(days=1)


class MilestoneKind(StrEnum):
    """What a milestone marks (also the last part of its uid)."""

    WATCHABLE = "watchable"
    RELEASE = "release"


@dataclass(frozen=True, slots=True)
class Milestone:
    """One calendar event: which request or episode, when, and what it waits for.

    `start` and `end` are both datetimes (a moment, aware) or both dates (a whole
    day, `end` the day after).
    """

    kind: MilestoneKind
    request: Request
    episode: Episode | None
    start: date | datetime
    end: date | datetime
    # The failing checks of the request's Radarr/Sonarr, for `waiting`.
    health: Sequence[HealthCheck] = ()

    @property
    def waiting(self) -> Waiting | None:
        """What the track waits for: worked out when asked (one event is shown).

        Thousands of milestones are compared to find the next one; only those
        shown say what they wait for.
        """
        if self.episode is None:
            return request_waiting(self.request, self.health)
        return episode_waiting(self.request, self.episode, self.health)

    @property
    def track(self) -> Track:
        """The request, or the episode the milestone is about."""
        return self.request if self.episode is None else self.episode

    @property
    def uid(self) -> str:
        """The same while estimates move: `80-watchable`, `90-s02e03-watchable`."""
        episode = self.episode
        part = "" if episode is None else f"-{episode_label(episode.key).lower()}"
        return f"{self.request.key}{part}-{self.kind}"

    def span(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """When it begins and ends; a whole day runs from midnight in `zone`."""
        return _aware(self.start, zone), _aware(self.end, zone)


def agenda(requests: Iterable[Request], outlook: Outlook) -> list[Milestone]:
    """The milestones of every request still on its way, in no particular order."""
    return [
        milestone
        for request in requests
        if not request.is_terminal
        for milestone in _milestones(request, outlook)
    ]


def upcoming(
    milestones: Iterable[Milestone], now: datetime, zone: tzinfo
) -> Milestone | None:
    """The milestone going on now, else the next one to begin.

    Of those that begin first, the lowest uid (uids are only made for those).
    """
    ahead = [
        (span[0], milestone)
        for milestone in milestones
        if (span := milestone.span(zone))[1] > now
    ]
    if not ahead:
        return None
    first = min(start for start, _ in ahead)
    return min(
        (milestone for start, milestone in ahead if start == first),
        key=lambda milestone: milestone.uid,
    )


def between(
    milestones: Iterable[Milestone], start: datetime, end: datetime, zone: tzinfo
) -> list[Milestone]:
    """The milestones that overlap `start`-`end`, in the order they begin."""
    overlapping = [
        milestone
        for milestone in milestones
        if (span := milestone.span(zone))[0] < end and span[1] > start
    ]
    return sorted(overlapping, key=lambda milestone: _order(milestone, zone))


def _milestones(request: Request, outlook: Outlook) -> Iterator[Milestone]:
    """A pending release; when the movie, or each episode with an estimate, is due.

    A show's own estimate (its last episode) would repeat one of its episodes'.
    """
    health = outlook.health_of(request)
    if (release := _release(request)) is not None:
        start, end = release
        yield Milestone(MilestoneKind.RELEASE, request, None, start, end, health)
    if request.media_type is MediaType.MOVIE or not request.episodes:
        at = request_watchable_at(request, outlook.pace)
        if at is not None:
            yield _watchable(request, None, at, health)
        return
    for episode in request.episodes.values():
        at = episode_watchable_at(request, episode, outlook.pace)
        if at is not None:
            yield _watchable(request, episode, at, health)


def _watchable(
    request: Request,
    episode: Episode | None,
    at: datetime,
    health: Sequence[HealthCheck],
) -> Milestone:
    return Milestone(MilestoneKind.WATCHABLE, request, episode, at, at + MOMENT, health)


def _release(request: Request) -> tuple[date, date] | tuple[datetime, datetime] | None:
    """A movie's release day, or a show's first air time; None once it is out."""
    listing = request.listing
    if listing is None or listing.released or listing.release is None:
        return None
    release = listing.release
    if request.media_type is MediaType.MOVIE:
        day = release.astimezone(UTC).date()
        return day, day + DAY
    return release, release + MOMENT


def _aware(moment: date | datetime, zone: tzinfo) -> datetime:
    """A moment as it is; a day as its midnight in `zone`."""
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time.min, zone)


def _order(milestone: Milestone, zone: tzinfo) -> tuple[datetime, str]:
    """By when it begins; the uid keeps milestones at the same time in one order."""
    return milestone.span(zone)[0], milestone.uid
