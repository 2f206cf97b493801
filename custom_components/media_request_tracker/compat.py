"""What differs between the Home Assistant versions we support (2026.3 → current)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import probatio as vol
else:
    # Home Assistant 2026.9 replaced voluptuous with probatio and aliases the old
    # name to it; 2026.3 to 2026.8 have voluptuous itself. Same API either way.
    import voluptuous as vol

__all__ = ["vol"]
