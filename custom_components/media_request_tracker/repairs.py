"""Repair flows: the webhook connections the user lets us create or fix."""

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import DOMAIN
from .sources.errors import UNUSABLE_ANSWER
from .wiring import async_wire, issue_data

if TYPE_CHECKING:
    # Newer than the oldest supported Home Assistant; annotations are not evaluated
    # at run time (Python 3.14), so only the type checker needs it.
    from homeassistant.components.repairs import RepairsFlowResult


class WiringRepairFlow(RepairsFlow):
    """Confirm, then create (or complete) the service's webhook connection."""

    def __init__(self, entry_id: str, service: str) -> None:
        """Remember what the issue is about."""
        self._entry_id = entry_id
        self._service = service

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Wire the service once the user agrees; say why when it fails."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self._entry_id)
            if entry is None or entry.domain != DOMAIN:
                return self.async_abort(reason="entry_removed")
            try:
                await async_wire(self.hass, entry, self._service)
            except NoURLAvailableError:
                errors["base"] = "no_url"
            except UNUSABLE_ANSWER:
                errors["base"] = "cannot_connect"
            else:
                return self.async_create_entry(data={})
        return self.async_show_form(step_id="confirm", errors=errors)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Every fixable issue of this integration is a wiring issue."""
    entry_id, service = issue_data(data)
    return WiringRepairFlow(entry_id, service)
