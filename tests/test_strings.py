"""`strings.json` follows hassfest's translation rules, and every code has its text.

hassfest is not shipped with Home Assistant, so its value rules are applied here the
same way: no HTML, no URLs (they belong in placeholders), placeholders that are plain
identifiers and never in single quotes, no surrounding spaces; only the top-level
sections hassfest knows; `translations/en.json` is the same file.
"""

import json
from pathlib import Path
import re
import string
from typing import Any

from homeassistant.helpers import config_validation as cv

from custom_components.media_request_tracker.compat import vol
from custom_components.media_request_tracker.engine.codes import (
    ProblemCode,
    WaitingCode,
)
from custom_components.media_request_tracker.engine.models import Remedy, State

INTEGRATION = Path(__file__).parents[1] / "custom_components" / "media_request_tracker"
STRINGS = json.loads((INTEGRATION / "strings.json").read_text())
# hassfest's `RE_URL` (script/hassfest/translations.py).
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
SECTIONS = {
    "title",
    "config",
    "config_subentries",
    "options",
    "selector",
    "device_automation",
    "issues",
    "entity",
    "entity_component",
    "device",
    "exceptions",
    "services",
    "conditions",
    "triggers",
    "conversation",
    "common",
}
PLACEHOLDER = re.compile(r"{(\w+)}")
# Entity states and attribute values are shown as they are: no placeholders.
NO_PLACEHOLDERS = re.compile(r"^entity\.[^.]+\.[^.]+\.(state|state_attributes)\.")


def texts(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every translated text, with its dotted path."""
    if isinstance(node, dict):
        return [
            found
            for key, value in node.items()
            for found in texts(value, f"{path}.{key}" if path else key)
        ]
    return [(path, node)]


def violations(path: str, text: str) -> list[str]:
    """What hassfest's `validate_translation_value` would refuse in one text."""
    found = []
    try:
        cv.string_with_no_html(text)
    except vol.Invalid:
        found.append("HTML")
    if text != text.strip():
        found.append("leading or trailing spaces")
    if URL.search(text):
        found.append("a URL (it belongs in a placeholder)")
    if re.search(r"'{\w+}'", text):
        found.append("a placeholder in single quotes")
    fields = [name for _, name, _, _ in string.Formatter().parse(text) if name]
    if not all(name.isidentifier() for name in fields):
        found.append("a placeholder that is not an identifier")
    if fields and NO_PLACEHOLDERS.match(path):
        found.append("placeholders where none are supported")
    return [f"{path}: {problem}" for problem in found]


def test_texts_follow_hassfest_rules() -> None:
    """No text breaks a rule; the rules themselves catch what they should."""
    assert [v for path, text in texts(STRINGS) for v in violations(path, text)] == []
    assert violations("issues.x.description", "Open http://<home-assistant>:8123")
    assert violations("issues.x.description", "See https://example.com/docs")
    assert violations("entity.sensor.x.state.y", "Stuck for {hours} h")


def test_only_known_sections_and_english_is_the_same() -> None:
    """Hassfest refuses unknown sections; en.json is generated from strings.json."""
    assert set(STRINGS) <= SECTIONS
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    assert english == STRINGS


def test_every_code_and_state_has_its_text() -> None:
    """Problems, waiting reasons and states are all translated, and nothing more."""
    common = STRINGS["common"]
    assert {key for key in common if key.startswith("problem_")} == {
        f"problem_{code}" for code in ProblemCode
    }
    # A step a person took is said without its place in the day's budget.
    by_hand = "waiting_remediation_by_hand"
    assert set(PLACEHOLDER.findall(common[by_hand])) < set(
        PLACEHOLDER.findall(common["waiting_remediation"])
    )
    waiting = {key for key in common if key.startswith("waiting_")} - {by_hand}
    assert {key for key in waiting if not key.endswith("_short")} == {
        f"waiting_{code}" for code in WaitingCode
    }
    # A short form leaves out placeholders its full text has (texts.py).
    for key in waiting - {f"waiting_{code}" for code in WaitingCode}:
        full = common[key.removesuffix("_short")]
        assert key.endswith("_short")
        assert set(PLACEHOLDER.findall(common[key])) < set(PLACEHOLDER.findall(full))
    # Each remediation step is said as done, and as a dry run would.
    assert {key for key in common if key.startswith("remedy_")} == {
        f"remedy_{remedy}{dry_run}" for remedy in Remedy for dry_run in ("", "_dry_run")
    }
    sensors = STRINGS["entity"]["sensor"]
    for key in ("request_status", "episode_status"):
        assert set(sensors[key]["state"]) == {state.value for state in State}
