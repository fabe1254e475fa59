"""Keeps credentials out of everything a person or a log file can read.

Every secret the resolver hands out is registered here; ``redact`` replaces each registered
value, and anything shaped like a well-known token, wherever it appears in a piece of text.
"""

import logging
import re
import threading

MASK = "[REDACTED]"
# Shorter values would mask ordinary words; real keys are far longer.
MIN_SECRET_LENGTH = 8

_TOKEN_SHAPES = re.compile(
    # A shape counts only at the start of a word: "task-1f0c..." is an id, not an "sk-" key.
    r"(?<![A-Za-z0-9_\-])"
    r"(?:sk-(?:ant-|proj-|or-)?[A-Za-z0-9_\-]{16,}"  # OpenAI, Anthropic, OpenRouter keys
    r"|hv[sbr]\.[A-Za-z0-9_\-]{20,}"  # Vault tokens
    r"|AKIA[0-9A-Z]{16}"  # AWS access key ids
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{30,})"  # GitHub tokens
    r"|(?<=Bearer )[A-Za-z0-9._~+/\-]{8,}=*",
)


class Redactor:
    """A thread-safe set of known secrets and the function that masks them."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if secret not in self._secrets:
                self._secrets.add(secret)
                # Longest first, so a secret that contains another is masked whole.
                alternatives = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, alternatives)))

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _TOKEN_SHAPES.sub(MASK, text)


_default = Redactor()
register_secret = _default.add
redact = _default.redact


_formatter = logging.Formatter()


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message, the traceback and the stack.

    A traceback repeats each exception's text (``str(exc)`` of every exception in the chain, which
    may be a third-party one quoting a response), so it is rendered and masked here and travels on
    as text only: ``exc_info`` is dropped, so no later handler or formatter can render it unmasked
    (``logging.Formatter`` prints ``exc_text`` by itself).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(record.exc_text or _formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
