"""Endpoint resolution: HTTP publish URL, realtime WebSocket URL and the `host` used in authorization.

Accepts what CloudFormation and the local cloud hand out: full URLs (`https://x.appsync-api.../event`,
`http://127.0.0.1:4020/event`) or bare host names (`!GetAtt Api.Dns.Http`). Without an explicit realtime
URL it is derived the way Amplify JS does it: AWS domains swap `appsync-api` for `appsync-realtime-api`,
any other (custom or local) endpoint gets `/realtime` appended; `http(s)://` becomes `ws(s)://`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_AWS_HTTP_HOST = re.compile(r"\.appsync-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def authority(url: str) -> str:
    """The `host[:port]` of a URL as a signer and Amplify see it: lowercase, no userinfo, no default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


@dataclass(frozen=True)
class Endpoints:
    """The two URLs of one Event API and the `host` value every authorization object carries."""

    http_url: str
    realtime_url: str
    host: str

    @classmethod
    def resolve(cls, http_url: str, realtime_url: str | None = None) -> Endpoints:
        http = _http_url(http_url)
        realtime = _realtime_url(realtime_url) if realtime_url else _derived_realtime_url(http)
        return cls(http_url=http, realtime_url=realtime, host=authority(http))


def _http_url(value: str) -> str:
    if "://" not in value:  # a bare `Dns.Http` host name
        return f"https://{value.strip('/')}/event"
    scheme = urlsplit(value).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"HTTP endpoint must start with http:// or https://, got {value!r}")
    return value


def _realtime_url(value: str) -> str:
    if "://" not in value:  # a bare `Dns.Realtime` host name
        return f"wss://{value.strip('/')}/event/realtime"
    scheme, rest = value.split("://", 1)
    if scheme not in _WS_SCHEMES:
        raise ValueError(f"realtime endpoint must be a ws(s):// or http(s):// URL, got {value!r}")
    return f"{_WS_SCHEMES[scheme]}://{rest}"


def _derived_realtime_url(http_url: str) -> str:
    parts = urlsplit(http_url)
    if _AWS_HTTP_HOST.search(parts.hostname or ""):
        netloc = parts.netloc.replace("appsync-api", "appsync-realtime-api")
        return f"wss://{netloc}{parts.path.rstrip('/')}/realtime"
    return _realtime_url(http_url.rstrip("/") + "/realtime")
