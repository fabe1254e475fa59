"""Which HTTP proxy a provider's requests go through, from the usual environment variables.

``https_proxy``/``HTTPS_PROXY`` for https URLs, ``http_proxy``/``HTTP_PROXY`` for http ones,
``all_proxy``/``ALL_PROXY`` for either, and ``no_proxy``/``NO_PROXY`` (host names, domain suffixes
with or without a leading dot, ``host:port``, ``*``) for exceptions, as curl reads them. A loopback
provider (a local Ollama or vLLM) never goes through a proxy. The runtime resolves this once per
provider from its environment; the HTTP client only follows the answer.
"""

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit


def _get(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name.lower()) or environ.get(name.upper()) or "").strip()


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.partition(":") if not entry.startswith("[") else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def proxy_for(url: str | None, environ: Mapping[str, str]) -> str | None:
    """The proxy URL for requests to ``url``, or None to connect directly."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or _is_loopback(host):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _bypassed(host, port, _get(environ, "no_proxy")):
        return None
    proxy = _get(environ, f"{parts.scheme}_proxy") or _get(environ, "all_proxy")
    if not proxy:
        return None
    return proxy if "://" in proxy else f"http://{proxy}"
