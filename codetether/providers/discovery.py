"""Finding a local OpenAI-compatible server when no provider is configured.

A user who runs Ollama, llama.cpp's ``llama-server``, LM Studio or vLLM already has a capable model on
the machine; using it beats the 270M demonstration model. Each candidate gets one ``GET /v1/models``
with a short timeout, all at once on threads (a closed port answers at once, a silent one costs the
timeout), and the first in the configured order that lists a chat model wins. Only loopback URLs are
probed: discovery must never reach out to the network on its own.
"""

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import msgspec

from .registry import is_loopback

MAX_BODY = 1 << 20  # a model list larger than 1 MiB is not one
# Ids of models that cannot chat (embedding, reranking, speech): never picked as the default.
_NOT_CHAT = ("embed", "rerank", "whisper", "tts", "bge-", "e5-")
LABELS = {"ollama": "Ollama", "llama-server": "llama.cpp server", "lm-studio": "LM Studio", "vllm": "vLLM"}


class LocalServer(msgspec.Struct, frozen=True):
    name: str  # the provider name it is used under, e.g. "ollama"
    url: str  # its root, e.g. http://127.0.0.1:11434
    models: list[str]

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/") + "/v1"

    @property
    def model(self) -> str:
        return next((m for m in self.models if not any(s in m.lower() for s in _NOT_CHAT)), self.models[0])

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


def probe(url: str, timeout: float) -> list[str] | None:
    """The model ids ``url`` serves at ``/v1/models`` (OpenAI's list shape), or None."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", parts.path.rstrip("/") + "/v1/models", headers={"Accept": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            return None
        body = json.loads(response.read(MAX_BODY + 1)[:MAX_BODY])
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    ids = [item["id"] for item in data if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]]
    return ids or None


def discover(servers: dict[str, str], timeout: float = 0.3) -> LocalServer | None:
    """The first of ``servers`` (name -> loopback URL, in order) that answers with a model list."""
    candidates = [(name, url) for name, url in servers.items() if is_loopback(url)]
    if not candidates:
        return None
    with ThreadPoolExecutor(max_workers=len(candidates), thread_name_prefix="codetether-discovery") as pool:
        answers = list(pool.map(lambda item: probe(item[1], timeout), candidates))
    for (name, url), models in zip(candidates, answers, strict=True):
        if models:
            return LocalServer(name=name, url=url, models=models)
    return None
