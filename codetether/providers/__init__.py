"""Model providers: one Protocol, lazily loaded wire implementations, resilience, catalog.

Re-exports are lazy (PEP 562) so importing a light submodule never pulls in aiohttp.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "Provider": ".base",
    "ProviderSettings": ".base",
    "collect": ".assemble",
    "AuthError": ".errors",
    "BadRequestError": ".errors",
    "ConnectionFailed": ".errors",
    "ContextLengthError": ".errors",
    "MalformedResponse": ".errors",
    "ProviderError": ".errors",
    "ProviderTimeout": ".errors",
    "RateLimitError": ".errors",
    "ServerError": ".errors",
    "StreamInterrupted": ".errors",
    "close_shared_session": ".http",
    "create_provider": ".registry",
    "provider_for": ".registry",
    "provider_settings": ".registry",
    "split_model": ".registry",
    "RetryPolicy": ".resilience",
    "Timeouts": ".timing",
    "Done": ".types",
    "ErrorEvent": ".types",
    "Event": ".types",
    "ImagePart": ".types",
    "Message": ".types",
    "Request": ".types",
    "Response": ".types",
    "TextDelta": ".types",
    "TextPart": ".types",
    "ThinkingDelta": ".types",
    "ThinkingPart": ".types",
    "ToolCall": ".types",
    "ToolCallDelta": ".types",
    "ToolCallEnd": ".types",
    "ToolCallStart": ".types",
    "ToolSpec": ".types",
    "Usage": ".types",
    "UsageEvent": ".types",
}

__all__ = [
    "AuthError",
    "BadRequestError",
    "ConnectionFailed",
    "ContextLengthError",
    "Done",
    "ErrorEvent",
    "Event",
    "ImagePart",
    "MalformedResponse",
    "Message",
    "Provider",
    "ProviderError",
    "ProviderSettings",
    "ProviderTimeout",
    "RateLimitError",
    "Request",
    "Response",
    "RetryPolicy",
    "ServerError",
    "StreamInterrupted",
    "TextDelta",
    "TextPart",
    "ThinkingDelta",
    "ThinkingPart",
    "Timeouts",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "ToolSpec",
    "Usage",
    "UsageEvent",
    "close_shared_session",
    "collect",
    "create_provider",
    "provider_for",
    "provider_settings",
    "split_model",
]

if TYPE_CHECKING:
    from .assemble import collect
    from .base import Provider, ProviderSettings
    from .errors import (
        AuthError,
        BadRequestError,
        ConnectionFailed,
        ContextLengthError,
        MalformedResponse,
        ProviderError,
        ProviderTimeout,
        RateLimitError,
        ServerError,
        StreamInterrupted,
    )
    from .http import close_shared_session
    from .registry import create_provider, provider_for, provider_settings, split_model
    from .resilience import RetryPolicy
    from .timing import Timeouts
    from .types import (
        Done,
        ErrorEvent,
        Event,
        ImagePart,
        Message,
        Request,
        Response,
        TextDelta,
        TextPart,
        ThinkingDelta,
        ThinkingPart,
        ToolCall,
        ToolCallDelta,
        ToolCallEnd,
        ToolCallStart,
        ToolSpec,
        Usage,
        UsageEvent,
    )


__getattr__ = lazy_exports(__name__, _EXPORTS)
