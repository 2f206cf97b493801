"""Problems and waiting reasons as stable codes with placeholders (DESIGN §4, Codes).

The engine never writes a sentence: it names a code and the values its text needs.
Home Assistant renders them in its configured language from `strings.json`, and
automations match on the code itself. The lists are DESIGN's; a code keeps its
meaning once published.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

type Params = tuple[tuple[str, str], ...]


class ProblemCode(StrEnum):
    """Why a request or an episode is failed or stalled."""

    DOWNLOAD_FAILED = "download_failed"  # message
    DOWNLOAD_ERROR = "download_error"
    MISSING_FILES = "missing_files"
    IMPORT_BLOCKED = "import_blocked"  # message
    MANUAL_INTERACTION = "manual_interaction"  # message
    JELLYSEERR_FAILED = "jellyseerr_failed"
    FILE_NOT_MATCHED = "file_not_matched"  # file
    ANIDB_BAN = "anidb_ban"  # file
    IGNORED = "ignored"
    STALLED = "stalled"  # state, hours (and what it waits for)
    NOT_ADDED = "not_added"


class WaitingCode(StrEnum):
    """What a request or an episode that is not available yet waits for."""

    APPROVAL = "approval"
    NOT_ADDED = "not_added"
    NOT_RELEASED = "not_released"  # date
    SEARCHING = "searching"  # last_search
    DELAY_PROFILE = "delay_profile"  # until
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    DOWNLOAD_STALLED = "download_stalled"
    DOWNLOAD_PAUSED = "download_paused"
    DOWNLOAD_METADATA = "download_metadata"
    DOWNLOAD_CHECKING = "download_checking"
    DOWNLOAD_CLIENT_UNREACHABLE = "download_client_unreachable"  # message or until
    IMPORT_PENDING = "import_pending"  # message
    IMPORT_BLOCKED = "import_blocked"  # message
    ARR_HEALTH = "arr_health"  # message
    SHOKO_MATCH = "shoko_match"
    ANIDB_BAN = "anidb_ban"
    SHOKOFIN_FILTER = "shokofin_filter"
    JELLYFIN = "jellyfin"
    # A remediation step was taken since the state began: step, attempt, of, dry_run.
    REMEDIATION = "remediation"


def params(**values: object) -> Params:
    """Placeholder values as text, in a stable order, leaving out unknown ones."""
    return tuple(
        (name, str(value))
        for name, value in sorted(values.items())
        if value is not None
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    """What something waits for: a code and the values its text needs."""

    code: WaitingCode
    params: Params = ()

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage and for the stored forms of downloads."""
        return {"code": self.code.value, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Waiting:
        """Restore from storage."""
        return cls(WaitingCode(data["code"]), tuple(sorted(data["params"].items())))


@dataclass(frozen=True, slots=True)
class Problem:
    """Why something is failed or stalled.

    `episode` names the episode of a TV request the problem comes from; `waiting`
    says, for a stall, what it has waited for so long.
    """

    code: ProblemCode
    params: Params = ()
    episode: tuple[int, int] | None = None
    waiting: Waiting | None = None

    @property
    def words(self) -> str:
        """The upstream's own words for it when it gave some, else the code."""
        return dict(self.params).get("message") or self.code.value

    def about(self, episode: tuple[int, int]) -> Problem:
        """The same problem, said of one episode of a request."""
        return Problem(self.code, self.params, episode, self.waiting)

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage, events and diagnostics."""
        data: dict[str, Any] = {"code": self.code.value, "params": dict(self.params)}
        if self.episode is not None:
            data["episode"] = list(self.episode)
        if self.waiting is not None:
            data["waiting"] = self.waiting.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """Restore from storage."""
        episode = data.get("episode")
        waiting = data.get("waiting")
        return cls(
            ProblemCode(data["code"]),
            tuple(sorted(data["params"].items())),
            None if episode is None else (episode[0], episode[1]),
            None if waiting is None else Waiting.from_dict(waiting),
        )


# An import waiting for a person: Radarr/Sonarr's webhook calls it a manual
# interaction, their queue an import blocked; the same condition either way.
BY_HAND = frozenset({ProblemCode.IMPORT_BLOCKED, ProblemCode.MANUAL_INTERACTION})


def same_import_block(one: Problem, other: Problem) -> bool:
    """Whether two problems are one import waiting for a person, said twice."""
    return (
        one.code in BY_HAND
        and other.code in BY_HAND
        and one.words == other.words
        and one.episode == other.episode
    )
