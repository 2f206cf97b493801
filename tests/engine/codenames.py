"""Says codes as their own names: the engine's views without Home Assistant's texts."""

from custom_components.media_request_tracker.engine.codes import Problem, Waiting
from custom_components.media_request_tracker.engine.models import MediaType
from custom_components.media_request_tracker.engine.views import code_of


class CodeNames:
    """A `Renderer` that writes each code as is."""

    def problem(self, problem: Problem | None, _media_type: MediaType) -> str | None:
        """The problem's code."""
        return code_of(problem)

    def waiting(self, waiting: Waiting | None, _media_type: MediaType) -> str | None:
        """The waiting reason's code."""
        return code_of(waiting)


CODE_NAMES = CodeNames()
