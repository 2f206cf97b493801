"""Radarr's and Sonarr's live messages: the SignalR hub their own web UI listens to.

Read from Radarr's and Sonarr's source (reference `arr-jellyseerr.md` §10): the hub at
`/signalr/messages` takes the API key as `X-Api-Key` (or `?access_token=`), and calls
`receiveMessage` with one argument, `{"name": …, "body": {"resource": …, "action": …}}`
(camelCase, nulls left out). Messages carry no history and no failure of their own: they
only say that something moved, and the poll that they wake reads what.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import InvalidPayload
from .fields import Fields

HUB_PATH = "/signalr/messages"
HUB_METHOD = "receiveMessage"


class Topic(StrEnum):
    """What a message is about, as far as tracking is concerned."""

    # A movie or series changed (grabbed, imported, a file deleted): `media_id` says which.
    MEDIA = "media"
    # The queue was refreshed (about every minute while anything is in it) or its
    # counts changed (a grab, an import, a failure, an import blocked).
    QUEUE = "queue"
    # The health checks ran again.
    HEALTH = "health"


# Message name → topic. `queue` says "sync" after every refresh of the downloads (about
# once a minute: the moment Radarr/Sonarr notice a download finished or failed);
# `queue/status` carries the counts (at most every 5 s). `queue/details` repeats
# `queue`, `wanted/*` repeat `movie`/`episode`, and `command` is the app's own
# housekeeping: none of them is worth a poll.
_TOPICS = {
    "movie": Topic.MEDIA,
    "moviefile": Topic.MEDIA,
    "series": Topic.MEDIA,
    "episode": Topic.MEDIA,
    "episodefile": Topic.MEDIA,
    "queue": Topic.QUEUE,
    "queue/status": Topic.QUEUE,
    "health": Topic.HEALTH,
}
# The key of the movie or series id in each resource (the resource's own id for the
# movie and the series themselves).
_MEDIA_KEYS = {
    "movie": "id",
    "series": "id",
    "moviefile": "movieId",
    "episode": "seriesId",
    "episodefile": "seriesId",
}


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One message that may concern tracked work."""

    topic: Topic
    # The Radarr movie or Sonarr series id (MEDIA), when the resource names it.
    media_id: int | None = None


def parse_live_message(arguments: list[Any]) -> LiveMessage | None:
    """A `receiveMessage` invocation's message; None for those tracking ignores.

    InvalidPayload when it is not shaped as Radarr and Sonarr send it.
    """
    if len(arguments) != 1:
        raise InvalidPayload(f"{HUB_METHOD} takes one argument, got {len(arguments)}")
    message = Fields(arguments[0], "message")
    name = message.required_text("name")
    topic = _TOPICS.get(name)
    if topic is None:
        return None
    # The action (created, updated, deleted, sync) changes nothing: any is news.
    resource = message.required_obj("body").obj("resource")
    if topic is Topic.MEDIA:
        # A deleted file's resource is its bare id: its movie reads as 0, unknown.
        media_id = None if resource is None else resource.id_number(_MEDIA_KEYS[name])
        return LiveMessage(topic, media_id)
    return LiveMessage(topic)
