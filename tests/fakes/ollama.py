"""A fake Ollama on 127.0.0.1 speaking its OpenAI-compatible API: ``/v1/chat/completions`` (from
:class:`FakeLLM`) and ``/v1/models`` in Ollama's own shape (``owned_by: library``, tags in the ids)."""

from aiohttp import web

from .llm import FakeLLM


class FakeOllama(FakeLLM):
    def __init__(self, models: list[str]) -> None:
        super().__init__()
        self.models = models
        self.model_requests = 0

    async def _list_models(self, request: web.Request) -> web.Response:
        self.model_requests += 1
        data = [{"id": m, "object": "model", "created": 1733011200, "owned_by": "library"} for m in self.models]
        return web.json_response({"object": "list", "data": data})
