"""The household's Radarrs and Sonarrs: the primary ones and those of subentries.

The primary Radarr and Sonarr live in the entry's data; a 4K Radarr or a separate
anime Sonarr is a config subentry (DESIGN §4). Everything that talks to an *arr
(pollers, webhooks, wiring, remediation) takes one of these, so each instance is
handled the same way and evidence is told which instance said it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant

from .clients import radarr_client, sonarr_client
from .const import CONF_ROLE, CONF_WEBHOOK_ID, CONF_WEBHOOK_IDS, CONF_WEBHOOK_SECRET
from .engine.models import Instance, Service
from .sources.arr import ArrClient

ARR_SERVICES = (Service.RADARR, Service.SONARR)


class Role(StrEnum):
    """What an instance is for: only `4k` changes which requests it serves."""

    STANDARD = "standard"
    UHD = "4k"
    ANIME = "anime"


@dataclass(frozen=True, slots=True)
class ArrInstance:
    """One Radarr or Sonarr: where it is, its webhook, and which requests it serves.

    `name` is how the household tells it apart: "Radarr" for the primary one, the
    subentry's title for the others.
    """

    service: Service
    instance: Instance
    name: str
    role: Role
    config: Mapping[str, Any]
    webhook_id: str

    @property
    def key(self) -> str:
        """The subentry's id ("" for the primary instance)."""
        return self.instance.key

    @property
    def subentry_id(self) -> str | None:
        """The config subentry of the instance (None: the primary one)."""
        return self.instance.key or None

    @property
    def settings(self) -> tuple[object, ...]:
        """What the entry was set up with; the webhook secret, read at each call, not."""
        config = {k: v for k, v in self.config.items() if k != CONF_WEBHOOK_SECRET}
        return (self.service, self.key, self.name, self.role, sorted(config.items()))

    def client(self, hass: HomeAssistant) -> ArrClient:
        """A client for this instance."""
        if self.service is Service.RADARR:
            return radarr_client(hass, self.config)
        return sonarr_client(hass, self.config)


def arr_instances(entry: ConfigEntry) -> list[ArrInstance]:
    """Every configured Radarr and Sonarr, the primary ones first.

    Where a 4K instance of a kind exists, the others of that kind serve only
    requests that are not 4K; otherwise they serve both (an HD one first).
    """
    configured = [
        ArrInstance(
            service,
            Instance(),
            service.display_name,
            Role.STANDARD,
            entry.data[service],
            entry.data[CONF_WEBHOOK_IDS][service],
        )
        for service in ARR_SERVICES
        if service in entry.data
    ]
    configured.extend(
        ArrInstance(
            Service(subentry.subentry_type),
            Instance(subentry.subentry_id),
            subentry.title,
            Role(subentry.data[CONF_ROLE]),
            subentry.data,
            subentry.data[CONF_WEBHOOK_ID],
        )
        for subentry in arr_subentries(entry)
    )
    with_4k = {arr.service for arr in configured if arr.role is Role.UHD}
    return [
        replace(
            arr,
            instance=Instance(arr.key, _serves_4k(arr.role, arr.service in with_4k)),
        )
        for arr in configured
    ]


def arr_subentries(entry: ConfigEntry) -> list[ConfigSubentry]:
    """The entry's Radarr and Sonarr subentries."""
    kinds = {service.value for service in ARR_SERVICES}
    return [s for s in entry.subentries.values() if s.subentry_type in kinds]


def _serves_4k(role: Role, kind_has_4k: bool) -> bool | None:
    if role is Role.UHD:
        return True
    return False if kind_has_4k else None
