"""What applying evidence produced: the rules' findings and the tracker's changes.

A rule reports a `Finding` for each request whose facts it touched; the tracker settles
those requests (derives their states again) and reports every difference in an
`Outcome` for the shell to save, publish and fire events for.
"""

from dataclasses import dataclass, field
from datetime import datetime

from .codes import Problem
from .models import Episode, Request, Service, State


@dataclass(slots=True)
class Finding:
    """A request a rule looked at, and what it did to it.

    `changed` says whether facts changed (the request is settled and re-indexed);
    `episodes` limits the episodes settled to those the evidence can have changed
    (None: all of them); `progressed` that only live download numbers moved.
    """

    request: Request
    source: Service
    detail: str
    changed: bool
    episodes: list[Episode] | None = None
    progressed: bool = False


@dataclass(frozen=True, slots=True)
class StateChange:
    """A request changed state (`from_state` is None for a new request)."""

    request: Request
    from_state: State | None
    to_state: State


@dataclass(frozen=True, slots=True)
class EpisodeStateChange:
    """An episode changed state (`from_state` is None for a new episode)."""

    request: Request
    episode: Episode
    from_state: State | None
    to_state: State


@dataclass(frozen=True, slots=True)
class ProblemChange:
    """A request's or an episode's problem appeared, changed or cleared."""

    request: Request
    episode: Episode | None
    stalled: bool
    problem: Problem | None


@dataclass(slots=True)
class Outcome:
    """What one piece of evidence changed, and when it was applied."""

    now: datetime
    new_episodes: list[tuple[Request, Episode]] = field(default_factory=list)
    touched: dict[str, Request] = field(default_factory=dict)
    state_changes: list[StateChange] = field(default_factory=list)
    episode_changes: list[EpisodeStateChange] = field(default_factory=list)
    problem_changes: list[ProblemChange] = field(default_factory=list)
    # Requests whose live progress changed (entities refresh; nothing to save).
    progressed: dict[str, Request] = field(default_factory=dict)
