"""Provider failures. Each names the provider; none ever contains a key (CodetetherError redacts its text)."""

from ..errors import CodetetherError


class ProviderError(CodetetherError):
    """A model API call failed. ``retryable`` says whether the same request may succeed later."""

    retryable = False

    def __init__(self, provider: str, message: str, hint: str | None = None, *, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}", hint)
        self.provider = provider
        self.status = status
        self.attempts = 1

    def gave_up(self, attempts: int, hint: str | None = None) -> "ProviderError":
        """This error as the last of ``attempts`` tries: the message counts them; ``hint`` replaces the advice."""
        self.attempts = attempts
        if attempts > 1:
            self.message = f"{self.message} (gave up after {attempts} attempts)"
            self.args = (self.message,)
        if hint:
            self.hint = hint
        return self


class AuthError(ProviderError):
    """The API key was missing, rejected (401) or lacks permission (403)."""


class BadRequestError(ProviderError):
    """The API refused the request as malformed (400/404/422); retrying the same request cannot help."""


class ContextLengthError(BadRequestError):
    """The conversation no longer fits the model's context window; compaction catches this."""


class RateLimitError(ProviderError):
    """HTTP 429. ``retry_after`` is the wait the server asked for, in seconds, when it said."""

    retryable = True

    def __init__(self, provider: str, message: str, *, retry_after: float | None = None, status: int = 429) -> None:
        super().__init__(provider, message, "wait and retry, or lower concurrency", status=status)
        self.retry_after = retry_after


class ServerError(ProviderError):
    """HTTP 5xx (or Anthropic's 529 overloaded): the service failed; the request was probably fine."""

    retryable = True

    def __init__(self, provider: str, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(provider, message, "retry later", status=status)
        self.retry_after = retry_after


class ConnectionFailed(ProviderError):
    """The connection could not be made or broke before any output arrived."""

    retryable = True
    retry_after: float | None = None


class ProviderTimeout(ProviderError):
    """No connection, no response or no further stream data in time; ``setting`` is the limit that ran out."""

    retryable = True
    retry_after: float | None = None
    setting: str | None = None


class StreamInterrupted(ProviderError):
    """The stream broke after output was already delivered; it is not retried, to avoid duplicated output."""


class MalformedResponse(ProviderError):
    """The API sent something that is not valid for its own wire format."""
