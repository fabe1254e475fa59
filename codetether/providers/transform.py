"""Every per-provider quirk in one place, each with the reason it exists.

Wire modules call these instead of branching on provider names themselves, so a new quirk
is one entry here rather than an ``if`` buried in a parser.
"""

import re
from typing import Any

from .._version import __version__

# Substrings (lower-cased) that APIs use for "the prompt does not fit the context window".
CONTEXT_LENGTH_MARKERS = (
    "context_length_exceeded",  # OpenAI error.code
    "maximum context length",  # OpenAI / vLLM / llama.cpp server message
    "context length",  # Ollama, LM Studio
    "prompt is too long",  # Anthropic invalid_request_error
    "input is too long",  # Bedrock ValidationException
    "too many input tokens",  # Bedrock (Claude on Bedrock)
    "exceeds the maximum number of tokens",  # Gemini INVALID_ARGUMENT
    "input token count",  # Gemini ("The input token count (N) exceeds ...")
    "context window",  # Moonshot, Z.ai
)


def is_context_length_error(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in CONTEXT_LENGTH_MARKERS)


# OpenAI reasoning models reject `max_tokens` and require `max_completion_tokens`.
_OPENAI_COMPLETION_TOKENS_MODELS = re.compile(r"^(o\d|gpt-5)")


def openai_max_tokens_field(provider: str, model: str) -> str:
    if provider == "openai" and _OPENAI_COMPLETION_TOKENS_MODELS.match(model):
        return "max_completion_tokens"
    return "max_tokens"


def openai_extra_headers(provider: str) -> dict[str, str]:
    if provider == "openrouter":
        # OpenRouter attributes traffic to an app by these headers (optional, but recommended by its docs).
        return {"HTTP-Referer": "https://github.com/codetether", "X-Title": "CodeTether"}
    if provider == "github-copilot":
        # The Copilot API refuses requests that do not identify an integration and an editor.
        return {"Copilot-Integration-Id": "vscode-chat", "Editor-Version": f"codetether/{__version__}"}
    return {}


# Reasoning text arrives under different delta keys: DeepSeek/Moonshot/vLLM use `reasoning_content`,
# OpenRouter uses `reasoning`.
OPENAI_REASONING_KEYS = ("reasoning_content", "reasoning")


def openai_reasoning(message: dict) -> str:
    """The reasoning text of a message or delta, under whichever key this server uses."""
    for key in OPENAI_REASONING_KEYS:
        if isinstance(message.get(key), str) and message[key]:
            return message[key]
    return ""


def clamp_temperature(provider: str, temperature: float | None) -> float | None:
    if temperature is None:
        return None
    if provider in ("moonshotai", "anthropic", "zai"):
        # These APIs accept temperature only in [0, 1] and reject the request otherwise.
        return min(max(temperature, 0.0), 1.0)
    return temperature


# Anthropic requires max_tokens on every request; use the model's usual ceiling when the caller gave none.
ANTHROPIC_DEFAULT_MAX_TOKENS = 8192

# Gemini's function declarations accept an OpenAPI subset of JSON Schema; these keys make it answer 400.
_GEMINI_UNSUPPORTED_SCHEMA_KEYS = frozenset(
    {"$schema", "additionalProperties", "$defs", "definitions", "$ref", "title"}
)


def gemini_schema(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: gemini_schema(v) for k, v in schema.items() if k not in _GEMINI_UNSUPPORTED_SCHEMA_KEYS}
    if isinstance(schema, list):
        return [gemini_schema(v) for v in schema]
    return schema


# Bedrock's Converse image block wants a bare format name, not a MIME type.
def bedrock_image_format(media_type: str) -> str:
    return media_type.split("/")[-1].replace("jpg", "jpeg")
