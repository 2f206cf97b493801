"""The Assist questions as read-only tools for LLM-based assistants.

Home Assistant releases with the `llm` integration (2026.10 has it) take Assist's
tools from each integration's `llm` platform. Earlier ones (2026.3) have no such
platform and offer every registered intent by themselves, named after the intent, so
the same questions reach LLMs there too.
"""

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    IntentTool,
    LLMContext,
    Tool,
    ToolAnnotations,
)

from .assist import QUESTIONS
from .const import DOMAIN

# They only read what is tracked, always the same way, and reach no other service.
READ_ONLY = ToolAnnotations(
    read_only=True, destructive=False, idempotent=True, open_world=False
)


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """A tool for each question, for Assist's API, while an entry is loaded."""
    if api_id != LLM_API_ASSIST or not hass.config_entries.async_loaded_entries(DOMAIN):
        return None
    tools: list[Tool] = [
        IntentTool(
            f"{DOMAIN}__{question.tool_name}",
            question,
            integration=DOMAIN,
            annotations=READ_ONLY,
        )
        for question in QUESTIONS
    ]
    return LLMTools(tools=tools)
