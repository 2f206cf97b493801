"""Says codes as their own names: the engine's views without Home Assistant's texts."""

from datetime import datetime

from custom_components.media_request_tracker.engine.codes import Problem, Waiting
from custom_components.media_request_tracker.engine.eta import Pace
from custom_components.media_request_tracker.engine.models import MediaType
from custom_components.media_request_tracker.engine.timings import Timings
from custom_components.media_request_tracker.engine.views import Outlook, code_of


class CodeNames:
    """A `Renderer` that writes each code as is."""

    def problem(self, problem: Problem | None, _media_type: MediaType) -> str | None:
        """The problem's code."""
        return code_of(problem)

    def waiting(self, waiting: Waiting | None, _media_type: MediaType) -> str | None:
        """The waiting reason's code."""
        return code_of(waiting)


CODE_NAMES = CodeNames()


def calm_outlook(now: datetime) -> Outlook:
    """An outlook with default delays and a healthy stack."""
    return Outlook(Pace(now, Timings(), anime_matching=False), lambda _r: [])
