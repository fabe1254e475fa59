"""The one exception tree. Expected failures derive from :class:`CodetetherError`.

The CLI prints an expected failure as one line (message, then what to do) and exits with
``exit_code``; anything else is a bug and gets a traceback only with ``--debug``.
"""

from .secrets.redaction import redact


class CodetetherError(Exception):
    """A failure the user can act on: ``message`` says what went wrong, ``hint`` what to do next."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        # The one place an error becomes text: a provider that echoes the key in its error body must
        # not put it in a run's output, an A2A task's status or a log line.
        message, hint = redact(message), redact(hint) if hint else hint
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def with_exit(self, code: int) -> "CodetetherError":
        """The same error with another process exit code (e.g. 3 for "step limit reached")."""
        self.exit_code = code
        return self


class UsageError(CodetetherError):
    """The command line or a value on it is wrong."""

    exit_code = 2


class ConfigError(CodetetherError):
    """A config file is unreadable, malformed, or does not fit the schema."""


class SecretError(CodetetherError):
    """A credential could not be resolved or stored."""


class KeystoreError(SecretError):
    """The local keystore is unreadable, corrupt, or has unsafe permissions."""


class VaultError(SecretError):
    """HashiCorp Vault is unreachable, sealed, or refused the request."""
