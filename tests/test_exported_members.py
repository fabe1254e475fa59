"""The public surface of each package changes only on purpose."""

import importlib

import pytest

SURFACES = {
    "codetether": ["__version__"],
    "codetether.a2a": [
        "A2AClient",
        "A2AError",
        "AgentCard",
        "EchoExecutor",
        "Executor",
        "Message",
        "Part",
        "RequestContext",
        "RequestHandler",
        "SQLiteTaskStore",
        "StreamResponse",
        "Task",
        "TaskState",
        "TaskStore",
        "TaskUpdater",
    ],
    "codetether.config": [
        "AgentSection",
        "Config",
        "DefaultSection",
        "LoadedConfig",
        "ProviderSection",
        "SessionSection",
        "TelemetrySection",
        "UISection",
        "WebSearchSection",
        "load_config",
    ],
    "codetether.secrets": [
        "ENV_VARS",
        "Keystore",
        "ProviderSecret",
        "RedactingFilter",
        "SecretResolver",
        "StoredCredential",
        "VaultSecrets",
        "VaultSettings",
        "env_var_names",
        "redact",
        "register_secret",
    ],
    "codetether.providers": [
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
    ],
    "ctcore.chunker": [
        "CONTENT_TYPES",
        "IMPLEMENTATION",
        "Chunk",
        "chunk",
        "chunk_spans",
        "chunk_text",
        "detect",
        "line_starts",
        "reassemble",
        "select",
    ],
}


@pytest.mark.parametrize("module_name", sorted(SURFACES))
def test_public_surface(module_name):
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(SURFACES[module_name])
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    import codetether.secrets

    with pytest.raises(AttributeError):
        _ = codetether.secrets.nothing_here
