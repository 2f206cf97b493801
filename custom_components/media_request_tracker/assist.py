"""Assist answers questions about the requests in English.

"Is Dune ready?", "What is downloading?", "What's still coming?" and "When can I
watch Dune?" are answered from the tracked requests.

Each question is an intent handler registered with `intent.async_register`, so any
conversation agent, automation or LLM tool (`llm.py`) can ask it. Home Assistant's
default agent reads sentences only from its own intents package and the user's
configuration; the one way an integration adds sentences is the agent manager's
trigger registration, which the conversation trigger uses. That internal call is
kept in `_async_attach_sentences`, and `tests/polling/test_assist.py` asks every question
through the conversation API, so a change in Home Assistant fails loudly there.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, intent
from homeassistant.setup import async_when_setup
from homeassistant.util import dt as dt_util

from .compat import vol
from .const import DOMAIN
from .data import MediaRequestTrackerData
from .engine.eta import request_watchable_at
from .engine.lookup import coming, downloading, find_by_title
from .engine.models import MediaType, Request, State
from .engine.views import Outlook, request_attributes, request_progress
from .entity import device_name

if TYPE_CHECKING:
    from hassil.recognize import RecognizeResult

    from homeassistant.components.conversation import ConversationInput

INTENT_IS_READY = "MediaRequestIsReady"
INTENT_WHEN = "MediaRequestWhenWatchable"
INTENT_DOWNLOADING = "MediaRequestsDownloading"
INTENT_COMING = "MediaRequestsComing"
ATTR_TITLE = "title"
# At most this many requests are read out; the others are counted.
READ_OUT = 5

# English sentences (hassil templates); `{title}` is a wildcard.
SENTENCES = {
    INTENT_IS_READY: [
        "(is|are) {title} (ready|available|in jellyfin|downloaded) [yet]",
        "(has|have) {title} (arrived|finished downloading) [yet]",
        "can (i|we) watch {title} [yet]",
    ],
    INTENT_WHEN: [
        "when can (i|we) watch {title}",
        "when (will|is) {title} [be] (ready|available|coming)",
        "how long (until|till|before) {title} is ready",
    ],
    INTENT_DOWNLOADING: [
        "(what's|what is) [being] download[ing|ed] [right now]",
        "what are (we|you) downloading [right now]",
    ],
    INTENT_COMING: [
        "(what's|what is) [still] (coming|on (its|the) way|to come)",
        "what (requests|movies|shows) are [still] (coming|pending|on their way)",
    ],
}


@dataclass(frozen=True, slots=True)
class _Tracked:
    """A request as Assist speaks of it, with its entry's view of it."""

    request: Request
    waiting: str | None
    problem: str | None
    watchable_at: datetime | None

    @property
    def name(self) -> str:
        return device_name(self.request)


class _Household:
    """Every loaded entry's requests, seen at one moment.

    Only the requests an answer speaks of are looked at closely.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self.now = dt_util.utcnow()
        self.requests: list[Request] = []
        self._entries: dict[int, tuple[MediaRequestTrackerData, Outlook]] = {}
        for entry in hass.config_entries.async_loaded_entries(DOMAIN):
            data: MediaRequestTrackerData = entry.runtime_data
            outlook = data.tracker.outlook(self.now)
            for request in data.tracker.requests.values():
                self._entries[id(request)] = (data, outlook)
                self.requests.append(request)

    def of(self, requests: list[Request]) -> list[_Tracked]:
        """How the requests' sensors describe them."""
        return [self._tracked(request) for request in requests]

    def expected(self, request: Request) -> datetime | None:
        """When the request should be watchable."""
        return request_watchable_at(request, self._entries[id(request)][1].pace)

    def _tracked(self, request: Request) -> _Tracked:
        data, outlook = self._entries[id(request)]
        view = request_attributes(request, data.texts, outlook)
        return _Tracked(
            request,
            view["waiting_detail"],
            view["problem"],
            request_watchable_at(request, outlook.pace),
        )


# The answers


def is_ready(household: _Household, title: str) -> str:
    """Yes, how much of a show, or what it is waiting for."""
    found = household.of(find_by_title(household.requests, title))
    if not found:
        return _unknown(title)
    tracked = found[0]
    request = tracked.request
    if request.state is State.AVAILABLE:
        return f"Yes, {tracked.name} is ready to watch."
    ready, total = _episodes(request)
    if ready:
        return (
            f"{ready} of {total} episodes of {tracked.name} are ready. "
            f"{_status(tracked, household.now)}"
        )
    return f"Not yet. {_status(tracked, household.now)}"


def when_watchable(household: _Household, title: str) -> str:
    """The estimate, or why there is none."""
    found = household.of(find_by_title(household.requests, title))
    if not found:
        return _unknown(title)
    tracked = found[0]
    if tracked.request.state is State.AVAILABLE:
        return f"{tracked.name} is ready to watch now."
    if tracked.watchable_at is not None:
        when = _when(tracked.watchable_at, household.now)
        return f"{tracked.name} should be ready {when}."
    return f"I can't tell yet when {tracked.name} will be ready. {_status(tracked, household.now)}"


def what_is_downloading(household: _Household) -> str:
    """Each download in progress, with its progress and time left."""
    found = household.of(downloading(household.requests))
    if not found:
        return "Nothing is downloading right now."
    parts = [f"{t.name}{_progress(t, household.now)}" for t in found]
    return f"{_count(len(found), 'download')}: {_listed(parts)}."


def what_is_coming(household: _Household) -> str:
    """Every request on its way, the soonest first."""
    found = household.of(coming(household.requests, household.expected))
    if not found:
        return "Nothing is on its way: every request is in."
    parts = [_coming(tracked, household.now) for tracked in found]
    return f"{_count(len(found), 'request')} on the way: {_listed(parts)}."


# Phrases


def _status(tracked: _Tracked, now: datetime) -> str:
    """What a request not ready is doing, as a sentence."""
    request = tracked.request
    if request.state is State.DECLINED:
        return f"{tracked.name} was declined in Jellyseerr."
    if request.state is State.REMOVED:
        return f"{tracked.name} was removed."
    if tracked.problem:
        return f"{tracked.name} needs attention: {_sentence(tracked.problem)}"
    if request.state is State.DOWNLOADING and not request.stalled:
        return f"{tracked.name} is downloading{_progress(tracked, now)}."
    if tracked.waiting:
        return f"{tracked.name}: {_sentence(tracked.waiting)}"
    return f"{tracked.name} is {request.state.value.replace('_', ' ')}."


def _progress(tracked: _Tracked, now: datetime) -> str:
    """`, 45% done, ready in about 25 minutes`, as far as it is known."""
    progress = request_progress(tracked.request)
    done = "" if progress is None else f", {progress}% done"
    if tracked.watchable_at is None:
        return f"{done}, stalled" if tracked.request.stalled else done
    return f"{done}, ready {_when(tracked.watchable_at, now)}"


def _coming(tracked: _Tracked, now: datetime) -> str:
    if tracked.watchable_at is not None:
        return f"{tracked.name}, ready {_when(tracked.watchable_at, now)}"
    ready, total = _episodes(tracked.request)
    if ready:
        return f"{tracked.name}, {ready} of {total} episodes ready"
    reason = tracked.problem or tracked.waiting
    if reason is None:
        return tracked.name
    return f"{tracked.name} ({reason.rstrip('.')})"


def _when(moment: datetime, now: datetime) -> str:
    """`in about 25 minutes`, `in about 3 hours, around 21:40`, `on Friday 12 December`."""
    left = moment - now
    local = dt_util.as_local(moment)
    if left < timedelta(minutes=1):
        return "any minute now"
    if left < timedelta(minutes=90):
        return f"in about {_count(round(left.total_seconds() / 60), 'minute')}"
    if local.date() == dt_util.as_local(now).date() or left < timedelta(hours=12):
        hours = round(left.total_seconds() / 3600)
        return f"in about {_count(hours, 'hour')}, around {local:%H:%M}"
    return f"on {local:%A} {local.day} {local:%B}"


def _episodes(request: Request) -> tuple[int, int]:
    """Episodes available, and episodes tracked, of a show (none for a movie)."""
    if request.media_type is MediaType.MOVIE:
        return 0, 0
    live = [ep for ep in request.episodes.values() if ep.state is not State.REMOVED]
    return sum(ep.state is State.AVAILABLE for ep in live), len(live)


def _unknown(title: str) -> str:
    return f"I'm not tracking a request called {title}."


def _sentence(text: str) -> str:
    return f"{text.rstrip('.')}."


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listed(parts: list[str]) -> str:
    """`A; B; and 2 more`: at most READ_OUT read out."""
    shown = parts[:READ_OUT]
    if len(parts) > READ_OUT:
        shown.append(f"and {len(parts) - READ_OUT} more")
    return "; ".join(shown)


# Intents and sentences


class _Question(intent.IntentHandler):
    """A read-only question about the tracked requests, answered in one sentence."""

    def __init__(self, intent_type: str, tool_name: str, description: str) -> None:
        """Name the intent and its LLM tool; say what it answers (LLMs read it)."""
        self.intent_type = intent_type
        self.tool_name = tool_name
        self.description = description

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Answer from what is tracked now."""
        response = intent_obj.create_response()
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        response.async_set_speech(self.answer(_Household(intent_obj.hass), intent_obj))
        return response

    def answer(self, household: _Household, intent_obj: intent.Intent) -> str:
        """The sentence that answers the question."""
        raise NotImplementedError


class _TitleQuestion(_Question):
    """A question about one title, said in the `title` slot."""

    def __init__(
        self,
        intent_type: str,
        tool_name: str,
        description: str,
        answer: Callable[[_Household, str], str],
    ) -> None:
        """A question answered by `answer(household, title)`."""
        super().__init__(intent_type, tool_name, description)
        self._answer = answer

    @property
    def slot_schema(self) -> dict[Any, Any]:
        """The title, as said."""
        return {
            vol.Required(ATTR_TITLE): vol.All(cv.string, vol.Strip, vol.Length(min=1))
        }

    def answer(self, household: _Household, intent_obj: intent.Intent) -> str:
        """Answer about the title asked for."""
        slots = self.async_validate_slots(intent_obj.slots)
        return self._answer(household, slots[ATTR_TITLE]["value"])


class _ListQuestion(_Question):
    """A question about every request."""

    def __init__(
        self,
        intent_type: str,
        tool_name: str,
        description: str,
        answer: Callable[[_Household], str],
    ) -> None:
        """A question answered by `answer(household)`."""
        super().__init__(intent_type, tool_name, description)
        self._answer = answer

    def answer(self, household: _Household, intent_obj: intent.Intent) -> str:
        """Answer about all requests."""
        return self._answer(household)


QUESTIONS: tuple[_Question, ...] = (
    _TitleQuestion(
        INTENT_IS_READY,
        "is_ready",
        "Whether a movie or show requested in Jellyseerr is ready to watch, and if "
        "not what it is waiting for. The title may be approximate.",
        is_ready,
    ),
    _TitleQuestion(
        INTENT_WHEN,
        "when_watchable",
        "When a movie or show requested in Jellyseerr should be ready to watch.",
        when_watchable,
    ),
    _ListQuestion(
        INTENT_DOWNLOADING,
        "downloading",
        "Which requested movies and shows are downloading, with progress and time left.",
        what_is_downloading,
    ),
    _ListQuestion(
        INTENT_COMING,
        "coming",
        "Which requested movies and shows are still on their way, the soonest first.",
        what_is_coming,
    ),
)


def async_setup_assist(hass: HomeAssistant) -> None:
    """Register the questions; add their sentences once Assist is set up."""
    for question in QUESTIONS:
        intent.async_register(hass, question)
    async_when_setup(hass, "conversation", _async_attach_sentences)


async def _async_attach_sentences(hass: HomeAssistant, _component: str) -> None:
    """Teach the default agent our English sentences (see the module docstring)."""
    # Imported once Assist is there: the conversation stack is not ours to load.
    from homeassistant.components.conversation.agent_manager import (  # noqa: PLC0415
        get_agent_manager,
    )

    manager = get_agent_manager(hass)
    for intent_type, sentences in SENTENCES.items():
        manager.register_trigger(sentences, partial(_async_answer, hass, intent_type))


async def _async_answer(
    hass: HomeAssistant,
    intent_type: str,
    user_input: ConversationInput,
    result: RecognizeResult,
) -> str | None:
    """Ask the intent a recognized sentence names; its speech is the answer."""
    slots: dict[str, Any] = {
        name: {"value": str(entity.value).strip(), "text": entity.text}
        for name, entity in result.entities.items()
    }
    response = await intent.async_handle(
        hass,
        DOMAIN,
        intent_type,
        slots,
        text_input=user_input.text,
        context=user_input.context,
        language=user_input.language,
    )
    return str(response.speech["plain"]["speech"])
