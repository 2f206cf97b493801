"""A thin JSON-over-HTTP client shared by the upstream API clients.

The upstream APIs we call are small and stable (a handful of endpoints each), and the
maintained Python libraries for them either pin versions that clash with Home Assistant
core's own integrations or cover other endpoints. One shared, typed wrapper over aiohttp
keeps error mapping identical across services and lets Home Assistant inject its session.
"""

from collections.abc import Mapping
from http import HTTPStatus
import ssl
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .errors import (
    CannotConnect,
    InvalidAuth,
    InvalidUrl,
    NotFound,
    SslError,
    WrongService,
)

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)


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
        try:
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                json=json,
                headers=self._headers,
                timeout=REQUEST_TIMEOUT,
            ) as response:
                if response.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
                    raise InvalidAuth(f"{path} answered {response.status}")
                if response.status == HTTPStatus.NOT_FOUND:
                    raise NotFound(path)
                if response.status >= HTTPStatus.BAD_REQUEST:
                    raise CannotConnect(f"{path} answered {response.status}")
                if response.status == HTTPStatus.NO_CONTENT:
                    return None
                return await response.json(content_type=None)
        except (aiohttp.ClientSSLError, ssl.SSLError) as err:
            raise SslError(str(err)) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise CannotConnect(str(err) or type(err).__name__) from err
        except ValueError as err:
            raise WrongService(f"{path} did not answer JSON") from err
