"""How a run ends. Each exit carries the final message, so callers need no other state to report it."""

from ..errors import CodetetherError


class AgentExit(Exception):
    status = "error"

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.text = text


class Submitted(AgentExit):
    """The model answered without asking for tools: the task is done."""

    status = "submitted"


class LimitsExceeded(AgentExit):
    """``max_steps`` model turns were used without a final answer."""

    status = "max_steps"


class OutputLimit(AgentExit):
    """The answer was still cut off at the output limit after the continuation nudges.

    Every part the model wrote is kept in the session; ``text`` joins them, and is not a whole answer.
    """

    status = "max_tokens"


class Interrupted(AgentExit):
    """The user stopped the run (Ctrl+C); the session is kept and can be continued."""

    status = "interrupted"


class FormatError(CodetetherError):
    """The model kept answering with nothing usable (no text, no tool calls)."""
