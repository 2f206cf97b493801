"""Problems and waiting reasons as text, in Home Assistant's configured language.

The engine names codes with placeholders; their sentences live in `strings.json`
under `common` (`problem_<code>`, `waiting_<code>`), so they are translated like
every other string, and a `state` placeholder reads as the translated state name.
The texts are loaded once and again whenever the language changes.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from string import Formatter

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .engine.codes import Params, Problem, Waiting, WaitingCode
from .engine.models import MediaType, Service, episode_label

_COMMON = f"component.{DOMAIN}.common."
# Who `{arr}` is in a text: the app that handles the request's media type.
ARR_NAMES = {
    MediaType.MOVIE: Service.RADARR.display_name,
    MediaType.TV: Service.SONARR.display_name,
}
_STATES = f"component.{DOMAIN}.entity.sensor.request_status.state."


# Placeholders that are times (ISO 8601): shown in Home Assistant's time zone.
MOMENTS = ("last_search", "until")


def _names(template: str) -> set[str]:
    """The placeholders a text names."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def _local_time(moment: str) -> str:
    """`2026-12-03 14:05` in Home Assistant's time zone (language-neutral)."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    return f"{dt_util.as_local(parsed):%Y-%m-%d %H:%M}"


def _local_date(day: str) -> str:
    """A date as it is (Radarr's release dates); a moment's date where we are."""
    if "T" not in day:
        return day
    return _local_time(day)[:10]


class Texts:
    """Renders codes with the translations of the configured language."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is loaded until `async_load`."""
        self._hass = hass
        self._language = ""
        self._common: dict[str, str] = {}
        self._states: dict[str, str] = {}

    async def async_load(self) -> None:
        """Load (again) the texts of Home Assistant's current language."""
        self._language = language = self._hass.config.language
        common = await async_get_translations(self._hass, language, "common", [DOMAIN])
        entity = await async_get_translations(self._hass, language, "entity", [DOMAIN])
        self._common = {
            key.removeprefix(_COMMON): text
            for key, text in common.items()
            if key.startswith(_COMMON)
        }
        self._states = {
            key.removeprefix(_STATES): text
            for key, text in entity.items()
            if key.startswith(_STATES)
        }

    @callback
    def async_follow_language(self, reloaded: Callable[[], None]) -> CALLBACK_TYPE:
        """Reload when the language changes, then call `reloaded` (entities redraw)."""

        async def reload(_event: Event) -> None:
            language = self._language
            await self.async_load()
            if self._language != language:
                reloaded()

        return self._hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, reload)

    def problem(self, problem: Problem | None, media_type: MediaType) -> str | None:
        """A problem's sentence: the episode it concerns first, the wait last."""
        if problem is None:
            return None
        arr = {"arr": ARR_NAMES[media_type]}
        if problem.waiting is not None:
            # A sentence inside another: "… import it (for more than 2 hours)".
            arr["waiting"] = self._waiting(problem.waiting, arr).rstrip(".")
        text = self._format(f"problem_{problem.code}", problem.params, arr)
        if problem.episode is None:
            return text
        label = (("episode", episode_label(problem.episode)),)
        return self._format("episode_problem", label, {"problem": text})

    def state(self, state: str) -> str:
        """A state's name, as the status sensors show it."""
        return self._states.get(state, state)

    def waiting(self, waiting: Waiting | None, media_type: MediaType) -> str | None:
        """What something waits for, as a sentence."""
        if waiting is None:
            return None
        return self._waiting(waiting, {"arr": ARR_NAMES[media_type]})

    def _waiting(self, waiting: Waiting, extra: dict[str, str]) -> str:
        key = f"waiting_{waiting.code}"
        if waiting.code is WaitingCode.REMEDIATION:
            # The step taken, said in its own words first.
            step = dict(waiting.params)
            dry_run = "_dry_run" if step.get("dry_run") else ""
            extra = extra | {
                "remedy": self._format(f"remedy_{step['step']}{dry_run}", (), extra)
            }
            if step.get("by_hand"):
                key += "_by_hand"
        return self._format(key, waiting.params, extra)

    def _duration(self, hours: float) -> str:
        """`24 hours`, or `3 minutes` below an hour."""
        unit, count = ("hour", hours) if hours >= 1 else ("minute", round(hours * 60))
        if count == 1:
            return self._format(f"duration_{unit}", (), {})
        return self._format(f"duration_{unit}s", (("count", f"{count:g}"),), {})

    def _format(self, key: str, params: Params, extra: dict[str, str]) -> str:
        """Fill a text's placeholders.

        A text whose placeholder is not known has a `_short` form without it; if
        not, the placeholder is left empty (never an error).
        """
        values: defaultdict[str, str] = defaultdict(str, params)
        values.update(extra)
        if state := values.get("state"):
            values["state"] = self.state(state)
        if hours := values.get("hours"):
            values["duration"] = self._duration(float(hours))
        for name in MOMENTS:
            if moment := values.get(name):
                values[name] = _local_time(moment)
        if day := values.get("date"):
            values["date"] = _local_date(day)
        template = self._common.get(key, key)
        if not _names(template) <= values.keys():
            template = self._common.get(f"{key}_short", template)
        return template.format_map(values).strip()
