"""A thin JSON-over-HTTP client shared by the upstream API clients.

The upstream APIs we call are small and stable (a handful of endpoints each), and the
maintained Python libraries for them either pin versions that clash with Home Assistant
core's own integrations or cover other endpoints. One shared, typed wrapper over aiohttp
keeps error mapping identical across services and lets Home Assistant inject its session.
"""

import asyncio
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
import ssl
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson

from .errors import (
    CannotConnect,
    ErrorStatus,
    InvalidAuth,
    InvalidPayload,
    InvalidUrl,
    NotFound,
    SslError,
    WrongService,
)
from .fields import Fields

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)
# Bodies this large are decoded in a worker thread: a first poll's history or queue
# of thousands of rows takes the event loop 100 ms or more to decode.
LARGE_BODY_BYTES = 256 * 1024
# A poster at the cards' size is tens of kilobytes; anything this large is not one.
MAX_IMAGE_BYTES = 1024 * 1024
# Raster images only: an SVG served from Home Assistant's origin could run script.
IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"}
)


@dataclass(frozen=True, slots=True)
class Image:
    """An image as a service sent it."""

    content_type: str
    body: bytes


def normalize_url(url: str) -> str:
    """Return the canonical form of a service URL, or raise InvalidUrl.

    Scheme and host are lower-cased, the port and path are kept, and a trailing slash is
    dropped, so that the same server typed two ways is recognised as one.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise InvalidUrl(url) from err
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidUrl(url)
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


class JsonApi:
    """Send requests to one service and map failures to our exception set."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        headers: Mapping[str, str],
    ) -> None:
        """Bind the client to a service URL and its authentication headers.

        Certificate checking is the session's business (Home Assistant hands out a
        verifying or a non-verifying session), so it is not repeated here.
        """
        self._session = session
        self._base_url = normalize_url(base_url)
        self._headers = dict(headers)

    @property
    def base_url(self) -> str:
        """The normalised URL of the service."""
        return self._base_url

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one request and return the decoded JSON body (None when empty)."""
        with _transport_errors():
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                json=json,
                headers=self._headers,
                timeout=REQUEST_TIMEOUT,
            ) as response:
                _raise_for_status(response.status, path)
                if response.status == HTTPStatus.NO_CONTENT:
                    return None
                body = await response.read()
        try:
            return await _async_decode(body)
        except ValueError as err:
            raise WrongService(f"{path} did not answer JSON") from err

    async def request_text(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        data: Mapping[str, str] | None = None,
        passed: Collection[int] = (),
    ) -> tuple[int, str]:
        """Send one request (a form when `data` is given); return status and body text.

        For services that answer text or give statuses a meaning of their own
        (qBittorrent: a failed login is `200 Fails.`, a 403 an expired session): the
        statuses in `passed` are returned to the caller, the others map as in `request`.
        """
        with _transport_errors():
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                data=data,
                headers=self._headers,
                timeout=REQUEST_TIMEOUT,
            ) as response:
                if response.status not in passed:
                    _raise_for_status(response.status, path)
                return response.status, await response.text(errors="replace")

    async def request_image(
        self, path: str, *, params: Mapping[str, str | int] | None = None
    ) -> Image:
        """Fetch a raster image; anything else (an error page, an SVG) is refused."""
        with _transport_errors():
            async with self._session.get(
                f"{self._base_url}{path}",
                params=params,
                headers=self._headers,
                timeout=REQUEST_TIMEOUT,
            ) as response:
                _raise_for_status(response.status, path)
                if response.content_type not in IMAGE_TYPES:
                    raise WrongService(f"{path} answered {response.content_type}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_IMAGE_BYTES:
                        raise InvalidPayload(f"{path} is larger than a poster")
                return Image(response.content_type, bytes(body))


class ApiFields(Fields):
    """`Fields` plus the readers REST answers need and webhook bodies do not.

    Webhook templates send text; REST answers also carry fractions (qBittorrent's
    `progress`, *arr's decimal sizes), string maps (Jellyfin's `ProviderIds`) and
    top-level arrays.
    """

    __slots__ = ()

    @classmethod
    def array(cls, value: object, path: str = "body") -> list[Self]:
        """A JSON array of objects (None means empty)."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise InvalidPayload(f"{path} must be a list")
        return [cls(item, path, n) for n, item in enumerate(value)]

    def records(self, key: str) -> list[Self]:
        """A list of objects (absent means empty), read with these readers too."""
        return self.array(self._data.get(key), f"{self._path}.{key}")

    def real(self, key: str) -> float | None:
        """An optional JSON number, whole or fractional (an integer stays exact)."""
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong(key, "a number")
        return value

    def required_real(self, key: str) -> float:
        """A JSON number that must be present."""
        value = self.real(key)
        if value is None:
            raise InvalidPayload(f"{self._path}.{key} is missing")
        return value

    def integers(self, key: str) -> list[int]:
        """A list of whole numbers (absent means empty): REST tag ids, say."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise self._wrong(key, "a list of integers")
        return value

    def text_map(self, key: str) -> dict[str, str]:
        """An object of strings (absent means empty; null values are left out)."""
        value = self._data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(item, str | None) for item in value.values()
        ):
            raise self._wrong(key, "an object of strings")
        return {name: item for name, item in value.items() if item is not None}


async def _async_decode(body: bytes) -> Any:
    """The JSON of a body (None when it is blank), a large one in a worker thread."""
    if not body.strip():
        return None
    if len(body) < LARGE_BODY_BYTES:
        return orjson.loads(body)
    return await asyncio.get_running_loop().run_in_executor(None, orjson.loads, body)


@contextmanager
def _transport_errors() -> Iterator[None]:
    """Map aiohttp's transport failures to ours."""
    try:
        yield
    except (aiohttp.ClientSSLError, ssl.SSLError) as err:
        raise SslError(str(err)) from err
    except (aiohttp.ClientError, TimeoutError) as err:
        raise CannotConnect(str(err) or type(err).__name__) from err


def _raise_for_status(status: int, path: str) -> None:
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise InvalidAuth(f"{path} answered {status}")
    if status == HTTPStatus.NOT_FOUND:
        raise NotFound(path)
    if status >= HTTPStatus.BAD_REQUEST:
        raise ErrorStatus(f"{path} answered {status}")
