"""What differs between the Home Assistant versions we support (2026.3 → current)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import probatio as vol
else:
    # Home Assistant 2026.9 replaced voluptuous with probatio and aliases the old
    # name to it; 2026.3 to 2026.8 have voluptuous itself. Same API either way.
    import voluptuous as vol

try:
    from homeassistant.helpers.entity_platform import (
        MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY,
    )
except ImportError:
    # Before 2026.4 Home Assistant had no cap; we keep to the same one everywhere.
    MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY = 10_000

__all__ = ["MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", "vol"]
