"""Typed reads from untrusted JSON, with the offending path in every error.

The payload rules are specific (Jellyseerr sends every value as a string and `""` for
"unknown"; *arr omits null keys; Jellyfin templates may send numbers as text), so each
source writes its schema as a short parser over these readers and gets typed records
out, instead of validating a dict and then reading it a second time.
"""

from typing import Any

from .errors import InvalidPayload


class Fields:
    """One JSON object; every read checks the type and names the path on failure."""

    __slots__ = ("_data", "_index", "_parent")

    def __init__(
        self, data: object, path: str = "body", index: int | None = None
    ) -> None:
        """Wrap a decoded JSON object (anything else is an invalid payload).

        `index` is its place in the list at `path`: the path is written out only
        when an error names it (a history of thousands of rows names none).
        """
        self._parent = path
        self._index = index
        if not isinstance(data, dict):
            raise InvalidPayload(f"{self._path} must be an object")
        self._data: dict[str, Any] = data

    @property
    def _path(self) -> str:
        return self._parent if self._index is None else f"{self._parent}[{self._index}]"

    def with_lowercase_keys(self) -> Fields:
        """The same object with its keys lower-cased (for case-insensitive senders)."""
        return Fields(
            {key.lower(): value for key, value in self._data.items()}, self._path
        )

    def _wrong(self, key: str, expected: str) -> InvalidPayload:
        return InvalidPayload(f"{self._path}.{key} must be {expected}")

    def text(self, key: str) -> str | None:
        """An optional string; `""` counts as absent."""
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value or None

    def required_text(self, key: str) -> str:
        """A non-empty string."""
        value = self.text(key)
        if value is None:
            raise InvalidPayload(f"{self._path}.{key} is missing or empty")
        return value

    def integer(self, key: str) -> int | None:
        """An optional JSON integer (booleans are not integers)."""
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer")
        return value

    def required_integer(self, key: str) -> int:
        """A JSON integer that must be present."""
        value = self.integer(key)
        if value is None:
            raise InvalidPayload(f"{self._path}.{key} is missing")
        return value

    def number_text(self, key: str) -> int | None:
        """An integer sent as a number or as digits in a string (`""` is absent)."""
        value = self._data.get(key)
        if not isinstance(value, str):
            return self.integer(key)
        value = value.strip()
        if not value:
            return None
        if not value.isdecimal():
            raise self._wrong(key, "a whole number")
        return int(value)

    def required_number_text(self, key: str) -> int:
        """A whole number (as a number or digits in a string) that must be present."""
        value = self.number_text(key)
        if value is None:
            raise InvalidPayload(f"{self._path}.{key} is missing or empty")
        return value

    def id_number(self, key: str) -> int | None:
        """An upstream id where 0 means "unknown" (Sonarr's tmdbId, Radarr's test)."""
        value = self.integer(key)
        return value or None

    def flag(self, key: str, *, absent: bool = False) -> bool:
        """A boolean; `absent` when the key is missing or null."""
        value = self._data.get(key)
        if value is None:
            return absent
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def obj(self, key: str) -> Fields | None:
        """An optional nested object."""
        value = self._data.get(key)
        return None if value is None else Fields(value, f"{self._path}.{key}")

    def required_obj(self, key: str) -> Fields:
        """A nested object that must be present."""
        value = self._data.get(key)
        if value is None:
            raise InvalidPayload(f"{self._path}.{key} is missing")
        return Fields(value, f"{self._path}.{key}")

    def objects(self, key: str) -> list[Fields]:
        """A list of objects (absent means empty)."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [Fields(item, f"{self._path}.{key}", n) for n, item in enumerate(value)]

    def texts(self, key: str) -> list[str]:
        """A list of strings (absent means empty)."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(key, "a list of strings")
        return value
